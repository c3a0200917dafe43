"""The one declaration of the personal data the site processes (SPEC R8.1, R8.2; sections 8 and
9 of the privacy statement): the three categories, the purposes with their legal basis and
retention, what each registered model holds in the member's words, and the consents a member
can give.

Everything the member reads about their data comes from here: the "my data" page, the consents
page and the export's index. The registry (privacy.registry) points at it: every `register(...,
purpose=...)` must name a purpose declared below, with the same legal basis, and a test fails
when a registered model has no holding here. When a new model with personal data arrives,
declare what it holds (HOLDINGS) and, if it serves a new purpose, the purpose (PURPOSES).

Texts are lazy: they are read in the member's language, and retention periods are filled in
from the settings at the moment they are shown (ACCOUNT_ERASURE_AFTER, DATA_EXPORT_DAYS).
"""

from dataclasses import dataclass, field
from enum import StrEnum

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.functional import lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, ngettext_lazy

from .models import ConsentPurpose


class Category(StrEnum):
    """The three categories of section 9 of the privacy statement (R8.1)."""

    NECESSARY = "necessary"
    VOLUNTARY = "voluntary"
    SPECIAL = "special"


class Basis(StrEnum):
    """Legal bases of article 6 (and 9 for explicit consent) of the GDPR."""

    CONTRACT = "contract"
    CONSENT = "consent"
    EXPLICIT_CONSENT = "explicit_consent"
    LEGAL_OBLIGATION = "legal_obligation"
    LEGITIMATE_INTEREST = "legitimate_interest"


CATEGORY_LABELS = {
    Category.NECESSARY: _("Necessary"),
    Category.VOLUNTARY: _("Voluntary"),
    Category.SPECIAL: _("Special"),
}
BASIS_LABELS = {
    Basis.CONTRACT: _("Needed to provide the service you signed up for"),
    Basis.CONSENT: _("Your consent"),
    Basis.EXPLICIT_CONSENT: _("Your explicit consent"),
    Basis.LEGAL_OBLIGATION: _("A legal obligation"),
    Basis.LEGITIMATE_INTEREST: _("Our legitimate interest in a safe and working site"),
}


# --- Categories (section 9 of the statement) --------------------------------------------------


@dataclass(frozen=True)
class CategoryDeclaration:
    category: Category
    label: str
    heading: str
    description: str

    @property
    def key(self) -> str:
        return str(self.category)


CATEGORIES = {
    declaration.category: declaration
    for declaration in [
        CategoryDeclaration(
            Category.NECESSARY,
            CATEGORY_LABELS[Category.NECESSARY],
            _("Necessary data"),
            _(
                "What we need to give you the service at all: your e-mail address, IP address, "
                "account name, password, payment details and the cookies the site cannot work "
                "without. We process it under the terms you accepted and our legitimate "
                "interest in a safe site."
            ),
        ),
        CategoryDeclaration(
            Category.VOLUNTARY,
            CATEGORY_LABELS[Category.VOLUNTARY],
            _("Voluntary data"),
            _(
                "What you choose to share to get more out of the site: your profile, photos, "
                "messages, preferences, and cookies that are not strictly needed. You decide "
                "what to fill in, and you can change or remove it."
            ),
        ),
        CategoryDeclaration(
            Category.SPECIAL,
            CATEGORY_LABELS[Category.SPECIAL],
            _("Special data"),
            _(
                "Data that reveals your sexual life or orientation: your sexual preferences, "
                "and photos, messages or interests where they reveal them. We store your "
                "sexual preferences only with your explicit consent, encrypted, and erase "
                "them as soon as you withdraw it."
            ),
        ),
    ]
}


# --- Retention, in plain words ----------------------------------------------------------------


def erasure_period() -> str:
    """When a closed account's data is erased, from the ACCOUNT_ERASURE_AFTER setting."""
    months = settings.ACCOUNT_ERASURE_AFTER
    if not months:
        return str(_("right after you close your account"))
    return ngettext(
        "within %(count)d month after you close your account",
        "within %(count)d months after you close your account",
        months,
    ) % {"count": months}


def _days(count: int) -> str:
    return ngettext("%(count)d day", "%(count)d days", count) % {"count": count}


def _months(count: int) -> str:
    return ngettext("%(count)d month", "%(count)d months", count) % {"count": count}


def _years(count: int) -> str:
    return ngettext("%(count)d year", "%(count)d years", count) % {"count": count}


