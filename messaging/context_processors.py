"""The unread count in the navigation's "Messages" link (base.html).

Lazy: the one indexed query (services.unread_total) runs only when a template reads
`unread_messages.total`, and only for a logged-in member; htmx fragments and anonymous pages
cost nothing."""

from django.conf import settings
from django.utils.functional import cached_property

from .services import unread_total

# A view that already knows the total (the inbox) puts it here to spare the query.
KNOWN_TOTAL_ATTRIBUTE = "messaging_unread_total"


class UnreadMessages:
    def __init__(self, request):
        self.request = request

    @cached_property
    def total(self) -> int:
        known = getattr(self.request, KNOWN_TOTAL_ATTRIBUTE, None)
        if known is not None:
            return known
        user = getattr(self.request, "user", None)
        if user is None or not user.is_authenticated:
            return 0
        return unread_total(member=user)

    @property
    def poll_seconds(self) -> int:
        return settings.INBOX_POLL_SECONDS


def unread_messages(request):
    return {"unread_messages": UnreadMessages(request)}
