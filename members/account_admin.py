"""allauth's own admin pages, made read-only (fair play, issue 11).

allauth registers editable admins for e-mail addresses, sessions and two-factor devices. With
them a superuser could give a member an address of their own (and mark it verified), read a
member's session key, or swap their authenticator, and so log in and write as that member. Here
staff may look and delete (a member who lost their phone gets two-factor removed), never add or
change, and the session key and the authenticator's secrets are not shown at all.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.usersessions.models import UserSession
from django.contrib import admin


class LookAndDeleteAdmin(admin.ModelAdmin):
    actions = None

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class EmailAddressAdmin(LookAndDeleteAdmin):
    list_display = ("email", "user", "primary", "verified")
    list_filter = ("primary", "verified")
    search_fields = ("email", "user__username")
    fields = ("email", "user", "primary", "verified")
    readonly_fields = fields


class UserSessionAdmin(LookAndDeleteAdmin):
    list_display = ("user", "created_at", "last_seen_at", "ip", "user_agent")
    search_fields = ("user__username",)
    # Never the session key (it is the session: whoever holds it is logged in) nor its data.
    fields = ("user", "created_at", "last_seen_at", "ip", "user_agent")
    readonly_fields = fields


class AuthenticatorAdmin(LookAndDeleteAdmin):
    list_display = ("user", "type", "created_at", "last_used_at")
    list_filter = ("type", "created_at", "last_used_at")
    search_fields = ("user__username",)
    # Never `data`: it holds the TOTP secret and the recovery codes' seed.
    fields = ("user", "type", "created_at", "last_used_at")
    readonly_fields = fields


for model, model_admin in (
    (EmailAddress, EmailAddressAdmin),
    (UserSession, UserSessionAdmin),
    (Authenticator, AuthenticatorAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
    admin.site.register(model, model_admin)