def fill_retention(text) -> str:
    return str(text) % {
        "erasure": erasure_period(),
        "export_days": settings.DATA_EXPORT_DAYS,
        "request_days": settings.PRIVACY_REQUEST_RETENTION_DAYS,
        # What the site records by itself (activity.retention enforces the same settings).
        "ip_period": _days(settings.ACTIVITY_FULL_IP_DAYS),
        "login_period": _months(settings.ACTIVITY_LOGIN_RETENTION_MONTHS),
        "visit_period": _days(settings.ACTIVITY_PAGE_VISIT_DAYS),
        "failed_login_period": _days(settings.ACTIVITY_FAILED_LOGIN_DAYS),
        # Statements of reasons kept without the member (moderation.personal_data).
        "statement_period": _years(getattr(settings, "MODERATION_STATEMENT_YEARS", 5)),
    }


UNTIL_ERASURE = _(
    "As long as your account exists. Erased %(erasure)s, or at once if you ask for that."
)
UNTIL_REMOVED = _(
    "Until you remove it yourself. Otherwise erased %(erasure)s, or at once if you ask for that."
)


# --- Purposes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Purpose:
    """What data is processed for, why, on which legal basis, how long it is kept, and where
    the member sees or changes it (a URL name, for the rectification links)."""

    key: str
    label: str
    why: str
    basis: Basis
    retention: str
    change_url: str | None = None
    change_label: str | None = None

    @property
    def basis_label(self) -> str:
        return BASIS_LABELS[self.basis]

    def retention_text(self) -> str:
        return fill_retention(self.retention)


