"""How the messaging app's personal data is exported and erased (see privacy.registry).

Export (R7.4): every message the member sent and received, with its time, direction, status and
the other party's username; the member's side of each conversation and their receiving
settings. Held messages of others are not theirs yet and are left out; removed and erased
messages appear without text.

Erasure (R7.3): the text of the member's own messages is gone (status "erased", no sender), their
side of every conversation is deleted and every reference to them is cleared, so the other
member keeps their own messages in a conversation with "a removed member". Messages the others
sent are the others' data and stay theirs.
"""

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q
from django.utils import timezone

from privacy.registry import Basis, Category, register

from .models import Conversation, Message, Participant, ReceivingSettings

REMOVED_MEMBER = "removed member"


def _iso(value):
    return value.isoformat() if value else None


def _forget_send_quota(member) -> None:
    """The member's sending counters in the cache (the keys of services._consume_send_quota:
    this window and the one before, which lives a few seconds longer)."""
    now = int(timezone.now().timestamp())
    cache.delete_many(
        [
            f"msgrate:{member.pk}:{seconds}:{now // seconds - back}"
            for _limit, seconds in settings.MESSAGE_RATE_LIMITS
            for back in (0, 1)
        ]
    )


def _name(member) -> str:
    return member.username if member is not None else REMOVED_MEMBER


def _conversations_of(member):
    return Conversation.objects.filter(Q(member_low=member) | Q(member_high=member))


def _other_of(conversation, member):
    return (
        conversation.member_high
        if conversation.member_low_id == member.pk
        else conversation.member_low
    )


@register(Conversation, category=Category.VOLUNTARY, purpose="messages", basis=Basis.CONTRACT)
class ConversationData:
    def export(self, member):
        return [
            {
                "conversation": c.public_id,
                "with": _name(_other_of(c, member)),
                "started_by_you": c.started_by_id == member.pk,
                "started_at": _iso(c.created_at),
                "first_message_at": _iso(c.first_message_at),
            }
            for c in _conversations_of(member)
            .select_related("member_low", "member_high")
            .order_by("created_at", "pk")
        ]

    def erase(self, member):
        Conversation.objects.filter(member_low=member).update(member_low=None)
        Conversation.objects.filter(member_high=member).update(member_high=None)
        Conversation.objects.filter(started_by=member).update(started_by=None)


@register(Message, category=Category.VOLUNTARY, purpose="messages", basis=Basis.CONTRACT)
class MessageData:
    def export(self, member):
        """A generator, not a list: a history of 50000 messages is read through a database
        cursor and written to the export row by row (privacy.exports), so memory stays flat."""
        conversations = {
            c.pk: (c.public_id, _name(_other_of(c, member)))
            for c in _conversations_of(member).select_related("member_low", "member_high")
        }
        messages = (
            Message.objects.filter(conversation_id__in=conversations)
            .filter(Q(sender=member) | ~Q(status=Message.Status.HELD))
            .order_by("conversation_id", "id")
            .only("public_id", "conversation_id", "sender_id", "status", "created_at", "text")
        )
        for message in messages.iterator(chunk_size=2000):
            conversation, other = conversations[message.conversation_id]
            sent = message.sender_id == member.pk
            readable = message.status == Message.Status.DELIVERED or (
                sent and message.status == Message.Status.HELD
            )
            yield {
                "conversation": conversation,
                "message": message.public_id,
                "direction": "sent" if sent else "received",
                "other_party": other,
                "status": message.status,
                "sent_at": _iso(message.created_at),
                "text": message.text if readable else "",
            }

    def erase(self, member):
        Message.objects.filter(sender=member).update(
            text="", text_digest="", status=Message.Status.ERASED, sender=None
        )
        _forget_send_quota(member)


@register(Participant, category=Category.VOLUNTARY, purpose="messages", basis=Basis.CONTRACT)
class ParticipantData:
    def export(self, member):
        return [
            {
                "conversation": side.conversation.public_id,
                "with": _name(side.other),
                "in_inbox": side.in_inbox,
                "deleted_for_you": bool(side.cleared_up_to_message_id),
                "unread_count": side.unread_count,
                "last_read_at": _iso(side.last_read_at),
                "last_message_at": _iso(side.last_message_at),
                "notified_at": _iso(side.notified_at),
            }
            for side in Participant.objects.filter(member=member)
            .select_related("conversation", "other")
            .order_by("conversation_id")
        ]

    def erase(self, member):
        Participant.objects.filter(member=member).delete()
        # The other side now talks to "a removed member" whose messages have no text left:
        # nothing there is unread any more.
        Participant.objects.filter(other=member).update(other=None, unread_count=0)


@register(ReceivingSettings, category=Category.VOLUNTARY, purpose="messages", basis=Basis.CONTRACT)
class ReceivingSettingsData:
    def export(self, member):
        return [
            {
                "accepts_messages": s.accepts_messages,
                "only_matching": s.only_matching,
                "only_verified": s.only_verified,
                "max_new_per_day": s.max_new_per_day,
                "notify": s.notify,
                "digest_sent_at": _iso(s.digest_sent_at),
                "updated_at": _iso(s.updated_at),
            }
            for s in ReceivingSettings.objects.filter(member=member)
        ]

    def erase(self, member):
        ReceivingSettings.objects.filter(member=member).delete()
