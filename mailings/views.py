"""Member-facing pages: the e-mail settings page and the one-click unsubscribe (R5.2, R7.2).

The settings page shows every kind of mail a member chooses with its own control: mail about
new messages (messaging's ReceivingSettings.notify), suggestion e-mails and promotional e-mail
(consents in the privacy ledger; only changed switches are recorded). It also says why the
member gets none of the marketing mail whatever the switches say, when that is so.

The unsubscribe link in every suggestion and promotional mail carries a signed token for one
member and one kind of mail (mailings.services.unsubscribe_token). GET only asks (link scanners
follow links); POST stops the mail. Mail clients send the RFC 8058 one-click POST
(`List-Unsubscribe=One-Click`) without a session or a CSRF token, so the view is CSRF-exempt:
the signed token is what authorises the change, and all it can do is stop mail. A closed or
erased account gets the same pages: nothing about it is revealed.
"""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from members.services import confirmed_address, is_undeliverable
from messaging import services as messaging_services
from privacy import declaration
from privacy import services as privacy_services
from privacy.models import ConsentPurpose, ProcessingLimit

from . import services
from .forms import MailSettingsForm
from .models import MailKind

logger = logging.getLogger(__name__)

# "messages" in services.unsubscribe: mail about new messages (messaging's notify = never).
ALL_KINDS = [*MailKind.values, "messages"]
ONE_CLICK_FIELD = "List-Unsubscribe"
ONE_CLICK_VALUE = "One-Click"

# Module level: lazy, so each page is in its visitor's language.
KIND_TEXTS = {
    MailKind.SUGGESTIONS: {
        "question": gettext_lazy("Unsubscribe from suggestion e-mails?"),
        "what": gettext_lazy(
            "You will no longer get e-mails with members who may fit you. Suggestions on the "
            "site itself are not affected."
        ),
        "button": gettext_lazy("Unsubscribe from suggestion e-mails"),
        "done": gettext_lazy("You will get no more suggestion e-mails."),
    },
    MailKind.PROMOTIONS: {
        "question": gettext_lazy("Unsubscribe from promotional e-mail?"),
        "what": gettext_lazy("You will no longer get e-mails with news and offers about the site."),
        "button": gettext_lazy("Unsubscribe from promotional e-mail"),
        "done": gettext_lazy("You will get no more promotional e-mail."),
    },
}


# -- the settings page -------------------------------------------------------------------------


def _address_state(member) -> dict:
    """Whether the member's primary address is confirmed and deliverable (never shown)."""
    address = confirmed_address(member)
    return {
        "unconfirmed": address is None,
        "undeliverable": address is not None and is_undeliverable(address),
    }


def _mail_state(member) -> dict:
    """What the page shows besides the form: the ledger's latest records, the processing limits
    and the address, each of which can stop mail whatever the switches say."""
    consents = privacy_services.consent_states(member)
    limits = privacy_services.limit_states(member)
    records = {kind: consents.get(services.CONSENT_FOR_KIND[kind]) for kind in MailKind}
    suggestions_record = consents.get(ConsentPurpose.SUGGESTIONS)
    objections = {
        kind: bool(limits.get(kind) and limits[kind].active)
        for kind in (ProcessingLimit.OBJECT_DIRECT_MARKETING, ProcessingLimit.OBJECT_PROFILING)
    }
    address = _address_state(member)
    blockers = {
        "restricted": bool(member.processing_restricted),
        "object_direct_marketing": objections[ProcessingLimit.OBJECT_DIRECT_MARKETING],
        "object_profiling": objections[ProcessingLimit.OBJECT_PROFILING],
        **address,
    }
    return {
        "wanted": {kind: bool(records[kind] and records[kind].granted) for kind in MailKind},
        "records": records,
        "sources": {
            kind: declaration.source_label(records[kind].source) if records[kind] else ""
            for kind in MailKind
        },
        "suggestions_on": bool(suggestions_record and suggestions_record.granted),
        "blockers": blockers,
        # Restriction, objection or the address stop marketing mail of both kinds.
        "marketing_blocked": any(blockers.values()),
        # Only the address stops mail about new messages.
        "messages_blocked": address["unconfirmed"] or address["undeliverable"],
    }


@login_required
@require_http_methods(["GET", "POST"])
def mail_settings(request):
    """Which e-mails the member gets (R5.2, R7.2): one page, one form."""
    member = request.user
    wishes = messaging_services.receiving_settings_for(member)
    state = _mail_state(member)
    status = 200
    if request.method == "POST":
        form = MailSettingsForm.for_member(
            notify=wishes.notify, wanted=state["wanted"], data=request.POST
        )
        if form.is_valid():
            _save(member=member, form=form, notify=wishes.notify, wanted=state["wanted"])
            messages.success(request, _("Your e-mail settings are saved."))
            return redirect("mailings:settings")
        status = 400
    else:
        form = MailSettingsForm.for_member(notify=wishes.notify, wanted=state["wanted"])
    context = {
        "form": form,
        "interval_days": settings.SUGGESTION_MAIL_INTERVAL_DAYS,
        "max_suggestions": settings.SUGGESTION_MAIL_MAX,
        **state,
    }
    return render(request, "mailings/settings.html", context, status=status)


def _save(*, member, form, notify: str, wanted: dict) -> None:
    """Writes only what changed: one ledger record per switched kind, the notify choice when
    it differs (no ReceivingSettings row is made for an unchanged default)."""
    changed = []
    if form.cleaned_data["notify"] != notify:
        messaging_services.update_receiving_settings(
            member=member, notify=form.cleaned_data["notify"]
        )
        changed.append("messages")
    for kind in MailSettingsForm.KINDS:
        if form.cleaned_data[kind] != wanted[kind]:
            services.set_mail_choice(
                member=member,
                kind=kind,
                wanted=form.cleaned_data[kind],
                source=services.SOURCES["settings"],
            )
            changed.append(str(kind))
    logger.info("mailings.settings_saved member=%s changed=%s", member.pk, ",".join(changed))


# -- unsubscribing without logging in (RFC 8058) -----------------------------------------------


def _kind_or_404(kind: str) -> MailKind:
    if kind not in MailKind.values:
        raise Http404
    return MailKind(kind)


@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request, kind, token):
    kind = _kind_or_404(kind)
    public_id = services.public_id_from_token(kind, token)
    if public_id is None:
        logger.info("mailings.unsubscribe_bad_token kind=%s", kind)
        raise Http404
    texts = KIND_TEXTS[kind]
    if request.method != "POST":
        return render(request, "mailings/unsubscribe.html", {"kind": kind, "texts": texts})
    if request.POST.get(ONE_CLICK_FIELD) == ONE_CLICK_VALUE:
        # The mail program's unsubscribe button: this kind, at once.
        everything, source = False, services.SOURCES["one_click"]
    else:
        everything, source = request.POST.get("scope") == "all", services.SOURCES["link"]
    # A closed or erased account gets the same page: nothing about it is revealed.
    services.unsubscribe(
        public_id=public_id, kinds=ALL_KINDS if everything else [kind], source=source
    )
    return render(
        request,
        "mailings/unsubscribe_done.html",
        {"kind": kind, "texts": texts, "everything": everything},
    )