PURPOSES = {
    purpose.key: purpose
    for purpose in [
        Purpose(
            "account",
            _("Your account"),
            _(
                "To give you an account: to log you in (with two-factor authentication if you "
                "turned it on), confirm your e-mail address, send you mail about your account, "
                "and know that you confirmed being 18 or older and which terms you accepted."
            ),
            Basis.CONTRACT,
            UNTIL_ERASURE,
            "account_email",
            _("Change your e-mail address"),
        ),
        Purpose(
            "security",
            _("Keeping your account safe"),
            _(
                "Each log-in and each session: when, the IP address, the kind of device, its "
                "operating system and browser, and the internet provider (looked up on our own "
                "server, never sent elsewhere). So you and we can spot and end log-ins that are "
                "not yours, and we can warn you by e-mail of a log-in from a new device."
            ),
            Basis.LEGITIMATE_INTEREST,
            _(
                "The full IP address for %(ip_period)s, then only its network (the last part "
                "removed). Log-ins and sessions are deleted after %(login_period)s, a session "
                "also as soon as you end it or log out; failed log-ins after "
                "%(failed_login_period)s. All of it is erased %(erasure)s, or at once if you ask "
                "for that."
            ),
            "activity:devices",
            _("See your log-ins and end sessions"),
        ),
        Purpose(
            "site_operation",
            _("Running the site"),
            _(
                "Which pages you visited while logged in, and when, per session: the kind of "
                "page only, never its address, your searches or whom you looked at. So we can "
                "find faults and misuse, and see which pages are used."
            ),
            Basis.LEGITIMATE_INTEREST,
            _(
                "%(visit_period)s, then deleted. After that only anonymous counts remain: how "
                "often each page was visited per day, by everyone together. Erased %(erasure)s, "
                "or at once if you ask for that."
            ),
            "activity:devices",
            _("See your log-ins and end sessions"),
        ),
        Purpose(
            "profile",
            _("Your profile"),
            _(
                "What you tell about yourself and what you look for, and your photos, so other "
                "members can find you and get to know you."
            ),
            Basis.CONSENT,
            UNTIL_REMOVED,
            "profiles:edit",
            _("Edit your profile"),
        ),
        Purpose(
            "special",
            _("Your sexual preferences"),
            _(
                "Only if you fill them in, with your explicit consent. They are stored "
                "encrypted, shown only to you, and not used for search or suggestions."
            ),
            Basis.EXPLICIT_CONSENT,
            _(
                "Until you withdraw your consent: then they are erased at once. Otherwise "
                "erased %(erasure)s."
            ),
            "profiles:sensitive",
            _("See or change your sexual preferences"),
        ),
        Purpose(
            "suggestions",
            _("Personalised suggestions"),
            _(
                "With your consent, we compare your profile and what you look for with other "
                "members' profiles, to suggest people who fit you and to suggest you to "
                "people you fit."
            ),
            Basis.CONSENT,
            _("Nothing extra is stored: suggestions are worked out when they are shown."),
            "privacy:consents",
            _("Turn personalised suggestions on or off"),
        ),
        Purpose(
            "contacts",
            _("Your favourites"),
            _("The members you marked as favourites, so you can find them again."),
            Basis.CONTRACT,
            UNTIL_REMOVED,
            "profiles:favourites",
            _("See your favourites"),
        ),
        Purpose(
            "messages",
            _("Chat"),
            _(
                "Your conversations, the messages you send and receive (stored encrypted), "
                "and your message settings, so messages reach the right person the way you "
                "want."
            ),
            Basis.CONTRACT,
            _(
                "As long as your account exists. Erased %(erasure)s, or at once if you ask "
                "for that; the other member then sees a removed member, without your text."
            ),
            "messaging:settings",
            _("Change your message settings"),
        ),
        Purpose(
            "credits",
            _("Credits"),
            _("Your credit balance, and what you bought and spent credits on, so you can chat."),
            Basis.CONTRACT,
            UNTIL_ERASURE,
            "payments:history",
            _("See your purchases and credits"),
        ),
        Purpose(
            "purchases",
            _("Purchases (bookkeeping)"),
            _("Your orders and payments: the law requires us to keep them for bookkeeping."),
            Basis.LEGAL_OBLIGATION,
            _(
                "7 years, as Dutch tax law requires. When your account is erased they are "
                "kept detached from you: without your name, e-mail address or username."
            ),
            "payments:history",
            _("See your purchases and credits"),
        ),
        Purpose(
            "safety",
            _("Safety and moderation"),
            _(
                "Reports you made and how they turned out, your appeals, members you blocked, "
                "decisions taken on reports about your content, restrictions of your account "
                "and violations counted against it, to keep the site safe and fair."
            ),
            Basis.LEGITIMATE_INTEREST,
            _(
                "As long as your account exists. When it is erased, the cases are kept "
                "without any link to you and without what you wrote; restrictions and "
                "violations counted against you are deleted."
            ),
            "profiles:blocks",
            _("See the members you blocked"),
        ),
        Purpose(
            "moderation_decisions",
            _("Decisions about your account or content"),
            _(
                "The statements of reasons for decisions our moderators took about your "
                "account or what you posted: what was decided, on which ground, the facts, from "
                "when until when, and how you can contest it. The Digital Services Act requires "
                "us to give them, and to be able to account for them to the supervisor and in "
                "court."
            ),
            Basis.LEGAL_OBLIGATION,
            _(
                "As long as your account exists. When it is erased, a statement is kept without "
                "anything that links it to you (no account, name or language; the facts never "
                "hold personal data) for %(statement_period)s after the decision, then deleted."
            ),
            "moderation:my_decisions",
            _("See the decisions about you"),
        ),
        Purpose(
            "staff",
            _("Staff work"),
            _(
                "For staff accounts only: decisions taken and reported content viewed, kept "
                "as an audit trail."
            ),
            Basis.LEGITIMATE_INTEREST,
            _(
                "As long as the staff account exists. Then the trail is kept without the link "
                "to you."
            ),
        ),
        Purpose(
            "staff_access",
            _("Staff access to your data"),
            _(
                "Each time a staff member opens a page with your data in our administration, we "
                "record their role, what they opened and when (never the content), so that "
                "access by staff can be checked. For staff accounts also: the pages with "
                "members' data you opened."
            ),
            Basis.LEGITIMATE_INTEREST,
            _(
                "As long as your account exists. Erased %(erasure)s, or at once if you ask for "
                "that. What a staff member opened is kept without the link to them when their "
                "account is erased."
            ),
        ),
        Purpose(
            "consent",
            _("Proof of your privacy choices"),
            _(
                "Every consent you gave or withdrew, every limit you set, and every version "
                "of the privacy statement you accepted, with the time and the wording: the "
                "law requires us to be able to show them."
            ),
            Basis.LEGAL_OBLIGATION,
            UNTIL_ERASURE,
            "privacy:consents",
            _("See and change your consents"),
        ),
        Purpose(
            "export",
            _("Your data exports"),
            _("The copies of your data you asked for, so you can download them."),
            Basis.LEGAL_OBLIGATION,
            _(
                "The file is deleted %(export_days)s days after it is ready. The request "
                "itself is erased %(erasure)s."
            ),
            "privacy:exports",
            _("Download a copy of your data"),
        ),
        Purpose(
            "helpdesk",
            _("Your questions and requests to the helpdesk"),
            _(
                "What you wrote to the helpdesk, the files you sent and our answers, so we can "
                "answer your question or carry out your privacy request, and show that we "
                "handled privacy requests correctly and on time, as the law requires."
            ),
            Basis.LEGAL_OBLIGATION,
            _(
                "Until %(request_days)s days after the request is closed, then erased. If your "
                "account is erased earlier, a closed request keeps only its reference, kind and "
                "dates; an open one is finished first."
            ),
            "privacy:contact",
            _("Write to the helpdesk"),
        ),
        Purpose(
            "promotional_mail",
            _("Promotional e-mail"),
            _(
                "Only with your consent: news and offers about the site, now and then. We "
                "record which mailing went to you and when, so no one gets it twice. We never "
                "track whether you open a mail or click a link in it."
            ),
            Basis.CONSENT,
            _(
                "Mail: until you withdraw your consent or object to direct marketing. The "
                "record of mailings sent to you is erased %(erasure)s."
            ),
            "mailings:settings",
            _("Turn promotional e-mail on or off"),
        ),
        Purpose(
            "suggestion_mail",
            _("Suggestion e-mails"),
            _(
                "Only with your consent: now and then an e-mail with members who fit you and "
                "whom we did not mail you before (username, age and place; no photos). We "
                "remember whom we mailed you, so no one is suggested twice."
            ),
            Basis.CONSENT,
            _(
                "Until you withdraw your consent or object to direct marketing or profiling. "
                "The list of members we mailed you is erased %(erasure)s."
            ),
            "mailings:settings",
            _("Change your e-mail settings"),
        ),
        Purpose(
            "partner_checks",
            _("Affiliate partners and fraud checks"),
            _(
                "Only with your consent to affiliate cookies, and only when you came to the site "
                "through an affiliate partner's link: we remember the partner and its click code "
                "so the partner can be paid when you sign up or buy credits. At that moment "
                "24metrics, a fraud-detection service, receives your IP address, your browser's "
                "details (user agent), the name of the website you came from, the partner, the "
                "click code and, for a purchase, the order's reference, to check that the "
                "sign-up or purchase is genuine. We keep the partner, the click code and "
                "24metrics' answer; not your IP address, browser details or where you came from. "
                "No one else receives them."
            ),
            Basis.CONSENT,
            _(
                "The cookie with the partner's click: 30 days. The record of each check: as "
                "long as your account exists; erased %(erasure)s, or at once if you ask for "
                "that. Withdrawing your consent stops further checks and deletes the cookie."
            ),
            "privacy:consents",
            _("See and change your consents"),
        ),
        Purpose(
            "analytics",
            _("Statistics about the use of the site"),
            _(
                "Only with your consent to analytics cookies: Google Analytics counts visits "
                "and which kinds of page are used, so we can improve the site. Google receives "
                "the name of the page type (never its address, so never a username, a profile "
                "or a search), your browser's details and a shortened IP address, under a "
                "random number kept in a cookie; no advertising features, no Google signals."
            ),
            Basis.CONSENT,
            _(
                "Until you withdraw your consent: the cookies are then deleted. In Google "
                "Analytics, what is linked to the cookie's random number is kept for 14 "
                "months at most (our data retention setting there)."
            ),
            "privacy:consents",
            _("See and change your consents"),
        ),
    ]
}


