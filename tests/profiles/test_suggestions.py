"""Suggestions (R2.3): mutual fit in both directions, the same exclusions as search, best
matches first, a friendly message for an incomplete profile, and the top six on the home page.
Matching is profiling: only members who consented to personalised suggestions take part, on
either side (R7.1; tests/privacy/test_consents.py tells the consent's own stories)."""

import pytest
from django.urls import reverse

from members.models import Member
from privacy.services import set_consent
from profiles.models import Interest, Photo
from profiles.services import block_member
from tests.factories import MemberFactory, make_profile
from tests.profiles.test_search import birth_date_for, person

SUGGESTIONS = reverse("profiles:suggestions")


def suggested(response) -> list[str]:
    return [profile.member.username for profile in response.context["page"].object_list]


def consent_to_suggestions(member):
    set_consent(member=member, purpose="suggestions", granted=True, source="test")
    return member


def seeker(username, gender, *, consents=True, **profile):
    """A member looking for someone: by default for the other of man/woman, 25 to 45, 50 km,
    who consented to personalised suggestions."""
    defaults = {
        "age": 35,
        "place": "Utrecht",
        "age_min": 25,
        "age_max": 45,
        "max_distance_km": 50,
        "seeks_women": gender == Member.Gender.MAN,
        "seeks_men": gender == Member.Gender.WOMAN,
    }
    defaults.update(profile)
    member = person(username, gender=gender, **defaults)
    return consent_to_suggestions(member) if consents else member


@pytest.fixture
def me(db):
    return seeker("me", Member.Gender.MAN)


@pytest.fixture
def me_client(client, me):
    client.force_login(me)
    return client


def test_suggestions_need_logging_in(client, db):
    response = client.get(SUGGESTIONS)
    assert response.status_code == 302


def test_mutual_fit_in_both_directions(me_client):
    """R2.3: suggested only when they fit what I look for AND I fit what they look for."""
    seeker("fits", Member.Gender.WOMAN)
    # They do not fit me.
    seeker("man", Member.Gender.MAN, seeks_men=True)
    seeker("too_young", Member.Gender.WOMAN, age=22, age_min=18)
    seeker("too_far", Member.Gender.WOMAN, place="Gent", max_distance_km=500)
    # I do not fit them.
    seeker("seeks_women", Member.Gender.WOMAN, seeks_men=False, seeks_women=True)
    seeker("wants_older", Member.Gender.WOMAN, age_min=40, age_max=60)
    seeker("wants_younger", Member.Gender.WOMAN, age_min=18, age_max=30)
    seeker("stays_close", Member.Gender.WOMAN, place="Amersfoort", max_distance_km=10)
    seeker("goes_far", Member.Gender.WOMAN, place="Amersfoort", max_distance_km=30)

    response = me_client.get(SUGGESTIONS)

    assert response.status_code == 200
    assert sorted(suggested(response)) == ["fits", "goes_far"]


def test_the_same_exclusions_as_search(me_client, me):
    """R2.3, R7.4: closed, suspended, restricted, hidden, blocked (either way) members,
    members without birth date and members who never consented are never suggested."""
    seeker("fits", Member.Gender.WOMAN)
    for username, extra in [
        ("closed", {"status": Member.Status.CLOSED}),
        ("suspended", {"status": Member.Status.SUSPENDED}),
        ("restricted", {"processing_restricted": True}),
    ]:
        member = MemberFactory(username=username, gender=Member.Gender.WOMAN, **extra)
        seeker(username, Member.Gender.WOMAN, member=member)
    seeker("hidden", Member.Gender.WOMAN, hidden_from_search=True)
    block_member(member=me, target=seeker("blocked_by_me", Member.Gender.WOMAN))
    block_member(member=seeker("blocked_me", Member.Gender.WOMAN), target=me)
    make_profile(
        consent_to_suggestions(MemberFactory(username="nobirth")),
        place="Utrecht",
        seeks_men=True,
        max_distance_km=50,
    )
    seeker("never_consented", Member.Gender.WOMAN, consents=False)

    assert suggested(me_client.get(SUGGESTIONS)) == ["fits"]


