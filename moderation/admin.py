"""The staff side of moderation in admin (issue 11 "Review" and "Misuse"; R10.1, R9.2).

- Cases (`Report`): one queue across photos, texts, messages, accounts and appeals, open and
  urgent first, then the oldest; each case's page shows the reported content only (every view
  logged), the notices without who sent them, the member's earlier decisions and strikes, the
  private notes and the full history, and takes the decision with its statement of reasons.
- Statements of reasons (read-only), with the export for the EU Transparency Database and the
  yearly summary (moderation.transparency).
- Read-only lists of account restrictions, appeals and reporters' standing.
- Trusted flaggers (DSA Art. 22): superusers keep the list, moderators see it.
- The admin index shows how many urgent cases wait, and how many missed the target of a
  first look (templatetags/moderation_admin.py).
- The audit log (`ModerationAction`) and the content access log: superusers only, and nobody
  adds, changes or deletes a row, superusers included.

Every write goes through moderation.services; this module only shows and asks. No page shows a
member's e-mail address, and no page names who reported.
"""

import json
from datetime import timedelta

from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Q, Value, When
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.timesince import timesince
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from members.admin_mixins import ReadOnlyAdminMixin

from . import registry, sanctions, services, transparency, urgent
from .forms import (
    AppealDecisionForm,
    CaseNoteForm,
    DecisionForm,
    OpenCaseForm,
    StatementExportForm,
)
from .models import (
    Appeal,
    ContentAccessLog,
    Decision,
    ModerationAction,
    Report,
    ReporterStanding,
    Sanction,
    Statement,
    TrustedFlagger,
)
from .reasons import SYSTEM_CATEGORIES, Category, Priority

POLICE_PERMISSION = services.POLICE_PERMISSION
STATEMENT_VIEW_PERMISSION = "moderation.view_statement"

SUCCESS_MESSAGES = {
    DecisionForm.DISMISS: _(
        "The case is dismissed; content the site held back, if any, is delivered."
    ),
    DecisionForm.REMOVE: _("The chosen content is removed; the member gets the statement."),
    DecisionForm.RESTRICT: _("The account is restricted; the member gets the statement."),
    DecisionForm.SUSPEND: _("The account is suspended; the member gets the statement."),
    DecisionForm.CLOSE: _("The account is closed; the member gets the statement."),
}

# What the audit log's action codes mean, for people (other codes are shown as they are).
ACTION_LABELS = {
    "case.hidden_pending_review": _("Hidden pending review"),
    "notice.confirmed_by_flagger": _("A trusted flagger confirmed its report"),
    "case.note_added": _("Note added"),
    "case.passed_to_police": _("Marked as passed to the police"),
    "appeal.filed": _("Appeal filed"),
    "appeal.upheld": _("Appeal decided: decision upheld"),
    "appeal.reversed": _("Appeal decided: decision reversed"),
    "case.reopened": _("Case reopened: its dismissal was reversed on appeal"),
    "item.removed": _("Item removed"),
    "item.restored": _("Item restored"),
    "reporter.deprioritised": _("A reporter's reports are handled last from now on"),
    "reporter.restored": _("A reporter's reports are handled as usual again"),
}


# Actions the site takes by itself (no staff member).
SITE_ACTIONS = ("case.hidden_pending_review", "ladder.", "sanction.ended.", "reporter.")
# Actions of the person who reported.
REPORTER_ACTIONS = ("notice.confirmed_by_flagger",)


def action_label(code: str) -> str:
    if code in ACTION_LABELS:
        return str(ACTION_LABELS[code])
    prefix, _dot, rest = code.partition(".")
    if code.startswith("ladder.reversed.") and code.rsplit(".", 1)[1] in Decision.values:
        label = Decision(code.rsplit(".", 1)[1]).label
        return gettext("Strike ladder's decision reversed: %(decision)s") % {"decision": label}
    if prefix in ("decision", "ladder") and rest in Decision.values:
        label = Decision(rest).label
        if prefix == "ladder":
            return gettext("Strike ladder: %(decision)s") % {"decision": label}
        return str(label)
    if code.startswith("sanction.ended."):
        kind = code.rsplit(".", 1)[1]
        if kind in Sanction.Kind.values:
            return gettext("Ended by itself: %(kind)s") % {"kind": Sanction.Kind(kind).label}
    return code


