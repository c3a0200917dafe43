"""Writes that matter for chat: sending (paid, checked against the receiver's settings), reading,
deleting for oneself, the receiver's settings, and what moderation decides about a message.

Every refusal is a `SendRefused` with a code and a sentence for the sender, raised before any
credit is spent (R3.2: a refused message costs nothing and says why).
"""

import hashlib
import hmac
import logging
import re
from datetime import timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q, Sum
from django.template.defaultfilters import date as date_format
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members import quotas
from members.enqueue import enqueue_on_commit
from members.models import Member
from members.services import has_confirmed_email
from moderation import sanctions
from payments.services import InsufficientCredits, spend_credits
from profiles.models import Block, Profile
from profiles.selectors import distance_between
from profiles.verification import is_verified

from .models import Conversation, Message, Participant, ReceivingSettings

logger = logging.getLogger(__name__)

__all__ = ["InsufficientCredits", "SendRefused", "send_message"]


class SendRefused(Exception):
    """The message may not be sent. `code` is for code and tests, `message` for the sender."""

    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message


# -- reading -----------------------------------------------------------------------------------


def receiving_settings_for(member) -> ReceivingSettings:
    """The member's settings, or unsaved defaults when they never changed them."""
    found = ReceivingSettings.objects.filter(member=member).first()
    return found or ReceivingSettings(member=member)


def conversation_between(a, b) -> Conversation | None:
    low, high = sorted([a.pk, b.pk])
    return Conversation.objects.filter(member_low_id=low, member_high_id=high).first()


def unread_total(*, member) -> int:
    """The number in the navigation's badge: one indexed query."""
    total = Participant.objects.filter(member=member, unread_count__gt=0).aggregate(
        total=Sum("unread_count")
    )["total"]
    return total or 0


def is_blocked_between(a, b) -> bool:
    return Block.objects.filter(Q(blocker=a, blocked=b) | Q(blocker=b, blocked=a)).exists()


def fits_preferences(*, sender, receiver) -> bool:
    """Does the sender fit what the receiver searches for: gender, age range and distance?
    A preference the receiver did not set, or a fact the sender did not give, excludes no one
    except where the receiver set a limit that needs it (age or distance)."""
    wanted = Profile.objects.filter(member=receiver).first()
    if wanted is None:
        return True
    mine = Profile.objects.filter(member=sender).first()
    genders = wanted.sought_genders
    if genders and sender.gender not in genders:
        return False
    if wanted.age_min or wanted.age_max:
        age = mine.age if mine else None
        if age is None:
            return False
        if wanted.age_min and age < wanted.age_min:
            return False
        if wanted.age_max and age > wanted.age_max:
            return False
    if wanted.max_distance_km:
        distance = (
            distance_between(wanted.latitude, wanted.longitude, mine.latitude, mine.longitude)
            if mine
            else None
        )
        if distance is None or distance > wanted.max_distance_km:
            return False
    return True


def _today_start():
    return timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)


def new_conversations_today(*, receiver) -> int:
    """Conversations others started with the receiver since midnight (Europe/Amsterdam)."""
    return (
        Participant.objects.filter(
            member=receiver, conversation__first_message_at__gte=_today_start()
        )
        .exclude(conversation__started_by=receiver)
        .count()
    )


