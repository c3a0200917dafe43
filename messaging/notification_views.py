"""One-click unsubscribe from mail about new messages (R5.2, R7.2): no log-in needed.

The link in the mail (and its List-Unsubscribe header) carries a signed token for one member.
GET only asks (link scanners follow links); POST stops the mail. Mail clients send the RFC 8058
one-click POST (`List-Unsubscribe=One-Click`) without a session or a CSRF token, so the view is
CSRF-exempt: the signed token is what authorises the change, and all it can do is stop mail.
"""

import logging

from django.http import Http404
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from . import notifications

logger = logging.getLogger(__name__)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, token):
    public_id = notifications.member_public_id_from_token(token)
    if public_id is None:
        logger.info("messaging.unsubscribe_bad_token")
        raise Http404
    if request.method == "POST":
        # A closed or erased account gets the same page: nothing about it is revealed.
        notifications.unsubscribe(public_id=public_id)
        return render(request, "messaging/unsubscribe_done.html")
    return render(request, "messaging/unsubscribe.html")