def actor(entry: ModerationAction) -> str:
    """Who did what an audit log entry records, in words."""
    if entry.staff_id is not None:
        return entry.staff.username
    if entry.action == "appeal.filed":
        return gettext("the person appealing")
    if entry.action in REPORTER_ACTIONS:
        return gettext("the trusted flagger")
    if entry.action.startswith(SITE_ACTIONS):
        return gettext("the site")
    return "—"  # a staff account erased since


def kind_label(content_type) -> str:
    try:
        return str(registry.entry_for_content_type(content_type).verbose_name)
    except registry.NotRegistered:
        return content_type.model


def duration_text(value: timedelta | None) -> str:
    """A handling time in words a moderator reads at a glance ("5.5 hours", "3.2 days")."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    amount = round(hours, 1) if hours < 48 else round(hours / 24, 1)
    # "1 hour", "1.5 hours" (in Dutch "1,5 uur"): singular only for exactly one.
    count = 1 if amount == 1 else 2
    shown = {"n": number_format(amount, decimal_pos=0 if amount == int(amount) else 1)}
    if hours < 48:
        return ngettext("%(n)s hour", "%(n)s hours", count) % shown
    return ngettext("%(n)s day", "%(n)s days", count) % shown


def case_link(report) -> str:
    if report is None:
        return "—"
    url = reverse("admin:moderation_report_change", args=[report.pk])
    return format_html('<a href="{}">{}</a>', url, report.public_id)


class ModerationAdmin(admin.ModelAdmin):
    """Moderation's admin pages share a style sheet (readable content, and admin's own
    filter links and breadcrumbs made WCAG 2.2 AA)."""

    class Media:
        css = {"all": ["moderation/case_admin.css"]}


class ReadOnlyAdmin(ReadOnlyAdminMixin, ModerationAdmin):
    """Lists and pages to look at: nobody adds, changes or deletes here."""

    actions = None


# -- the queue ----------------------------------------------------------------------------------


class KindFilter(admin.SimpleListFilter):
    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return [(entry.kind, capfirst(entry.verbose_name)) for entry in registry.entries()]

    def queryset(self, request, queryset):
        if self.value() is None:
            return queryset
        try:
            entry = registry.entry_for_kind(self.value())
        except registry.NotRegistered:
            return queryset.none()
        return queryset.filter(content_type=registry.content_type_of(entry.model))


class WaitingFilter(admin.SimpleListFilter):
    """How long an open case has been waiting."""

    title = _("waiting")
    parameter_name = "waiting"

    def lookups(self, request, model_admin):
        return [
            ("lt1", _("less than a day")),
            ("1to3", _("1 to 3 days")),
            ("gt3", _("more than 3 days")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        day, three = now - timedelta(days=1), now - timedelta(days=3)
        open_cases = queryset.filter(status=Report.Status.OPEN)
        if self.value() == "lt1":
            return open_cases.filter(created_at__gt=day)
        if self.value() == "1to3":
            return open_cases.filter(created_at__lte=day, created_at__gt=three)
        if self.value() == "gt3":
            return open_cases.filter(created_at__lte=three)
        return queryset


class YesNoFilter(admin.SimpleListFilter):
    condition = Q()

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(self.condition)
        if self.value() == "no":
            return queryset.exclude(self.condition)
        return queryset


class AppealFilter(YesNoFilter):
    title = _("appeal")
    parameter_name = "appeal"
    condition = Q(appeal_of__isnull=False)


class HiddenFilter(YesNoFilter):
    title = _("hidden pending review")
    parameter_name = "hidden"
    condition = Q(hidden_at__isnull=False, status=Report.Status.OPEN)


class FirstLookFilter(admin.SimpleListFilter):
    """Urgent cases against the target of a first look within
    MODERATION_URGENT_FIRST_LOOK_MINUTES."""

    title = _("first look")
    parameter_name = "first_look"

    def lookups(self, request, model_admin):
        return [
            ("waiting", _("urgent, not looked at yet")),
            ("overdue", _("urgent, waiting longer than the target")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(
                pk__in=urgent.urgent_open_cases().filter(first_looked_at__isnull=True).values("pk")
            )
        if self.value() == "overdue":
            return queryset.filter(pk__in=urgent.urgent_overdue_cases().values("pk"))
        return queryset


class TrustedFlaggerFilter(YesNoFilter):
    title = _("trusted flagger")
    parameter_name = "trusted"
    condition = Q(notices__trusted_flagger__isnull=False)

    def queryset(self, request, queryset):
        flagged = Report.objects.filter(self.condition).values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=flagged)
        if self.value() == "no":
            return queryset.exclude(pk__in=flagged)
        return queryset


class PoliceFilter(YesNoFilter):
    title = _("passed to the police")
    parameter_name = "police"
    condition = Q(police_notified_at__isnull=False)


@admin.register(Report)
class ReportAdmin(ModerationAdmin):
    list_display = (
        "reference",
        "reason",
        "priority_label",
        "kind",
        "item_count",
        "reporter_count",
        "waited",
        "state",
        "appeal_marker",
    )
    list_display_links = ("reference",)
    list_filter = (
        "status",
        "reason",
        "priority",
        KindFilter,
        WaitingFilter,
        FirstLookFilter,
        TrustedFlaggerFilter,
        AppealFilter,
        HiddenFilter,
        PoliceFilter,
    )
    search_fields = ("=public_id", "=notices__public_id")
    search_help_text = _("The reference of a case, or of a report's receipt.")
    list_select_related = ("content_type",)
    list_per_page = 50
    actions = ["approve_new_photos"]
    change_list_template = "admin/moderation/report/change_list.html"
    # The police confirmation shows the case too (privacy.access_log).
    access_log_views = ("police",)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                item_total=Count("items", distinct=True),
                reporter_total=Count("notices", distinct=True),
                flagged=urgent.has_trusted_notice(),
            )
        )

    def get_ordering(self, request):
        """Open cases first, the most urgent first (reporters handled last are LOW), a
        trusted flagger's first within a priority (DSA Art. 22), then the oldest."""
        open_first = Case(
            When(status=Report.Status.OPEN, then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        return [
            open_first.asc(),
            "priority",
            urgent.has_trusted_notice().desc(),
            "created_at",
            "pk",
        ]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        return super().changelist_view(
            request,
            {
                "title": _("Cases"),
                "can_open_case": request.user.has_perm(services.DECIDE_PERMISSION),
                **(extra_context or {}),
            },
        )

    # -- columns --------------------------------------------------------------------------------

    @admin.display(description=_("reference"), ordering="created_at")
    def reference(self, obj):
        return obj.public_id

    @admin.display(description=_("priority"), ordering="priority")
    def priority_label(self, obj):
        label = obj.get_priority_display()
        if obj.priority == Priority.URGENT:
            return format_html('<strong class="case-urgent">{}</strong>', label)
        return label

    @admin.display(description=_("kind"))
    def kind(self, obj):
        return capfirst(kind_label(obj.content_type))

    @admin.display(description=_("items"), ordering="item_total")
    def item_count(self, obj):
        return obj.item_total

    @admin.display(description=_("reports"), ordering="reporter_total")
    def reporter_count(self, obj):
        if not obj.reporter_total and obj.reason in SYSTEM_CATEGORIES:
            return gettext("held by the site")
        return obj.reporter_total

    @admin.display(description=_("waited"))
    def waited(self, obj):
        return timesince(obj.created_at, obj.decided_at or timezone.now())

    @admin.display(description=_("status"), ordering="status")
    def state(self, obj):
        if not obj.is_open:
            return obj.get_decision_display()
        parts = [str(obj.get_status_display())]
        if getattr(obj, "flagged", False):
            parts.append(gettext("trusted flagger"))
        if obj.hidden_at is not None:
            parts.append(gettext("hidden pending review"))
        if obj.police_notified_at is not None:
            parts.append(gettext("passed to the police"))
        return ", ".join(parts)

    @admin.display(description=_("appeal"))
    def appeal_marker(self, obj):
        return gettext("Appeal") if obj.appeal_of_id else "—"

    # -- bulk approval of new photos ------------------------------------------------------------

    @admin.action(description=_("Approve the selected new photos"), permissions=["change"])
    def approve_new_photos(self, request, queryset):
        chosen = list(queryset)
        photos = [report for report in chosen if report.reason == Category.NEW_PHOTO]
        approved = services.approve_held_cases(reports=photos, moderator=request.user)
        if approved:
            self.message_user(
                request,
                ngettext(
                    "%(count)s new photo approved.", "%(count)s new photos approved.", approved
                )
                % {"count": approved},
                messages.SUCCESS,
            )
        skipped = len(chosen) - approved
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)s selected case was skipped: only open new photos the site held "
                    "back, that nobody reported, are approved in bulk. Open it to decide.",
                    "%(count)s selected cases were skipped: only open new photos the site held "
                    "back, that nobody reported, are approved in bulk. Open them to decide.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )

    # -- the case page --------------------------------------------------------------------------

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("open/", self.admin_site.admin_view(self.open_view), name=f"{info}_open"),
            path(
                "<path:object_id>/police/",
                self.admin_site.admin_view(self.police_view),
                name=f"{info}_police",
            ),
            *super().get_urls(),
        ]

    def open_view(self, request):
        """Opens a case on the site's own initiative: the only way to act on an account
        without a report, so that every restriction or suspension has its statement."""
        if not request.user.has_perm(services.DECIDE_PERMISSION):
            raise PermissionDenied
        form = OpenCaseForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                report = services.open_case(
                    staff=request.user,
                    item=form.item,
                    category=form.cleaned_data["category"],
                    note=form.cleaned_data["note"],
                )
            except services.DecisionRefused as refused:
                form.add_error(None, refused.message)
            else:
                self.message_user(
                    request,
                    gettext("Case %(reference)s is open: decide it here.")
                    % {"reference": report.public_id},
                    messages.SUCCESS,
                )
                return redirect(reverse("admin:moderation_report_change", args=[report.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Open a case"),
            "opts": self.opts,
            "media": self.media + form.media,
            "form": form,
            "has_view_permission": True,
        }
        return TemplateResponse(request, "admin/moderation/report/open.html", context)

    def _case(self, request, object_id):
        report = self.get_object(request, unquote(object_id))
        if report is None:
            raise Http404
        if not self.has_view_or_change_permission(request, report):
            raise PermissionDenied
        return report

    def change_view(self, request, object_id, form_url="", extra_context=None):
        report = self.get_object(request, unquote(object_id))
        if report is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, report):
            raise PermissionDenied
        can_decide = self.has_change_permission(request, report)
        # The urgent queue's target is a first look; opening the page is one.
        services.record_first_look(report=report, staff=request.user)
        appeal = Appeal.objects.filter(case=report).select_related("decision").first()
        bound = {}
        if request.method == "POST":
            if not can_decide:
                raise PermissionDenied
            which = request.POST.get("form")
            if which == "note":
                done, bound["note"] = self._add_note(request, report)
            elif which == "decision" and appeal is None:
                done, bound["decision"] = self._decide(request, report)
            elif which == "appeal" and appeal is not None:
                done, bound["appeal"] = self._decide_appeal(request, appeal)
            else:
                done = True
            if done:
                return redirect(request.path)
        return self._case_page(request, report, appeal, can_decide, bound, extra_context)

    def _item_choices(self, report):
        return [
            (str(pk), str(pk))
            for pk in report.items.filter(removed_at__isnull=True).values_list("pk", flat=True)
        ]

    def _add_note(self, request, report):
        form = CaseNoteForm(request.POST)
        if form.is_valid():
            try:
                services.add_case_note(
                    report=report, staff=request.user, text=form.cleaned_data["text"]
                )
            except services.DecisionRefused as refused:
                form.add_error(None, refused.message)
            else:
                self.message_user(request, gettext("The note is added."), messages.SUCCESS)
                return True, form
        return False, form

    def _decide(self, request, report):
        form = DecisionForm(request.POST, item_choices=self._item_choices(report))
        if form.is_valid():
            data = form.cleaned_data
            action = data["action"]
            try:
                services.decide_case(
                    report=report,
                    moderator=request.user,
                    action=action,
                    statement=form.statement_input(),
                    note=data["note"],
                    item_ids=[int(pk) for pk in data["items"]] if action == form.REMOVE else None,
                    days=data["days"] if action in form.PERIOD_ACTIONS else None,
                )
            except services.DecisionRefused as refused:
                form.add_error(None, refused.message)
            else:
                self.message_user(request, SUCCESS_MESSAGES[action], messages.SUCCESS)
                return True, form
        return False, form

    def _decide_appeal(self, request, appeal):
        form = AppealDecisionForm(request.POST)
        if form.is_valid():
            try:
                services.decide_appeal(
                    appeal=appeal,
                    moderator=request.user,
                    reverse=form.reverse,
                    reasons=form.cleaned_data["reasons"],
                )
            except services.DecisionRefused as refused:
                form.add_error(None, refused.message)
            else:
                if form.reverse:
                    text = gettext(
                        "The decision is reversed and its effect undone; the appellant is told."
                    )
                else:
                    text = gettext("The decision is upheld; the appellant is told.")
                self.message_user(request, text, messages.SUCCESS)
                return True, form
        return False, form

    def _case_page(self, request, report, appeal, can_decide, bound, extra_context):
        items = services.reported_items_for_review(report=report, staff=request.user)
        member = report.reported_member
        appealed = appealed_statement = None
        if appeal is not None:
            appealed = appeal.decision
            appealed_statement = Statement.objects.filter(decision=appealed).first()
        single = [str(item.item_id) for item in items if not item.removed]
        decision_form = bound.get("decision") or DecisionForm(
            item_choices=self._item_choices(report),
            initial={"items": single} if len(single) == 1 else {},
        )
        may_view_statements = request.user.has_perm(STATEMENT_VIEW_PERMISSION)
        decisions = list(report.decisions.select_related("moderator", "statement"))
        for decision in decisions:
            statement = getattr(decision, "statement", None)
            decision.statement_url = (
                reverse("admin:moderation_statement_change", args=[statement.pk])
                if statement is not None and may_view_statements
                else ""
            )
        notices = list(
            report.notices.select_related("trusted_flagger").order_by("created_at", "pk")
        )
        for notice in notices:
            notice.trusted = urgent.is_trusted(notice)
        history = services.case_history(report=report)
        for entry in history:
            entry.label = action_label(entry.action)
            entry.who = actor(entry)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Case %(reference)s") % {"reference": report.public_id},
            "subtitle": None,
            "opts": self.opts,
            "media": self.media,
            "original": report,
            "report": report,
            "urgent": report.priority == Priority.URGENT,
            "kind": kind_label(report.content_type),
            "reported_member": member.username if member is not None else None,
            "waited": timesince(report.created_at, report.decided_at or timezone.now()),
            "items": items,
            "checked_items": {str(pk) for pk in (decision_form["items"].value() or [])},
            "notices": notices,
            "earlier": services.earlier_decisions(report=report),
            "strikes": services.strikes_in_force(member) if member is not None else None,
            "sanctions": list(sanctions.sanctions_of(member)) if member is not None else [],
            "notes": list(report.notes.select_related("author")),
            "decisions": decisions,
            "history": history,
            "appeal": appeal,
            "appealed": appealed,
            "appealed_statement": appealed_statement,
            "appealed_by_me": appealed is not None and appealed.moderator_id == request.user.pk,
            "can_decide": can_decide,
            # A form posted to a case decided meanwhile stays on the page with the refusal.
            "show_forms": can_decide
            and (report.is_open or bool({"decision", "appeal"} & set(bound))),
            "can_police": request.user.has_perm(POLICE_PERMISSION),
            "decision_form": decision_form,
            "appeal_form": bound.get("appeal") or AppealDecisionForm(),
            "note_form": bound.get("note") or CaseNoteForm(),
            "has_view_permission": True,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/moderation/report/case.html", context)

    def police_view(self, request, object_id):
        """Asks to confirm, then records that the case was passed to the police."""
        report = self._case(request, object_id)
        if not request.user.has_perm(POLICE_PERMISSION):
            raise PermissionDenied
        case_url = reverse("admin:moderation_report_change", args=[report.pk])
        if request.method == "POST":
            try:
                services.mark_passed_to_police(report=report, staff=request.user)
            except services.DecisionRefused as refused:
                self.message_user(request, refused.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("The case is marked as passed to the police."),
                    messages.SUCCESS,
                )
            return redirect(case_url)
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Pass case %(reference)s to the police")
            % {"reference": report.public_id},
            "opts": self.opts,
            "media": self.media,
            "original": report,
            "report": report,
            "case_url": case_url,
        }
        return TemplateResponse(request, "admin/moderation/report/police.html", context)