def check_can_send(*, sender, receiver, conversation: Conversation | None = None) -> None:
    """Raises SendRefused when `sender` may not write to `receiver` now. Cheap enough to call
    when showing the conversation, so a sender learns why before typing, let alone paying."""
    if receiver is None or receiver.pk == sender.pk:
        raise SendRefused("unavailable", _("This member cannot receive messages."))
    if not sender.is_findable:
        raise SendRefused(
            "sender_restricted",
            _("While your account is restricted or closed you cannot send messages."),
        )
    # Moderation (issue 11): a restricted, suspended or hidden account sends nothing.
    restricted, until, receiver_hidden = sanctions.sending_restrictions(
        sender=sender, receiver=receiver
    )
    if restricted:
        raise SendRefused(
            "sender_restricted",
            _("Your account is restricted until %(date)s: you cannot send messages.")
            % {"date": date_format(timezone.localtime(until), "j F Y, H:i")}
            if until is not None
            else _("Your account is restricted: you cannot send messages."),
        )
    # Fair play (issue 11): only a person who confirmed their e-mail address can be written to;
    # a member moderation restricted or hid receives nothing, like a closed one.
    if not receiver.is_findable or not has_confirmed_email(receiver) or receiver_hidden:
        raise SendRefused("unavailable", _("This member cannot receive messages at the moment."))
    if is_blocked_between(sender, receiver):
        raise SendRefused("blocked", _("You can no longer write to this member."))
    wishes = receiving_settings_for(receiver)
    name = receiver.username
    if not wishes.accepts_messages:
        raise SendRefused(
            "stopped",
            _("%(name)s does not receive messages at the moment.") % {"name": name},
        )
    if conversation is None:
        conversation = conversation_between(sender, receiver)
    is_new = conversation is None or conversation.first_message_at is None
    if not is_new:
        return
    if wishes.only_matching and not fits_preferences(sender=sender, receiver=receiver):
        raise SendRefused(
            "not_matching",
            _(
                "%(name)s only accepts new conversations from members who fit their search "
                "preferences, and you do not."
            )
            % {"name": name},
        )
    if wishes.only_verified and not is_verified(sender):
        raise SendRefused(
            "not_verified",
            _(
                "%(name)s only accepts new conversations from verified members. You can get "
                "the verified badge under My profile, Verification."
            )
            % {"name": name},
        )
    if wishes.max_new_per_day and new_conversations_today(receiver=receiver) >= (
        wishes.max_new_per_day
    ):
        raise SendRefused(
            "daily_limit",
            _(
                "%(name)s accepts only a few new conversations a day and has had them for "
                "today. Try again tomorrow."
            )
            % {"name": name},
        )


def check_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise SendRefused("empty", _("Write a message first."))
    if len(text) > settings.MESSAGE_MAX_LENGTH:
        raise SendRefused(
            "too_long",
            _("A message can be at most %(limit)s characters; yours has %(length)s.")
            % {"limit": settings.MESSAGE_MAX_LENGTH, "length": len(text)},
        )
    return text


def _consume_send_quota(sender) -> list[tuple[str, int, int]]:
    """Fixed-window counters per member (R9.1: no flooding), taken atomically (members.quotas).
    Counted only for messages that pass every other check; returns the windows taken, for
    giving them back when the message is not stored after all."""
    if not settings.MESSAGE_RATE_LIMITS:
        return []
    now = int(timezone.now().timestamp())
    windows = [
        (f"msgrate:{sender.pk}:{seconds}:{now // seconds}", limit, seconds + 5)
        for limit, seconds in settings.MESSAGE_RATE_LIMITS
    ]
    if not quotas.take_all(windows):
        logger.info("message.rate_limited member=%s", sender.pk)
        raise SendRefused(
            "rate_limited",
            _("You are sending messages very quickly. Wait a moment and try again."),
        )
    return windows


