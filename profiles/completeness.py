"""How complete a profile is: shown on the edit page so members know what still helps."""

from .models import Profile

MIN_INTERESTS = 3

# In the order the edit page lists what is missing.
PARTS = (
    "description",
    "birth_date",
    "place",
    "seeking",
    "relationship_type",
    "interests",
    "photo",
)


def profile_completeness(profile: Profile) -> tuple[int, list[str]]:
    """(percent done, the parts still missing, as keys of PARTS)."""
    interest_count = profile.interests.count() if profile.pk and not profile._state.adding else 0
    done = {
        "description": bool(profile.description.strip()),
        "birth_date": profile.birth_date is not None,
        "place": profile.place_id is not None,
        "seeking": bool(profile.sought_genders),
        "relationship_type": bool(profile.relationship_type),
        "interests": interest_count >= MIN_INTERESTS,
        "photo": profile.has_photo,
    }
    missing = [part for part in PARTS if not done[part]]
    percent = round(100 * (len(PARTS) - len(missing)) / len(PARTS))
    return percent, missing