# -- statements of reasons and transparency -----------------------------------------------------


@admin.register(Statement)
class StatementAdmin(ReadOnlyAdmin):
    """Statements of reasons, read-only, with the Transparency Database export and the yearly
    summary. The member is not shown: a statement is about a decision."""

    list_display = (
        "public_id",
        "application_date",
        "decision_label",
        "category",
        "decision_ground",
        "automated_decision",
        "end_date",
        "case",
    )
    list_filter = ("category", "decision_ground", "automated_decision", "source_type")
    search_fields = ("=public_id", "=decision__report__public_id")
    search_help_text = _("The reference of a statement, or of its case.")
    list_select_related = ("decision", "decision__report")
    date_hierarchy = "application_date"
    change_list_template = "admin/moderation/statement/change_list.html"
    fields = (
        "public_id",
        "case",
        "decision_label",
        "decision_ground",
        "legal_ground",
        "terms_clause",
        "ground_explanation",
        "category",
        "decision_facts",
        "source_type",
        "automated_detection",
        "automated_decision",
        "content_date",
        "application_date",
        "end_date",
        "territorial_scope",
        "mailed_at",
        "record",
    )
    readonly_fields = fields

    @admin.display(description=_("decision"))
    def decision_label(self, obj):
        return obj.decision.get_decision_display()

    @admin.display(description=_("case"))
    def case(self, obj):
        return case_link(obj.decision.report)

    @admin.display(description=_("Transparency Database record"))
    def record(self, obj):
        return format_html(
            '<pre class="tdb-record">{}</pre>',
            json.dumps(transparency.transparency_record(obj), indent=2, ensure_ascii=False),
        )

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path("export/", wrap(self.export_view), name=f"{info}_export"),
            path("summary/", wrap(self.summary_view), name=f"{info}_summary"),
            *super().get_urls(),
        ]

    def _check(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied

    def export_view(self, request):
        """The statements of a period as JSON lines for the Transparency Database (streamed)."""
        self._check(request)
        form = StatementExportForm(request.GET or None)
        if form.is_bound and form.is_valid() and "download" in request.GET:
            start, end = form.cleaned_data["start"], form.cleaned_data["end"]
            response = StreamingHttpResponse(
                transparency.statements_jsonl(start, end),
                content_type="application/jsonl; charset=utf-8",
            )
            name = f"statements-{start or 'start'}-{end or timezone.localdate()}.jsonl"
            response["Content-Disposition"] = f'attachment; filename="{name}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Export for the Transparency Database"),
            "opts": self.opts,
            "media": self.media,
            "form": form,
        }
        return TemplateResponse(request, "admin/moderation/statement/export.html", context)

    def summary_view(self, request):
        """The yearly summary of moderation, on the page and as CSV."""
        self._check(request)
        this_year = timezone.localdate().year
        first = Report.objects.order_by("created_at").values_list("created_at", flat=True).first()
        first_year = timezone.localtime(first).year if first else this_year
        years = list(range(this_year, min(first_year, this_year) - 1, -1))
        try:
            year = int(request.GET.get("year", this_year))
        except ValueError:
            raise Http404("no such year") from None
        if year not in years:
            raise Http404("no such year")
        summary = transparency.yearly_summary(year)
        if request.GET.get("format") == "csv":
            response = HttpResponse(content_type="text/csv; charset=utf-8")
            response["Content-Disposition"] = f'attachment; filename="moderation-{year}.csv"'
            transparency.write_summary_csv(response, summary)
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": gettext("Moderation in %(year)s") % {"year": year},
            "opts": self.opts,
            "media": self.media,
            "summary": summary,
            "years": years,
            "year": year,
            "categories": [
                {
                    "label": notices["label"],
                    "notices": notices["count"],
                    "decisions": taken["count"],
                }
                for notices, taken in zip(
                    summary["notices"]["per_category"],
                    summary["decisions"]["per_category"],
                    strict=True,
                )
            ],
            "median": duration_text(summary["handling"]["median"]),
            "appeal_median": duration_text(summary["appeals"]["median"]),
        }
        return TemplateResponse(request, "admin/moderation/statement/summary.html", context)