def purpose(key: str) -> Purpose:
    """The declared purpose; KeyError for one that is not declared."""
    return PURPOSES[key]


# What the site records by itself (SPEC R6.1): the privacy statement page lists these purposes
# with their retention, from the same settings activity.retention enforces.
RECORDED_BY_SITE = ("security", "site_operation")


def recorded_by_site() -> list[Purpose]:
    return [PURPOSES[key] for key in RECORDED_BY_SITE]


# --- What each registered model holds, in the member's words -----------------------------------


@dataclass(frozen=True)
class Holding:
    """What one registered model holds about a member (keyed by its label, e.g.
    "profiles.photo"), for the "my data" page.

    `counted_by`: the member's own foreign keys on the model (rows where any of them is the
    member are counted, in one query for the whole page); `unit` names the count
    ("%(count)s photos"). Without `counted_by`, the summary is taken from the model's export
    (only for small, cheap exports): `summary(rows)` -> text, or the number of rows in `unit`.
    Only fields whose rows the member may see are counted (never "who reported you")."""

    what: str
    counted_by: tuple[str, ...] = ()
    unit: object = None
    summary: object = None
    change_url: str | None = None
    change_label: str | None = None


def _mask_email(address: str) -> str:
    """a***@example.org: enough to recognise one's own address over a shoulder, no more."""
    local, _at, domain = (address or "").partition("@")
    if not domain:
        return "***"
    return f"{local[:1]}***@{domain}"


def _summarise_member(rows) -> str:
    if not rows:
        return ""
    row = rows[0]
    return str(_("username %(username)s, e-mail address %(email)s")) % {
        "username": row.get("username", ""),
        "email": _mask_email(row.get("email", "")),
    }


def _summarise_profile(rows) -> str:
    if not rows:
        return str(_("No profile yet"))
    row = rows[0]
    parts = [
        ("description", _("description")),
        ("birth_date", _("date of birth")),
        ("place", _("place")),
        ("seeks_genders", _("who you look for")),
        ("interests", _("interests")),
        ("free_tags", _("tags")),
    ]
    filled = [str(label) for key, label in parts if row.get(key)]
    if not filled:
        return str(_("An empty profile"))
    return str(_("Filled in: %(parts)s")) % {"parts": ", ".join(filled)}


