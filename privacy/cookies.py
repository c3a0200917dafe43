"""Every cookie the site sets, and whether this request may have the non-necessary ones
(SPEC R6.2; issue 10).

One declaration in code: `COOKIES` lists each cookie (name, category, purpose, lifetime,
party); the cookie page (privacy:cookies) is generated from it, and the test suite fails when
any response sets a cookie that is not declared here, or a non-necessary one without consent
(`undeclared_or_unconsented`, checked on every response of the test suite by an autouse
fixture in tests/conftest.py).

The choice is kept in two places:
- for everyone, in the first-party cookie `cookie_consent` ("v=2026-11|analytics=1|affiliate=0"):
  the policy version it was given under and one flag per optional category;
- for members, in the consent ledger (privacy.ConsentRecord, purposes ANALYTICS_COOKIES and
  OTHER_COOKIES, wording version = COOKIE_POLICY_VERSION), so it follows them to every device.
  The ledger wins for a logged-in member. A member with no current answer in the ledger whose
  cookie holds a current choice (made before logging in) has that choice recorded in the
  ledger (source "cookie banner").
A choice given under an older policy version counts as no choice: the banner asks again, and
until then nothing optional is allowed.

The API for other apps: `choice_for(request)` (also `request.cookie_choice`, set lazily by
privacy.cookie_middleware.CookieConsentMiddleware) returns a `CookieChoice`;
`choice_for(request).allows(AFFILIATE)` is the question to ask before setting an optional
cookie or sharing anything the category covers. It costs no query for visitors and one small
indexed query per request for members (then kept on the request).

django-cookie-consent was considered: its declaration lives in database rows edited in admin,
its versions are the rows' creation times, its banner needs JavaScript and its log has no member;
fitting it to a declaration in code and the member's ledger would take more code than this module.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.db import connection
from django.urls import Resolver404, resolve
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from .models import ConsentPurpose, ConsentRecord

logger = logging.getLogger(__name__)

NECESSARY = "necessary"
ANALYTICS = "analytics"
AFFILIATE = "affiliate"

CONSENT_COOKIE = "cookie_consent"
CONSENT_COOKIE_MAX_AGE = int(timedelta(days=365).total_seconds())
# Where the affiliate partner's click is remembered (only with consent to AFFILIATE).
AFFILIATE_COOKIE = "affiliate_click"
AFFILIATE_COOKIE_MAX_AGE = int(timedelta(days=30).total_seconds())
# Google Analytics keeps its cookies this long (gtag `cookie_expires`, 13 months, not 2 years).
ANALYTICS_COOKIE_MAX_AGE = int(timedelta(days=395).total_seconds())

# Where a member's cookie choice was recorded (ConsentRecord.source; labels in
# privacy.declaration.SOURCE_LABELS).
SOURCE_COOKIE_BANNER = "cookie banner"
SOURCE_COOKIE_PAGE = "cookie page"


@dataclass(frozen=True)
class CookieCategory:
    key: str
    label: str
    description: str
    # Who processes what and why, for the banner's first layer.
    processors: str
    # The ledger purpose a member's choice is recorded under (None: always on, not a choice).
    purpose: ConsentPurpose | None


CATEGORIES = {
    category.key: category
    for category in [
        CookieCategory(
            NECESSARY,
            _("Necessary"),
            _(
                "Keep you logged in, protect forms against forgery, remember your language and "
                "this cookie choice. The site cannot work without them, so they are always on."
            ),
            _("Only this site."),
            None,
        ),
        CookieCategory(
            ANALYTICS,
            _("Analytics"),
            _(
                "Count visits and see which pages are used, so we can improve the site. Google "
                "receives the name of the page type (never your username, a profile or a "
                "search), your browser's details and a shortened IP address."
            ),
            _("Google Analytics (Google Ireland Ltd.)."),
            ConsentPurpose.ANALYTICS_COOKIES,
        ),
        CookieCategory(
            AFFILIATE,
            _("Affiliate partners and fraud checks"),
            _(
                "When you came here through a partner's link, remember that partner for 30 "
                "days so they can be paid when you sign up or buy credits, and have 24metrics "
                "check that sign-up or purchase for fraud with your IP address, browser "
                "details and the page you came from."
            ),
            _("Our affiliate partners and 24metrics (fraud detection)."),
            ConsentPurpose.OTHER_COOKIES,
        ),
    ]
}
OPTIONAL_CATEGORIES = [key for key, category in CATEGORIES.items() if category.purpose]
# Ledger purpose -> category.
CATEGORY_OF_PURPOSE = {
    category.purpose: key for key, category in CATEGORIES.items() if category.purpose
}


@dataclass(frozen=True)
class DeclaredCookie:
    """One cookie the site sets, or lets a script it loads set. `name` may end in `*` for a
    family of names (Google Analytics' `_ga_<stream id>`)."""

    name: str
    category: str
    purpose: str
    lifetime: str
    party: str
    max_age: int | None = None  # seconds; None: until the browser closes
    path: str = "/"

    def matches(self, cookie_name: str) -> bool:
        if self.name.endswith("*"):
            return cookie_name.startswith(self.name[:-1])
        return cookie_name == self.name


COOKIES = [
    DeclaredCookie(
        settings.SESSION_COOKIE_NAME,
        NECESSARY,
        _("Keeps you logged in; holds nothing but a random key."),
        _("14 days, or until you log out"),
        _("This site"),
        settings.SESSION_COOKIE_AGE,
    ),
    DeclaredCookie(
        settings.CSRF_COOKIE_NAME,
        NECESSARY,
        _("Protects the forms you send against forgery by other websites."),
        _("1 year"),
        _("This site"),
        settings.CSRF_COOKIE_AGE,
    ),
    DeclaredCookie(
        settings.LANGUAGE_COOKIE_NAME,
        NECESSARY,
        _("Remembers the language you chose."),
        _("1 year"),
        _("This site"),
        settings.LANGUAGE_COOKIE_AGE,
    ),
    DeclaredCookie(
        "messages",
        NECESSARY,
        _('Carries a notice (such as "Saved") to the next page.'),
        _("Until the next page"),
        _("This site"),
    ),
    DeclaredCookie(
        CONSENT_COOKIE,
        NECESSARY,
        _("Remembers this cookie choice and the version of the cookie policy you gave it for."),
        _("1 year"),
        _("This site"),
        CONSENT_COOKIE_MAX_AGE,
    ),
    DeclaredCookie(
        "_ga",
        ANALYTICS,
        _("Google Analytics: tells visits of the same browser apart (a random number)."),
        _("13 months"),
        _("Google Ireland Ltd."),
        ANALYTICS_COOKIE_MAX_AGE,
    ),
    DeclaredCookie(
        "_ga_*",
        ANALYTICS,
        _("Google Analytics: keeps the state of the current visit."),
        _("13 months"),
        _("Google Ireland Ltd."),
        ANALYTICS_COOKIE_MAX_AGE,
    ),
    DeclaredCookie(
        AFFILIATE_COOKIE,
        AFFILIATE,
        _("Remembers which partner's link brought you here (partner and click code)."),
        _("30 days"),
        _("This site, for our affiliate partners"),
        AFFILIATE_COOKIE_MAX_AGE,
    ),
]


def declared_cookie(name: str) -> DeclaredCookie | None:
    for cookie in COOKIES:
        if cookie.matches(name):
            return cookie
    return None


def cookies_of(category: str) -> list[DeclaredCookie]:
    return [cookie for cookie in COOKIES if cookie.category == category]


def policy_version() -> str:
    return settings.COOKIE_POLICY_VERSION


# --- The choice -----------------------------------------------------------------------------

_PAIR = re.compile(r"^[a-z]{1,20}=[0-9A-Za-z.\-]{1,20}$")


def parse_cookie_value(value: str) -> dict[str, str]:
    """`v=2026-11|analytics=1|affiliate=0` -> {"v": "2026-11", "analytics": "1", ...}; anything
    malformed is ignored."""
    pairs = {}
    for part in (value or "").split("|")[:10]:
        if _PAIR.match(part):
            key, _sep, flag = part.partition("=")
            pairs[key] = flag
    return pairs


def cookie_value(choices: dict[str, bool], version: str | None = None) -> str:
    parts = [f"v={version or policy_version()}"]
    parts += [f"{key}={int(bool(choices.get(key)))}" for key in OPTIONAL_CATEGORIES]
    return "|".join(parts)


@dataclass
class CookieChoice:
    """What this request may do. `decided`: every optional category has an answer given under
    the current policy version (otherwise the banner is shown). `allowed`: the optional
    categories consented to under the current version; nothing else is allowed.

    A member can have answered for one category only (on the consents page): then that answer
    counts, and the banner still asks about the rest."""

    decided: bool
    allowed: frozenset = field(default_factory=frozenset)
    # Where the effective choice came from: "cookie", "ledger", "saved" or "none".
    source: str = "none"

    def allows(self, category: str) -> bool:
        return category == NECESSARY or category in self.allowed

    @cached_property
    def choices(self) -> dict[str, bool]:
        return {key: key in self.allowed for key in OPTIONAL_CATEGORIES}


def choice_from_value(value: str, *, source: str = "cookie") -> CookieChoice:
    pairs = parse_cookie_value(value)
    if pairs.get("v") != policy_version():
        return CookieChoice(decided=False)
    allowed = frozenset(key for key in OPTIONAL_CATEGORIES if pairs.get(key) == "1")
    return CookieChoice(decided=True, allowed=allowed, source=source)


def choice_from_cookie(request) -> CookieChoice:
    return choice_from_value(request.COOKIES.get(CONSENT_COOKIE, ""))


def ledger_answers(member) -> dict[str, bool]:
    """The member's current answers per optional category: the latest ledger record of each
    cookie purpose, if it was given under the current policy version. One query (PostgreSQL
    DISTINCT ON over the index member, purpose, -created_at)."""
    records = ConsentRecord.objects.filter(
        member=member, purpose__in=list(CATEGORY_OF_PURPOSE)
    ).order_by("purpose", "-created_at", "-pk")
    if connection.vendor == "postgresql":
        records = records.distinct("purpose")
    latest = {}
    # Without DISTINCT ON (SQLite, `make run`): every record, the first of each purpose wins.
    for purpose, granted, wording_version in records.values_list(
        "purpose", "granted", "wording_version"
    ):
        latest.setdefault(purpose, (granted, wording_version))
    version = policy_version()
    return {
        CATEGORY_OF_PURPOSE[purpose]: granted
        for purpose, (granted, wording_version) in latest.items()
        if wording_version == version
    }


def choice_from_answers(answers: dict[str, bool], *, source: str) -> CookieChoice:
    return CookieChoice(
        decided=all(key in answers for key in OPTIONAL_CATEGORIES),
        allowed=frozenset(key for key, granted in answers.items() if granted),
        source=source if answers else "none",
    )


def _member(request):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


def _compute(request, *, record: bool) -> CookieChoice:
    from_cookie = choice_from_cookie(request)
    member = _member(request)
    if member is None:
        return from_cookie
    answers = ledger_answers(member)
    from_ledger = choice_from_answers(answers, source="ledger")
    if from_ledger.decided or not from_cookie.decided:
        return from_ledger
    # Chosen on this browser before logging in: the member's answer from now on, everywhere.
    missing = {key: key in from_cookie.allowed for key in OPTIONAL_CATEGORIES if key not in answers}
    if record:
        _record(member, missing, source=SOURCE_COOKIE_BANNER)
    return choice_from_answers({**missing, **answers}, source="cookie")


def choice_for(request) -> CookieChoice:
    """The cookie choice that holds for this request (computed once per request)."""
    choice = request.__dict__.get("_cookie_choice")
    if choice is None:
        choice = _compute(request, record=True)
        request._cookie_choice = choice
    return choice


def _remember(request, choice: CookieChoice) -> None:
    request._cookie_choice = choice
    request.cookie_choice = choice


def _record(member, answers: dict[str, bool], *, source: str) -> None:
    from .services import record_consent

    for key, granted in answers.items():
        record_consent(
            member=member,
            purpose=CATEGORIES[key].purpose,
            granted=granted,
            wording_version=policy_version(),
            source=source,
        )


# --- Saving a choice ------------------------------------------------------------------------


def set_consent_cookie(request, response, choice: CookieChoice) -> None:
    response.set_cookie(
        CONSENT_COOKIE,
        cookie_value(choice.choices),
        max_age=CONSENT_COOKIE_MAX_AGE,
        path="/",
        secure=settings.SESSION_COOKIE_SECURE or request.is_secure(),
        httponly=True,
        samesite="Lax",
    )


def save_choice(request, response, *, allowed, source: str) -> CookieChoice:
    """Saves a whole choice (the banner's "Accept all" or "Refuse all", the cookie page's
    form): the consent cookie on `response`, and for a member one ledger record per category
    whose answer (or policy version) changed. The cookies of categories no longer allowed are
    expired on the way out by the middleware."""
    allowed = frozenset(key for key in allowed if key in OPTIONAL_CATEGORIES)
    choice = CookieChoice(decided=True, allowed=allowed, source="saved")
    set_consent_cookie(request, response, choice)
    member = _member(request)
    if member is not None:
        _record(member, choice.choices, source=source)
    _remember(request, choice)
    logger.info("cookie_choice.saved source=%s allowed=%s", source, ",".join(sorted(allowed)))
    return choice


def change_category(request, response, *, category: str, granted: bool, source: str):
    """A member gives or withdraws one category (the consents page): recorded in the ledger
    under the current policy version; the consent cookie follows when the whole choice is
    then answered."""
    member = _member(request)
    _record(member, {category: granted}, source=source)
    choice = choice_from_answers(ledger_answers(member), source="ledger")
    if choice.decided:
        set_consent_cookie(request, response, choice)
    _remember(request, choice)
    return choice


def expire_unconsented(request, response) -> list[str]:
    """Expires every cookie the browser sent whose category this response's choice does not
    allow (a withdrawal, a refusal, a new policy version), unless the response sets it itself.
    A non-necessary cookie the response sets without consent is dropped (and noted on the
    response as `_cookies_refused`, which `undeclared_or_unconsented` reports, so the test
    suite still fails on it). Asks for the choice only when such a cookie is involved."""
    sent = [
        (name, declared)
        for name in request.COOKIES
        if (declared := declared_cookie(name)) is not None and declared.category != NECESSARY
    ]
    setting = [
        (name, declared)
        for name, morsel in response.cookies.items()
        if not is_deletion(morsel)
        and (declared := declared_cookie(name)) is not None
        and declared.category != NECESSARY
    ]
    if not sent and not setting:
        return []
    choice = choice_for(request)
    refused = []
    for name, declared in setting:
        if not choice.allows(declared.category):
            del response.cookies[name]
            refused.append(name)
            logger.warning("cookie_choice.refused_cookie name=%s", name)
    if refused:
        response._cookies_refused = [*getattr(response, "_cookies_refused", []), *refused]
    expired = []
    for name, declared in sent:
        if not choice.allows(declared.category) and name not in response.cookies:
            response.delete_cookie(name, path=declared.path, samesite="Lax")
            expired.append(name)
    return expired


# --- Google Analytics -----------------------------------------------------------------------

GOOGLE_ANALYTICS_ID = re.compile(r"^G-[A-Z0-9]{4,20}$")
# Google's Content-Security-Policy guide for GA4 (developers.google.com/tag-platform/security/
# guides/csp): added to the policy of the responses that load it, and only those.
GOOGLE_ANALYTICS_CSP = {
    # Only gtag.js itself (a path-restricted source): a host-wide entry would also allow any
    # Google Tag Manager container (gtm.js?id=...), a known way around a nonce policy.
    "script-src": ["https://www.googletagmanager.com/gtag/js"],
    "img-src": ["https://*.google-analytics.com", "https://*.googletagmanager.com"],
    "connect-src": [
        "https://*.google-analytics.com",
        "https://*.analytics.google.com",
        "https://*.googletagmanager.com",
    ],
}
GOOGLE_ANALYTICS_MARK = "_google_analytics_included"


def route_name(request) -> str:
    """What Google Analytics gets as the page: "/" + the route's name ("/profiles:detail"),
    never the URL, which can carry a username, a search filter or a sexual preference."""
    match = getattr(request, "resolver_match", None)
    return "/" + (match.view_name if match is not None and match.view_name else "not-found")


def _referrer(request) -> str | None:
    """The page the visitor came from, as GA may see it: a page of this site as its route
    name; another site as its origin only; None without a referrer."""
    referer = request.headers.get("Referer", "")
    if not referer:
        return None
    try:
        parts = urlsplit(referer)
        hostname = parts.hostname
    except ValueError:  # a malformed Referer header (not sent by browsers)
        return None
    if parts.netloc == request.get_host():
        try:
            view_name = resolve(parts.path).view_name
        except Resolver404:
            view_name = "not-found"
        return f"{request.scheme}://{request.get_host()}/{view_name}"
    if parts.scheme in ("http", "https") and hostname:
        return f"{parts.scheme}://{hostname}/"
    return None


def google_analytics(request) -> dict | None:
    """The settings for gtag when this response may load Google Analytics (an id configured
    and the visitor's consent to analytics), else None. Marks the request, so the middleware
    opens the CSP for Google's hosts on this response alone."""
    measurement_id = settings.GA_MEASUREMENT_ID
    if not measurement_id or not choice_for(request).allows(ANALYTICS):
        return None
    if not GOOGLE_ANALYTICS_ID.match(measurement_id):
        logger.warning("google_analytics.invalid_measurement_id")
        return None
    page = route_name(request)
    location = f"{request.scheme}://{request.get_host()}{page}"
    page_fields = {"page_location": location, "page_title": page}
    referrer = _referrer(request)
    if referrer is not None:
        page_fields["page_referrer"] = referrer
    setattr(request, GOOGLE_ANALYTICS_MARK, True)
    return {
        "id": measurement_id,
        "page": page_fields,
        "config": {
            **page_fields,
            "allow_google_signals": False,
            "allow_ad_personalization_signals": False,
            # Host-only cookies, which the server can expire when consent is withdrawn.
            "cookie_domain": "none",
            "cookie_expires": ANALYTICS_COOKIE_MAX_AGE,
            "cookie_flags": "samesite=lax" + (";secure" if request.is_secure() else ""),
        },
    }


def open_csp_for_google_analytics(response) -> None:
    update = dict(getattr(response, "_csp_update", None) or {})
    for directive, sources in GOOGLE_ANALYTICS_CSP.items():
        update[directive] = [*update.get(directive, []), *sources]
    response._csp_update = update


# --- The check the test suite runs on every response -----------------------------------------


def is_deletion(morsel) -> bool:
    """An expired Set-Cookie (what `delete_cookie` sends)."""
    max_age = str(morsel["max-age"]).strip()
    return max_age == "0" or "1970" in str(morsel["expires"])


def _choice_for_check(request, response) -> CookieChoice:
    """The choice the response may act on: the one it saves, or the request's (read without
    recording anything)."""
    saved = response.cookies.get(CONSENT_COOKIE)
    if saved is not None and not is_deletion(saved):
        choice = choice_from_value(saved.value, source="saved")
        if choice.decided:
            return choice
    choice = request.__dict__.get("_cookie_choice")
    return choice if choice is not None else _compute(request, record=False)


def undeclared_or_unconsented(request, response) -> list[str]:
    """What is wrong with the cookies `response` sets: a cookie not declared in COOKIES, or a
    non-necessary one the choice does not allow. Empty when all is well. Expired cookies
    (withdrawals) are always fine."""
    problems = [
        f"{request.method} {request.path} set the cookie {name!r} without consent to its "
        "category (privacy.cookies.expire_unconsented dropped it on the way out)"
        for name in getattr(response, "_cookies_refused", [])
    ]
    choice = None
    for name, morsel in response.cookies.items():
        if is_deletion(morsel):
            continue
        declared = declared_cookie(name)
        if declared is None:
            problems.append(
                f"{request.method} {request.path} sets the cookie {name!r}, which is not declared "
                "in privacy.cookies.COOKIES (declare it, with its category, purpose, lifetime "
                "and party)"
            )
            continue
        if declared.category == NECESSARY:
            continue
        if choice is None:
            choice = _choice_for_check(request, response)
        if not choice.allows(declared.category):
            problems.append(
                f"{request.method} {request.path} sets the {declared.category} cookie {name!r} "
                f"without consent to {declared.category!r} (the choice allows: "
                f"{sorted(choice.allowed) or 'nothing optional'})"
            )
    return problems
