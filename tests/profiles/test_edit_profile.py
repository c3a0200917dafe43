"""A member fills in and changes their own profile at /profile/ (R2.1, R8.1)."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from profiles.completeness import profile_completeness
from profiles.models import DESCRIPTION_MAX_LENGTH, Interest, Place, Profile
from profiles.services import get_or_create_profile, update_profile
from tests.factories import make_profile

from .conftest import checked_values, profile_form_data

pytestmark = pytest.mark.django_db

URL = "/profile/"


@pytest.fixture(autouse=True)
def _in_english(client):
    """The messages are checked in English (the Dutch translations come separately)."""
    client.cookies["django_language"] = "en"


def years_ago(years: int, today: date | None = None) -> date:
    today = today or date.today()
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def field_errors(response, field: str) -> list[str]:
    return [str(error) for error in response.context["form"].errors.get(field, [])]


def test_url_name_and_login_required(client):
    """R2.1: the profile is edited only by its logged-in owner."""
    assert reverse("profiles:edit") == URL
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_member_fills_in_the_whole_profile(member_client, member):
    """R2.1: description, birth date, place, what they look for, interests, own tags and
    hiding are saved in one go; the place centre is copied for distance filters."""
    response = member_client.post(URL, profile_form_data(hidden_from_search="on"), follow=True)
    assert response.redirect_chain == [(URL, 302)]
    assert "Your profile has been saved." in response.content.decode()

    profile = Profile.objects.get(member=member)
    utrecht = Place.objects.filter(search_name="utrecht").order_by("-population").first()
    assert profile.description == "Ik fiets graag langs de Maas."
    assert profile.birth_date == date(1990, 5, 31)
    assert profile.place == utrecht
    assert (profile.latitude, profile.longitude) == (utrecht.latitude, utrecht.longitude)
    assert profile.sought_genders == ["woman", "non_binary"]
    assert (profile.age_min, profile.age_max, profile.max_distance_km) == (30, 45, 40)
    assert profile.relationship_type == "dating"
    assert set(profile.interests.values_list("slug", flat=True)) == {"cycling", "cooking", "music"}
    assert profile.free_tags == ["koffie", "Vinyl"]
    assert profile.hidden_from_search is True


def test_form_shows_the_saved_profile(member_client, member):
    """R2.1: coming back, the member sees what they saved, the place as 'Name (NL)'."""
    make_profile(
        member,
        description="Graag buiten",
        place="Utrecht",
        free_tags=["koffie", "jazz"],
        seeks_men=True,
        interests=["hiking"],
    )
    page = member_client.get(URL).content.decode()
    assert "Graag buiten" in page
    assert 'value="Utrecht (NL)"' in page
    assert 'value="koffie, jazz"' in page
    assert checked_values(page, "seeks") == {"men"}
    assert checked_values(page, "interests") == {"hiking"}


def test_clearing_the_place_clears_the_coordinates(member_client, member):
    """R2.1: without a place no location is kept."""
    make_profile(member, place="Utrecht")
    member_client.post(URL, profile_form_data(place=""))
    profile = Profile.objects.get(member=member)
    assert profile.place is None
    assert profile.latitude is None and profile.longitude is None


@pytest.mark.parametrize("years", [17, 0])
def test_under_18_cannot_save_a_birth_date(member_client, member, years):
    """R1.1, R2.1: members are adults; a birth date making them younger than 18 is refused
    with a clear message, nothing is saved, and what they typed stays in the form."""
    birth = years_ago(years)  # 17 years ago, or born today
    response = member_client.post(
        URL, profile_form_data(birth_date=birth.isoformat(), description="Nieuwe tekst")
    )
    assert response.status_code == 200
    assert field_errors(response, "birth_date") == ["You must be 18 or older to use this site."]
    page = response.content.decode()
    assert "Nieuwe tekst" in page  # typed values kept
    assert "Your profile was not saved" in page
    assert not Profile.objects.filter(member=member, description="Nieuwe tekst").exists()


def test_turning_18_today_is_allowed(member_client, member):
    """R1.1: on the 18th birthday the member is an adult."""
    birth = years_ago(18)
    member_client.post(URL, profile_form_data(birth_date=birth.isoformat()))
    assert Profile.objects.get(member=member).birth_date == birth


@pytest.mark.parametrize(
    ("birth", "message"),
    [
        ("1890-01-01", "Check your date of birth: this is too long ago."),
        ("2999-01-01", "Your date of birth cannot be in the future."),
        ("31-02-1990", "Enter a real date, for example 1990-05-31."),
    ],
)
def test_absurd_birth_dates_are_refused(member_client, member, birth, message):
    """R2.1: a birth date must be plausible."""
    response = member_client.post(URL, profile_form_data(birth_date=birth))
    assert field_errors(response, "birth_date") == [message]
    assert Profile.objects.get(member=member).birth_date is None


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("age_min", "17", "Ages start at 18: all members are adults."),
        ("age_max", "17", "Ages start at 18: all members are adults."),
        ("age_max", "100", "The highest age you can choose is 99."),
        ("age_min", "", "Enter the lowest age you are looking for."),
        ("age_min", "twintig", "Enter a whole number."),
    ],
)
def test_out_of_range_ages_are_refused(member_client, member, field, value, message):
    """R2.1: the age range lies within 18..99."""
    response = member_client.post(URL, profile_form_data(**{field: value}))
    assert field_errors(response, field) == [message]
    profile = Profile.objects.get(member=member)
    assert (profile.age_min, profile.age_max) == (18, 99)  # the defaults, untouched


def test_age_range_must_not_be_upside_down(member_client, member):
    """R2.1: from <= to."""
    response = member_client.post(URL, profile_form_data(age_min="50", age_max="40"))
    assert field_errors(response, "age_max") == [
        "The highest age must be at least the lowest age (50)."
    ]
    assert Profile.objects.get(member=member).age_min == 18


def test_equal_ages_are_fine(member_client, member):
    member_client.post(URL, profile_form_data(age_min="35", age_max="35"))
    profile = Profile.objects.get(member=member)
    assert (profile.age_min, profile.age_max) == (35, 35)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("0", "Choose a distance of at least 1 km."),
        ("-5", "Choose a distance of at least 1 km."),
        ("501", "Choose a distance of at most 500 km."),
    ],
)
def test_distance_outside_1_to_500_km_is_refused(member_client, member, value, message):
    """R2.1: the maximum distance lies within 1..500 km."""
    response = member_client.post(URL, profile_form_data(max_distance_km=value))
    assert field_errors(response, "max_distance_km") == [message]
    assert Profile.objects.get(member=member).max_distance_km == 50


@pytest.mark.parametrize("value", ["1", "500"])
def test_distance_limits_themselves_are_fine(member_client, member, value):
    member_client.post(URL, profile_form_data(max_distance_km=value))
    assert Profile.objects.get(member=member).max_distance_km == int(value)


def test_too_long_description_is_refused(member_client, member):
    """R2.1: the self-description has at most 2000 characters; the text is kept to shorten."""
    text = "a" * (DESCRIPTION_MAX_LENGTH + 1)
    response = member_client.post(URL, profile_form_data(description=text))
    assert field_errors(response, "description") == [
        "Keep this to 2000 characters at most (it has 2001)."
    ]
    assert text in response.content.decode()
    assert Profile.objects.get(member=member).description == ""


def test_description_of_exactly_2000_characters_with_newlines_fits(member_client, member):
    """A browser sends each newline as two characters but counts one: so do we."""
    text = ("b" * 99 + "\r\n") * 20  # 2000 characters as the member typed them
    member_client.post(URL, profile_form_data(description=text))
    saved = Profile.objects.get(member=member).description
    assert len(saved) <= DESCRIPTION_MAX_LENGTH and saved.startswith("b" * 99 + "\n")


def test_unknown_place_is_refused(member_client, member):
    """R2.1: a place must be one we know, so distances mean something."""
    response = member_client.post(URL, profile_form_data(place="Atlantis"))
    assert field_errors(response, "place") == ["We don't know this place; pick one from the list."]
    assert 'value="Atlantis"' in response.content.decode()
    assert Profile.objects.get(member=member).place is None


def test_description_and_tags_are_plain_text_shown_escaped(member_client, member):
    """R2.1: what a member writes is plain text, shown escaped."""
    member_client.post(
        URL,
        profile_form_data(
            description="<script>alert(1)</script> & <b>vet</b>", free_tags="<i>schuin</i>"
        ),
    )
    profile = Profile.objects.get(member=member)
    assert profile.description == "<script>alert(1)</script> & <b>vet</b>"
    page = member_client.get(URL).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;vet&lt;/b&gt;" in page
    assert "<i>schuin</i>" not in page


def test_free_tags_are_trimmed_and_unique_regardless_of_case(member_client, member):
    """R2.1: 'Jazz', ' jazz ' and 'JAZZ' are one tag; empty pieces are dropped."""
    member_client.post(URL, profile_form_data(free_tags=" Jazz , jazz,, JAZZ ,  oude   films "))
    assert Profile.objects.get(member=member).free_tags == ["Jazz", "oude films"]


def test_more_than_ten_tags_are_refused(member_client, member):
    response = member_client.post(
        URL, profile_form_data(free_tags=",".join(f"tag{i}" for i in range(11)))
    )
    assert field_errors(response, "free_tags") == ["Use at most 10 tags (you gave 11)."]
    assert Profile.objects.get(member=member).free_tags == []


def test_tag_longer_than_30_characters_is_refused(member_client, member):
    response = member_client.post(URL, profile_form_data(free_tags="kort, " + "x" * 31))
    assert field_errors(response, "free_tags") == [
        "Keep each tag to 30 characters at most (“" + "x" * 30 + "…” is longer)."
    ]
    assert Profile.objects.get(member=member).free_tags == []


def test_unknown_interest_or_relationship_type_is_refused(member_client, member):
    response = member_client.post(
        URL, profile_form_data(interests=["cycling", "skydiving"], relationship_type="marriage")
    )
    assert response.context["form"].errors.keys() >= {"interests", "relationship_type"}
    assert Profile.objects.get(member=member).interests.count() == 0


def test_posting_another_members_id_changes_only_ones_own_profile(
    member_client, member, other_member
):
    """R2.1, SECURITY: the form has no member field; `member=`, coordinates, photo flag and
    special-category fields in the post are ignored."""
    make_profile(other_member, description="Van Bram", place="Gent")
    other_before = Profile.objects.filter(member=other_member).values().get()
    member_client.post(
        URL,
        profile_form_data(
            member=str(other_member.pk),
            member_id=str(other_member.pk),
            description="Overschreven?",
            latitude="52.0",
            longitude="4.0",
            has_photo="on",
            sexual_preferences_encrypted="gay",
        ),
    )
    other_after = Profile.objects.filter(member=other_member).values().get()
    assert other_after == other_before
    own = Profile.objects.get(member=member)
    assert own.description == "Overschreven?"
    assert own.has_photo is False
    assert own.sexual_preferences_encrypted == ""
    assert (own.latitude, own.longitude) == (own.place.latitude, own.place.longitude)


def test_interests_are_labelled_in_the_current_language(client, member):
    """R2.1: the curated interests read in Dutch by default, in English when chosen."""
    client.force_login(member)
    del client.cookies["django_language"]
    assert "Wandelen" in client.get(URL).content.decode()
    client.cookies["django_language"] = "en"
    page = client.get(URL).content.decode()
    assert "Hiking" in page and "Wandelen" not in page


def test_page_links_to_photos_and_sensitive_details(member_client):
    page = member_client.get(URL).content.decode()
    assert 'href="/profile/photos/"' in page
    assert 'href="/profile/sensitive/"' in page


def test_service_refuses_fields_that_are_not_editable(member):
    """SECURITY: update_profile takes only the profile's own editable fields."""
    with pytest.raises(TypeError):
        update_profile(member=member, has_photo=True)
    with pytest.raises(TypeError):
        update_profile(member=member, sexual_preferences_encrypted="x")


