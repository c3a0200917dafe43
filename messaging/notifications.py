"""Mail about new messages (R3.2, R5.2): right away, as a daily summary, or never.

A notification never holds the message text, a preview or the sender's name (a preview could
reveal special-category data, and an inbox may be shared): it says that there is something to
read, links to it, and carries a one-click unsubscribe link and the RFC 8058 headers.

Every mail is claimed by one conditional UPDATE (`Participant.notified_at` for the immediate
mail, `ReceivingSettings.digest_sent_at` for the daily summary) in the transaction that queues
it (`members.services.queue_mail`), so a task that runs twice, concurrently, or again through
the sweep sends exactly one mail.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery, Sum
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import ngettext

from members.enqueue import enqueue
from members.models import Member
from members.services import confirmed_address, mail_language, mailable_members, site_url
from privacy import crypto
from profiles.models import Block

from .models import Message, Notify, Participant, ReceivingSettings

logger = logging.getLogger(__name__)

UNSUBSCRIBE_PURPOSE = "messaging.unsubscribe"
# The daily summary goes out at the first run after this hour (Europe/Amsterdam, TIME_ZONE).
DIGEST_HOUR = 8
DIGEST_BATCH = 500
# The sweep picks up immediate notifications that should have gone out by now.
SWEEP_AFTER = timedelta(minutes=5)
SWEEP_UNTIL = timedelta(days=1)
SWEEP_LIMIT = 1000


# -- the unsubscribe link ----------------------------------------------------------------------


def unsubscribe_token(member) -> str:
    """An opaque token for one member and this kind of mail (privacy.crypto.seal_token): no
    expiry, useless for anyone else or any other mail, revealing no id."""
    return crypto.seal_token(member.public_id, purpose=UNSUBSCRIBE_PURPOSE)


def member_public_id_from_token(token: str) -> str | None:
    return crypto.open_token(token, purpose=UNSUBSCRIBE_PURPOSE)


def unsubscribe_url(member) -> str:
    return site_url(reverse("messaging:unsubscribe", args=[unsubscribe_token(member)]))


def unsubscribe(*, public_id: str) -> bool:
    """Stops mail about new messages for the member (notify = never). Returns whether a member
    was found: a closed or erased account simply has nothing left to stop."""
    from .services import update_receiving_settings

    member = Member.objects.filter(public_id=public_id).first()
    if member is None:
        return False
    update_receiving_settings(member=member, notify=Notify.NEVER)
    logger.info("messaging.unsubscribed member=%s", member.pk)
    return True


# -- who may be mailed -------------------------------------------------------------------------


def _mailable_members():
    """Active accounts, not closed, with a confirmed primary address that has not bounced
    (a filter on Member)."""
    return mailable_members()


def _queue(*, member, address: str, kind: str, template: str, context: dict) -> None:
    """Renders `messaging/email/<template>_*` in the member's language and queues it with the
    unsubscribe link in the body and in the List-Unsubscribe headers."""
    from members.services import queue_rendered_mail, render_mail_parts

    with translation.override(mail_language(member.language)):
        context = {
            **context,
            "site_name": settings.SITE_NAME,
            "unsubscribe_url": unsubscribe_url(member),
            "settings_url": site_url(reverse("messaging:settings")),
        }
        parts = render_mail_parts(f"messaging/email/{template}", context)
    queue_rendered_mail(
        parts=parts,
        to=address,
        kind=kind,
        member=member,
        headers={
            "List-Unsubscribe": f"<{context['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )


# -- right away --------------------------------------------------------------------------------


def _wants_immediate_mail():
    """A filter on a model with `member_id`: the member wants mail right away (no settings row
    means the default, which is immediately)."""
    return ~Exists(
        ReceivingSettings.objects.filter(member_id=OuterRef("member_id")).exclude(
            notify=Notify.IMMEDIATELY
        )
    )


def _first_unread_created_at():
    """For a Participant row: when the oldest message it has not read yet arrived."""
    return Subquery(
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            status=Message.Status.DELIVERED,
            id__gt=OuterRef("last_read_message_id"),
        )
        .filter(id__gt=OuterRef("cleared_up_to_message_id"))
        .exclude(sender_id=OuterRef("member_id"))
        .order_by("id")
        .values("created_at")[:1]
    )


def notify_new_message(*, message_id: int) -> bool:
    """Mails the receiver of a delivered message that it is there, at most once per
    conversation until they read it. Safe to call any number of times, also concurrently.
    Returns whether this call queued the mail."""
    message = (
        Message.objects.filter(pk=message_id)
        .only("pk", "conversation_id", "sender_id", "status", "hidden_at")
        .first()
    )
    if (
        message is None
        or message.status != Message.Status.DELIVERED
        or message.hidden_at is not None
        or not message.sender_id
    ):
        return False
    side = (
        Participant.objects.filter(conversation_id=message.conversation_id)
        .exclude(member_id=message.sender_id)
        .select_related("member", "conversation")
        .first()
    )
    if side is None or side.last_read_message_id >= message.pk:
        return False
    receiver = side.member
    if not _mailable_members().filter(pk=receiver.pk).exists():
        return False
    if Block.objects.filter(
        Q(blocker_id=receiver.pk, blocked_id=message.sender_id)
        | Q(blocker_id=message.sender_id, blocked_id=receiver.pk)
    ).exists():
        return False
    address = confirmed_address(receiver)
    if not address:
        return False
    with transaction.atomic():
        # The claim: one mail until the receiver reads (notified before their last read, or
        # before the oldest message they have not read), and only while they want it now.
        claimed = (
            Participant.objects.filter(pk=side.pk, last_read_message_id__lt=message.pk)
            .filter(
                Q(notified_at__isnull=True)
                | Q(notified_at__lt=F("last_read_at"))
                | Q(notified_at__lt=_first_unread_created_at())
            )
            .filter(_wants_immediate_mail())
            .update(notified_at=timezone.now())
        )
        if not claimed:
            return False
        _queue(
            member=receiver,
            address=address,
            kind="message_notification",
            template="new_message",
            context={
                "conversation_url": site_url(
                    reverse("messaging:conversation", args=[side.conversation.public_id])
                )
            },
        )
    logger.info("messaging.notified member=%s message=%s", receiver.pk, message.pk)
    return True


def lost_notifications(*, now=None):
    """Latest unread message ids of conversation sides whose immediate mail should have gone
    out by now but did not (a lost task, a broker outage)."""
    now = now or timezone.now()
    latest_unread = (
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            status=Message.Status.DELIVERED,
            id__gt=OuterRef("last_read_message_id"),
        )
        .exclude(sender_id=OuterRef("member_id"))
        .order_by("-id")
        .values("id")[:1]
    )
    blocked = Block.objects.filter(
        Q(blocker_id=OuterRef("member_id"), blocked_id=OuterRef("other_id"))
        | Q(blocker_id=OuterRef("other_id"), blocked_id=OuterRef("member_id"))
    )
    return (
        Participant.objects.filter(
            unread_count__gt=0,
            last_message_at__lte=now - SWEEP_AFTER,
            last_message_at__gte=now - SWEEP_UNTIL,
            member__in=_mailable_members(),
        )
        .filter(Q(notified_at__isnull=True) | Q(notified_at__lt=F("last_read_at")))
        .filter(_wants_immediate_mail())
        .exclude(Exists(blocked))
        .annotate(latest_unread_id=Subquery(latest_unread))
        .filter(latest_unread_id__isnull=False)
        .order_by("last_message_at")
        .values_list("latest_unread_id", flat=True)
    )


def sweep_lost_notifications(*, now=None, limit: int = SWEEP_LIMIT) -> int:
    """Re-enqueues the immediate notifications that were lost. Idempotent thanks to the claim
    in notify_new_message. Returns how many were enqueued."""
    from .tasks import notify_new_message as task

    ids = list(lost_notifications(now=now)[:limit])
    for message_id in ids:
        enqueue(task, message_id)
    if ids:
        logger.info("messaging.notifications_swept count=%s", len(ids))
    return len(ids)


# -- once a day --------------------------------------------------------------------------------


def digest_cutoff(now=None):
    """Today's DIGEST_HOUR in the site's time zone, or None before it."""
    local = timezone.localtime(now or timezone.now())
    if local.hour < DIGEST_HOUR:
        return None
    return local.replace(hour=DIGEST_HOUR, minute=0, second=0, microsecond=0)


def _due_for_digest(cutoff):
    """A filter on ReceivingSettings: daily, no summary since today's DIGEST_HOUR, and an
    unread message that arrived after the last summary."""
    unread = Participant.objects.filter(member_id=OuterRef("member_id"), unread_count__gt=0)
    return (
        Q(notify=Notify.DAILY)
        & (Q(digest_sent_at__isnull=True) | Q(digest_sent_at__lt=cutoff))
        & (
            (Q(digest_sent_at__isnull=True) & Exists(unread))
            | Exists(unread.filter(last_message_at__gt=OuterRef("digest_sent_at")))
        )
    )


def send_daily_digests(*, now=None) -> int:
    """One summary a day for every member who chose it and has something new to read, batch by
    batch. Run it as often as you like: a second run the same day sends nothing. Returns how
    many summaries were queued."""
    now = now or timezone.now()
    cutoff = digest_cutoff(now)
    if cutoff is None:
        return 0
    sent = 0
    last_pk = 0
    while True:
        batch = list(
            ReceivingSettings.objects.filter(_due_for_digest(cutoff), pk__gt=last_pk)
            .filter(member__in=_mailable_members())
            .order_by("pk")
            .values_list("pk", flat=True)[:DIGEST_BATCH]
        )
        if not batch:
            break
        for settings_pk in batch:
            sent += send_digest(settings_pk=settings_pk, now=now, cutoff=cutoff)
        last_pk = batch[-1]
    if sent:
        logger.info("messaging.digests_sent count=%s", sent)
    return sent


def send_digest(*, settings_pk: int, now, cutoff) -> bool:
    """Claims and queues one member's summary. Returns whether it was queued."""
    wishes = ReceivingSettings.objects.select_related("member").filter(pk=settings_pk).first()
    if wishes is None:
        return False
    member = wishes.member
    address = confirmed_address(member)
    if not address:
        return False
    with transaction.atomic():
        claimed = (
            ReceivingSettings.objects.filter(pk=settings_pk)
            .filter(_due_for_digest(cutoff))
            .update(digest_sent_at=now)
        )
        if not claimed:
            return False
        totals = Participant.objects.filter(member=member, unread_count__gt=0).aggregate(
            messages=Sum("unread_count"), conversations=Count("pk")
        )
        messages = totals["messages"] or 0
        if not messages:
            return False
        conversations = totals["conversations"] or 0
        with translation.override(mail_language(member.language)):
            in_conversations = ngettext(
                "%(count)s conversation", "%(count)s conversations", conversations
            ) % {"count": conversations}
        _queue(
            member=member,
            address=address,
            kind="message_digest",
            template="digest",
            context={
                "message_count": messages,
                "in_conversations": in_conversations,
                "inbox_url": site_url(reverse("messaging:inbox")),
            },
        )
    logger.info("messaging.digest_queued member=%s", member.pk)
    return True
