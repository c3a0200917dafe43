"""The campaign admin: the Marketing group writes, previews, tests, schedules, pauses, resumes
and cancels promotional campaigns (issue 9).

Marketing never sees who gets a campaign: these pages show counts only (the audience count
and the progress of the delivery rows), the creator is a staff member, and there is no admin
of the delivery rows. A campaign can be edited and deleted only while it is a draft.
"""

import logging
import re

import nh3
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext, pgettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from members.models import Member
from members.services import confirmed_address, queue_rendered_mail
from profiles.places import REGIONS

from . import sending, services
from .admin_forms import CampaignForm, TestSendForm
from .content import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, ALLOWED_URL_SCHEMES, render_campaign
from .models import Campaign, Delivery, MailKind

logger = logging.getLogger(__name__)

SEND_PERMISSION = "mailings.send_campaign"
CHANGE_PERMISSION = "mailings.change_campaign"
TEST_KIND = "campaign_test"
# The test form shares the page with the campaign form, which has its own "language".
TEST_FORM_PREFIX = "test"

Status = Campaign.Status

# The staff actions on a campaign: the sending function, the button, whether the change page
# asks to confirm first, the message when it is done, and the statuses it is offered in (the
# sending functions decide in the end and say why they refuse).
STAFF_ACTIONS = {
    "schedule": {
        "function": sending.schedule_campaign,
        "label": _("Schedule"),
        "confirm": True,
        "done": _("The campaign is scheduled."),
        "statuses": {Status.DRAFT},
    },
    "pause": {
        "function": sending.pause_campaign,
        "label": _("Pause"),
        "confirm": False,
        "done": _("The campaign is paused: nothing more is sent until it is resumed."),
        "statuses": {Status.SCHEDULED, Status.SENDING},
    },
    "resume": {
        "function": sending.resume_campaign,
        "label": _("Resume"),
        "confirm": False,
        "done": _("The campaign is resumed."),
        "statuses": {Status.PAUSED},
    },
    "cancel": {
        "function": sending.cancel_campaign,
        "label": _("Cancel the campaign"),
        "confirm": True,
        "done": _("The campaign is cancelled: the mails not sent yet will never be sent."),
        "statuses": {Status.SCHEDULED, Status.SENDING, Status.PAUSED},
    },
}

PROGRESS_LABELS = (
    ("queued", Delivery.Status.QUEUED.label),
    ("claimed", Delivery.Status.CLAIMED.label),
    ("sent", Delivery.Status.SENT.label),
    ("failed", Delivery.Status.FAILED.label),
    ("skipped", Delivery.Status.SKIPPED.label),
    ("total", _("Total")),
)

# The layout of the preview: the mail's HTML body without its inline styles (the admin's
# Content-Security-Policy forbids them) and without anything but the safe subset.
PREVIEW_TAGS = ALLOWED_TAGS | {"div", "hr"}
BODY_PART = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)


def audience_shown(campaign) -> dict:
    """The audience count as Marketing sees it: exact from CAMPAIGN_MIN_AUDIENCE members on,
    below it only "fewer than N" (so that narrow filters cannot single out a member)."""
    count = sending.count_audience(campaign)
    if sending.audience_too_small(count):
        return {"count": None, "fewer_than": settings.CAMPAIGN_MIN_AUDIENCE}
    return {"count": count, "fewer_than": None}