def _summarise_wallet(rows) -> str:
    balance = rows[0]["balance"] if rows else 0
    return ngettext("%(count)d credit", "%(count)d credits", balance) % {"count": balance}


def _summarise_spending_limit(rows) -> str:
    cents = rows[0]["limit_cents"] if rows else None
    if cents is None:
        return str(_("No limit"))
    euros = cents // 100
    return ngettext("%(euros)d euro a month", "%(euros)d euros a month", euros) % {"euros": euros}


def _summarise_receiving_settings(rows) -> str:
    if not rows:
        return str(_("The standard settings"))
    if not rows[0].get("accepts_messages", True):
        return str(_("You receive no messages at the moment"))
    return str(_("You receive messages"))


def _summarise_preferences(rows) -> str:
    chosen = rows[0].get("sexual_preferences") if rows else None
    if not chosen:
        return str(_("Nothing stored"))
    return ngettext("%(count)d preference stored", "%(count)d preferences stored", len(chosen)) % {
        "count": len(chosen)
    }


def _summarise_suggestion_mail_state(rows) -> str:
    sent = rows[0].get("last_sent_at") if rows else None
    if not sent:
        return str(_("None sent yet"))
    return str(_("Last one sent on %(date)s")) % {
        "date": date_format(timezone.localtime(parse_datetime(sent)), "DATE_FORMAT")
    }


