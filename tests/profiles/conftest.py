"""Shared helpers for the profile tests: another member, and a valid profile form to change."""

import re

import pytest

from tests.factories import MemberFactory


@pytest.fixture
def other_member(db):
    return MemberFactory(username="bram", email="bram@example.org")


def profile_form_data(**overrides) -> dict:
    """What the profile form posts when a member fills it in completely (interests by slug)."""
    data = {
        "description": "Ik fiets graag langs de Maas.",
        "birth_date": "1990-05-31",
        "place": "Utrecht",
        "seeks": ["women", "non_binary"],
        "age_min": "30",
        "age_max": "45",
        "max_distance_km": "40",
        "relationship_type": "dating",
        "interests": ["cycling", "cooking", "music"],
        "free_tags": "koffie, Vinyl",
        "hidden_from_search": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def checked_values(page: str, name: str) -> set[str]:
    """The values of the ticked checkboxes called `name` in the page."""
    inputs = re.findall(rf'<input[^>]*name="{name}"[^>]*>', page)
    return {re.search(r'value="([^"]*)"', tag)[1] for tag in inputs if " checked" in tag}