def preview_html(mail_html: str) -> str:
    match = BODY_PART.search(mail_html)
    return nh3.clean(
        match.group(1) if match else mail_html,
        tags=PREVIEW_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    list_display = ("name", "status", "send_at", "progress", "created_by_name")
    list_filter = ("status",)
    search_fields = ("name",)
    list_select_related = ("created_by",)
    readonly_fields = (
        "status",
        "created_by_name",
        "created_at",
        "started_at",
        "finished_at",
        "gender_list",
        "region_list",
    )
    change_form_template = "admin/mailings/campaign/change_form.html"

    class Media:
        css = {"all": ["mailings/campaign_admin.css"]}

    # -- who may do what -----------------------------------------------------------------------

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == Status.DRAFT)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == Status.DRAFT)

    def get_actions(self, request):
        # No bulk delete: a campaign is deleted from its own page, and only as a draft.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    # -- the list ------------------------------------------------------------------------------

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                sent_count=Count("deliveries", filter=Q(deliveries__status=Delivery.Status.SENT)),
                delivery_count=Count("deliveries"),
            )
        )

    @admin.display(description=_("sent / total"))
    def progress(self, obj):
        return f"{obj.sent_count} / {obj.delivery_count}"

    @admin.display(description=_("created by"), ordering="created_by__username")
    def created_by_name(self, obj):
        return obj.created_by.username if obj.created_by else "—"

    @admin.display(description=_("genders"))
    def gender_list(self, obj):
        labels = dict(Member.Gender.choices)
        return ", ".join(str(labels.get(key, key)) for key in obj.genders) or gettext("Any")

    @admin.display(description=_("provinces and regions"))
    def region_list(self, obj):
        return ", ".join(str(REGIONS.get(key, key)) for key in obj.regions) or gettext("Any")

    # -- the form ------------------------------------------------------------------------------

    def get_fieldsets(self, request, obj=None):
        editable = obj is None or self.has_change_permission(request, obj)
        audience = ["language", "paying", "genders", "regions"]
        if not editable:
            audience = ["language", "paying", "gender_list", "region_list"]
        audience += ["active_within_days", "joined_within_days"]
        sending_fields = ["send_at"]
        if obj is not None:
            sending_fields += [
                "status",
                "created_by_name",
                "created_at",
                "started_at",
                "finished_at",
            ]
        return (
            (None, {"fields": ["name"]}),
            (_("Dutch"), {"fields": ["subject_nl", "body_nl"]}),
            (pgettext_lazy("language", "English"), {"fields": ["subject_en", "body_en"]}),
            (
                _("Audience"),
                {
                    "fields": audience,
                    "description": _(
                        "Only members who asked for promotional e-mail and may get it now are "
                        "counted and mailed: consent given, processing not restricted, no "
                        "objection, an active account and a confirmed address that does not "
                        "bounce. Empty conditions select all of them."
                    ),
                },
            ),
            (pgettext_lazy("section", "Sending"), {"fields": sending_fields}),
        )

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)

    def response_post_save_add(self, request, obj):
        # To the campaign's page: the count, the preview and the test send are there.
        return HttpResponseRedirect(self._change_url(obj))

    def response_post_save_change(self, request, obj):
        return HttpResponseRedirect(self._change_url(obj))

    # -- the campaign's page -------------------------------------------------------------------

    def _url_name(self, view):
        return f"admin:{self.opts.app_label}_{self.opts.model_name}_{view}"

    def _change_url(self, campaign):
        return reverse(self._url_name("change"), args=[campaign.pk])

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        wrap = self.admin_site.admin_view
        return [
            path(
                "<path:object_id>/preview/",
                wrap(self.preview_view),
                name=f"{info}_preview",
            ),
            path(
                "<path:object_id>/test-send/",
                wrap(self.test_send_view),
                name=f"{info}_test_send",
            ),
            *[
                path(
                    f"<path:object_id>/{name}/",
                    wrap(self.staff_action_view),
                    {"action": name},
                    name=f"{info}_{name}",
                )
                for name in STAFF_ACTIONS
            ],
            *super().get_urls(),
        ]

    def _campaign_or_404(self, request, object_id) -> Campaign:
        campaign = self.get_object(request, unquote(object_id))
        if campaign is None:
            raise Http404
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        return campaign

    def change_view(self, request, object_id, form_url="", extra_context=None):
        campaign = self.get_object(request, unquote(object_id))
        context = dict(extra_context or {})
        if campaign is not None and self.has_view_permission(request, campaign):
            context["campaign_panel"] = self._panel(request, campaign)
        return super().change_view(request, object_id, form_url, context)

    def _panel(self, request, campaign) -> dict:
        """What the campaign's page shows above the form: counts only."""
        may_send = request.user.has_perm(SEND_PERMISSION)
        actions = [
            {
                "name": name,
                "label": action["label"],
                "url": reverse(self._url_name(name), args=[campaign.pk]),
                "confirm": action["confirm"],
            }
            for name, action in STAFF_ACTIONS.items()
            if may_send and campaign.status in action["statuses"]
        ]
        not_started = campaign.started_at is None and campaign.status in {
            Status.DRAFT,
            Status.SCHEDULED,
            Status.PAUSED,
        }
        progress = sending.campaign_progress(campaign)
        return {
            "audience": audience_shown(campaign) if not_started else None,
            "progress": [(label, progress[key]) for key, label in PROGRESS_LABELS],
            "show_progress": campaign.status != Status.DRAFT,
            "actions": actions,
            "preview_url": reverse(self._url_name("preview"), args=[campaign.pk]),
            "test_send_url": reverse(self._url_name("test_send"), args=[campaign.pk]),
            "may_test": request.user.has_perm(CHANGE_PERMISSION),
            "staff_email": request.user.email,
            "test_form": TestSendForm(prefix=TEST_FORM_PREFIX),
        }

    def preview_view(self, request, object_id):
        """The campaign in both languages as members get it: subject, the HTML part (in the
        admin's page, without the mail's inline styles) and the plain-text part."""
        campaign = self._campaign_or_404(request, object_id)
        previews = []
        for language, name in (("nl", gettext("Dutch")), ("en", pgettext("language", "English"))):
            mail = render_campaign(campaign, language)
            previews.append(
                {
                    "language": language,
                    "name": name,
                    "subject": mail.subject,
                    "html": mark_safe(preview_html(mail.html)),  # noqa: S308  (nh3-cleaned)
                    "text": mail.text,
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "media": self.media,
            "campaign": campaign,
            "previews": previews,
            "change_url": self._change_url(campaign),
            "title": gettext("Preview of %(name)s") % {"name": campaign.name},
        }
        return TemplateResponse(request, "admin/mailings/campaign/preview.html", context)

    def test_send_view(self, request, object_id):
        """Queues the campaign, marked as a test, to the staff member's own address only, with
        the unsubscribe link and headers of their own account. POST only."""
        campaign = self._campaign_or_404(request, object_id)
        if not request.user.has_perm(CHANGE_PERMISSION):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(campaign))
        # Only to the staff member's own confirmed address: a test can reach no one else.
        address = confirmed_address(request.user)
        if not address:
            self.message_user(
                request,
                gettext(
                    "Your staff account has no confirmed e-mail address, so no test can be sent."
                ),
                messages.ERROR,
            )
            return HttpResponseRedirect(self._change_url(campaign))
        form = TestSendForm(request.POST, prefix=TEST_FORM_PREFIX)
        choice = form.cleaned_data["language"] if form.is_valid() else "both"
        languages = ["nl", "en"] if choice == "both" else [choice]
        url = services.unsubscribe_url(request.user, MailKind.PROMOTIONS)
        for language in languages:
            mail = render_campaign(campaign, language, test=True).for_member(url)
            queue_rendered_mail(
                parts=(mail.subject, mail.text, mail.html),
                to=address,
                kind=TEST_KIND,
                member=request.user,
                headers=services.unsubscribe_headers(url),
            )
        logger.info(
            "mailings.campaign_test_queued campaign=%s staff=%s languages=%s",
            campaign.pk,
            request.user.pk,
            ",".join(languages),
        )
        self.message_user(
            request,
            ngettext(
                "A test mail is on its way to your own address.",
                "%(count)d test mails are on their way to your own address.",
                len(languages),
            )
            % {"count": len(languages)},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(self._change_url(campaign))

    def staff_action_view(self, request, object_id, action):
        """Schedule, pause, resume or cancel. A GET shows what the action will do and asks to
        confirm; the POST does it through mailings.sending, which refuses with a reason."""
        campaign = self._campaign_or_404(request, object_id)
        if not request.user.has_perm(SEND_PERMISSION):
            raise PermissionDenied
        spec = STAFF_ACTIONS[action]
        if request.method == "POST":
            try:
                spec["function"](campaign=campaign, staff=request.user)
            except sending.CampaignError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.log_change(request, campaign, str(spec["label"]))
                self.message_user(request, spec["done"], messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(campaign))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "media": self.media,
            "campaign": campaign,
            "action": action,
            "action_label": spec["label"],
            "audience": audience_shown(campaign) if action == "schedule" else None,
            "progress": sending.campaign_progress(campaign),
            "change_url": self._change_url(campaign),
            "title": gettext("%(action)s: %(name)s")
            % {"action": spec["label"], "name": campaign.name},
        }
        return TemplateResponse(request, "admin/mailings/campaign/confirm.html", context)
