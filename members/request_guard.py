"""Requests with a NUL character in the path are refused before any view sees them:
PostgreSQL text cannot hold NUL, so `/members/%00/` made every lookup by a str id raise
ValueError (a 500). One rule here instead of a check in every view with a str id. (Form
fields refuse NUL themselves: Django's CharField has ProhibitNullCharactersValidator.)"""

from django.http import Http404

NUL = "\x00"


class RefuseNulBytesMiddleware:
    """A NUL in the path is a 404: no page has such an address. Put after the middleware the
    error page needs (authentication, CSP, allauth's)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if NUL in request.path or NUL in request.path_info:
            raise Http404("no such page")
        return self.get_response(request)
