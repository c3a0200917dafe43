"""The verification queue in the admin (issue 11): pending requests first, oldest first, with
the time each waited. A request's page shows the gesture asked for, the selfie (served by a
staff-only view that logs each opening) next to the member's approved photos, and grants or
refuses through profiles.verification. Nobody adds, edits or deletes requests here.

Needs `profiles.view_verificationrequest` to see the queue and `profiles.review_verification`
to see selfies, decide and revoke a granted badge (members/roles.py, Moderators)."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from members.admin_mixins import ReadOnlyAdminMixin

from . import verification as services
from .models import VerificationRefusalReason, VerificationRequest, VerificationRevokeReason
from .photos import approved_photos


class VerificationDecisionForm(forms.Form):
    GRANT = "grant"
    REFUSE = "refuse"

    decision = forms.ChoiceField(choices=[(GRANT, _("Grant")), (REFUSE, _("Refuse"))])
    reason = forms.ChoiceField(
        label=_("Reason for a refusal"),
        choices=[("", "---------"), *VerificationRefusalReason.choices],
        required=False,
        help_text=_("The member receives this reason by mail, in their own language."),
    )

    def clean(self):
        data = super().clean()
        if data.get("decision") == self.REFUSE and not data.get("reason"):
            self.add_error("reason", _("Choose the reason for the refusal."))
        return data


class RevokeBadgeForm(forms.Form):
    revoke_reason = forms.ChoiceField(
        label=_("Reason for revoking"),
        choices=[("", "---------"), *VerificationRevokeReason.choices],
        help_text=_("The member receives this reason by mail, in their own language."),
    )


@admin.register(VerificationRequest)
class VerificationRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("requested_at", "member_username", "gesture", "status", "waiting")
    list_display_links = ("requested_at",)
    list_filter = ("status",)
    search_fields = ("member__username",)
    list_select_related = ("member",)
    list_per_page = 50
    actions = None

    def get_ordering(self, request):
        pending_first = Case(
            When(status=VerificationRequest.Status.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [pending_first.asc(), "created_at", "pk"]

    def has_review_permission(self, request):
        return request.user.is_active and request.user.has_perm(services.REVIEW_PERMISSION)

    @admin.display(description=_("requested at"), ordering="created_at")
    def requested_at(self, obj):
        return timezone.localtime(obj.created_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("member"), ordering="member__username")
    def member_username(self, obj):
        return obj.member.username

    @admin.display(description=_("waiting"))
    def waiting(self, obj):
        return timesince(obj.created_at, obj.decided_at or timezone.now())

    # -- the review page -----------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        verification = self.get_object(request, unquote(object_id))
        if verification is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, verification):
            raise PermissionDenied
        can_review = self.has_review_permission(request)
        form, revoke_form = VerificationDecisionForm(), RevokeBadgeForm()
        if request.method == "POST":
            if not can_review:
                raise PermissionDenied
            if "revoke" in request.POST:
                revoke_form = RevokeBadgeForm(request.POST)
                if revoke_form.is_valid() and self._revoke(
                    request, verification, revoke_form.cleaned_data["revoke_reason"]
                ):
                    return redirect(request.path)
            else:
                form = VerificationDecisionForm(request.POST)
                if form.is_valid() and self._decide(request, verification, form.cleaned_data):
                    return redirect(reverse("admin:profiles_verificationrequest_changelist"))
            verification.refresh_from_db()
        gesture = services.gesture(verification.gesture)
        shows_selfie = can_review and verification.is_pending and bool(verification.selfie.name)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Verification request of %(member)s")
            % {"member": verification.member.username},
            "subtitle": None,
            "opts": self.opts,
            "original": verification,
            "verification": verification,
            "gesture": gesture,
            "selfie_url": (
                reverse("profiles:verification_selfie", args=[verification.public_id])
                if shows_selfie
                else None
            ),
            # Only for reviewers: photos are the content to compare the selfie with.
            "photos": list(approved_photos(member=verification.member)) if can_review else [],
            "waited": timesince(verification.created_at, verification.decided_at or timezone.now()),
            "form": form,
            "can_review": can_review and verification.is_pending,
            "revoke_form": revoke_form,
            # A granted badge nobody revoked can be taken back (photos changed, impersonation).
            "can_revoke": can_review
            and verification.status == VerificationRequest.Status.GRANTED
            and verification.revoked_at is None,
            "badge_shown": services.badge_grant(verification.member) == verification
            and services.is_verified(verification.member),
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "profiles/verification/admin_review.html", context)

    def _revoke(self, request, verification, reason) -> bool:
        try:
            services.revoke_verification(
                verification=verification, moderator=request.user, reason=reason
            )
        except services.VerificationRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return False
        self.message_user(
            request,
            _("Badge revoked: the member no longer has it and is told why by mail."),
            messages.SUCCESS,
        )
        return True

    def _decide(self, request, verification, data) -> bool:
        try:
            if data["decision"] == VerificationDecisionForm.GRANT:
                services.grant_verification(verification=verification, moderator=request.user)
                self.message_user(
                    request,
                    _("Verification granted: the member has the badge and is told by mail."),
                    messages.SUCCESS,
                )
            else:
                services.refuse_verification(
                    verification=verification, moderator=request.user, reason=data["reason"]
                )
                self.message_user(
                    request,
                    _("Verification refused: the member is told why by mail."),
                    messages.SUCCESS,
                )
        except services.VerificationRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return False
        return True
