"""Affiliate partners and 24metrics (SPEC R6.2, R9.3; issue 10).

Everything here happens only for visitors and members who allowed the cookie category
"Affiliate partners and fraud checks" (privacy.cookies.AFFILIATE; for members the consent
ledger's OTHER_COOKIES, through `privacy.cookies.choice_for`). Without that consent nothing is
stored and nothing is sent.

1. Landing. A partner links to any page with `?partner=<slug>&click=<click id>`.
   `AffiliateClickMiddleware` remembers the click in the signed `affiliate_click` cookie
   (partner, click id and the host name of the page the visitor came from; 30 days; HttpOnly,
   SameSite=Lax, Secure in production). It reads nothing else, and touches the database only
   when such a link is followed.
2. Sign-up (allauth's `user_signed_up`) and checkout start (`payments.signals.checkout_started`).
   `queue_check` captures, at that moment and only with consent and a valid cookie, the
   request's IP address, user agent and the cookie's click, and enqueues
   `activity.tasks.check_partner_click` on commit. The request never waits for 24metrics.
3. The task calls `check` (the one adapter for 24metrics) and stores a `PartnerCheck`: partner,
   click id, the order's reference, status and verdict; never the IP address, user agent or
   referrer. The unique constraint (member, event, reference) makes it run at most once.

The request to 24metrics (`check`) is our own design, as no public API description was at hand:
a JSON POST to TWENTYFOUR_METRICS_URL with the key in the `X-Api-Key` header,

    {"event": "signup" | "purchase", "click_id": "...", "partner": "...",
     "ip": "203.0.113.7", "user_agent": "Mozilla/5.0 ...", "referrer": "partner.example",
     "reference": "<order public id, or empty for a sign-up>"}

answered with `{"verdict": "<word>"}`. These names must be checked against the contract with
24metrics before TWENTYFOUR_METRICS_API_KEY is set in production.
"""

from __future__ import annotations

import logging
import re
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

import requests
from django.conf import settings

from members.enqueue import enqueue_on_commit
from privacy import cookies
from privacy.registry import Basis, Category, register

from .logins import client_ip
from .models import PartnerCheck

logger = logging.getLogger(__name__)

PARTNER_PARAMETER = "partner"
CLICK_PARAMETER = "click"
# Signed with SECRET_KEY and this salt: a cookie the site did not set is ignored.
COOKIE_SALT = "activity.partners.affiliate_click"

PARTNER_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
CLICK_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._~-]{0,63}$")
HOST_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?$")
VERDICT_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_ -]{0,39}$")
USER_AGENT_MAX = 512


# --- The click -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AffiliateClick:
    """Which partner's link brought the visitor, and the host name of the page it was on."""

    partner: str
    click_id: str
    referrer: str = ""

    def cookie_value(self) -> str:
        return "|".join([self.partner, self.click_id, self.referrer])

    @classmethod
    def from_parts(cls, partner, click_id, referrer="") -> AffiliateClick | None:
        """A click from untrusted parts, or None when any part is malformed."""
        partner = (partner or "").strip().lower()
        click_id = (click_id or "").strip()
        if not PARTNER_PATTERN.match(partner) or not CLICK_PATTERN.match(click_id):
            return None
        if referrer and not HOST_PATTERN.match(referrer):
            return None
        return cls(partner=partner, click_id=click_id, referrer=referrer)


def referrer_host(request) -> str:
    """The host name of the page the visitor came from, or "" (none, malformed, or this site:
    e.g. after the cookie banner's "Accept all" sent the visitor back to the partner's link)."""
    try:
        host = (urlsplit(request.META.get("HTTP_REFERER", "")).hostname or "").lower()
        own = (urlsplit("//" + request.get_host()).hostname or "").lower()
    except ValueError:
        return ""
    if not host or host == own or not HOST_PATTERN.match(host):
        return ""
    return host


def click_from_link(request) -> AffiliateClick | None:
    """The click in a partner's link (`?partner=<slug>&click=<id>`), or None."""
    partner = request.GET.get(PARTNER_PARAMETER)
    click_id = request.GET.get(CLICK_PARAMETER)
    if not partner or not click_id:
        return None
    return AffiliateClick.from_parts(partner, click_id, referrer_host(request))


def click_from_cookie(request) -> AffiliateClick | None:
    """The click remembered in the `affiliate_click` cookie, when it is the site's own (signed)
    and at most AFFILIATE_COOKIE_MAX_AGE old; None otherwise."""
    value = request.get_signed_cookie(
        cookies.AFFILIATE_COOKIE,
        default=None,
        salt=COOKIE_SALT,
        max_age=cookies.AFFILIATE_COOKIE_MAX_AGE,
    )
    if not value:
        return None
    parts = value.split("|")
    if len(parts) != 3:
        return None
    return AffiliateClick.from_parts(*parts)


def allows_partners(request) -> bool:
    """The request's cookie choice allows AFFILIATE (for members: their consent ledger; one
    query, then kept on the request)."""
    return cookies.choice_for(request).allows(cookies.AFFILIATE)


