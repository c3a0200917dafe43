"""Writes that matter for profiles: the profile itself, favourites and blocks.
Photos have their own module (profiles/photos.py)."""

import logging

from django.db import IntegrityError, transaction

from .models import Block, Favourite, Profile

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
