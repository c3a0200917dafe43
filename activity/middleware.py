"""Pages visited (SPEC R6.1, issue 10): one buffered record per page view, see
activity.page_visits. Last in MIDDLEWARE, so it sees the view's own response."""

import logging
import time

from django.conf import settings

from .logins import session_digest
from .page_visits import record_visit

logger = logging.getLogger(__name__)


def counts_as_page_view(request, response) -> bool:
    """A page someone looked at: a GET answered 200 with HTML by a view of the site.

    Not counted: other methods (form posts), redirects and errors, anything but HTML (photos,
    downloads, JSON, the health check; members' photos come from a view as JPEG, there is no
    public media URL), htmx requests (`HX-Request: true`: the polls of the
    inbox, the conversation and the unread badge, and fragments loaded into a page already
    counted), static and media files (WhiteNoise answers those before this middleware; the
    path check covers DEBUG's static view), and the admin: staff work on the site, not use of
    it, and what staff open there is in the staff access log (privacy.access_log) already;
    counting it would mix staff work into the site's anonymous daily counts.
    """
    if request.method != "GET" or response.status_code != 200:
        return False
    if getattr(response, "streaming", False):
        return False
    if not response.get("Content-Type", "").startswith("text/html"):
        return False
    if request.headers.get("HX-Request") == "true":
        return False
    match = getattr(request, "resolver_match", None)
    if match is None or "admin" in match.namespaces:
        return False
    return not request.path_info.startswith(settings.STATIC_URL)


class PageVisitMiddleware:
    """After the response: for a page view, the route's name (never the path or the query),
    the member's id and the digest of the session key (none for visitors, who are only
    counted), and the time, handed to the buffer: one Redis RPUSH, no database query. Nothing
    here can make the page fail."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        self.record(request, response)
        return response

    def record(self, request, response) -> None:
        """Takes what the record needs now; the RPUSH itself runs when the server closes the
        response, after the page has been sent (WSGI calls `close()` then), so no one waits
        for it."""
        try:
            if counts_as_page_view(request, response):
                user = getattr(request, "user", None)
                member_id = user.pk if user is not None and user.is_authenticated else None
                visit = {
                    "member_id": member_id,
                    "session_digest": (
                        session_digest(request.session.session_key) if member_id else ""
                    ),
                    "route": request.resolver_match.view_name,
                    "at": time.time(),
                }
                response._resource_closers.append(lambda: self.send(visit))
        except Exception as error:  # the page is served whatever happens here
            logger.warning("page visit not recorded: %s", type(error).__name__)

    @staticmethod
    def send(visit) -> None:
        try:
            record_visit(**visit)
        except Exception as error:
            logger.warning("page visit not recorded: %s", type(error).__name__)