def text_digest(text: str) -> str:
    """A keyed hash of the text with case and spacing normalised: equal for the same text,
    useless to anyone without the key."""
    normalised = " ".join(re.sub(r"[^\w\s]", "", text.casefold()).split())
    key = hashlib.sha256(("message-digest:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, normalised.encode(), hashlib.sha256).hexdigest()


def is_mass_sending(*, sender, digest: str, text: str) -> bool:
    """The same text already went to MASS_SENDING_RECEIVERS - 1 other conversations within
    MASS_SENDING_WINDOW: this one is held for a moderator instead of delivered."""
    if len(" ".join(text.split())) < settings.MASS_SENDING_MIN_LENGTH:
        return False
    since = timezone.now() - timedelta(seconds=settings.MASS_SENDING_WINDOW_SECONDS)
    earlier = (
        Message.objects.filter(sender=sender, text_digest=digest, created_at__gte=since)
        .values("conversation_id")
        .distinct()
        .count()
    )
    return earlier + 1 >= settings.MASS_SENDING_RECEIVERS


# -- writing -----------------------------------------------------------------------------------


def get_or_start_conversation(*, sender, receiver) -> Conversation:
    low, high = sorted([sender, receiver], key=lambda m: m.pk)
    conversation, created = Conversation.objects.get_or_create(
        member_low=low, member_high=high, defaults={"started_by": sender}
    )
    if created:
        Participant.objects.bulk_create(
            [
                Participant(conversation=conversation, member=sender, other=receiver),
                Participant(conversation=conversation, member=receiver, other=sender),
            ]
        )
    return conversation


NEW_CONVERSATION_LOCK = 5_001  # the first key of PostgreSQL advisory locks taken here


def _lock_receiver_for_new_conversations(receiver) -> None:
    """A transaction-scoped advisory lock per receiver (PostgreSQL; SQLite, used by `make run`
    only, serialises all writes anyway). Not the member row: the mass-sending hold locks the
    sender's row in the same transaction, and row locks both ways could deadlock."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_advisory_xact_lock(%s)", [(NEW_CONVERSATION_LOCK << 40) + receiver.pk]
            )


def send_message(*, sender, receiver, text: str) -> Message:
    """Charges the sender and stores the message together: neither happens without the other.
    Raises SendRefused (nothing charged) or InsufficientCredits (nothing stored)."""
    text = check_text(text)
    check_can_send(sender=sender, receiver=receiver)
    windows = _consume_send_quota(sender)
    try:
        message = _store_message(sender=sender, receiver=receiver, text=text)
    except BaseException:
        quotas.give_back_all(windows)
        raise
    logger.info("message.sent member=%s message=%s", sender.pk, message.pk)
    return message


def _store_message(*, sender, receiver, text: str) -> Message:
    digest = text_digest(text)
    with transaction.atomic():
        conversation = get_or_start_conversation(sender=sender, receiver=receiver)
        # One sender at a time per conversation; the checks run again under the lock, so two
        # tabs cannot both take the receiver's last new conversation of the day.
        conversation = Conversation.objects.select_for_update().get(pk=conversation.pk)
        if conversation.first_message_at is None:
            # A new conversation counts against the receiver's daily maximum: senders in other
            # conversations queue here, so two cannot both take the last one.
            _lock_receiver_for_new_conversations(receiver)
        check_can_send(sender=sender, receiver=receiver, conversation=conversation)
        held = is_mass_sending(sender=sender, digest=digest, text=text)
        message = Message.objects.create(
            conversation=conversation,
            sender=sender,
            text=text,
            text_digest=digest,
            status=Message.Status.HELD if held else Message.Status.DELIVERED,
        )
        spend_credits(
            member=sender,
            amount=settings.MESSAGE_PRICE_CREDITS,
            reason="message",
            reference=message.public_id,
        )
        # The sender's own side shows the message at once, held or not.
        Participant.objects.filter(conversation=conversation, member=sender).update(
            in_inbox=True,
            last_message_at=message.created_at,
            last_read_message_id=message.id,
            last_read_at=message.created_at,
            unread_count=0,
        )
        if held:
            from moderation.services import hold_for_review

            hold_for_review(item=message, author=sender, reason="mass_sending")
            logger.info("message.held member=%s message=%s", sender.pk, message.pk)
        else:
            _deliver(message, conversation=conversation)
    return message


def _deliver(message: Message, *, conversation: Conversation) -> None:
    """Makes a delivered message count for the receiver: inbox, unread count, notification."""
    from .tasks import notify_new_message

    fields = {"last_message": message}
    if conversation.first_message_at is None:
        fields["first_message_at"] = message.created_at
    Conversation.objects.filter(pk=conversation.pk).update(**fields)
    Participant.objects.filter(conversation=conversation).exclude(
        member_id=message.sender_id
    ).update(
        in_inbox=True,
        last_message_at=message.created_at,
        unread_count=F("unread_count") + 1,
    )
    enqueue_on_commit(notify_new_message, message.pk)


def release_held_message(*, message: Message) -> bool:
    """A moderator found a held message fine: it is delivered now, unless the receiver can no
    longer get it (blocked since, closed, restricted): then it stays held. Idempotent."""
    with transaction.atomic():
        conversation = Conversation.objects.select_for_update().get(pk=message.conversation_id)
        message = Message.objects.select_related("sender").get(pk=message.pk)
        if message.status != Message.Status.HELD or message.sender is None:
            return False
        receiver = other_member(conversation, message.sender)
        if (
            receiver is None
            or not receiver.is_findable
            or is_blocked_between(message.sender, receiver)
        ):
            logger.info("message.release_refused message=%s", message.pk)
            return False
        Message.objects.filter(pk=message.pk).update(status=Message.Status.DELIVERED)
        message.status = Message.Status.DELIVERED
        _deliver(message, conversation=conversation)
    logger.info("message.released message=%s", message.pk)
    return True


def remove_message(*, message: Message) -> None:
    """A moderator removed the message: its text is gone for good, a placeholder remains so
    the conversation still reads in order. Idempotent."""
    with transaction.atomic():
        # The conversation lock orders this against sends, reads and "delete for me".
        Conversation.objects.select_for_update().filter(pk=message.conversation_id).first()
        current = Message.objects.filter(pk=message.pk).values_list("status", flat=True).first()
        if current is None or current == Message.Status.REMOVED:
            return
        Message.objects.filter(pk=message.pk).update(
            status=Message.Status.REMOVED, text="", text_digest=""
        )
        if current == Message.Status.DELIVERED:
            # Still unread (and not hidden by "delete for me") for the receiver: one less.
            Participant.objects.filter(
                conversation_id=message.conversation_id,
                last_read_message_id__lt=message.pk,
                cleared_up_to_message_id__lt=message.pk,
                unread_count__gt=0,
            ).exclude(member_id=message.sender_id).update(unread_count=F("unread_count") - 1)
    logger.info("message.removed message=%s", message.pk)


def hide_message(*, message: Message) -> None:
    """Moderation's `hide` for an urgent report: the text stays stored but neither side sees
    it (a placeholder instead) until the case is decided. Idempotent."""
    Message.objects.filter(pk=message.pk, hidden_at__isnull=True).update(hidden_at=timezone.now())
    logger.info("message.hidden message=%s", message.pk)


def unhide_message(*, message: Message) -> None:
    """Moderation's `unhide`: the case ended without removing the message, it reads as
    before. A removed message stays removed (its text is gone). Idempotent."""
    Message.objects.filter(pk=message.pk).update(hidden_at=None)
    logger.info("message.unhidden message=%s", message.pk)


def mark_read(*, member, conversation: Conversation, up_to_id: int | None = None) -> None:
    """Marks the member's side read up to `up_to_id` (default: the latest message)."""
    with transaction.atomic():
        if up_to_id is None:  # read fresh: the object in hand may predate the latest message
            up_to_id = (
                Conversation.objects.filter(pk=conversation.pk)
                .values_list("last_message_id", flat=True)
                .first()
                or 0
            )
        side = (
            Participant.objects.select_for_update()
            .filter(conversation=conversation, member=member)
            .first()
        )
        if side is None or (side.last_read_message_id >= up_to_id and not side.unread_count):
            return
        still_unread = (
            Message.objects.filter(
                conversation=conversation,
                status=Message.Status.DELIVERED,
                id__gt=max(up_to_id, side.last_read_message_id),
            )
            .exclude(sender=member)
            .count()
        )
        Participant.objects.filter(pk=side.pk).update(
            last_read_message_id=max(up_to_id, side.last_read_message_id),
            last_read_at=timezone.now(),
            unread_count=still_unread,
        )


def delete_conversation_for_me(*, member, conversation: Conversation) -> None:
    """The conversation leaves this member's inbox and its history up to now is hidden from
    them; the other member keeps theirs. A new message brings it back, without the old ones."""
    with transaction.atomic():
        # Under the conversation lock a send lands wholly before or after this.
        Conversation.objects.select_for_update().filter(pk=conversation.pk).first()
        last_id = (
            Message.objects.filter(conversation=conversation)
            .order_by("-id")
            .values_list("id", flat=True)
            .first()
            or 0
        )
        Participant.objects.filter(conversation=conversation, member=member).update(
            cleared_up_to_message_id=last_id,
            in_inbox=False,
            unread_count=0,
        )
    logger.info("conversation.deleted_for_member member=%s", member.pk)


def update_receiving_settings(*, member, **fields) -> ReceivingSettings:
    allowed = {"accepts_messages", "only_matching", "only_verified", "max_new_per_day", "notify"}
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown settings: {sorted(unknown)}")
    wishes, _created = ReceivingSettings.objects.update_or_create(member=member, defaults=fields)
    logger.info("messaging.settings_changed member=%s", member.pk)
    return wishes


def stop_receiving_messages(*, member) -> ReceivingSettings:
    return update_receiving_settings(member=member, accepts_messages=False)


def other_member(conversation: Conversation, member) -> Member | None:
    other_id = (
        conversation.member_high_id
        if conversation.member_low_id == member.pk
        else conversation.member_low_id
    )
    return Member.objects.filter(pk=other_id).first() if other_id else None
