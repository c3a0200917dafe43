"""Privacy requests in the admin, for the Helpdesk group (R7.5, R7.6, R9.2).

The list shows each request's reference, type, status, dates and days left; an overdue request
says so in words ("Overdue by 3 days"), and a CSS class adds colour. Filters: status, type and
the deadline (overdue, due within 7 days, not overdue). Search: reference and the requester's
e-mail address. Open requests come first, the earliest due at the top.

A request's page shows the request read-only, the exchange (what the requester wrote, what
staff mailed them, internal notes), the attachments (downloaded through a staff-only view:
Content-Disposition attachment, never cached) and a form for each action; every action is a
service in privacy.request_actions, which also refuses what the page does not offer (an
export, restriction or erasure for an unverified requester). Seeing needs
`privacy.view_privacyrequest`; acting needs `privacy.process_privacyrequest`. Nobody adds or
deletes requests here: they come from the contact form and are erased after their retention.
"""

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Case, IntegerField, Value, When
from django.http import FileResponse, Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import request_actions as actions
from .models import DataExport, PrivacyRequest, RequestMessage

CLOSED = [PrivacyRequest.Status.DONE, PrivacyRequest.Status.REFUSED]
SOON_DAYS = actions.SUMMARY_DAYS


# -- the list --------------------------------------------------------------------------------


class DeadlineFilter(admin.SimpleListFilter):
    title = _("deadline")
    parameter_name = "deadline"

    def lookups(self, request, model_admin):
        return [
            ("overdue", _("Overdue")),
            ("soon", _("Due within 7 days")),
            ("on_time", _("Not overdue")),
        ]

    def queryset(self, request, queryset):
        now = timezone.now()
        open_requests = queryset.exclude(status__in=CLOSED)
        if self.value() == "overdue":
            return open_requests.filter(due_at__lte=now)
        if self.value() == "soon":
            return open_requests.filter(due_at__gt=now, due_at__lt=now + timedelta(days=SOON_DAYS))
        if self.value() == "on_time":
            return open_requests.filter(due_at__gt=now)
        return queryset


def deadline_class(privacy_request, now=None) -> str:
    if not privacy_request.is_open:
        return "request-deadline closed"
    if actions.is_overdue(privacy_request, now=now):
        return "request-deadline overdue"
    if actions.days_left(privacy_request, now=now) < SOON_DAYS:
        return "request-deadline due-soon"
    return "request-deadline"


# -- the action forms ------------------------------------------------------------------------


