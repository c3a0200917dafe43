"""A hard cap on request bodies: a request whose Content-Length exceeds
settings.MAX_REQUEST_BODY_BYTES is answered 413 before anything reads its body, so no worker
spends memory, disk or time on it (SECURITY.md "Input and files"). nginx in front of gunicorn
(docker-compose.yml) refuses the same size with client_max_body_size."""

import logging

from django.conf import settings
from django.http import HttpResponse

logger = logging.getLogger(__name__)

# The middleware runs before the session, the member and the language are known: one short
# page in both of the site's languages.
TOO_LARGE_PAGE = """<!doctype html>
<html lang="nl"><head><meta charset="utf-8"><title>413</title></head><body>
<h1>Te groot / Too large</h1>
<p lang="nl">Wat je verstuurde is groter dan %(mb)s MB. Ga terug en kies een kleiner bestand.</p>
<p lang="en">What you sent is larger than %(mb)s MB. Go back and choose a smaller file.</p>
</body></html>
"""


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0  # Django reads no body for a Content-Length it cannot parse
        limit = settings.MAX_REQUEST_BODY_BYTES
        if declared > limit:
            logger.info("request.too_large bytes=%s", declared)
            response = HttpResponse(
                TOO_LARGE_PAGE % {"mb": limit // (1024 * 1024)},
                status=413,
                content_type="text/html; charset=utf-8",
            )
            # The unread body must not be taken for the next request on this connection.
            response["Connection"] = "close"
            return response
        return self.get_response(request)
