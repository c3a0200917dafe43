"""What members and visitors see of moderation (DSA Art. 16, 17 and 20).

- The notice form for one item (`report`, named by a signed token from `links.report_url`) and
  the public one where the item is a pasted link (`notice`): members and visitors without an
  account alike. Visitors give a name and e-mail address (except for the categories in
  reasons.ANONYMOUS_CATEGORIES) and meet a honeypot field and a limit per IP address.
- "Decisions about me" (`my_decisions`): the statements of reasons about the member with the
  ways to contest them, and the reports the member made with their outcome (never who else
  reported, never more about the reported member than the decision).
- Appeals (`appeal`, logged in; `appeal_by_link`, from the statement mail, without logging in,
  since a suspended member cannot log in).

Every write goes through moderation.services; this module only reads and renders.
"""

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members.models import new_public_id

from . import links, registry, sanctions, services
from .forms import AppealForm, NoticeForm, PublicNoticeForm
from .models import Appeal, Decision, Notice, Report, ReportDecision, Statement

logger = logging.getLogger(__name__)

SESSION_NOTICE = "moderation_notice_sent"
# The decisions that restrict an account (undone as a whole on reversal).
ACCOUNT_DECISIONS = {
    Decision.MEMBER_WARNED,
    Decision.ACCOUNT_RESTRICTED,
    Decision.MEMBER_SUSPENDED,
    Decision.ACCOUNT_CLOSED,
}


# --- Helpers -----------------------------------------------------------------------------------


def client_ip(request) -> str:
    """The client's address as allauth sees it (REMOTE_ADDR, or X-Forwarded-For behind
    ALLAUTH_TRUSTED_PROXY_COUNT proxies), as the helpdesk form counts it."""
    try:
        return get_adapter(request).get_client_ip(request) or "unknown"
    except Exception:  # no usable address at all: counted together
        return "unknown"


def describe_item(item) -> str:
    """Which item a report is about, in a few words: the kind and whose it is, never content
    the person reporting may not see (a message is "a message")."""
    entry = registry.entry_for(item)
    author_id = entry.author(item)
    username = (
        get_user_model().objects.filter(pk=author_id).values_list("username", flat=True).first()
        if author_id
        else None
    )
    if entry.kind == "message":
        return _("a message")
    if username:
        named = {
            "photo": _("a photo of %(name)s"),
            "profile": _("the profile of %(name)s"),
            "profile_text": _("the profile text of %(name)s"),
        }.get(entry.kind, _("something %(name)s posted"))
        return named % {"name": username}
    return {
        "photo": _("a photo"),
        "profile": _("a profile"),
        "profile_text": _("a profile text"),
    }.get(entry.kind, _("something posted on the site"))


def _site_hosts(request) -> set[str]:
    hosts = {urlsplit(settings.SITE_URL).hostname or "", request.get_host().split(":")[0]}
    hosts |= {host.lstrip(".") for host in settings.ALLOWED_HOSTS if host != "*"}
    return {host for host in hosts if host}


def _sent(request, *, reference: str, mailed: bool):
    request.session[SESSION_NOTICE] = {"reference": reference, "mailed": mailed}
    return redirect("moderation:notice_sent")


def _submit(request, form, item):
    """Submits a valid notice form about `item`. Returns a response, or None when the notice
    was refused (the reason is then on the form, everything typed kept)."""
    visitor = not request.user.is_authenticated
    data = form.cleaned_data
    if form.is_spam:
        logger.info("notice.honeypot")
        return _sent(request, reference=new_public_id(), mailed=False)
    try:
        notice = services.submit_notice(
            item=item,
            category=data["reason"],
            explanation=data["explanation"],
            good_faith=data["good_faith"],
            reporter=None if visitor else request.user,
            name=data.get("name", ""),
            email=data.get("email", ""),
            language=translation.get_language() or "",
            # Members' too: one person reporting logged in and again as a visitor from the
            # same address is one reporter (moderation.urgent).
            rate_key=client_ip(request),
        )
    except services.ReportRefused as refused:
        field = refused.field if refused.field in form.fields else None
        form.add_error(field, refused.message)
        form.refused_code = refused.code
        return None
    return _sent(
        request,
        reference=notice.public_id,
        mailed=bool(notice.email or (notice.reporter and notice.reporter.email)),
    )


def _status_for(form) -> int:
    return 429 if getattr(form, "refused_code", "") == "rate_limited" else 200


# --- Reporting ---------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def report_item(request, token):
    """The notice form for one item, opened from its "Report" link."""
    item = links.item_from_token(token)
    if item is None:
        return render(request, "moderation/report_link_invalid.html", status=404)
    visitor = not request.user.is_authenticated
    form = NoticeForm(request.POST if request.method == "POST" else None, visitor=visitor)
    if request.method == "POST" and form.is_valid():
        response = _submit(request, form, item)
        if response is not None:
            return response
    return render(
        request,
        "moderation/report.html",
        {"form": form, "about": describe_item(item), "visitor": visitor},
        status=_status_for(form),
    )


