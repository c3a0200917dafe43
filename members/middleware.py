from datetime import timedelta

from allauth.mfa.utils import is_mfa_enabled
from allauth.usersessions.middleware import UserSessionsMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

# Paths a staff member without two-factor may still use: setting it up, and leaving.
STAFF_2FA_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz")


class StaffTwoFactorMiddleware:
    """Every staff member must use two-factor authentication (allauth has no setting for it):
    until they have activated TOTP, every other page sends them to set it up."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and user.is_staff
            and not request.path.startswith(STAFF_2FA_ALLOWED_PREFIXES)
            and not is_mfa_enabled(user)
        ):
            messages.warning(
                request, _("Staff accounts must use two-factor authentication. Set it up first.")
            )
            return redirect("mfa_activate_totp")
        return self.get_response(request)


class NoStoreForMembersMiddleware:
    """Pages shown to a logged-in member are never kept by a browser or proxy cache."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if getattr(request, "user", None) is not None and request.user.is_authenticated:
            patch_cache_control(response, no_store=True, private=True)
        return response


class SiteLanguageMiddleware:
    """Dutch unless the visitor chose otherwise: the language switch's cookie decides, then a
    logged-in member's saved language; the browser's Accept-Language is not used, so the site
    is Dutch by default for everyone (the statement and the market are Dutch and Belgian)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            user = getattr(request, "user", None)
            language = (
                user.language
                if user is not None and user.is_authenticated
                else settings.LANGUAGE_CODE
            )
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", request.LANGUAGE_CODE)
        return response


def serves_a_file(view):
    """Marks a view that answers with a file (a photo, a thumbnail), not a page: fetching one is
    no sign of activity, and a page of twelve thumbnails must not write the member's session
    and member rows twelve times at once (on SQLite that locked the database)."""
    view.serves_a_file = True
    return view


def is_file_request(request) -> bool:
    """A static file or a view marked with `serves_a_file` (resolved once per request)."""
    cached = getattr(request, "_is_file_request", None)
    if cached is not None:
        return cached
    path = request.path_info
    if path.startswith((settings.STATIC_URL, "/media/")):
        answer = True
    else:
        try:
            match = resolve(path, getattr(request, "urlconf", None))
        except Resolver404:
            answer = False
        else:
            answer = getattr(match.func, "serves_a_file", False)
    request._is_file_request = answer
    return answer


LAST_ACTIVE_RESOLUTION = timedelta(minutes=5)


class LastActiveMiddleware:
    """Keeps `Member.last_active_at` to within five minutes, with at most one conditional
    UPDATE per member per five minutes (others see it only as a coarse range)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not is_file_request(request):
            now = timezone.now()
            if user.last_active_at is None or now - user.last_active_at > LAST_ACTIVE_RESOLUTION:
                get_user_model().objects.filter(pk=user.pk).filter(
                    Q(last_active_at__isnull=True)
                    | Q(last_active_at__lt=now - LAST_ACTIVE_RESOLUTION)
                ).update(last_active_at=now)
                user.last_active_at = now
        return self.get_response(request)


class PageViewSessionsMiddleware(UserSessionsMiddleware):
    """allauth's session tracking (the member's list of devices with "last seen"), recorded on
    page views only: the background refreshes of open pages (htmx GETs every few seconds) and
    the photos and files a page loads would otherwise write the session row several times a
    minute per open tab, and once per thumbnail."""

    def __call__(self, request):
        if request.method == "GET" and (
            request.headers.get("HX-Request") == "true" or is_file_request(request)
        ):
            return self.get_response(request)
        return super().__call__(request)