# -- misuse (DSA Art. 23) and appeals: lists to look at -----------------------------------------


class InForceFilter(YesNoFilter):
    title = _("in force")
    parameter_name = "in_force"

    def queryset(self, request, queryset):
        in_force = sanctions.in_force().values("pk")
        if self.value() == "yes":
            return queryset.filter(pk__in=in_force)
        if self.value() == "no":
            return queryset.exclude(pk__in=in_force)
        return queryset


@admin.register(Sanction)
class SanctionAdmin(ReadOnlyAdmin):
    list_display = ("member_name", "kind", "starts_at", "ends_at", "ended_at", "in_force", "case")
    list_filter = ("kind", InForceFilter)
    search_fields = ("=member__username",)
    search_help_text = _("A member's username, exactly.")
    list_select_related = ("member", "report")
    ordering = ("-starts_at", "-pk")
    fields = ("member_name", "kind", "starts_at", "ends_at", "ended_at", "in_force", "case")
    readonly_fields = fields

    @admin.display(description=_("member"), ordering="member__username")
    def member_name(self, obj):
        return obj.member.username

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj):
        now = timezone.now()
        return (
            obj.ended_at is None
            and obj.starts_at <= now
            and (obj.ends_at is None or obj.ends_at > now)
        )

    @admin.display(description=_("case"))
    def case(self, obj):
        return case_link(obj.report)