@require_http_methods(["GET", "POST"])
def public_notice(request):
    """ "Report illegal content": the notice form where the item is a pasted link."""
    visitor = not request.user.is_authenticated
    form = PublicNoticeForm(
        request.POST if request.method == "POST" else None,
        visitor=visitor,
        hosts=_site_hosts(request),
    )
    if request.method == "POST" and form.is_valid():
        response = _submit(request, form, form.item)
        if response is not None:
            return response
    return render(
        request,
        "moderation/notice.html",
        {"form": form, "visitor": visitor},
        status=_status_for(form),
    )


def notice_sent(request):
    sent = request.session.get(SESSION_NOTICE)
    if not sent:
        return redirect("moderation:notice")
    return render(
        request,
        "moderation/notice_sent.html",
        {
            "reference": sent["reference"],
            "mailed": sent["mailed"],
            "helpdesk_email": settings.HELPDESK_EMAIL,
        },
    )


@require_http_methods(["GET", "POST"])
def confirm_notice(request, token):
    """A trusted flagger known by e-mail address confirms its notice through the link in the
    receipt (a page with a button: mail scanners follow links, they do not press buttons)."""
    notice = services.read_flagger_confirm_token(token)
    if notice is None:
        return render(request, "moderation/notice_confirm.html", {"invalid": True}, status=404)
    confirmed = notice.confirmed_at is not None
    if request.method == "POST" and not confirmed:
        services.confirm_flagger_notice(notice=notice)
        return redirect("moderation:confirm_notice", token=token)
    return render(
        request,
        "moderation/notice_confirm.html",
        {"reference": notice.public_id, "confirmed": confirmed, "invalid": False},
    )


# --- Decisions about me ------------------------------------------------------------------------


@dataclass
class DecisionRow:
    """One statement of reasons as its member sees it, with what they can still do."""

    statement: Statement
    decision: ReportDecision
    appeal: Appeal | None
    refusal: services.AppealRefused | None
    appeal_until: object
    restorable: bool | None  # None: not about content

    @property
    def can_appeal(self) -> bool:
        return self.refusal is None


@dataclass
class NoticeRow:
    notice: Notice
    decision: ReportDecision | None
    appeal: Appeal | None
    refusal: services.AppealRefused | None
    appeal_until: object

    @property
    def can_appeal(self) -> bool:
        return self.decision is not None and self.refusal is None


def _restorable(decision: ReportDecision) -> bool | None:
    """For removed content: whether a reversal brings it back (a removed message's text is
    wiped for good). None for decisions about the account."""
    if decision.decision != Decision.CONTENT_REMOVED:
        return None
    items = list(decision.report.items.all())
    if not items:
        return False
    for item in items:
        try:
            entry = registry.entry_for_content_type(item.content_type)
        except registry.NotRegistered:
            return False
        if entry.restore is None:
            return False
    return True


def _own_appeal(decision: ReportDecision, member) -> Appeal | None:
    return next((a for a in decision.appeals.all() if a.appellant_id == member.pk), None)


def decision_row(statement: Statement, member) -> DecisionRow:
    decision = statement.decision
    return DecisionRow(
        statement=statement,
        decision=decision,
        appeal=_own_appeal(decision, member),
        refusal=services.appeal_refusal(decision=decision, member=member),
        appeal_until=timezone.localtime(services.appeal_deadline(decision.created_at)),
        restorable=_restorable(decision),
    )


def notice_row(notice: Notice, member) -> NoticeRow:
    report = notice.report
    decision = None
    if report.status == Report.Status.DISMISSED and report.appeal_of_id is None:
        decision = services.latest_decision(report)
        if decision is not None and decision.decision != Decision.DISMISSED:
            decision = None
    return NoticeRow(
        notice=notice,
        decision=decision,
        appeal=(
            Appeal.objects.filter(decision=decision, appellant=member).first()
            if decision is not None
            else None
        ),
        refusal=(
            services.appeal_refusal(decision=decision, member=member)
            if decision is not None
            else None
        ),
        appeal_until=(
            timezone.localtime(services.appeal_deadline(decision.created_at))
            if decision is not None
            else None
        ),
    )


def _redress_context() -> dict:
    return {
        "dispute_bodies": services.dispute_bodies(),
        "helpdesk_email": settings.HELPDESK_EMAIL,
        "appeal_months": services.appeal_months(),
    }


