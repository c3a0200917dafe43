from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import account_admin, services  # noqa: F401  (account_admin: allauth's, read-only)
from .models import Member, OutgoingMail, UndeliverableAddress
from .staff_two_factor import has_totp, issue_enrolment_link

CONTACT_PERMISSION = "members.view_contact_details"


@admin.register(Member)
class MemberAdmin(UserAdmin):
    """Staff see members; only roles with `view_contact_details` (helpdesk) see e-mail
    addresses. Nobody suspends or reinstates here: a suspension is a moderation decision with a
    statement of reasons (issue 11), taken on a case in the moderation queue (without a report:
    "Open a case" there), and it ends by itself or on appeal."""

    list_display = ("username", "status", "gender", "date_joined", "last_login", "is_staff")
    list_filter = ("status", "date_joined", "gender", "is_staff", "groups")
    search_fields = ("username",)
    ordering = ("-date_joined",)
    readonly_fields = (
        "public_id",
        "date_joined",
        "last_login",
        # Suspension is a moderation decision, closing the member's or the helpdesk's own.
        "status",
        "closed_at",
        "confirmed_adult_at",
        "terms_version",
        "terms_accepted_at",
        "privacy_version",
        "privacy_accepted_at",
    )
    actions = None
    fieldsets = (
        (None, {"fields": ("username", "password", "public_id")}),
        (_("Member"), {"fields": ("email", "gender", "language", "status", "closed_at")}),
        (
            _("Acceptance"),
            {
                "fields": (
                    "confirmed_adult_at",
                    "terms_version",
                    "terms_accepted_at",
                    "privacy_version",
                    "privacy_accepted_at",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "email", "password1", "password2")}),
    )

    def _sees_contact_details(self, request):
        return request.user.has_perm(CONTACT_PERMISSION)

    # Fair play (issue 11): every member is a person who signed up and confirmed their e-mail,
    # so nobody, superusers included, creates members here (staff accounts come from
    # `manage.py create_staff`). Nor can staff take a member's place: the name, address and
    # gender a member gave, and their password, cannot be changed here (a changed address or
    # password would let staff log in and write as the member).
    MEMBER_OWN_FIELDS = ("username", "email", "gender")

    def has_add_permission(self, request):
        return False

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, *self.MEMBER_OWN_FIELDS)

    def user_change_password(self, request, id, form_url=""):
        raise PermissionDenied

    # A staff account without an authenticator sets one up only with a one-time enrolment link;
    # a superuser mails a new one from the account's page (or with create_staff).
    def get_urls(self):
        return [
            path(
                "<path:object_id>/enrolment-link/",
                self.admin_site.admin_view(self.send_enrolment_link),
                name="members_member_enrolment_link",
            ),
            *super().get_urls(),
        ]

    def _may_send_enrolment_link(self, request, member) -> bool:
        return request.user.is_superuser and member.is_staff and not has_totp(member)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        member = self.get_object(request, unquote(object_id))
        extra = {
            "may_send_enrolment_link": member is not None
            and self._may_send_enrolment_link(request, member)
        }
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def send_enrolment_link(self, request, object_id):
        member = self.get_object(request, unquote(object_id))
        if member is None or not self._may_send_enrolment_link(request, member):
            raise PermissionDenied
        if request.method != "POST":  # the button posts; a plain visit changes nothing
            return redirect("admin:members_member_change", member.pk)
        issue_enrolment_link(member=member)
        self.message_user(
            request,
            _(
                "A new two-factor enrolment link was mailed to %(username)s; older links no "
                "longer work."
            )
            % {"username": member.username},
            messages.SUCCESS,
        )
        return redirect("admin:members_member_change", member.pk)

    def get_list_display(self, request):
        fields = super().get_list_display(request)
        if self._sees_contact_details(request):
            return (fields[0], "email", *fields[1:])
        return fields

    def get_search_fields(self, request):
        if self._sees_contact_details(request):
            return ("username", "email")
        return self.search_fields

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            # Without the password row: its link leads to the (refused) password form.
            first, *rest = super().get_fieldsets(request, obj)
            fields = [name for name in first[1]["fields"] if name != "password"]
            return ((first[0], {**first[1], "fields": fields}), *rest)
        member_fields = ["gender", "language", "status", "closed_at"]
        if self._sees_contact_details(request):
            member_fields.insert(0, "email")
        return (
            (None, {"fields": ("username", "public_id")}),
            (_("Member"), {"fields": member_fields}),
            (_("Important dates"), {"fields": ("last_login", "date_joined")}),
        )


@admin.register(OutgoingMail)
class OutgoingMailAdmin(admin.ModelAdmin):
    """Helpdesk: did a member's confirmation mail go out? The body is never shown (it may hold
    a confirmation link) and mail can only be sent again, not written here."""

    list_display = ("kind", "member", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind", "created_at")
    search_fields = ("member__username",)
    list_select_related = ("member",)
    fields = ("kind", "member", "to", "subject", "status", "attempts", "created_at", "sent_at")
    readonly_fields = fields
    actions = ["send_again"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_resend_permission(self, request):
        return request.user.has_perm("members.change_outgoingmail")

    @admin.action(description=_("Send the selected mail again"), permissions=["resend"])
    def send_again(self, request, queryset):
        count = 0
        for mail in queryset.exclude(status=OutgoingMail.Status.SENT):
            services.resend_mail(mail=mail)
            count += 1
        self.message_user(
            request,
            ngettext("%(count)d mail queued again.", "%(count)d mails queued again.", count)
            % {"count": count},
            messages.SUCCESS,
        )


@admin.register(UndeliverableAddress)
class UndeliverableAddressAdmin(admin.ModelAdmin):
    """Helpdesk: addresses that bounced get no mail the member asked for. When a member says the
    mailbox works again, Helpdesk deletes the row. Rows come from the provider's bounce reports
    only: nobody adds or edits them here."""

    list_display = ("email", "reason", "created_at")
    search_fields = ("email",)
    fields = ("email", "reason", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
