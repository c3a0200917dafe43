from django.contrib import admin
from django.db.models import Case, IntegerField, Value, When
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from members.admin_mixins import ReadOnlyAdminMixin
from moderation.reasons import PhotoRejectionReason

from .models import Interest, Photo, Place


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Photos, to look up (R10.1): pending first, oldest first. Decisions on photos are taken
    in the moderation queue, where new photos wait as cases (profiles.moderated_content);
    this list only shows them. Photos come from members: no adding, editing or deleting."""

    list_display = (
        "thumbnail_preview",
        "member_username",
        "status",
        "hidden",
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
        "hidden_at",
        "reason_label",
        "is_main",
        "width",
        "height",
        "created_at",
        "reviewed_at",
        "reviewed_by",
    )
    readonly_fields = fields
    actions = None

    def get_ordering(self, request):
        pending_first = Case(
            When(status=Photo.Status.PENDING, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [pending_first.asc(), "created_at"]

    @admin.display(description=_("photo"))
    def thumbnail_preview(self, obj):
        if not obj.image.name:  # being processed, or failed: no file to show yet
            return obj.get_status_display()
        return format_html(
            '<img src="{}" width="80" height="80" alt="{}">',
            reverse("profiles:photo_file", args=[obj.public_id, "thumb"]),
            _("Photo of %(member)s") % {"member": obj.member.username},
        )

    @admin.display(description=_("photo"))
    def full_preview(self, obj):
        if not obj.image.name:
            return obj.get_status_display()
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

    @admin.display(description=_("hidden pending review"), boolean=True)
    def hidden(self, obj):
        return obj.hidden_at is not None

    @admin.display(description=_("reason"))
    def reason_label(self, obj):
        if obj.rejection_reason in PhotoRejectionReason.values:
            return PhotoRejectionReason(obj.rejection_reason).label
        return obj.rejection_reason or "-"


class ReadOnlyAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Reference data, loaded by migrations: staff may look, not change."""


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


# The verification queue (issue 11) lives in its own module; importing it registers it.
from . import verification_admin  # noqa: E402, F401