@login_required
def my_decisions(request):
    member = request.user
    statements = services.statements_about(member).prefetch_related(
        "decision__report__items__content_type"
    )
    notices = services.notices_by(member)
    return render(
        request,
        "moderation/my_decisions.html",
        {
            "in_force": list(sanctions.sanctions_of(member)),
            "decisions": [decision_row(statement, member) for statement in statements],
            "notices": [notice_row(notice, member) for notice in notices],
            **_redress_context(),
        },
    )


def _appealable(reference: str, member) -> tuple[ReportDecision, Statement | None, Notice | None]:
    """The decision a member's reference names: a statement about them, or a report of theirs
    that was dismissed. Anything else, or anyone else's, is a 404."""
    statement = (
        Statement.objects.select_related("decision", "decision__report")
        .filter(public_id=reference, member=member)
        .first()
    )
    if statement is not None:
        return statement.decision, statement, None
    notice = (
        Notice.objects.select_related("report").filter(public_id=reference, reporter=member).first()
    )
    if notice is not None:
        row = notice_row(notice, member)
        if row.decision is not None:
            return row.decision, None, notice
    logger.info("appeal.not_found member=%s", member.pk)
    raise Http404


def _file(request, form, *, decision, member):
    """Files the appeal from a valid form; True when filed, else the reason is on the form."""
    try:
        services.file_appeal(
            decision=decision, appellant=member, explanation=form.cleaned_data["explanation"]
        )
    except services.AppealRefused as refused:
        field = "explanation" if refused.code in ("no_explanation", "too_long") else None
        form.add_error(field, refused.message)
        return False
    return True


def _appeal_context(*, decision, member, statement, notice) -> dict:
    if statement is None and notice is None:
        statement = Statement.objects.filter(decision=decision, member=member).first()
        notice = decision.report.notices.filter(reporter=member).first()
    return {
        "decision": decision,
        "row": decision_row(statement, member) if statement is not None else None,
        "notice": notice,
        "appeal": Appeal.objects.filter(decision=decision, appellant=member).first(),
        "refusal": services.appeal_refusal(decision=decision, member=member),
        "appeal_until": timezone.localtime(services.appeal_deadline(decision.created_at)),
        **_redress_context(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def appeal(request, reference):
    member = request.user
    decision, statement, notice = _appealable(reference, member)
    form = AppealForm(request.POST if request.method == "POST" else None)
    filed = request.method == "POST" and form.is_valid()
    if filed and _file(request, form, decision=decision, member=member):
        messages.success(
            request,
            _(
                "Your appeal has been received. A moderator who did not take the decision "
                "looks at it; we tell you the outcome by e-mail."
            ),
        )
        return redirect("moderation:my_decisions")
    context = _appeal_context(decision=decision, member=member, statement=statement, notice=notice)
    return render(request, "moderation/appeal.html", {"form": form, **context})


def _invalid_appeal_link(request):
    logger.info("appeal.link_invalid")
    return render(
        request,
        "moderation/appeal_link_invalid.html",
        {"helpdesk_email": settings.HELPDESK_EMAIL},
        status=400,
    )


@require_http_methods(["GET", "POST"])
def appeal_by_notice_link(request, token):
    """The appeal link in the outcome mail of a visitor's notice (they have no account): the
    token names the decision and the notice; the outcome goes to the notice's address."""
    found = services.read_notice_appeal_token(token)
    if found is None:
        return _invalid_appeal_link(request)
    decision, notice = found
    form = AppealForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            services.file_visitor_appeal(
                decision=decision, notice=notice, explanation=form.cleaned_data["explanation"]
            )
        except services.AppealRefused as refused:
            field = "explanation" if refused.code in ("no_explanation", "too_long") else None
            form.add_error(field, refused.message)
        else:
            return redirect("moderation:appeal_by_notice_link", token=token)
    context = {
        "decision": decision,
        "row": None,
        "notice": notice,
        "appeal": Appeal.objects.filter(decision=decision, notice=notice).first(),
        "refusal": services.visitor_appeal_refusal(decision=decision, notice=notice),
        "appeal_until": timezone.localtime(services.appeal_deadline(decision.created_at)),
        **_redress_context(),
    }
    return render(request, "moderation/appeal.html", {"form": form, "by_link": True, **context})


@require_http_methods(["GET", "POST"])
def appeal_by_link(request, token):
    """The appeal link of a statement or outcome mail: works without logging in (a suspended
    member cannot log in); the token names the decision and the member."""
    found = services.read_appeal_token(token)
    if found is None or services.appeal_role(decision=found[0], member=found[1]) is None:
        return _invalid_appeal_link(request)
    decision, member = found
    form = AppealForm(request.POST if request.method == "POST" else None)
    filed = request.method == "POST" and form.is_valid()
    if filed and _file(request, form, decision=decision, member=member):
        return redirect("moderation:appeal_by_link", token=token)
    context = _appeal_context(decision=decision, member=member, statement=None, notice=None)
    return render(request, "moderation/appeal.html", {"form": form, "by_link": True, **context})
