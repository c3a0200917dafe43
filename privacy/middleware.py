"""Asks members to read a new version of the privacy statement on their next visit."""

from urllib.parse import urlencode

from django.shortcuts import redirect
from django.urls import reverse

from .services import needs_to_accept

# Pages that stay open without accepting: the privacy pages themselves (the statement, the
# DPO, the accept page, the whole privacy centre with export and closing the account), logging
# out, and what pages load (static files, photos).
ALWAYS_OPEN_PREFIXES = ("/static/", "/media/", "/photos/", "/healthz", "/i18n/", "/admin/")


class PrivacyStatementMiddleware:
    """A logged-in member who accepted an older version of the privacy statement than the
    current one is sent to the accept page first (GET pages only). Background refreshes (htmx
    polls) are answered as usual: a redirect there would break the open page."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._open_prefixes = None

    def open_prefixes(self):
        if self._open_prefixes is None:
            self._open_prefixes = (
                reverse("privacy:statement"),
                reverse("account_logout"),
                *ALWAYS_OPEN_PREFIXES,
            )
        return self._open_prefixes

    def __call__(self, request):
        user = getattr(request, "user", None)
        if (
            request.method == "GET"
            and user is not None
            and user.is_authenticated
            and request.headers.get("HX-Request") != "true"
            and not request.path.startswith(self.open_prefixes())
            and needs_to_accept(user)
        ):
            accept = reverse("privacy:accept_statement")
            return redirect(f"{accept}?{urlencode({'next': request.get_full_path()})}")
        return self.get_response(request)
