"""Privacy in the admin (R9.2 least privilege).

- Privacy statement versions: written and published by superusers and holders of
  `privacy.publish_privacystatement` only. A published version is read-only and cannot be
  deleted: members accepted that very text.
- The consent ledger, processing limits and statement acceptances: read-only for everyone
  (append-only records, changed only by the member's own choices); visible to roles with the
  view permission (Helpdesk, to answer members' questions).
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from members.admin_mixins import ReadOnlyAdminMixin

from . import services
from .models import ConsentRecord, PrivacyStatement, ProcessingLimitRecord, StatementAcceptance

PUBLISH_PERMISSION = "privacy.publish_privacystatement"


@admin.register(PrivacyStatement)
class PrivacyStatementAdmin(admin.ModelAdmin):
    list_display = ("version", "published_at", "created_at")
    list_filter = ("published_at",)
    search_fields = ("version",)
    ordering = ("-created_at",)
    fields = (
        "version",
        "text_nl",
        "text_en",
        "changes_nl",
        "changes_en",
        "created_at",
        "published_at",
    )
    actions = ["publish"]

    @staticmethod
    def _may_edit(request) -> bool:
        return request.user.has_perm(PUBLISH_PERMISSION)

    def has_module_permission(self, request):
        return self._may_edit(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_edit(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request):
        return self._may_edit(request)

    def has_change_permission(self, request, obj=None):
        # Published versions are shown read-only (view permission), never changed.
        return self._may_edit(request) and (obj is None or obj.published_at is None)

    def has_delete_permission(self, request, obj=None):
        return self._may_edit(request) and obj is not None and obj.published_at is None

    def has_publish_permission(self, request):
        return self._may_edit(request)

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and obj.published_at is not None:
            return self.fields
        return ("created_at", "published_at")

    def get_actions(self, request):
        actions = super().get_actions(request)
        # Bulk deletion would bypass the "published is kept" rule above.
        actions.pop("delete_selected", None)
        return actions

    @admin.action(description=_("Publish the selected version"), permissions=["publish"])
    def publish(self, request, queryset):
        published = 0
        for statement in queryset.filter(published_at__isnull=True).order_by("created_at"):
            published += services.publish_statement(statement=statement, staff=request.user)
        if published:
            self.message_user(
                request,
                ngettext(
                    "%(count)d version published: members are asked to read it on their next "
                    "visit.",
                    "%(count)d versions published: members are asked to read the latest on "
                    "their next visit.",
                    published,
                )
                % {"count": published},
                messages.SUCCESS,
            )
        else:
            self.message_user(
                request,
                _("Nothing to publish: the selection was published already."),
                messages.WARNING,
            )


class ReadOnlyLedgerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Append-only records: nobody adds, changes or deletes them in admin."""

    list_select_related = ("member",)
    search_fields = ("member__username",)
    date_hierarchy = None


@admin.register(ConsentRecord)
class ConsentRecordAdmin(ReadOnlyLedgerAdmin):
    list_display = ("member", "purpose", "granted", "wording_version", "source", "created_at")
    list_filter = ("purpose", "granted", "source")
    fields = list_display
    readonly_fields = list_display


@admin.register(ProcessingLimitRecord)
class ProcessingLimitRecordAdmin(ReadOnlyLedgerAdmin):
    list_display = ("member", "kind", "active", "source", "created_at")
    list_filter = ("kind", "active", "source")
    fields = list_display
    readonly_fields = list_display


@admin.register(StatementAcceptance)
class StatementAcceptanceAdmin(ReadOnlyLedgerAdmin):
    list_display = ("member", "version", "source", "accepted_at")
    list_filter = ("version", "source")
    fields = list_display
    readonly_fields = list_display


# The staff access log (superusers only, read-only) is registered by its own module.
from . import access_log_admin  # noqa: E402, F401
from .request_admin import PrivacyRequestAdmin  # noqa: E402, F401  (registers itself)
