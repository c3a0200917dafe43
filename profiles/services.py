"""Writes that matter for profiles: the profile itself, favourites and blocks.
Photos have their own module (profiles/photos.py)."""

import logging
from datetime import date

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from privacy.crypto import encrypt_json
from privacy.models import ConsentPurpose
from privacy.services import grant_consent, has_consent, withdraw_consent

from . import profile_texts
from .models import (
    FREE_TAG_MAX_LENGTH,
    MAX_FREE_TAGS,
    MIN_AGE,
    Block,
    Favourite,
    Profile,
    SexualPreference,
    age_on,
)

logger = logging.getLogger(__name__)


def get_or_create_profile(*, member) -> Profile:
    profile, _created = Profile.objects.get_or_create(member=member)
    return profile


def add_favourite(*, member, target) -> None:
    """Idempotent: adding a favourite twice keeps one."""
    if member.pk == target.pk:
        raise ValueError("a member cannot favourite themselves")
    try:
        with transaction.atomic():
            Favourite.objects.get_or_create(member=member, target=target)
    except IntegrityError:  # a concurrent add won the race: the favourite exists
        pass


def remove_favourite(*, member, target) -> None:
    Favourite.objects.filter(member=member, target=target).delete()


def block_member(*, member, target) -> None:
    """From now on neither sees nor finds the other; a favourite either way is dropped."""
    if member.pk == target.pk:
        raise ValueError("a member cannot block themselves")
    with transaction.atomic():
        try:
            with transaction.atomic():
                Block.objects.get_or_create(blocker=member, blocked=target)
        except IntegrityError:
            pass
        Favourite.objects.filter(member=member, target=target).delete()
        Favourite.objects.filter(member=target, target=member).delete()
    logger.info("member.blocked member=%s", member.pk)


def unblock_member(*, member, target) -> None:
    Block.objects.filter(blocker=member, blocked=target).delete()


# --- Editing one's own profile (R2.1, R2.2) ----------------------------------------------------

# The version of the consent wording on /profile/sensitive/; bump it when the text changes.
SPECIAL_CONSENT_WORDING_VERSION = "special-2026-11"
SPECIAL_CONSENT_SOURCE = "profile/sensitive"
# Older than this is a typing mistake, not a member.
MAX_PLAUSIBLE_AGE = 120

EDITABLE_PROFILE_FIELDS = frozenset(
    {
        "description",
        "birth_date",
        "place",
        "seeks_women",
        "seeks_men",
        "seeks_non_binary",
        "seeks_other",
        "age_min",
        "age_max",
        "max_distance_km",
        "relationship_type",
        "interests",
        "free_tags",
        "hidden_from_search",
    }
)


class ConsentRequired(Exception):
    """Special-category data was offered without the member's current explicit consent."""


def check_birth_date(birth_date: date) -> None:
    """Members are adults (R1.1), and a birth date more than 120 years ago is a mistake."""
    today = timezone.localdate()
    if birth_date > today:
        raise ValidationError(_("Your date of birth cannot be in the future."), code="future")
    age = age_on(birth_date, today)
    if age < MIN_AGE:
        raise ValidationError(
            _("You must be %(min_age)s or older to use this site.") % {"min_age": MIN_AGE},
            code="too_young",
        )
    if age > MAX_PLAUSIBLE_AGE:
        raise ValidationError(_("Check your date of birth: this is too long ago."), code="too_old")


def clean_free_tags(tags) -> list[str]:
    """Trimmed, inner spaces collapsed, case-insensitively unique (first spelling wins), plain
    text; at most MAX_FREE_TAGS of at most FREE_TAG_MAX_LENGTH characters each."""
    cleaned: list[str] = []
    seen: set[str] = set()
    for tag in tags:
        tag = " ".join(str(tag).split())
        if not tag or tag.casefold() in seen:
            continue
        if len(tag) > FREE_TAG_MAX_LENGTH:
            raise ValidationError(
                _("Keep each tag to %(max)s characters at most (“%(tag)s” is longer).")
                % {"max": FREE_TAG_MAX_LENGTH, "tag": tag[:FREE_TAG_MAX_LENGTH] + "…"},
                code="tag_too_long",
            )
        seen.add(tag.casefold())
        cleaned.append(tag)
    if len(cleaned) > MAX_FREE_TAGS:
        raise ValidationError(
            _("Use at most %(max)s tags (you gave %(count)s).")
            % {"max": MAX_FREE_TAGS, "count": len(cleaned)},
            code="too_many_tags",
        )
    return cleaned