@admin.register(Appeal)
class AppealAdmin(ReadOnlyAdmin):
    """Appeals, by whom (a role, never a name) and how they ended; each links to its case in
    the queue, where it is decided."""

    list_display = ("public_id", "created_at", "role", "outcome_label", "decided_at", "case_url")
    list_filter = ("outcome", "role")
    search_fields = ("=public_id", "=case__public_id")
    search_help_text = _("The reference of an appeal, or of its case.")
    list_select_related = ("case", "decision")
    ordering = ("-created_at", "-pk")
    fields = (
        "public_id",
        "created_at",
        "role",
        "explanation",
        "decision_appealed",
        "outcome_label",
        "reasons",
        "decided_at",
        "case_url",
    )
    readonly_fields = fields

    @admin.display(description=_("outcome"), ordering="outcome")
    def outcome_label(self, obj):
        return obj.get_outcome_display()

    @admin.display(description=_("decision appealed"))
    def decision_appealed(self, obj):
        return format_html(
            "{} ({})", obj.decision.get_decision_display(), case_link(obj.decision.report)
        )

    @admin.display(description=_("case"))
    def case_url(self, obj):
        return case_link(obj.case)


class HandledLastFilter(YesNoFilter):
    title = _("handled last")
    parameter_name = "handled_last"
    condition = Q(deprioritised_at__isnull=False)


