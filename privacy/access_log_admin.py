"""The staff access log in admin (R9.2, issue 7): who looked at whose personal data, what and
when. Superusers only; nobody adds, changes or deletes a row here (rows go only with an
erasure, privacy/personal_data.py). Views of the log itself are not logged."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.admin_mixins import SuperuserLogAdminMixin

from .models import StaffAccessLog


@admin.register(StaffAccessLog)
class StaffAccessLogAdmin(SuperuserLogAdminMixin, admin.ModelAdmin):
    access_log = False  # privacy.access_log: the log's own pages are not written to it

    list_display = ("viewed_at", "staff", "member", "what", "path")
    list_display_links = ("viewed_at",)
    list_filter = (("staff", admin.RelatedOnlyFieldListFilter), "viewed_at")
    date_hierarchy = "viewed_at"
    search_fields = ("member__username",)
    search_help_text = _("Search by the member's username.")
    list_select_related = ("staff", "member")