def test_best_matches_first(me_client, me):
    """R2.3: most shared interests first, then the nearest, then the most recently active."""
    hiking, cooking, film = (Interest.objects.get(slug=s) for s in ["hiking", "cooking", "film"])
    make_profile(me, interests=[hiking, cooking, film])
    seeker("two_shared_far", Member.Gender.WOMAN, place="Amsterdam", interests=[hiking, film])
    seeker("one_shared_near", Member.Gender.WOMAN, interests=[cooking])
    seeker("none_near_recent", Member.Gender.WOMAN, last_active_days=1)
    seeker("none_near_older", Member.Gender.WOMAN, last_active_days=9)
    seeker("none_far", Member.Gender.WOMAN, place="Amersfoort", last_active_days=0)

    assert suggested(me_client.get(SUGGESTIONS)) == [
        "two_shared_far",
        "one_shared_near",
        "none_near_recent",
        "none_near_older",
        "none_far",
    ]


@pytest.mark.parametrize(
    "change, missing",
    [
        ({"birth_date": None}, "your date of birth"),
        ({"place_id": None}, "your place of residence"),
        ({"seeks_women": False}, "who you are looking for"),
    ],
)
def test_an_incomplete_profile_gets_a_friendly_message(me_client, me, change, missing):
    """R2.3: without birth date, place or a sought gender there are no suggestions, and the
    page says what to add, linking to the profile form."""
    seeker("fits", Member.Gender.WOMAN)
    make_profile(me, **change)
    me_client.cookies["django_language"] = "en"
    response = me_client.get(SUGGESTIONS)
    assert response.status_code == 200
    html = response.content.decode()
    assert missing in html
    assert f'href="{reverse("profiles:edit")}"' in html
    assert ">fits<" not in html


def test_a_member_without_profile_gets_the_message_too(client, db):
    member = consent_to_suggestions(MemberFactory(username="newcomer"))
    client.force_login(member)
    response = client.get(SUGGESTIONS)
    assert response.status_code == 200
    assert response.context["suggestions"].missing


def test_restricted_member_gets_no_suggestions(me_client, me):
    """R7.4: while processing is restricted, the member's data is not used for matching."""
    seeker("fits", Member.Gender.WOMAN)
    Member.objects.filter(pk=me.pk).update(processing_restricted=True)
    response = me_client.get(SUGGESTIONS)
    assert response.context["suggestions"].paused
    assert ">fits<" not in response.content.decode()


def test_home_page_shows_the_top_six(me_client):
    """R2.3: the logged-in home page shows the six best suggestions and links to all."""
    for number in range(8):
        seeker(f"fit{number}", Member.Gender.WOMAN, last_active_days=number)
    response = me_client.get(reverse("home"))
    html = response.content.decode()
    shown = [f"fit{n}" for n in range(8) if f">fit{n}<" in html]
    assert shown == [f"fit{n}" for n in range(6)]
    assert reverse("profiles:suggestions") in html


def test_anonymous_home_page_has_no_suggestions(client, db):
    seeker("fits", Member.Gender.WOMAN)
    html = client.get(reverse("home")).content.decode()
    assert reverse("profiles:suggestions") not in html
    assert ">fits<" not in html


def test_suggestion_query_count_does_not_grow(me_client, django_assert_max_num_queries):
    """R2.3: a page of 3 and a page of 20 suggestions take the same number of queries."""
    hiking = Interest.objects.get(slug="hiking")

    def add(count, start):
        for number in range(start, start + count):
            member = seeker(f"w{number:02}", Member.Gender.WOMAN, interests=[hiking])
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
    me_client.get(SUGGESTIONS)
    # 17: with the member's cookie choice (privacy.cookies, one query per page).
    with django_assert_max_num_queries(17) as small:
        assert len(suggested(me_client.get(SUGGESTIONS))) == 3
    add(22, 3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(suggested(me_client.get(SUGGESTIONS))) == 20
    with django_assert_max_num_queries(len(small.captured_queries) + 2):
        me_client.get(reverse("home"))


def test_suggestion_birth_dates_are_never_shown(me_client):
    other = seeker("fits", Member.Gender.WOMAN, age=33)
    html = me_client.get(SUGGESTIONS).content.decode()
    assert ">fits<" in html and "33" in html
    assert str(birth_date_for(33).year) not in html
    assert other.profile.birth_date.isoformat() not in html