def test_service_checks_bounds_and_age_itself(member):
    """R2.1: the rules hold for every caller, not only the form."""
    with pytest.raises(ValidationError):
        update_profile(member=member, birth_date=years_ago(17))
    with pytest.raises(ValidationError):
        update_profile(member=member, max_distance_km=0)
    with pytest.raises(ValidationError):
        update_profile(member=member, age_min=60, age_max=40)
    with pytest.raises(ValidationError):
        update_profile(member=member, free_tags=[f"t{i}" for i in range(11)])
    profile = get_or_create_profile(member=member)
    assert (profile.birth_date, profile.max_distance_km, profile.age_min) == (None, 50, 18)


# --- Completeness --------------------------------------------------------------------------


def test_empty_profile_is_zero_percent_with_everything_missing(member):
    """R2.1: the member sees what is still missing."""
    profile = make_profile(member)
    assert profile_completeness(profile) == (
        0,
        [
            "description",
            "birth_date",
            "place",
            "seeking",
            "relationship_type",
            "interests",
            "photo",
        ],
    )


def test_full_profile_is_complete(member):
    profile = make_profile(
        member,
        description="Hallo",
        birth_date=date(1990, 1, 1),
        place="Utrecht",
        seeks_women=True,
        relationship_type="dating",
        interests=list(Interest.objects.all()[:3]),
        has_photo=True,
    )
    assert profile_completeness(profile) == (100, [])


def test_two_interests_and_no_photo_are_not_enough(member):
    profile = make_profile(
        member,
        description="Hallo",
        birth_date=date(1990, 1, 1),
        place="Utrecht",
        seeks_other=True,
        relationship_type="casual",
        interests=list(Interest.objects.all()[:2]),
    )
    assert profile_completeness(profile) == (71, ["interests", "photo"])


def test_completeness_is_shown_in_text_with_links_to_what_is_missing(member_client, member):
    """R2.1: a progress bar with its percentage in words (not colour only), and links."""
    make_profile(member, description="Hallo", place="Utrecht")
    page = member_client.get(URL).content.decode()
    assert '<progress id="completeness-meter" max="100" value="29">' in page
    assert "Your profile is 29% complete." in page
    assert 'href="#id_birth_date"' in page
    assert 'href="/profile/photos/"' in page
    assert 'href="#id_description"' not in page
