"""The staff access log in admin (R9.2, issue 7): who looked at whose personal data, what and
when. Superusers only; nobody adds, changes or deletes a row here (rows go only with an
erasure, privacy/personal_data.py). Views of the log itself are not logged."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.admin_mixins import ReadOnlyAdminMixin

from .models import StaffAccessLog


def _superuser(request) -> bool:
    return request.user.is_active and request.user.is_superuser


@admin.register(StaffAccessLog)
class StaffAccessLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    access_log = False  # privacy.access_log: the log's own pages are not written to it

    list_display = ("viewed_at", "staff", "member", "what", "path")
    list_display_links = ("viewed_at",)
    list_filter = (("staff", admin.RelatedOnlyFieldListFilter), "viewed_at")
    date_hierarchy = "viewed_at"
    search_fields = ("member__username",)
    search_help_text = _("Search by the member's username.")
    list_select_related = ("staff", "member")
    list_per_page = 100
    show_full_result_count = False
    fields = list_display
    readonly_fields = list_display
    actions = None

    def has_module_permission(self, request):
        return _superuser(request)

    def has_view_permission(self, request, obj=None):
        return _superuser(request)
