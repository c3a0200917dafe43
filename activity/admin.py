"""Failed log-ins in admin: superusers only (least privilege: the roles of helpdesk and
moderators need no view of who tried to log in where). Read-only; rows go with the retention
period or the member's erasure."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from members.admin_mixins import SuperuserLogAdminMixin

from .models import FailedLogin


@admin.register(FailedLogin)
class FailedLoginAdmin(SuperuserLogAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "reason", "member", "ip_digest")
    list_display_links = ("created_at",)
    list_filter = ("reason", "created_at")
    date_hierarchy = "created_at"
    search_fields = ("member__username", "=ip_digest")
    search_help_text = _("Search by the member's username or the hashed IP address.")
    list_select_related = ("member",)
