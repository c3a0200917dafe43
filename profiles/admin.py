from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Case, IntegerField, Value, When
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from moderation.reasons import PhotoRejectionReason

from . import photos as photo_services
from .models import Interest, Photo, Place

REVIEW_PERMISSION = "profiles.review_photo"


class RejectPhotosForm(forms.Form):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[("", "---------"), *PhotoRejectionReason.choices],
        help_text=_("The member receives this reason by mail, in their own language."),
    )


@admin.register(Photo)
class PhotoAdmin(admin.ModelAdmin):
    """The review queue (R10.1): pending photos first, oldest first. Moderators approve or reject
    with a reason; photos come from members, so there is no adding and no editing of files."""

    list_display = (
        "thumbnail_preview",
        "member_username",
        "status",
        "is_main",
        "created_at",
        "reason_label",
        "reviewed_at",
    )
    list_display_links = ("member_username",)
    list_filter = ("status", "created_at")
    search_fields = ("member__username",)
    list_select_related = ("member",)
    list_per_page = 50
    fields = (
        "full_preview",
        "member_username",
        "status",
        "reason_label",
        "is_main",
        "width",
        "height",
        "created_at",
        "reviewed_at",
        "reviewed_by",
    )
    readonly_fields = fields
    actions = ["approve_selected", "reject_selected"]

    def get_ordering(self, request):
        pending_first = Case(
            When(status=Photo.Status.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [pending_first.asc(), "created_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # Members delete their own photos (files included); staff reject.
        return False

    def has_review_permission(self, request):
        return request.user.has_perm(REVIEW_PERMISSION)

    @admin.display(description=_("photo"))
    def thumbnail_preview(self, obj):
        return format_html(
            '<img src="{}" width="80" height="80" alt="{}">',
            reverse("profiles:photo_file", args=[obj.public_id, "thumb"]),
            _("Photo of %(member)s") % {"member": obj.member.username},
        )

    @admin.display(description=_("photo"))
    def full_preview(self, obj):
        return format_html(
            '<a href="{0}"><img src="{0}" width="{1}" height="{2}" alt="{3}"></a>',
            reverse("profiles:photo_file", args=[obj.public_id, "full"]),
            min(obj.width, 480),
            round(obj.height * min(obj.width, 480) / max(obj.width, 1)),
            _("Photo of %(member)s") % {"member": obj.member.username},
        )

    @admin.display(description=_("member"), ordering="member__username")
    def member_username(self, obj):
        return obj.member.username

    @admin.display(description=_("reason"))
    def reason_label(self, obj):
        if obj.rejection_reason in PhotoRejectionReason.values:
            return PhotoRejectionReason(obj.rejection_reason).label
        return obj.rejection_reason or "-"

    @admin.action(description=_("Approve selected photos"), permissions=["review"])
    def approve_selected(self, request, queryset):
        count = photo_services.approve_photos(photos=queryset, moderator=request.user)
        self.message_user(
            request,
            ngettext("%(count)d photo approved.", "%(count)d photos approved.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Reject selected photos…"), permissions=["review"])
    def reject_selected(self, request, queryset):
        """First shows a page to choose the reason; rejects once that page is confirmed."""
        form = RejectPhotosForm(request.POST if "confirm" in request.POST else None)
        if form.is_valid():
            reason = form.cleaned_data["reason"]
            count = 0
            for photo in queryset.select_related("member"):
                photo_services.reject_photo(photo=photo, moderator=request.user, reason=reason)
                count += 1
            self.message_user(
                request,
                ngettext(
                    "%(count)d photo rejected; its owner is told by mail.",
                    "%(count)d photos rejected; their owners are told by mail.",
                    count,
                )
                % {"count": count},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Reject photos"),
            "opts": self.model._meta,
            "photos": queryset.select_related("member"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "reject_selected",
        }
        return TemplateResponse(request, "admin/profiles/photo/reject.html", context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Reference data, loaded by migrations: staff may look, not change."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Place)
class PlaceAdmin(ReadOnlyAdmin):
    list_display = ("name", "country", "region", "population")
    list_filter = ("country",)
    search_fields = ("name", "search_name")
    # Centre coordinates stay out of the lists (they are reference data, but never needed here).
    exclude = ("latitude", "longitude")


@admin.register(Interest)
class InterestAdmin(ReadOnlyAdmin):
    list_display = ("slug", "name_nl", "name_en", "position")
    search_fields = ("slug", "name_nl", "name_en")