HOLDINGS = {
    "members.member": Holding(
        _(
            "Your username, e-mail address, gender, language, when you joined, and which terms "
            "and privacy statement you accepted."
        ),
        summary=_summarise_member,
    ),
    "account.emailaddress": Holding(
        _("Your e-mail addresses and whether they are confirmed."),
        counted_by=("user",),
        unit=ngettext_lazy("%(count)d e-mail address", "%(count)d e-mail addresses", "count"),
    ),
    "members.outgoingmail": Holding(
        _("The mail we sent you: subject and when. The content is deleted once it is sent."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d mail", "%(count)d mails", "count"),
    ),
    "mfa.authenticator": Holding(
        _("Your two-factor authentication settings."),
        counted_by=("user",),
        unit=ngettext_lazy("%(count)d method", "%(count)d methods", "count"),
        change_url="mfa_index",
        change_label=_("Change two-factor authentication"),
    ),
    "members.staffenrolmentlink": Holding(
        _(
            "For staff accounts: the one-time links for setting up two-factor authentication, "
            "when each was made, until when it worked and when it was used."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d enrolment link", "%(count)d enrolment links", "count"),
    ),
    "usersessions.usersession": Holding(
        _("Your sessions: the device, IP address and when each was last used."),
        counted_by=("user",),
        unit=ngettext_lazy("%(count)d session", "%(count)d sessions", "count"),
    ),
    "activity.loginrecord": Holding(
        _(
            "Your log-ins: when, the IP address (shortened after a while), the kind of device, "
            "operating system, browser and internet provider, and whether it was a new device."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d log-in", "%(count)d log-ins", "count"),
    ),
    "activity.failedlogin": Holding(
        _(
            "Failed log-ins with your username or e-mail address: when, why (wrong password or "
            "too many attempts) and a coded form of the IP address."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d failed log-in", "%(count)d failed log-ins", "count"),
    ),
    "activity.pagevisit": Holding(
        _("The pages you visited while logged in (the kind of page, not its address) and when."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d page visit", "%(count)d page visits", "count"),
    ),
    "profiles.profile": Holding(
        _(
            "Your profile: description, date of birth, place, who and what you look for, "
            "interests and tags."
        ),
        summary=_summarise_profile,
    ),
    "profiles.photo": Holding(
        _("Your photos, with their order and whether they were approved."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d photo", "%(count)d photos", "count"),
        change_url="profiles:photos",
        change_label=_("Manage your photos"),
    ),
    "profiles.verificationrequest": Holding(
        _(
            "Your requests for the verified badge: the gesture we asked for, the outcome and "
            "when. Your selfie is kept only until a moderator has decided."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d request", "%(count)d requests", "count"),
        change_url="profiles:verification",
        change_label=_("See your verification"),
    ),
    "profiles.profiletextrevision": Holding(
        _(
            "Texts about yourself that are not on your profile: waiting for review, not "
            "accepted, replaced by a newer one, or taken down by a moderator."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d text", "%(count)d texts", "count"),
        change_url="profiles:edit",
        change_label=_("Edit your profile"),
    ),
    "profiles.favourite": Holding(
        _("The members you marked as favourites."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d favourite", "%(count)d favourites", "count"),
    ),
    "profiles.block": Holding(
        _("The members you blocked."),
        counted_by=("blocker",),
        unit=ngettext_lazy("%(count)d member blocked", "%(count)d members blocked", "count"),
    ),
    "messaging.conversation": Holding(
        _("Your conversations: with whom and since when."),
        counted_by=("member_low", "member_high"),
        unit=ngettext_lazy("%(count)d conversation", "%(count)d conversations", "count"),
        change_url="messaging:inbox",
        change_label=_("Go to your messages"),
    ),
    "messaging.message": Holding(
        _(
            "The messages you sent, stored encrypted. Messages others sent you are theirs and "
            "are in your export too."
        ),
        counted_by=("sender",),
        unit=ngettext_lazy("%(count)d message sent", "%(count)d messages sent", "count"),
        change_url="messaging:inbox",
        change_label=_("Go to your messages"),
    ),
    "messaging.participant": Holding(
        _("Your side of each conversation: what you read and whether it is in your inbox."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d conversation", "%(count)d conversations", "count"),
        change_url="messaging:inbox",
        change_label=_("Go to your messages"),
    ),
    "messaging.receivingsettings": Holding(
        _("Your message settings: who may write to you and how you hear of new messages."),
        summary=_summarise_receiving_settings,
    ),
    "payments.order": Holding(
        _("Your orders: credits bought, amount, payment method and status."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d order", "%(count)d orders", "count"),
    ),
    "payments.ledgerentry": Holding(
        _("Every change to your credits: what you bought and what you spent them on."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d entry", "%(count)d entries", "count"),
    ),
    "payments.wallet": Holding(
        _("Your credit balance."),
        summary=_summarise_wallet,
    ),
    "payments.spendinglimit": Holding(
        _("Your monthly spending limit, and a change of it waiting to take effect."),
        summary=_summarise_spending_limit,
        change_url="payments:history",
        change_label=_("Change your spending limit"),
    ),
    "moderation.notice": Holding(
        _("The reports you made about others' content."),
        counted_by=("reporter",),
        unit=ngettext_lazy("%(count)d report", "%(count)d reports", "count"),
    ),
    "moderation.report": Holding(
        _(
            "Decisions taken against your content or account after a report (never who "
            "reported it)."
        ),
        unit=ngettext_lazy("%(count)d decision", "%(count)d decisions", "count"),
        change_url="privacy:dpo",
        change_label=_("Ask the data protection officer"),
    ),
    "moderation.statement": Holding(
        _(
            "The statements of reasons for decisions about your account or content: the "
            "decision, its ground, the facts and the dates (never who reported it)."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d statement", "%(count)d statements", "count"),
        change_url="moderation:my_decisions",
        change_label=_("See the decisions about you"),
    ),
    "moderation.sanction": Holding(
        _("Restrictions and suspensions of your account: which, from when and until when."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d restriction", "%(count)d restrictions", "count"),
        change_url="moderation:my_decisions",
        change_label=_("See the decisions about you"),
    ),
    "moderation.strike": Holding(
        _(
            "Violations counted against your account: repeated ones lead to a warning or a "
            "suspension."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d violation", "%(count)d violations", "count"),
    ),
    "moderation.reporterstanding": Holding(
        _(
            "How your reports turned out (founded or not), and whether your reports are "
            "handled last because many were unfounded."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d record", "%(count)d records", "count"),
    ),
    "moderation.appeal": Holding(
        _("Your appeals against decisions: what you wrote, the outcome and our reasons."),
        counted_by=("appellant",),
        unit=ngettext_lazy("%(count)d appeal", "%(count)d appeals", "count"),
        change_url="moderation:my_decisions",
        change_label=_("See the decisions about you"),
    ),
    "moderation.trustedflagger": Holding(
        _(
            "If you report for an organisation we trust as a flagger: that your account is "
            "its account for reports."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d organisation", "%(count)d organisations", "count"),
    ),
    "moderation.casenote": Holding(
        _("Staff only: the private notes you wrote on cases."),
        counted_by=("author",),
        unit=ngettext_lazy("%(count)d note", "%(count)d notes", "count"),
    ),
    "moderation.moderationaction": Holding(
        _("Staff only: your entries in the moderation audit log."),
        counted_by=("staff",),
        unit=ngettext_lazy("%(count)d entry", "%(count)d entries", "count"),
    ),
    "moderation.reportdecision": Holding(
        _("Staff only: decisions you took on reports."),
        counted_by=("moderator",),
        unit=ngettext_lazy("%(count)d decision", "%(count)d decisions", "count"),
    ),
    "moderation.contentaccesslog": Holding(
        _("Staff only: the reported content you viewed."),
        counted_by=("staff",),
        unit=ngettext_lazy("%(count)d view", "%(count)d views", "count"),
    ),
    "privacy.staffaccesslog": Holding(
        _(
            "When staff looked at your data in our administration: their role, what and when. "
            "For staff accounts also: the members' data you looked at."
        ),
        counted_by=("member", "staff"),
        unit=ngettext_lazy("%(count)d view", "%(count)d views", "count"),
    ),
    "privacy.privacyrequest": Holding(
        _(
            "Your questions and requests to the helpdesk: kind, status, dates, subject and what "
            "you wrote."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d request", "%(count)d requests", "count"),
    ),
    "privacy.requestmessage": Holding(
        _("What you wrote to the helpdesk and our answers."),
        unit=ngettext_lazy("%(count)d message", "%(count)d messages", "count"),
    ),
    "privacy.requestattachment": Holding(
        _("The files you sent to the helpdesk."),
        counted_by=("request__member",),
        unit=ngettext_lazy("%(count)d file", "%(count)d files", "count"),
    ),
    "privacy.consentrecord": Holding(
        _("Each consent you gave or withdrew, when, where and with which wording."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d record", "%(count)d records", "count"),
    ),
    "privacy.processinglimitrecord": Holding(
        _("Each time you restricted processing or objected, or lifted it."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d record", "%(count)d records", "count"),
        change_url="privacy:limits",
        change_label=_("Restrict processing or object"),
    ),
    "privacy.statementacceptance": Holding(
        _("The versions of the privacy statement you accepted, and when."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d version", "%(count)d versions", "count"),
        change_url="privacy:statement",
        change_label=_("Read the privacy statement"),
    ),
    "privacy.dataexport": Holding(
        _("The copies of your data you asked for."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d export", "%(count)d exports", "count"),
    ),
    "members.undeliverableaddress": Holding(
        _(
            "Your addresses that mail could not be delivered to, and when that was reported: "
            "we send them no suggestions, promotions or message notifications until you tell "
            "us the address works again or change it."
        ),
        counted_by=("member",),
        unit=ngettext_lazy(
            "%(count)d undeliverable address", "%(count)d undeliverable addresses", "count"
        ),
    ),
    "mailings.delivery": Holding(
        _("Which promotional mailings went to you, and when."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d mailing", "%(count)d mailings", "count"),
    ),
    "mailings.suggestionmailstate": Holding(
        _("When we last sent you a suggestion e-mail."),
        summary=_summarise_suggestion_mail_state,
    ),
    "mailings.mailedsuggestion": Holding(
        _("The members we suggested to you by e-mail, so no one is suggested twice."),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d member suggested", "%(count)d members suggested", "count"),
    ),
    "activity.partnercheck": Holding(
        _(
            "When you came through an affiliate partner's link and allowed it: the partner, the "
            "click code, the sign-up or order it concerned, and what 24metrics answered."
        ),
        counted_by=("member",),
        unit=ngettext_lazy("%(count)d partner check", "%(count)d partner checks", "count"),
    ),
}


@dataclass(frozen=True)
class SpecialHolding:
    """Special-category data inside a model registered under another category (the sexual
    preferences are a field of the profile): shown under "special" on the "my data" page, from
    the model's export (`export_key`)."""

    model_label: str
    export_key: str
    what: str
    purpose: str
    summary: object = field(default=_summarise_preferences)


SPECIAL_HOLDINGS = [
    SpecialHolding(
        "profiles.profile",
        "sexual_preferences",
        _("Your sexual preferences, if you filled them in (stored encrypted)."),
        "special",
    ),
]


# --- Consents -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConsentDeclaration:
    """A consent a member can give: what it means in plain words, what withdrawing does, and
    the version of this wording (recorded with every grant and withdrawal; change it when the
    wording changes).

    `give_url`: the consent is given on another page, with its own wording (explicit consent
    for special-category data happens on the profile's sensitive page), so the consents page
    links there instead of offering a button. `give_here=False` with no `give_url`: the consent
    is asked elsewhere; the consents page shows it and lets the member withdraw.
    `details_url`: a page that tells more (the cookie page for the cookie consents, which are
    also given and withdrawn with the cookie banner; privacy.cookies records both the same
    way, under the cookie policy version)."""

    purpose: ConsentPurpose
    label: str
    means: str
    on_withdraw: str
    wording_version: str
    give_url: str | None = None
    give_here: bool = True
    note: str | None = None
    details_url: str | None = None

    @property
    def key(self) -> str:
        return str(self.purpose)


# The wording version of the cookie consents is the cookie policy version, read when used.
_cookie_policy_version = lazy(lambda: settings.COOKIE_POLICY_VERSION, str)()

CONSENTS = {
    declaration.purpose: declaration
    for declaration in [
        ConsentDeclaration(
            ConsentPurpose.SUGGESTIONS,
            _("Personalised suggestions"),
            _(
                "We compare your profile and what you look for with other members' profiles, "
                "to suggest people who fit you, and to suggest you to people you fit."
            ),
            _(
                "Suggestions stop at once: you get none and you are suggested to no one. Your "
                "profile stays, and you can still search and be found in search."
            ),
            "2026-11",
        ),
        ConsentDeclaration(
            ConsentPurpose.PROMOTIONAL_EMAIL,
            _("Promotional e-mail"),
            _("Now and then an e-mail with news and offers about the site."),
            _(
                "We send you no more promotional e-mail. Mail about your account and your "
                "messages is not affected."
            ),
            "2026-11",
        ),
        ConsentDeclaration(
            ConsentPurpose.SUGGESTION_EMAIL,
            _("Suggestion e-mails"),
            _(
                "Now and then an e-mail with members who fit you (username, age and place; no "
                "photos). Needs personalised suggestions to be on as well."
            ),
            _("We send you no more suggestion e-mails. Suggestions on the site are not affected."),
            "2026-11",
        ),
        ConsentDeclaration(
            ConsentPurpose.SPECIAL_CATEGORY,
            _("Your sexual preferences"),
            _(
                "Your explicit consent to store the sexual preferences you fill in on your "
                "profile (special-category data), encrypted and shown only to you."
            ),
            _("Your sexual preferences are erased at once."),
            # The wording on the profile's sensitive page (profiles.services).
            "special-2026-11",
            give_url="profiles:sensitive",
            give_here=False,
        ),
        # The cookie consents: the same answers as the cookie banner's, recorded under the
        # cookie policy version (privacy.cookies; a new version asks again).
        ConsentDeclaration(
            ConsentPurpose.ANALYTICS_COOKIES,
            _("Analytics cookies"),
            _(
                "Google Analytics counts visits and which kinds of page are used, so we can "
                "improve the site. Google receives the name of the page type (never your "
                "username, a profile or a search), your browser's details and a shortened IP "
                "address."
            ),
            _(
                "Google Analytics is no longer loaded for you, and its cookies are deleted "
                "from your browser."
            ),
            _cookie_policy_version,
            details_url="privacy:cookies",
        ),
        ConsentDeclaration(
            ConsentPurpose.OTHER_COOKIES,
            _("Affiliate partners and fraud checks"),
            _(
                "When you came here through a partner's link, we remember that partner for 30 "
                "days so they can be paid when you sign up or buy credits, and have 24metrics "
                "check that sign-up or purchase for fraud with your IP address, browser "
                "details and the page you came from."
            ),
            _(
                "No partner is remembered or paid for you and no check is made any more; the "
                "partner cookie is deleted from your browser."
            ),
            _cookie_policy_version,
            details_url="privacy:cookies",
        ),
    ]
}


def consent(purpose) -> ConsentDeclaration:
    return CONSENTS[ConsentPurpose(purpose)]


# Where a grant, withdrawal or limit was recorded, in the member's words. Unknown sources are
# shown as recorded.
SOURCE_SIGNUP = "signup"
SOURCE_CONSENTS_PAGE = "consents page"
SOURCE_SUGGESTIONS_PAGE = "suggestions page"
SOURCE_LIMITS_PAGE = "limits page"
SOURCE_ACCEPT_PAGE = "accept page"
SOURCE_MAIL_SETTINGS = "mail settings page"
SOURCE_UNSUBSCRIBE_LINK = "unsubscribe link"
SOURCE_ONE_CLICK = "mailbox one-click"
SOURCE_BOUNCE = "bounce"
SOURCE_COMPLAINT = "complaint"
SOURCE_PROVIDER_UNSUBSCRIBE = "mail provider unsubscribe"
SOURCE_LABELS = {
    SOURCE_SIGNUP: _("when you signed up"),
    SOURCE_CONSENTS_PAGE: _("on your consents page"),
    SOURCE_SUGGESTIONS_PAGE: _("on the suggestions page"),
    SOURCE_LIMITS_PAGE: _("on your restriction and objection page"),
    SOURCE_ACCEPT_PAGE: _("when you were asked to read a new version"),
    SOURCE_MAIL_SETTINGS: _("on your e-mail settings page"),
    SOURCE_UNSUBSCRIBE_LINK: _("with the unsubscribe link in an e-mail"),
    SOURCE_ONE_CLICK: _("with the unsubscribe button of your mail program"),
    SOURCE_BOUNCE: _("because mail to your address could not be delivered"),
    SOURCE_COMPLAINT: _("because you marked our e-mail as spam"),
    SOURCE_PROVIDER_UNSUBSCRIBE: _("with an unsubscribe request our mail provider passed on to us"),
    "cookie banner": _("with the cookie banner"),
    "cookie page": _("on the cookie settings page"),
    "profile/sensitive": _("on your sexual preferences page"),
}


def source_label(source: str) -> str:
    return str(SOURCE_LABELS.get(source, source))
