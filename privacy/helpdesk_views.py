"""The helpdesk's public pages (R7.5 to R7.7): the contact form, the page after sending, and the
identity confirmation from the mailed link. Nothing here needs an account: people who cannot
log in (any more) must be able to reach us.

Spam protection without third-party scripts: a honeypot field (a filled one gets a pretended
success and nothing is stored or mailed) and fixed-window rate limits in the cache, per IP
address and per e-mail address (CONTACT_RATE_LIMITS; falsy switches them off). Cache keys hold
a keyed hash of the address, never the address itself.
"""

import hashlib
import hmac
import logging

from allauth.account.adapter import get_adapter
from django.conf import settings
from django.shortcuts import redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from members import quotas

from . import requests
from .helpdesk_forms import ContactForm

logger = logging.getLogger(__name__)

SESSION_REFERENCE = "privacy_request_reference"
# (count, seconds) windows per IP address and per e-mail address.
DEFAULT_CONTACT_RATE_LIMITS = {"ip": [(5, 3600)], "email": [(3, 3600)]}


def _page_context(**extra):
    return {
        "dpo_name": settings.DPO_NAME,
        "dpo_email": settings.DPO_EMAIL,
        "complaint_url": settings.AUTORITEIT_PERSOONSGEGEVENS_URL,
        "retention_days": settings.PRIVACY_REQUEST_RETENTION_DAYS,
        "verify_days": requests.VERIFY_DAYS,
        **extra,
    }


@require_http_methods(["GET", "POST"])
def contact(request):
    member = request.user if request.user.is_authenticated else None
    if request.method != "POST":
        form = ContactForm(member=member)
        return render(request, "privacy/contact.html", _page_context(form=form))

    form = ContactForm(request.POST, request.FILES, member=member)
    if not form.is_valid():
        # Refused: the same form and messages, with a status that says so (413: too big).
        codes = {error.code for errors in form.errors.as_data().values() for error in errors}
        return render(
            request,
            "privacy/contact.html",
            _page_context(form=form),
            status=413 if "too_big" in codes else 400,
        )
    email = member.email if member is not None else form.cleaned_data["email"]
    if not _consume_quota(ip=_client_ip(request), email=email):
        form.add_error(
            None,
            _(
                "You sent several messages in a short time. Wait an hour and send it again, or "
                "write to %(email)s."
            )
            % {"email": settings.DPO_EMAIL},
        )
        return render(
            request, "privacy/contact.html", _page_context(form=form, rate_limited=True), status=429
        )
    if form.is_spam:
        logger.info("privacy_request.honeypot")
        request.session[SESSION_REFERENCE] = requests.new_reference()
        return redirect("privacy:contact_sent")
    privacy_request = requests.create_request(
        email=email,
        subject=form.cleaned_data["subject"],
        description=form.cleaned_data["description"],
        type=form.cleaned_data["type"],
        attachments=form.cleaned_data["attachments"],
        language=translation.get_language(),
        member=member,
    )
    request.session[SESSION_REFERENCE] = privacy_request.reference
    return redirect("privacy:contact_sent")


def contact_sent(request):
    reference = request.session.get(SESSION_REFERENCE)
    if not reference:
        return redirect("privacy:contact")
    return render(
        request,
        "privacy/contact_sent.html",
        _page_context(reference=reference, logged_in=request.user.is_authenticated),
    )


@require_http_methods(["GET", "POST"])
def verify_request(request, token):
    """GET shows one button (mail scanners that open links must not confirm anything); POST
    confirms, then shows the same page in its confirmed state."""
    try:
        privacy_request, _member = requests.request_for_token(token)
    except requests.VerificationFailed as failed:
        return render(
            request,
            "privacy/contact_verify_invalid.html",
            _page_context(expired=failed.expired),
            status=410 if failed.expired else 400,
        )
    if request.method == "POST":
        try:
            requests.verify_request(token)
        except requests.VerificationFailed:
            return render(
                request,
                "privacy/contact_verify_invalid.html",
                _page_context(expired=False),
                status=400,
            )
        return redirect("privacy:verify_request", token=token)
    return render(
        request,
        "privacy/contact_verify.html",
        _page_context(
            privacy_request=privacy_request,
            token=token,
            verified=privacy_request.verified_at is not None,
            is_open=privacy_request.is_open,
            due_at=timezone.localtime(privacy_request.due_at),
        ),
    )


def _client_ip(request) -> str:
    try:
        return get_adapter(request).get_client_ip(request)
    except Exception:  # no address at all: counted together
        return "unknown"


def _digest(value: str) -> str:
    key = hashlib.sha256(("contact-rate:" + settings.SECRET_KEY).encode()).digest()
    return hmac.new(key, value.strip().casefold().encode(), hashlib.sha256).hexdigest()[:32]


def _consume_quota(*, ip: str, email: str) -> bool:
    """Counts one sent form against every window for this IP address and this e-mail address;
    False (and nothing counted) when any window is full."""
    limits = getattr(settings, "CONTACT_RATE_LIMITS", DEFAULT_CONTACT_RATE_LIMITS)
    if not limits:
        return True
    now = int(timezone.now().timestamp())
    keys = []
    for kind, value in (("ip", ip), ("email", email)):
        for limit, seconds in limits.get(kind, []):
            key = f"contactrate:{kind}:{_digest(value)}:{seconds}:{now // seconds}"
            keys.append((key, limit, seconds))
    # Taken first, atomically (members.quotas): concurrent posts cannot all pass a full window.
    if not quotas.take_all((key, limit, seconds + 5) for key, limit, seconds in keys):
        logger.info("privacy_request.rate_limited")
        return False
    return True
