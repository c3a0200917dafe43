from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.shortcuts import redirect
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