def _text(label, help_text="", required=True):
    return forms.CharField(
        label=label,
        help_text=help_text,
        required=required,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


class StartForm(forms.Form):
    pass


class ReplyForm(forms.Form):
    text = _text(_("Reply"), _("Mailed to the requester and kept on the request."))


class NoteForm(forms.Form):
    text = _text(_("Internal note"), _("For staff only: never mailed."))


class ExtendForm(forms.Form):
    months = forms.TypedChoiceField(
        label=_("Extend by"),
        choices=[(1, _("1 month")), (2, _("2 months"))],
        coerce=int,
        widget=forms.RadioSelect,
        initial=1,
    )
    reason = _text(
        _("Reason for the extension"),
        _("Mailed to the requester (GDPR Art. 12(3)). At most two months in all."),
    )


class RefuseForm(forms.Form):
    reason = _text(
        _("Reason for the refusal"),
        _(
            "Mailed to the requester, with their right to complain to the Autoriteit "
            "Persoonsgegevens. Closes the request."
        ),
    )


class CompleteForm(forms.Form):
    note = _text(
        _("Internal note (optional)"),
        _("The requester is mailed that the request was handled."),
        required=False,
    )


class RectificationForm(forms.Form):
    what_changed = _text(
        _("What was corrected"),
        _("Correct the data in the member's pages first; this records what was changed."),
    )


class ExportForm(forms.Form):
    pass


class RestrictForm(forms.Form):
    pass


class EraseForm(forms.Form):
    NOW = "now"
    LATER = "later"
    when = forms.ChoiceField(
        label=_("Erasure"),
        choices=[
            (NOW, _("Close the account and erase its data at once")),
            (LATER, _("Close the account now and erase it after the retention period")),
        ],
        widget=forms.RadioSelect,
    )
    confirm = forms.BooleanField(
        label=_("I checked that the requester asked to close and erase this account."),
        required=True,
    )


# action name -> (form, needs a verified requester, success message)
ACTIONS = {
    "start": (StartForm, False, _("The request is in progress.")),
    "reply": (ReplyForm, False, _("The reply is mailed to the requester.")),
    "note": (NoteForm, False, _("The note is added.")),
    "extend": (ExtendForm, False, _("The deadline is extended and the reason mailed.")),
    "refuse": (RefuseForm, False, _("The request is refused and the requester told why.")),
    "complete": (CompleteForm, False, _("The request is done and the requester told.")),
    "rectification": (RectificationForm, False, _("The rectification is recorded.")),
    "export": (
        ExportForm,
        True,
        _("The export is being prepared; the requester gets a download link by mail."),
    ),
    "restrict": (RestrictForm, True, _("Processing of the member's data is restricted.")),
    "erase": (EraseForm, True, _("The account is closed.")),
}


def run_action(name: str, privacy_request, staff, data: dict) -> None:
    if name == "start":
        actions.start_processing(request=privacy_request, staff=staff)
    elif name == "reply":
        actions.reply(request=privacy_request, text=data["text"], staff=staff)
    elif name == "note":
        actions.add_note(request=privacy_request, text=data["text"], staff=staff)
    elif name == "extend":
        actions.extend(
            request=privacy_request, months=data["months"], reason=data["reason"], staff=staff
        )
    elif name == "refuse":
        actions.refuse(request=privacy_request, reason=data["reason"], staff=staff)
    elif name == "complete":
        actions.complete(request=privacy_request, staff=staff, note=data["note"])
    elif name == "rectification":
        actions.record_rectification(
            request=privacy_request, staff=staff, what_changed=data["what_changed"]
        )
    elif name == "export":
        actions.send_export(request=privacy_request, staff=staff)
    elif name == "restrict":
        actions.restrict(request=privacy_request, staff=staff)
    elif name == "erase":
        actions.close_and_erase(
            request=privacy_request, staff=staff, immediately=data["when"] == EraseForm.NOW
        )


# -- the admin -------------------------------------------------------------------------------


@admin.register(PrivacyRequest)
class PrivacyRequestAdmin(admin.ModelAdmin):
    list_display = (
        "reference",
        "type",
        "status",
        "received",
        "due",
        "deadline",
        "verified",
        "member_name",
    )
    list_display_links = ("reference",)
    list_filter = ("status", "type", DeadlineFilter)
    search_fields = ("reference", "requester_email")
    list_select_related = ("member",)
    list_per_page = 50
    actions = None
    # The staff access log (privacy.access_log) also records attachment downloads.
    access_log_views = ("attachment",)

    class Media:
        css = {"all": ["privacy/request_admin.css"]}

    def get_ordering(self, request):
        open_first = Case(
            When(status__in=CLOSED, then=Value(1)), default=Value(0), output_field=IntegerField()
        )
        return [open_first.asc(), "due_at", "pk"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_process_permission(self, request) -> bool:
        return actions.may_process(request.user)

    # -- columns -------------------------------------------------------------------------------

    @admin.display(description=_("received"), ordering="received_at")
    def received(self, obj):
        return timezone.localtime(obj.received_at).strftime("%Y-%m-%d")

    @admin.display(description=_("due date"), ordering="due_at")
    def due(self, obj):
        return timezone.localtime(obj.due_at).strftime("%Y-%m-%d")

    @admin.display(description=_("days left"))
    def deadline(self, obj):
        return format_html(
            '<span class="{}">{}</span>', deadline_class(obj), actions.deadline_text(obj)
        )

    @admin.display(description=_("verified"), ordering="verified_at")
    def verified(self, obj):
        return gettext("yes") if obj.verified_at else gettext("no")

    @admin.display(description=_("member"), ordering="member__username")
    def member_name(self, obj):
        return obj.member.username if obj.member else "—"

    # -- the request page ----------------------------------------------------------------------

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        return [
            path(
                "<path:object_id>/attachments/<int:attachment_id>/",
                self.admin_site.admin_view(self.attachment_view),
                name="{}_{}_attachment".format(*info),
            ),
            *super().get_urls(),
        ]

    def attachment_view(self, request, object_id, attachment_id):
        privacy_request = self.get_object(request, unquote(object_id))
        if privacy_request is None:
            raise Http404
        if not self.has_view_permission(request, privacy_request):
            raise PermissionDenied
        attachment = privacy_request.attachments.filter(pk=attachment_id).first()
        if attachment is None or not attachment.file.name:
            raise Http404
        try:
            file = attachment.file.storage.open(attachment.file.name, "rb")
        except OSError:
            raise Http404 from None
        response = FileResponse(
            file,
            as_attachment=True,
            filename=attachment.original_name,
            content_type=attachment.content_type or "application/octet-stream",
        )
        response.headers["X-Content-Type-Options"] = "nosniff"
        patch_cache_control(response, private=True, no_store=True)
        return response

    def change_view(self, request, object_id, form_url="", extra_context=None):
        privacy_request = self.get_object(request, unquote(object_id))
        if privacy_request is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_or_change_permission(request, privacy_request):
            raise PermissionDenied
        can_process = self.has_process_permission(request)
        bound = {}
        if request.method == "POST":
            if not can_process:
                raise PermissionDenied
            name = request.POST.get("action", "")
            if name not in ACTIONS:
                raise PermissionDenied
            form = ACTIONS[name][0](request.POST, prefix=name)
            if form.is_valid():
                try:
                    run_action(name, privacy_request, request.user, form.cleaned_data)
                except actions.ActionRefused as refused:
                    self.message_user(request, refused.message, messages.ERROR)
                else:
                    self.message_user(request, ACTIONS[name][2], messages.SUCCESS)
                if PrivacyRequest.objects.filter(pk=privacy_request.pk).exists():
                    return redirect(request.path)
                return redirect(reverse("admin:privacy_privacyrequest_changelist"))
            bound[name] = form
        return self._render_request_page(request, privacy_request, can_process, bound)

    def _render_request_page(self, request, privacy_request, can_process, bound):
        forms_by_name = {
            name: bound.get(name) or form_class(prefix=name)
            for name, (form_class, _verified, _message) in ACTIONS.items()
        }
        exchange = list(privacy_request.messages.select_related("staff"))
        export = privacy_request.data_export
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        context = {
            **self.admin_site.each_context(request),
            "title": _("Request %(reference)s") % {"reference": privacy_request.reference},
            "subtitle": None,
            "opts": self.opts,
            "original": privacy_request,
            "privacy_request": privacy_request,
            "deadline": actions.deadline_text(privacy_request),
            "deadline_class": deadline_class(privacy_request),
            "exchange": exchange,
            "Direction": RequestMessage.Direction,
            "attachments": list(privacy_request.attachments.all()),
            "attachment_url_name": f"admin:{info}_attachment",
            "member_url": (
                reverse("admin:members_member_change", args=[privacy_request.member_id])
                if privacy_request.member_id and request.user.has_perm("members.view_member")
                else None
            ),
            "export": export,
            "export_pending": export is not None and export.status == DataExport.Status.PENDING,
            "unverified_reason": actions.unverified_reason(privacy_request),
            "can_process": can_process,
            "forms": forms_by_name,
            "may_extend": privacy_request.extended_months < actions.MAX_EXTENSION_MONTHS,
            "has_view_permission": True,
            "media": self.media,
        }
        return TemplateResponse(request, "admin/privacy/privacyrequest/request.html", context)
