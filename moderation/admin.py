"""The report queue for the Moderators group (R10.1, R9.2).

The list shows cases, never content; a case's page shows its reported items only (each view
logged in ContentAccessLog) and takes the decisions, each through moderation.services. Nobody
adds, edits or deletes reports here, and no page shows a member's e-mail address. The access
log is for superusers only.
"""

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Value, When
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _

from . import registry, services
from .forms import DecisionForm
from .models import ContentAccessLog, Report

SUCCESS_MESSAGES = {
    DecisionForm.DISMISS: _(
        "The report is dismissed; content the site held back, if any, is delivered."
    ),
    DecisionForm.REMOVE: _("The chosen content is removed."),
    DecisionForm.WARN: _("The member is warned by mail."),
    DecisionForm.SUSPEND: _("The member is suspended and told by mail."),
}


def kind_label(content_type) -> str:
    try:
        return str(registry.entry_for_content_type(content_type).verbose_name)
    except registry.NotRegistered:
        return content_type.model


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    list_display = (
        "reported_at",
        "reason",
        "kind",
        "item_count",
        "reporter_count",
        "status",
        "decision",
        "waiting",
    )
    list_display_links = ("reported_at",)
    list_filter = ("status", "reason")
    list_select_related = ("content_type",)
    list_per_page = 50
    actions = None

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                item_total=Count("items", distinct=True),
                reporter_total=Count("notices", distinct=True),
            )
        )

    def get_ordering(self, request):
        open_first = Case(
            When(status=Report.Status.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [open_first.asc(), "created_at", "pk"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("reported at"), ordering="created_at")
    def reported_at(self, obj):
        return timezone.localtime(obj.created_at).strftime("%Y-%m-%d %H:%M")

    @admin.display(description=_("kind"))
    def kind(self, obj):
        return kind_label(obj.content_type)

    @admin.display(description=_("items"), ordering="item_total")
    def item_count(self, obj):
        return obj.item_total

    @admin.display(description=_("reporters"), ordering="reporter_total")
    def reporter_count(self, obj):
        return obj.reporter_total

    @admin.display(description=_("waiting"))
    def waiting(self, obj):
        end = obj.decided_at if obj.decided_at else timezone.now()
        return timesince(obj.created_at, end)

    # -- the case page --------------------------------------------------------------------------

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, unquote(object_id))
        if report is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, report):
            raise PermissionDenied
        can_decide = self.has_change_permission(request, report)
        item_ids = [str(pk) for pk in report.items.values_list("pk", flat=True)]
        choices = [(pk, pk) for pk in item_ids]
        if request.method == "POST":
            if not can_decide:
                raise PermissionDenied
            form = DecisionForm(request.POST, item_choices=choices)
            if form.is_valid():
                self._decide(request, report, form.cleaned_data)
                return redirect(request.path)
        else:
            initial = {"items": item_ids} if len(item_ids) == 1 else {}
            form = DecisionForm(item_choices=choices, initial=initial)
        items = services.reported_items_for_review(report=report, staff=request.user)
        earlier = services.earlier_decisions(report=report)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Report %(reference)s") % {"reference": report.public_id},
            "subtitle": None,
            "opts": self.opts,
            "original": report,
            "report": report,
            "kind": kind_label(report.content_type),
            "reported_member": report.reported_member.username if report.reported_member else None,
            "notices": list(report.notices.order_by("created_at", "pk")),
            "items": items,
            "checked_items": {str(pk) for pk in (form["items"].value() or [])},
            "removable": any(not item.removed and item.described for item in items),
            "history": list(report.decisions.select_related("moderator")),
            "earlier": earlier,
            "waited": timesince(report.created_at, report.decided_at or timezone.now()),
            "form": form,
            "can_decide": can_decide,
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/moderation/report/review.html", context)

    def _decide(self, request, report, data):
        action = data["action"]
        note = data.get("note", "")
        try:
            if action == DecisionForm.DISMISS:
                services.dismiss_report(report=report, moderator=request.user, note=note)
            elif action == DecisionForm.REMOVE:
                services.remove_reported_content(
                    report=report,
                    moderator=request.user,
                    note=note,
                    item_ids=[int(pk) for pk in data["items"]],
                )
            elif action == DecisionForm.WARN:
                services.warn_member(report=report, moderator=request.user, note=note)
            elif action == DecisionForm.SUSPEND:
                services.suspend_reported_member(report=report, moderator=request.user, note=note)
        except services.DecisionRefused as refused:
            self.message_user(request, refused.message, messages.ERROR)
            return
        self.message_user(request, SUCCESS_MESSAGES[action], messages.SUCCESS)


@admin.register(ContentAccessLog)
class ContentAccessLogAdmin(admin.ModelAdmin):
    """Who was shown whose reported content, when. Superusers only; nobody edits it."""

    list_display = ("viewed_at", "staff", "kind", "object_id", "author", "report")
    list_filter = ("viewed_at",)
    search_fields = ("staff__username",)
    list_select_related = ("staff", "author", "report", "content_type")
    list_per_page = 100

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("kind"))
    def kind(self, obj):
        return kind_label(obj.content_type)
