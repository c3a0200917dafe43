"""Reads about account restrictions in force (see models.Sanction), for the apps that enforce
them: profiles leaves restricted and hidden members out of search and profile pages, messaging
refuses their messages. One place decides what "in force" means."""

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from .models import Sanction

# What each effect is made of.
HIDDEN_FROM_OTHERS = (Sanction.Kind.RESTRICTED, Sanction.Kind.HIDDEN, Sanction.Kind.SUSPENDED)
NO_MESSAGING = (Sanction.Kind.RESTRICTED, Sanction.Kind.HIDDEN, Sanction.Kind.SUSPENDED)


def in_force(now=None):
    """Sanctions in force now: started, not ended, not past their end date."""
    now = now or timezone.now()
    return Sanction.objects.filter(ended_at__isnull=True, starts_at__lte=now).filter(
        Q(ends_at__isnull=True) | Q(ends_at__gt=now)
    )


def hidden_member_exists(member_ref: str = "pk"):
    """An Exists() for querysets: True where the member (OuterRef(member_ref)) must not be
    shown to others (restricted, hidden pending review, suspended). Use as
    `qs.exclude(hidden_member_exists("member_id"))`."""
    return Exists(in_force().filter(member_id=OuterRef(member_ref), kind__in=HIDDEN_FROM_OTHERS))


def is_hidden(member) -> bool:
    return in_force().filter(member=member, kind__in=HIDDEN_FROM_OTHERS).exists()


def may_not_message(member) -> bool:
    """True while the member may not send messages (restricted, hidden or suspended)."""
    return in_force().filter(member=member, kind__in=NO_MESSAGING).exists()


def _until(ends: list):
    """(True, the latest end) for sanctions in force; its end is None if one has no end date
    (hidden pending review, account closed); (False, None) for none."""
    if not ends:
        return False, None
    if any(end is None for end in ends):
        return True, None
    return True, max(ends)


def no_messaging_until(member):
    """While the member may not send messages: (True, the moment that ends, or None when it
    has no end date); (False, None) when they may."""
    return _until(
        list(
            in_force()
            .filter(member=member, kind__in=NO_MESSAGING)
            .values_list("ends_at", flat=True)
        )
    )


def sending_restrictions(*, sender, receiver):
    """For messaging's check before a message, in one query: (sender may not message, until
    when or None, receiver is hidden from others)."""
    rows = list(
        in_force()
        .filter(member_id__in=[sender.pk, receiver.pk])
        .values_list("member_id", "kind", "ends_at")
    )
    restricted, until = _until(
        [ends for member_id, kind, ends in rows if member_id == sender.pk and kind in NO_MESSAGING]
    )
    hidden = any(
        member_id == receiver.pk and kind in HIDDEN_FROM_OTHERS for member_id, kind, _e in rows
    )
    return restricted, until, hidden


def sanctions_of(member):
    """The member's sanctions in force, soonest ending first (for their own pages)."""
    return in_force().filter(member=member).order_by("ends_at", "pk")