@admin.register(ReporterStanding)
class ReporterStandingAdmin(ReadOnlyAdmin):
    """How members' reports turned out (DSA Art. 23(2)). Reporters are shown by number only,
    as on the case pages, where reporters are not named."""

    list_display = ("reporter", "founded", "unfounded", "deprioritised_at", "counts_then")
    list_filter = (HandledLastFilter,)
    ordering = ("-deprioritised_at", "-unfounded", "pk")
    fields = ("reporter", "founded", "unfounded", "deprioritised_at", "counts_then")
    readonly_fields = fields

    @admin.display(description=_("reporter"))
    def reporter(self, obj):
        return gettext("Member number %(number)s") % {"number": obj.member_id}

    @admin.display(description=_("counts when handled last"))
    def counts_then(self, obj):
        if obj.deprioritised_at is None:
            return "—"
        return gettext("%(founded)s founded, %(unfounded)s unfounded") % {
            "founded": obj.deprioritised_founded,
            "unfounded": obj.deprioritised_unfounded,
        }


# -- trusted flaggers (DSA Art. 22) -------------------------------------------------------------


@admin.register(TrustedFlagger)
class TrustedFlaggerAdmin(ModerationAdmin):
    """Who is trusted: one notice from a trusted flagger hides an account pending review, so
    only superusers add, change or remove one (no role holds those permissions); moderators
    see the list."""

    list_display = ("name", "identified_by", "active", "notice_count", "created_at")
    list_filter = ("active",)
    search_fields = ("name", "email", "email_domain")
    fields = ("name", "member", "email", "email_domain", "active", "note")
    raw_id_fields = ("member",)
    ordering = ("name", "pk")

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("member")
            .annotate(notice_total=Count("notices"))
        )

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return ("added_by_name", "created_at")
        return ()

    def get_fields(self, request, obj=None):
        fields = list(self.fields)
        if obj is not None:
            fields += ["added_by_name", "created_at"]
        return fields

    @admin.display(description=_("known by"))
    def identified_by(self, obj):
        parts = []
        if obj.member_id:
            parts.append(gettext("member %(name)s") % {"name": obj.member.username})
        if obj.email:
            parts.append(obj.email)
        if obj.email_domain:
            parts.append("@" + obj.email_domain)
        return ", ".join(parts)

    @admin.display(description=_("reports"), ordering="notice_total")
    def notice_count(self, obj):
        return obj.notice_total

    @admin.display(description=_("added by"))
    def added_by_name(self, obj):
        return obj.added_by.username if obj.added_by_id else "—"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.added_by = request.user
        obj.email_domain = obj.email_domain.strip().lstrip("@").lower()
        obj.email = obj.email.strip().lower()
        super().save_model(request, obj, form, change)


