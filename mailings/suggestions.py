"""Suggestion mails (R2.3, R5.2, R7.2): now and then, up to SUGGESTION_MAIL_MAX members who fit
a member who asked for them, none of whom was mailed to that member before.

Who gets one is mailings.services.marketing_recipients(SUGGESTIONS): opted in through the
ledger, personalised suggestions on, not restricted, no objection, active account, confirmed
and deliverable address. Who is suggested is profiles.selectors.suggestions_for (mutual fit,
blocks and other members' consents respected), minus the MailedSuggestion rows.

The mail holds username, age, place and a link per member: no photos, nothing that reveals
special-category data, no tracking. It carries the reason it is sent, a visible unsubscribe
link and the RFC 8058 headers.

Once only: each member is claimed by one conditional UPDATE of SuggestionMailState
(`last_sent_at` null or older than the interval) in the transaction that records the
MailedSuggestion rows and queues the mail (an OutgoingMail row), so two runs at once, a retry
or a crash between claim and queue never mail twice.

`last_sent_at` is when a run last looked for the member, mail or not: a member with no one new
is looked at again one interval later, not every hour. That keeps the hourly job at one
suggestions query per opted-in member per interval; the price is that someone new who turns
up meanwhile waits for the next interval, as they would after a mail.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation

from members.services import (
    confirmed_address,
    mail_language,
    queue_rendered_mail,
    render_mail_parts,
    site_url,
)
from profiles.selectors import suggestions_for

from . import services
from .models import MailedSuggestion, MailKind, SuggestionMailState

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
TEMPLATE_PREFIX = "mailings/email/suggestions"


def due_members(now):
    """Members who may get a suggestion mail and whose last look is an interval ago or never
    (a Member queryset)."""
    cutoff = now - timedelta(days=settings.SUGGESTION_MAIL_INTERVAL_DAYS)
    recent = SuggestionMailState.objects.filter(last_sent_at__gt=cutoff).values("member_id")
    return services.marketing_recipients(MailKind.SUGGESTIONS).exclude(pk__in=recent)


def new_suggestions(member, *, limit: int) -> list:
    """Up to `limit` profiles suggested to `member` (best first) that were not mailed to them
    before. Empty when there are none or the member's profile is not complete."""
    found = suggestions_for(member)
    if found.profiles is None:
        return []
    mailed = MailedSuggestion.objects.filter(member=member).values("suggested_id")
    # No photos in the mail: the card's photo prefetch is dropped.
    return list(found.profiles.exclude(member_id__in=mailed).prefetch_related(None)[:limit])


def _claim(member, now) -> bool:
    """Claims the member for this run (inside the caller's transaction): True for the one run
    whose conditional UPDATE moved `last_sent_at`; a concurrent run waits for the row lock and
    then finds it moved."""
    cutoff = now - timedelta(days=settings.SUGGESTION_MAIL_INTERVAL_DAYS)
    SuggestionMailState.objects.get_or_create(member=member)
    return bool(
        SuggestionMailState.objects.filter(member=member)
        .filter(Q(last_sent_at__isnull=True) | Q(last_sent_at__lte=cutoff))
        .update(last_sent_at=now)
    )


def send_suggestion_mail(member, *, now=None) -> bool:
    """Looks for new suggestions for one member and queues one mail with them. Returns whether
    a mail was queued."""
    now = now or timezone.now()
    with transaction.atomic():
        if not _claim(member, now):
            return False
        address = confirmed_address(member)
        if address is None:
            return False
        profiles = new_suggestions(member, limit=settings.SUGGESTION_MAIL_MAX)
        if not profiles:
            return False
        MailedSuggestion.objects.bulk_create(
            [
                MailedSuggestion(member=member, suggested_id=p.member_id, mailed_at=now)
                for p in profiles
            ]
        )
        _queue_mail(member=member, address=address, profiles=profiles)
    logger.info("mailings.suggestion_mail member=%s suggested=%s", member.pk, len(profiles))
    return True


def _queue_mail(*, member, address: str, profiles: list) -> None:
    unsubscribe_url = services.unsubscribe_url(member, MailKind.SUGGESTIONS)
    with translation.override(mail_language(member.language)):
        context = {
            "site_name": settings.SITE_NAME,
            "suggestions": [
                {
                    "username": profile.member.username,
                    "age": profile.age,
                    "place": profile.place.name if profile.place_id else "",
                    "url": site_url(reverse("profiles:profile", args=[profile.member.public_id])),
                }
                for profile in profiles
            ],
            "count": len(profiles),
            "interval_days": settings.SUGGESTION_MAIL_INTERVAL_DAYS,
            "unsubscribe_url": unsubscribe_url,
            "settings_url": site_url(reverse("mailings:settings")),
            "suggestions_url": site_url(reverse("profiles:suggestions")),
        }
        parts = render_mail_parts(TEMPLATE_PREFIX, context)
    queue_rendered_mail(
        parts=parts,
        to=address,
        kind=services.OUTGOING_KIND[MailKind.SUGGESTIONS],
        member=member,
        headers=services.unsubscribe_headers(unsubscribe_url),
    )


def send_suggestion_mails(now=None) -> int:
    """The beat job (hourly, through mailings.tasks): every member who is due gets a look, in
    batches by id. Returns how many mails were queued."""
    now = now or timezone.now()
    due = due_members(now).order_by("pk")
    queued = looked = 0
    last = 0
    while batch := list(due.filter(pk__gt=last)[:BATCH_SIZE]):
        last = batch[-1].pk
        for member in batch:
            looked += 1
            if send_suggestion_mail(member, now=now):
                queued += 1
    if looked:
        logger.info("mailings.suggestion_mails looked=%s queued=%s", looked, queued)
    return queued
