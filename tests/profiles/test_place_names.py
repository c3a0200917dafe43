"""Places are found by the names people in the Netherlands and Belgium use (R2.1)."""

import pytest

from profiles.places import find_places, resolve_place

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("Antwerpen", "Antwerpen"),
        ("Antwerp", "Antwerpen"),
        ("Den Bosch", "'s-Hertogenbosch"),
        ("Luik", "Liège"),
        ("Gent", "Gent"),
        ("Brussel", "Brussel"),
        ("Den Haag", "Den Haag"),
        ("liege", "Liège"),
    ],
)
def test_dutch_and_other_names_resolve_to_one_place(typed, expected):
    resolution = resolve_place(typed)

    assert resolution.place is not None, resolution.candidates
    assert resolution.place.name == expected


def test_official_names_come_before_other_names_in_the_autocomplete():
    assert find_places("gent")[0].name == "Gent"
    assert find_places("antw")[0].name == "Antwerpen"
    assert [p.name for p in find_places("den bosch")] == ["'s-Hertogenbosch"]


def test_a_name_in_both_countries_still_asks_which_one():
    resolution = resolve_place("Zwijndrecht")

    assert resolution.ambiguous
    assert {p.country for p in resolution.candidates} == {"NL", "BE"}
