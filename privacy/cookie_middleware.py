"""Cookie consent on every response (issue 10; the rules are in privacy.cookies).

`CookieConsentMiddleware` (after the authentication and CSP middleware):
- sets `request.cookie_choice`, a lazy `CookieChoice`: nothing is read until something asks
  (for members that is one indexed query, then kept on the request);
- on the way out, expires the cookies of every category the choice does not allow that the
  browser sent (after a withdrawal, a refusal or a new policy version), and drops such a
  cookie if the response sets it anyway (logged; the test suite fails on it);
- adds Google Analytics' hosts to the Content-Security-Policy of the responses whose page
  loads it (marked by `privacy.cookies.google_analytics`), and of no other.

`cookie_context` gives templates `cookie_consent`: whether to show the banner, the categories
it names, and the Google Analytics settings of the page (None when it may not load).
"""

from django.utils.functional import SimpleLazyObject, cached_property

from . import cookies


class CookieConsentMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.cookie_choice = SimpleLazyObject(lambda: cookies.choice_for(request))
        response = self.get_response(request)
        cookies.expire_unconsented(request, response)
        if getattr(request, cookies.GOOGLE_ANALYTICS_MARK, False):
            cookies.open_csp_for_google_analytics(response)
        return response


class CookieConsentContext:
    """Lazy: a template that shows neither the banner nor analytics costs nothing."""

    def __init__(self, request):
        self.request = request

    @cached_property
    def choice(self) -> cookies.CookieChoice:
        return cookies.choice_for(self.request)

    @cached_property
    def on_cookie_page(self) -> bool:
        match = getattr(self.request, "resolver_match", None)
        return match is not None and match.view_name == "privacy:cookies"

    @cached_property
    def show_banner(self) -> bool:
        # The cookie page is the full form itself: no banner above it.
        return not self.on_cookie_page and not self.choice.decided

    @cached_property
    def categories(self) -> list[cookies.CookieCategory]:
        return list(cookies.CATEGORIES.values())

    @cached_property
    def google_analytics(self) -> dict | None:
        return cookies.google_analytics(self.request)


def cookie_context(request):
    if request is None:
        return {}
    return {"cookie_consent": CookieConsentContext(request)}
