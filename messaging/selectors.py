"""Reads the chat pages share: the inbox page, a conversation's visible history and the other
member's side. Each is a fixed number of queries, however many conversations or messages there
are (the issue's speed target), and each applies the same visibility rule:

- messages up to the member's `cleared_up_to_message_id` ("delete for me") are gone for them;
- a message held for moderation is shown only to its sender;
- removed and erased messages stay as placeholders, so a conversation still reads in order.
"""

from dataclasses import dataclass

from django.db.models import OuterRef, Prefetch, Q, Subquery

from profiles.models import Photo
from profiles.selectors import blocked_member_ids

from .models import Message, Participant

INBOX_PAGE_SIZE = 20
HISTORY_PAGE_SIZE = 30
# A poll delivers at most this many messages; the next poll continues after the last one.
NEW_MESSAGES_LIMIT = 100

SHOWN_TO_BOTH = [Message.Status.DELIVERED, Message.Status.REMOVED, Message.Status.ERASED]


def visible_to(member_id, *, outer: bool = False) -> Q:
    """Messages `member_id` may see (held ones only when they sent them). With `outer`, the
    member is the `member_id` of the outer Participant row (for subqueries)."""
    sender = OuterRef("member_id") if outer else member_id
    return Q(status__in=SHOWN_TO_BOTH) | Q(status=Message.Status.HELD, sender_id=sender)


def main_photo_prefetch(path: str) -> Prefetch:
    """The main approved photo; premium photos are never a main photo (R2.4), and a photo
    hidden pending review of a report is not shown (issue 11)."""
    return Prefetch(
        path,
        queryset=Photo.objects.filter(
            is_main=True, status=Photo.Status.APPROVED, is_premium=False, hidden_at=None
        ).only("pk", "public_id", "member_id"),
        to_attr="main_photos",
    )


def shows_other(other, blocked_ids) -> bool:
    """May the page show who the other member is (photo, profile link)? Not after a block
    either way, and not when they are closed, restricted or erased."""
    return other is not None and other.is_findable and other.pk not in blocked_ids


@dataclass
class InboxPage:
    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self) -> bool:
        return self.number > 1


def inbox_page(member, number: int = 1) -> InboxPage:
    """One page of the member's conversations, latest message first. Each row (a Participant)
    gets `preview` (the latest message the member may see, or None), `photo` (the other
    member's main photo, or None) and `shows_other`. Four queries for any page."""
    number = max(1, number)
    latest_visible = (
        Message.objects.filter(
            conversation_id=OuterRef("conversation_id"),
            id__gt=OuterRef("cleared_up_to_message_id"),
        )
        .filter(visible_to(None, outer=True))
        .order_by("-id")
        .values("id")[:1]
    )
    found = (
        Participant.objects.filter(member=member, in_inbox=True)
        .select_related("conversation", "other")
        .prefetch_related(main_photo_prefetch("other__photos"))
        .annotate(latest_id=Subquery(latest_visible))
        .order_by("-last_message_at", "-pk")
    )
    start = (number - 1) * INBOX_PAGE_SIZE
    rows = list(found[start : start + INBOX_PAGE_SIZE + 1])
    has_next = len(rows) > INBOX_PAGE_SIZE
    rows = rows[:INBOX_PAGE_SIZE]
    previews = Message.objects.in_bulk([row.latest_id for row in rows if row.latest_id])
    blocked = blocked_member_ids(member) if rows else set()
    for row in rows:
        row.preview = previews.get(row.latest_id)
        row.shows_other = shows_other(row.other, blocked)
        photos = (getattr(row.other, "main_photos", None) or []) if row.shows_other else []
        row.photo = photos[0] if photos else None
    return InboxPage(rows=rows, number=number, has_next=has_next)


def side_of(member, conversation_public_id: str) -> Participant | None:
    """The member's side of the conversation with that public id, or None when they are not
    in it (the caller answers 404)."""
    return (
        Participant.objects.select_related("conversation", "other")
        .filter(conversation__public_id=conversation_public_id, member=member)
        .first()
    )


def _history(side: Participant):
    return Message.objects.filter(
        conversation_id=side.conversation_id, id__gt=side.cleared_up_to_message_id
    ).filter(visible_to(side.member_id))


def latest_messages(side: Participant, *, before: int | None = None):
    """Up to HISTORY_PAGE_SIZE visible messages (older than `before` when given), oldest
    first, and whether older ones exist. Paged by message id, never by offset."""
    found = _history(side)
    if before is not None:
        found = found.filter(id__lt=before)
    page = list(found.order_by("-id")[: HISTORY_PAGE_SIZE + 1])
    has_older = len(page) > HISTORY_PAGE_SIZE
    page = page[:HISTORY_PAGE_SIZE]
    page.reverse()
    return page, has_older


def messages_after(side: Participant, after: int):
    """Visible messages newer than `after`, oldest first (what a poll appends)."""
    return list(_history(side).filter(id__gt=after).order_by("id")[:NEW_MESSAGES_LIMIT])


def newly_seen(side: Participant, *, seen_before: int, seen_now: int):
    """The member's own delivered messages the other side read since the page last knew
    (`seen_before` < id <= `seen_now`): their "Sent" turns into "Seen"."""
    if seen_now <= seen_before:
        return []
    return list(
        _history(side)
        .filter(
            sender_id=side.member_id,
            status=Message.Status.DELIVERED,
            id__gt=seen_before,
            id__lte=seen_now,
        )
        .order_by("-id")
        .only("id", "public_id")[:NEW_MESSAGES_LIMIT]
    )


def read_up_to_by_other(side: Participant) -> int:
    """Up to which message id the other member has read (0 when they are gone)."""
    if side.other_id is None:
        return 0
    return (
        Participant.objects.filter(conversation_id=side.conversation_id, member_id=side.other_id)
        .values_list("last_read_message_id", flat=True)
        .first()
        or 0
    )


def main_photo_of(member) -> Photo | None:
    return (
        Photo.objects.filter(
            member=member,
            is_main=True,
            status=Photo.Status.APPROVED,
            is_premium=False,
            hidden_at=None,
        )
        .only("pk", "public_id", "member_id")
        .first()
    )


def display_name(other) -> str:
    """The other member's name as chat shows it: a closed account shows as removed at once
    (R7.3), not only once it is erased."""
    from django.utils.translation import gettext

    if other is None or other.is_closed:
        return gettext("Removed member")
    return other.username
