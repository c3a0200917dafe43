from datetime import timedelta
from urllib.parse import urlencode

from allauth.usersessions.middleware import UserSessionsMiddleware
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.shortcuts import redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

# Paths a staff member without two-factor in this session may still use: setting it up,
# proving it, and leaving.
STAFF_2FA_ALLOWED_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/healthz")
# allauth's own two-factor pages: changing the factors needs a session that used one.
MFA_PAGES_PREFIX = "/accounts/2fa/"


class StaffTwoFactorMiddleware:
    """Every staff member must use two-factor authentication (allauth has no setting for it),
    and it is the session that must have used it: a staff session that logged in with the
    password only is sent to enter a code (if the account has TOTP) or to set it up, which
    needs a one-time enrolment link (members.staff_two_factor)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = request.user
        if user.is_authenticated and user.is_staff:
            refused = self._refuse(request, user)
            if refused is not None:
                return refused
        return self.get_response(request)

    def _refuse(self, request, user):
        from .staff_two_factor import has_totp, may_enrol, session_used_second_factor

        path = request.path
        reauthenticate = reverse("mfa_reauthenticate")
        mfa_page = path.startswith(MFA_PAGES_PREFIX) and path != reauthenticate
        if path.startswith(STAFF_2FA_ALLOWED_PREFIXES) and not mfa_page:
            return None
        totp = has_totp(user)
        used_factor = session_used_second_factor(request, user)
        enrolment_pages = (reverse("mfa_activate_totp"), reverse("mfa_generate_recovery_codes"))
        if path in enrolment_pages and not totp:
            # A session that proved a factor of this account (before moving to a new phone)
            # is more than "just the password".
            if used_factor or may_enrol(request, user):
                return None
            return render(request, "members/staff_enrolment_needed.html", status=403)
        if totp and used_factor:
            return None
        if totp:
            if mfa_page:
                return redirect(reauthenticate)
            messages.warning(
                request,
                _(
                    "Staff pages need a session that used two-factor authentication. Enter a "
                    "code from your authenticator app."
                ),
            )
            return redirect(f"{reauthenticate}?{urlencode({'next': request.get_full_path()})}")
        if mfa_page:
            return None  # the overview and the set-up pages; activation is checked above
        messages.warning(
            request, _("Staff accounts must use two-factor authentication. Set it up first.")
        )
        return redirect("mfa_activate_totp")


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