# -- the logs: superusers only, append-only ----------------------------------------------------


class SuperuserLogAdmin(ReadOnlyAdmin):
    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and request.user.is_superuser


@admin.register(ModerationAction)
class ModerationActionAdmin(SuperuserLogAdmin):
    """The audit log of moderator actions (who, what, which case and item, when, the
    statement). Append-only: no add, change or delete, for superusers neither."""

    list_display = (
        "created_at",
        "staff_name",
        "what",
        "case",
        "kind",
        "object_id",
        "statement_reference",
        "detail",
    )
    list_filter = ("action", ("staff", admin.RelatedOnlyFieldListFilter))
    search_fields = ("=statement_reference",)
    search_help_text = _("The reference of a statement of reasons.")
    list_select_related = ("staff", "report", "content_type")
    list_per_page = 100
    fields = list_display
    readonly_fields = fields

    @admin.display(description=_("staff member"), ordering="staff__username")
    def staff_name(self, obj):
        # None: the site itself (a hold, the strike ladder), or an erased staff account.
        return obj.staff.username if obj.staff_id else "—"

    @admin.display(description=_("action"), ordering="action")
    def what(self, obj):
        return action_label(obj.action)

    @admin.display(description=_("case"))
    def case(self, obj):
        return case_link(obj.report) if obj.report_id else "—"

    @admin.display(description=_("kind"))
    def kind(self, obj):
        return kind_label(obj.content_type) if obj.content_type_id else "—"


@admin.register(ContentAccessLog)
class ContentAccessLogAdmin(SuperuserLogAdmin):
    """Who was shown whose reported content, when. Superusers only; nobody edits it."""

    list_display = ("viewed_at", "staff", "kind", "object_id", "author", "report")
    list_filter = ("viewed_at",)
    search_fields = ("staff__username",)
    list_select_related = ("staff", "author", "report", "content_type")
    list_per_page = 100

    @admin.display(description=_("kind"))
    def kind(self, obj):
        return kind_label(obj.content_type)


# The list of blocked terms for profile texts (moderation.detection).
from . import detection_admin  # noqa: E402,F401
