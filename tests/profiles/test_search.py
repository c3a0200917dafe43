"""Search (R2.3): filters, exclusions, sort orders, pagination, bad input, query counts, and no
coordinates or exact distances in the page (SECURITY: no trilateration)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from members.models import Member
from profiles.models import Block, Interest, Photo, Place
from profiles.selectors import distance_bucket, years_before
from profiles.services import block_member
from tests.factories import MemberFactory, make_profile

SEARCH = reverse("profiles:search")


def birth_date_for(age: int):
    return years_before(timezone.localdate(), age) - timedelta(days=10)


def person(
    username,
    *,
    gender=Member.Gender.WOMAN,
    place="Utrecht",
    age=30,
    member=None,
    last_active_days=1,
    **profile,
):
    """A searchable member: active, with a profile that has a birth date and a place."""
    member = member or MemberFactory(
        username=username,
        gender=gender,
        last_active_at=timezone.now() - timedelta(days=last_active_days),
    )
    make_profile(member, place=place, birth_date=birth_date_for(age), **profile)
    return member


def found(response) -> list[str]:
    """Usernames on the result page, in order."""
    return [profile.member.username for profile in response.context["page"].object_list]


@pytest.fixture
def searcher(db):
    member = person("searcher", gender=Member.Gender.MAN, place="Utrecht", age=35)
    return member


@pytest.fixture
def searcher_client(client, searcher):
    client.force_login(searcher)
    client.cookies["django_language"] = "en"  # the messages below are checked in English
    return client


def test_search_needs_logging_in(client, db):
    """R2.3: search is for members only."""
    response = client.get(SEARCH)
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_search_shows_searchable_members_but_never_the_excluded(searcher_client, searcher):
    """R2.3, R7.4: the searcher, closed, suspended, deactivated, restricted, hidden and blocked
    members (either way) and members without birth date or place are never shown."""
    person("visible")
    person("closed", member=MemberFactory(username="closed", status=Member.Status.CLOSED))
    person("suspended", member=MemberFactory(username="suspended", status="suspended"))
    person("inactive", member=MemberFactory(username="inactive", is_active=False))
    person("restricted", member=MemberFactory(username="restricted", processing_restricted=True))
    person("hidden", hidden_from_search=True)
    blocked = person("blockedbyme")
    blocker = person("blockedme")
    block_member(member=searcher, target=blocked)
    block_member(member=blocker, target=searcher)
    make_profile(MemberFactory(username="nobirthdate"), place="Utrecht")
    make_profile(MemberFactory(username="noplace"), birth_date=birth_date_for(30))
    MemberFactory(username="noprofile")

    response = searcher_client.get(SEARCH)

    assert response.status_code == 200
    assert found(response) == ["visible"]
    html = response.content.decode()
    for name in ["closed", "suspended", "inactive", "restricted", "hidden", "blockedme"]:
        assert f">{name}<" not in html


def test_gender_and_age_filters(searcher_client):
    """R2.3: gender (several at once) and an age range, both ends included."""
    person("woman25", age=25)
    person("woman40", age=40)
    person("man30", gender=Member.Gender.MAN, age=30)
    person("nb30", gender=Member.Gender.NON_BINARY, age=30)

    response = searcher_client.get(SEARCH, {"gender": ["woman", "non_binary"]})
    assert sorted(found(response)) == ["nb30", "woman25", "woman40"]

    response = searcher_client.get(SEARCH, {"age_min": 25, "age_max": 30})
    assert sorted(found(response)) == ["man30", "nb30", "woman25"]

    response = searcher_client.get(SEARCH, {"age_min": 26, "age_max": 40, "gender": "woman"})
    assert found(response) == ["woman40"]


def test_distance_filter_from_own_place_and_from_a_typed_place(searcher_client):
    """R2.3: distance (km) from the member's own place by default, or from a place typed by
    name (accents and case do not matter)."""
    person("in_utrecht", place="Utrecht")
    person("in_amersfoort", place="Amersfoort")  # about 20 km from Utrecht
    person("in_antwerp", place="Antwerp")  # about 110 km from Utrecht
    person("in_liege", place="Liège")

    response = searcher_client.get(SEARCH, {"distance": 10})
    assert found(response) == ["in_utrecht"]

    response = searcher_client.get(SEARCH, {"distance": 30, "sort": "distance"})
    assert found(response) == ["in_utrecht", "in_amersfoort"]

    response = searcher_client.get(SEARCH, {"place": "  LIEGE ", "distance": 5})
    assert found(response) == ["in_liege"]
    assert response.context["origin"].name == "Liège"

    # As the place autocomplete offers it: with the country.
    response = searcher_client.get(SEARCH, {"place": "Liège (BE)", "distance": 5})
    assert found(response) == ["in_liege"]


def test_photo_active_and_interest_filters(searcher_client):
    """R2.3: has a photo, active in the last 7 days, any of the picked interests."""
    cooking, hiking, film = (Interest.objects.get(slug=s) for s in ["cooking", "hiking", "film"])
    person("with_photo", has_photo=True, last_active_days=30)
    person("recent", last_active_days=2, interests=[cooking, hiking])
    person("cook_long_ago", last_active_days=20, interests=[cooking])
    person("filmfan", last_active_days=3, interests=[film])

    assert found(searcher_client.get(SEARCH, {"photo": "on"})) == ["with_photo"]
    assert sorted(found(searcher_client.get(SEARCH, {"active": "on"}))) == ["filmfan", "recent"]
    response = searcher_client.get(SEARCH, {"interests": ["cooking", "hiking"]})
    # Any of the interests, each member once.
    assert sorted(found(response)) == ["cook_long_ago", "recent"]
    response = searcher_client.get(SEARCH, {"interests": ["film", "cooking"], "active": "on"})
    assert sorted(found(response)) == ["filmfan", "recent"]


def test_sort_orders(searcher_client):
    """R2.3: last active first (default), newest members first, or nearest first."""
    old_near = person("old_near", place="Utrecht", last_active_days=10)
    mid_far = person("mid_far", place="Antwerp", last_active_days=1)
    new_mid = person("new_mid", place="Amsterdam", last_active_days=5)
    now = timezone.now()
    for days, member in [(300, old_near), (200, mid_far), (100, new_mid)]:
        Member.objects.filter(pk=member.pk).update(date_joined=now - timedelta(days=days))

    assert found(searcher_client.get(SEARCH)) == ["mid_far", "new_mid", "old_near"]
    assert found(searcher_client.get(SEARCH, {"sort": "newest"})) == [
        "new_mid",
        "mid_far",
        "old_near",
    ]
    assert found(searcher_client.get(SEARCH, {"sort": "distance"})) == [
        "old_near",
        "new_mid",
        "mid_far",
    ]


def test_results_come_twenty_to_a_page_and_bad_page_numbers_do_no_harm(searcher_client):
    """R2.3: paginated, 20 a page; page=abc gives the first page, page=99999 the last."""
    for number in range(23):
        person(f"w{number:02}", last_active_days=number + 1)

    first = searcher_client.get(SEARCH)
    assert len(found(first)) == 20
    assert found(first)[0] == "w00"
    assert "page=2" in first.content.decode()

    second = searcher_client.get(SEARCH, {"page": 2})
    assert found(second) == ["w20", "w21", "w22"]
    assert searcher_client.get(SEARCH, {"page": "abc"}).context["page"].number == 1
    last = searcher_client.get(SEARCH, {"page": 99999})
    assert last.status_code == 200
    assert last.context["page"].number == 2


def test_page_links_keep_the_filters(searcher_client):
    """R2.3: the search is a shareable URL; the next page keeps its filters."""
    for number in range(21):
        person(f"w{number:02}")
    html = searcher_client.get(SEARCH, {"gender": "woman", "age_min": 20}).content.decode()
    link = re.search(r'href="([^"]*page=2[^"]*)"', html).group(1)
    assert "gender=woman" in link and "age_min=20" in link


@pytest.mark.parametrize(
    "params, field, message",
    [
        ({"age_min": 17}, "age_min", "Ages start at 18."),
        ({"age_max": 120}, "age_max", "Ages go up to 99."),
        ({"age_min": 50, "age_max": 30}, "age_max", "must not be lower"),
        ({"age_min": "abc"}, "age_min", "whole number"),
        ({"place": "Atlantis", "distance": 20}, "place", "We do not know that place"),
        ({"place": "Zwijndrecht"}, "place", "Zwijndrecht (BE)"),
        ({"distance": 0}, "distance", "at least 1 km"),
        ({"distance": 501}, "distance", "at most 500 km"),
        ({"sort": "password"}, "sort", "Choose a sort order"),
        ({"interests": "nonsense"}, "interests", "Choose interests"),
    ],
)
def test_bad_input_gives_the_form_back_with_a_clear_message(
    searcher_client, params, field, message
):
    """R2.3: wrong filters never give a 500, but the form with a message at the field."""
    person("someone")
    response = searcher_client.get(SEARCH, params)
    assert response.status_code == 200
    form = response.context["form"]
    assert message in " ".join(form.errors[field])
    html = response.content.decode()
    assert f'id="id_{field}_error"' in html  # the message is tied to its field
    assert response.context["page"] is None


def test_distance_without_any_place_asks_for_one(client, db):
    """R2.3: a member without a place of their own must type one to search by distance."""
    member = MemberFactory(username="placeless")
    client.force_login(member)
    client.cookies["django_language"] = "en"
    response = client.get(SEARCH, {"distance": 20})
    assert response.status_code == 200
    assert "Type a place" in " ".join(response.context["form"].errors["place"])
    response = client.get(SEARCH, {"sort": "distance"})
    assert "Type a place" in " ".join(response.context["form"].errors["place"])
    response = client.get(SEARCH)
    assert response.status_code == 200  # searching without distance needs no place


def test_search_page_carries_no_coordinates_or_exact_distances(searcher_client):
    """R2.3, SECURITY (trilateration): no latitude, longitude or exact km in the page; only
    the bucket labels."""
    person("neighbour", place="Amersfoort")
    person("far", place="Gent")
    response = searcher_client.get(SEARCH, {"sort": "distance"})
    html = response.content.decode()
    for name in ["Utrecht", "Amersfoort", "Gent"]:
        place = Place.objects.filter(name=name).order_by("-population").first()
        for coordinate in (place.latitude, place.longitude):
            assert f"{coordinate:.2f}" not in html
            assert f"{coordinate:.1f}".replace(".", ",") not in html
    assert "10 to 25 km" in html and "about 150 km" in html
    # Every number next to "km" is a bucket bound, a multiple of 10 (the rounded buckets) or
    # the form's 1..500 help.
    numbers = set(re.findall(r"(\d+(?:[.,]\d+)?)\s*km", html))
    allowed = {"1", "5", "25", "500"}
    assert all(n in allowed or (n.isdigit() and int(n) % 10 == 0) for n in numbers), numbers
    for _header, value in response.items():
        assert f"{place.latitude:.2f}" not in value


def test_member_cards_show_age_place_bucket_and_main_photo(searcher_client):
    """R2.3: card with username, age, place, distance bucket, the main approved photo (alt
    text names the member) and a link to the profile page; never the birth date."""
    member = person("withphoto", place="Amersfoort", age=41, has_photo=True)
    main = Photo.objects.create(
        member=member,
        image="a.jpg",
        thumbnail="a_t.jpg",
        width=10,
        height=10,
        status=Photo.Status.APPROVED,
        is_main=True,
    )
    pending = Photo.objects.create(
        member=member, image="b.jpg", thumbnail="b_t.jpg", width=10, height=10, position=1
    )
    response = searcher_client.get(SEARCH, {"sort": "distance"})
    html = response.content.decode()
    assert "41" in html and "Amersfoort" in html
    assert 'alt="Photo of withphoto"' in html or 'alt="Foto van withphoto"' in html
    assert reverse("profiles:photo_file", args=[main.public_id, "thumb"]) in html
    assert pending.public_id not in html
    assert reverse("profiles:profile", args=[member.public_id]) in html
    birth = member.profile.birth_date
    assert birth.isoformat() not in html and str(birth.year) not in html


@pytest.mark.parametrize(
    "km, label",
    [
        (0, "under 5 km"),
        (4.9, "under 5 km"),
        (5, "5 to 10 km"),
        (24.99, "10 to 25 km"),
        (25, "about 30 km"),
        (99, "about 100 km"),
        (100, "about 100 km"),
        (480, "more than 200 km"),
    ],
)
def test_distance_buckets(km, label):
    """R2.3, SECURITY: distances are shown only as these buckets (boundaries in detail:
    tests/profiles/test_distance_privacy.py)."""
    with translation.override("en"):
        assert str(distance_bucket(km)) == label


def test_query_count_does_not_grow_with_the_number_of_results(
    searcher_client, django_assert_max_num_queries
):
    """R2.3: member, place, main photo and interests come in a fixed number of queries."""
    hiking = Interest.objects.get(slug="hiking")

    def add(count, start):
        for number in range(start, start + count):
            member = person(f"m{number:02}", interests=[hiking], has_photo=True)
            Photo.objects.create(
                member=member,
                image=f"{number}.jpg",
                thumbnail=f"{number}t.jpg",
                width=1,
                height=1,
                status=Photo.Status.APPROVED,
                is_main=True,
            )

    add(3, 0)
    searcher_client.get(SEARCH)  # warm up (session, content types)
    # 17: with the member's cookie choice (privacy.cookies, one query per page).
    with django_assert_max_num_queries(17) as small:
        response = searcher_client.get(SEARCH, {"sort": "distance", "interests": "hiking"})
    assert len(found(response)) == 3
    add(22, 3)
    with django_assert_max_num_queries(len(small.captured_queries)) as large:
        response = searcher_client.get(SEARCH, {"sort": "distance", "interests": "hiking"})
    assert len(found(response)) == 20
    assert len(large.captured_queries) == len(small.captured_queries)


def test_blocking_hides_both_ways_and_unblocking_brings_back(searcher_client, searcher):
    """R2.3: after a block neither finds the other; undoing it restores search."""
    other = person("other")
    block_member(member=other, target=searcher)
    assert found(searcher_client.get(SEARCH)) == []
    Block.objects.all().delete()
    assert found(searcher_client.get(SEARCH)) == ["other"]
