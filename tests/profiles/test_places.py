"""Places: the htmx autocomplete at /places/ and the server-side resolution of a typed name that
also serves members without JavaScript (R2.1: place of residence, with location)."""

import re

import pytest
from django.urls import reverse

from profiles.models import Place, Profile
from profiles.places import find_places, resolve_place

from .conftest import profile_form_data

pytestmark = pytest.mark.django_db

URL = "/places/"


@pytest.fixture(autouse=True)
def _in_english(client):
    client.cookies["django_language"] = "en"


def options(response) -> list[str]:
    assert response.status_code == 200
    return re.findall(r'<option value="([^"]*)">', response.content.decode())


def biggest(name: str, country: str | None = None) -> Place:
    places = Place.objects.filter(search_name=name)
    if country:
        places = places.filter(country=country)
    return places.order_by("-population").first()


def test_autocomplete_needs_login(client):
    """R2.1, SECURITY: only members use the place lookup; anonymous visitors get the log-in."""
    assert reverse("profiles:place_autocomplete") == URL
    response = client.get(URL, {"q": "Amster"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert "Amsterdam" not in response.content.decode()


def test_autocomplete_offers_at_most_ten_places_biggest_first(member_client):
    """R2.1: a prefix finds places, the biggest first, ten at most."""
    found = options(member_client.get(URL, {"q": "A"}))
    expected = Place.objects.filter(search_name__startswith="a").order_by("-population")[:10]
    assert len(found) == 10
    assert found == [f"{place.name} ({place.country})" for place in expected]
    assert found[0] == "Amsterdam (NL)"


def test_autocomplete_matches_on_prefix_only(member_client):
    found = options(member_client.get(URL, {"q": "dam"}))
    assert "Amsterdam (NL)" not in found
    assert all(option.lower().startswith("dam") for option in found)


@pytest.mark.parametrize("typed", ["Liège", "liege", "LIEGE", "Lièg"])
def test_autocomplete_ignores_accents_and_case(member_client, typed):
    """'Liège' and 'liege' find the same place."""
    assert "Liège (BE)" in options(member_client.get(URL, {"q": typed}))


def test_autocomplete_shows_both_countries_for_a_shared_name(member_client):
    found = options(member_client.get(URL, {"q": "Zwijndrecht"}))
    assert found == ["Zwijndrecht (NL)", "Zwijndrecht (BE)"]  # NL is bigger


def test_htmx_sends_the_input_by_its_own_name(member_client):
    """htmx sends the place input's value as `place=`: the endpoint reads that too."""
    assert "Utrecht (NL)" in options(member_client.get(URL, {"place": "Utrech"}))


@pytest.mark.parametrize(
    "typed",
    [
        "",
        " ",
        "x" * 1000,
        "'; DROP TABLE profiles_place; --",
        "%",
        "_",
        "\\",
        "zz\x00zz",
        "😀🏳️‍🌈",
        "Ü" * 300,
    ],
)
def test_autocomplete_survives_odd_input(member_client, typed):
    """Never a server error; wildcards are taken literally; the table is still there."""
    found = options(member_client.get(URL, {"q": typed}))
    assert found == []
    assert Place.objects.filter(search_name="amsterdam").exists()


def test_autocomplete_escapes_what_it_returns(member_client):
    """A fragment of options, nothing else: no coordinates, no script."""
    response = member_client.get(URL, {"q": "Utrecht"})
    body = response.content.decode()
    assert "<option" in body and "<html" not in body
    utrecht = biggest("utrecht")
    assert str(utrecht.latitude) not in body and str(utrecht.longitude) not in body


def test_autocomplete_answers_get_only(member_client):
    assert member_client.post(URL, {"q": "Utrecht"}).status_code == 405


def test_profile_form_is_wired_to_the_autocomplete(member_client):
    """R2.1: the place input uses a datalist that htmx refreshes; it works without JS."""
    page = member_client.get("/profile/").content.decode()
    place_input = re.search(r'<input[^>]*name="place"[^>]*>', page)[0]
    assert 'list="place-options"' in place_input
    assert f'hx-get="{URL}"' in place_input
    assert 'hx-trigger="keyup changed delay:250ms, search"' in place_input
    assert 'hx-target="#place-options"' in place_input
    assert 'hx-swap="innerHTML"' in place_input
    assert '<datalist id="place-options">' in page


# --- Resolving what was typed ----------------------------------------------------------------


def test_typed_name_resolves_to_the_biggest_exact_match():
    """Exact name (any case, any accents), biggest place of that name in its country."""
    assert resolve_place("liege").place == biggest("liege")
    assert resolve_place("  UTRECHT ").place == biggest("utrecht")
    # Tielt exists twice in Belgium: the bigger one is meant.
    tielt = resolve_place("Tielt").place
    assert tielt == biggest("tielt") and tielt.population > 10_000


def test_name_in_both_countries_is_ambiguous():
    resolution = resolve_place("Zwijndrecht")
    assert resolution.place is None and resolution.ambiguous
    assert [place.country for place in resolution.candidates] == ["NL", "BE"]


def test_name_with_country_resolves_exactly():
    assert resolve_place("Zwijndrecht (BE)").place == biggest("zwijndrecht", "BE")
    assert resolve_place("zwijndrecht (nl)").place == biggest("zwijndrecht", "NL")
    assert resolve_place("Utrecht (BE)").place is None


def test_unknown_and_empty_names_resolve_to_nothing():
    for typed in ["Atlantis", "", "Amster", "x" * 1000, "a\x00b"]:
        resolution = resolve_place(typed)
        assert resolution.place is None and not resolution.ambiguous


def test_find_places_caps_the_limit():
    assert len(find_places("a", limit=1000)) == 50


def test_member_without_javascript_types_a_place_with_accents(member_client, member):
    """R2.1: the typed name is resolved on the server, so the form works without JS."""
    member_client.post("/profile/", profile_form_data(place="Liège"))
    profile = Profile.objects.get(member=member)
    assert profile.place == biggest("liege")
    assert profile.latitude == profile.place.latitude


def test_member_picks_from_a_name_shared_by_both_countries(member_client, member):
    """R2.1: 'Zwijndrecht' asks which one; the member picks the Belgian one and it is saved."""
    response = member_client.post("/profile/", profile_form_data(place="Zwijndrecht"))
    page = response.content.decode()
    assert response.context["form"].errors["place"] == [
        "There is a Zwijndrecht in the Netherlands and in Belgium: choose one below."
    ]
    assert "Which place do you mean?" in page
    belgian = biggest("zwijndrecht", "BE")
    dutch = biggest("zwijndrecht", "NL")
    assert f'value="{belgian.pk}"' in page and f'value="{dutch.pk}"' in page
    assert "Zwijndrecht, Belgium" in page and "Zwijndrecht, Netherlands" in page
    assert Profile.objects.get(member=member).place is None

    response = member_client.post(
        "/profile/", profile_form_data(place="Zwijndrecht", place_choice=str(belgian.pk))
    )
    assert response.status_code == 302
    assert Profile.objects.get(member=member).place == belgian


def test_picked_option_with_country_is_saved_directly(member_client, member):
    """The datalist offers 'Zwijndrecht (BE)'; choosing it needs no further question."""
    member_client.post("/profile/", profile_form_data(place="Zwijndrecht (BE)"))
    assert Profile.objects.get(member=member).place == biggest("zwijndrecht", "BE")


def test_a_pick_that_does_not_belong_to_the_typed_name_is_not_used(member_client, member):
    """A tampered place_choice cannot smuggle in another place."""
    gent = biggest("gent")
    response = member_client.post(
        "/profile/", profile_form_data(place="Zwijndrecht", place_choice=str(gent.pk))
    )
    assert "place" in response.context["form"].errors
    assert Profile.objects.get(member=member).place is None