class AffiliateClickMiddleware:
    """Remembers a partner's click in the `affiliate_click` cookie, only with consent to the
    AFFILIATE category. Sits after privacy's CookieConsentMiddleware in MIDDLEWARE, so that
    middleware sees (and would drop) the cookie on the way out. Requests without a partner's
    link cost a dictionary look-up, nothing more."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.method != "GET" or PARTNER_PARAMETER not in request.GET:
            return response
        if response.status_code >= 400:
            return response
        click = click_from_link(request)
        if click is None or not allows_partners(request):
            return response
        response.set_signed_cookie(
            cookies.AFFILIATE_COOKIE,
            click.cookie_value(),
            salt=COOKIE_SALT,
            max_age=cookies.AFFILIATE_COOKIE_MAX_AGE,
            httponly=True,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
        )
        return response


# --- Capturing a sign-up or purchase ------------------------------------------------------------


def capture(request) -> dict | None:
    """What 24metrics receives about this request, taken now (the task runs later): None
    without consent to AFFILIATE or without a valid click cookie."""
    if not allows_partners(request):
        return None
    click = click_from_cookie(request)
    if click is None:
        return None
    return {
        **asdict(click),
        "ip": client_ip(request) or "",  # none usable: sent without one
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:USER_AGENT_MAX],
    }


def queue_check(*, request, member, event: str, reference: str = "") -> bool:
    """Enqueues the 24metrics check of a sign-up or purchase on commit, when this request may
    have it (consent and a partner's click). Never raises into the member's request. Returns
    whether a check was queued."""
    from .tasks import check_partner_click

    try:
        captured = capture(request)
        if captured is None:
            return False
        event = PartnerCheck.Event(event)
        member_id = member.pk
        enqueue_on_commit(check_partner_click, member_id, str(event), reference, captured)
        return True
    except Exception:
        logger.exception("partners.queue_failed event=%s", event)
        return False


# --- The adapter ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Verdict:
    status: str  # PartnerCheck.Status
    verdict: str = ""


def is_switched_on() -> bool:
    return bool(settings.TWENTYFOUR_METRICS_URL and settings.TWENTYFOUR_METRICS_API_KEY)


def check(
    *,
    event: str,
    ip: str,
    user_agent: str,
    referrer: str,
    partner: str,
    click_id: str,
    reference: str = "",
) -> Verdict:
    """Asks 24metrics about one sign-up or purchase. Without TWENTYFOUR_METRICS_URL and
    TWENTYFOUR_METRICS_API_KEY nothing is sent (SKIPPED). Never raises: a network error, a
    timeout, an error status or an answer without a verdict is FAILED, logged without any of
    the data sent. See the module's docstring for the request's shape."""
    if not is_switched_on():
        return Verdict(PartnerCheck.Status.SKIPPED)
    payload = {
        "event": event,
        "click_id": click_id,
        "partner": partner,
        "ip": ip,
        "user_agent": user_agent,
        "referrer": referrer,
        "reference": reference,
    }
    try:
        response = requests.post(
            settings.TWENTYFOUR_METRICS_URL,
            json=payload,
            headers={
                "X-Api-Key": settings.TWENTYFOUR_METRICS_API_KEY,
                "Accept": "application/json",
            },
            timeout=settings.TWENTYFOUR_METRICS_TIMEOUT_SECONDS,
        )
        response.raise_for_status()
        answer = response.json()
    except requests.HTTPError as error:
        logger.warning(
            "partners.check_failed event=%s http_status=%s", event, error.response.status_code
        )
        return Verdict(PartnerCheck.Status.FAILED)
    except (requests.RequestException, ValueError) as error:
        logger.warning("partners.check_failed event=%s error=%s", event, type(error).__name__)
        return Verdict(PartnerCheck.Status.FAILED)
    verdict = answer.get("verdict") if isinstance(answer, dict) else None
    verdict = verdict.strip().lower() if isinstance(verdict, str) else ""
    if not VERDICT_PATTERN.match(verdict):
        logger.warning("partners.check_failed event=%s error=no_verdict", event)
        return Verdict(PartnerCheck.Status.FAILED)
    logger.info("partners.checked event=%s verdict=%s", event, verdict)
    return Verdict(PartnerCheck.Status.SENT, verdict)


def run_check(
    *,
    member_id: int,
    event: str,
    reference: str,
    partner: str,
    click_id: str,
    referrer: str,
    ip: str,
    user_agent: str,
) -> PartnerCheck | None:
    """Checks one sign-up or purchase and records the outcome (what the task does). At most
    once per (member, event, reference): the row is claimed before 24metrics is asked, so a
    second run (a retried task, a double submit) finds it and sends nothing. None when the
    member is gone."""
    from django.contrib.auth import get_user_model

    member = get_user_model().objects.filter(pk=member_id).first()
    if member is None:
        return None
    # Withdrawn between the request and this task (on another device, say): nothing is sent.
    if cookies.ledger_answers(member).get(cookies.AFFILIATE) is False:
        return None
    # get_or_create falls back to reading the row when a concurrent run inserted it first.
    row, created = PartnerCheck.objects.get_or_create(
        member_id=member_id,
        event=event,
        reference=reference,
        # Until 24metrics answered: a worker killed midway leaves "failed", not "sent".
        defaults={"partner": partner, "click_id": click_id, "status": PartnerCheck.Status.FAILED},
    )
    if not created:
        return row
    outcome = check(
        event=event,
        ip=ip,
        user_agent=user_agent,
        referrer=referrer,
        partner=partner,
        click_id=click_id,
        reference=reference,
    )
    row.status, row.verdict = outcome.status, outcome.verdict
    row.save(update_fields=["status", "verdict"])
    return row


# --- Personal data (privacy.registry) -----------------------------------------------------------


@register(PartnerCheck, category=Category.VOLUNTARY, purpose="partner_checks", basis=Basis.CONSENT)
class PartnerCheckData:
    def export(self, member):
        return [
            {
                "event": row.event,
                "partner": row.partner,
                "click_id": row.click_id,
                "reference": row.reference,
                "status": row.status,
                "verdict": row.verdict,
                "checked_at": row.created_at.isoformat(),
            }
            for row in PartnerCheck.objects.filter(member=member).order_by("created_at", "pk")
        ]

    def erase(self, member):
        PartnerCheck.objects.filter(member=member).delete()