def update_profile(*, member, **fields) -> Profile:
    """Saves the member's own profile. The place's centre is copied for distance filters (and
    cleared with the place). A new or changed self-description or own tags that the site's
    check flags waits for review instead (profiles.profile_texts): the profile keeps its
    approved text and `profile.held_text` is the pending revision (None otherwise). Raises
    ValidationError, saving nothing, when a value is out of bounds."""
    unknown = set(fields) - EDITABLE_PROFILE_FIELDS
    if unknown:
        raise TypeError(f"not editable profile fields: {sorted(unknown)}")
    interests = fields.pop("interests", None)
    if "free_tags" in fields:
        fields["free_tags"] = clean_free_tags(fields["free_tags"] or [])
    if fields.get("birth_date") is not None:
        check_birth_date(fields["birth_date"])
    text = {name: fields.pop(name) for name in profile_texts.TEXT_FIELDS if name in fields}
    with transaction.atomic():
        if text:
            # The member's row before the profile's, the order photo changes take: a held text
            # locks the member again (moderation's hold), and one order cannot deadlock.
            get_user_model().objects.select_for_update().filter(pk=member.pk).first()
        profile, _created = Profile.objects.select_for_update().get_or_create(member=member)
        approved_text = (profile.description, profile.free_tags)
        for name, value in {**fields, **text}.items():
            setattr(profile, name, value)
        if "place" in fields:
            place = fields["place"]
            profile.latitude = place.latitude if place else None
            profile.longitude = place.longitude if place else None
        profile.full_clean(validate_unique=False)  # the new text too, wherever it goes
        profile.description, profile.free_tags = approved_text
        profile.held_text = profile_texts.propose_text(profile=profile, **text) if text else None
        profile.save()
        if interests is not None:
            profile.interests.set(interests)
    logger.info("profile.updated member=%s", member.pk)
    return profile


def give_special_category_consent(*, member) -> None:
    """R2.2: the explicit, recorded consent for sexual preferences, with the wording shown."""
    grant_consent(
        member=member,
        purpose=ConsentPurpose.SPECIAL_CATEGORY,
        wording_version=SPECIAL_CONSENT_WORDING_VERSION,
        source=SPECIAL_CONSENT_SOURCE,
    )


def withdraw_special_category_consent(*, member) -> None:
    """R2.2, R7.1: one click; the sexual preferences are erased at once (profiles.signals)."""
    withdraw_consent(
        member=member,
        purpose=ConsentPurpose.SPECIAL_CATEGORY,
        wording_version=SPECIAL_CONSENT_WORDING_VERSION,
        source=SPECIAL_CONSENT_SOURCE,
    )


def set_sexual_preferences(*, member, preferences) -> Profile:
    """Stores the sexual preferences encrypted, only while the member's explicit consent holds.
    Raises ConsentRequired otherwise, storing nothing."""
    chosen = set(preferences)
    valid = set(SexualPreference.values)
    if chosen - valid:
        raise ValueError("unknown sexual preference")
    with transaction.atomic():
        profile, _created = Profile.objects.select_for_update().get_or_create(member=member)
        # Checked inside the transaction, after the row lock, so a withdrawal cannot slip in
        # between the check and the write unnoticed.
        if not has_consent(member=member, purpose=ConsentPurpose.SPECIAL_CATEGORY):
            raise ConsentRequired
        ordered = [value for value in SexualPreference.values if value in chosen]
        profile.sexual_preferences_encrypted = encrypt_json(ordered)
        profile.save(update_fields=["sexual_preferences_encrypted", "updated_at"])
    logger.info("profile.special_category_updated member=%s", member.pk)
    return profile
