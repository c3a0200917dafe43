"""Admin for messaging: only the receiving settings, read-only, so the helpdesk can answer
"why do I get no mail about messages?" (with `messaging.view_receivingsettings`).

Conversations and messages are deliberately not registered: message text is seen only by
moderators, only for reported messages, through the moderation queue (R9.2, R10.1).
"""

from django.contrib import admin

from members.admin_mixins import ReadOnlyAdminMixin

from .models import ReceivingSettings


@admin.register(ReceivingSettings)
class ReceivingSettingsAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "member",
        "accepts_messages",
        "only_matching",
        "only_verified",
        "max_new_per_day",
        "notify",
        "digest_sent_at",
        "updated_at",
    )
    list_filter = ("notify", "accepts_messages", "only_matching")
    search_fields = ("member__username",)
    list_select_related = ("member",)
    fields = list_display
    readonly_fields = fields
