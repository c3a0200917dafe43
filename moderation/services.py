"""Every write of moderation (R10.1, DSA Art. 14, 16, 17, 20, 23): notices and reports, holds
of content the site's own checks caught, showing reported content to a moderator (logged),
decisions with their statements of reasons, account restrictions that end by themselves, the
strike ladder, reporters' standing, appeals, and the hand-off to the police.

Content apps reach these functions with their own model instances; what moderation does with
them (describe, remove, restore, release, hide) goes back through `moderation.registry`, so
this module never imports a content app. Each function is one transaction and logs ids only.
Mails are rendered in the receiver's language and queued with `members.services`.
"""

import functools
import hashlib
import logging
import re
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, F, OuterRef, Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from members import quotas
from members.services import (
    queue_rendered_mail,
    reinstate_member,
    render_mail_parts,
    suspend_member,
)
from members.tokens import dumps_sealed, loads_sealed

from . import registry, urgent
from .audit import record_action
from .models import (
    EXPLANATION_MAX_LENGTH,
    FACTS_MAX_LENGTH,
    Appeal,
    CaseNote,
    ContentAccessLog,
    Decision,
    ModerationAction,
    Notice,
    Report,
    ReportDecision,
    ReportedItem,
    ReporterStanding,
    Sanction,
    Statement,
    Strike,
)
from .reasons import (
    ANONYMOUS_CATEGORIES,
    REPORT_CATEGORIES,
    SYSTEM_CATEGORIES,
    URGENT_CATEGORIES,
    Category,
    Priority,
    priority_for,
)
from .sanctions import in_force
from .signals import content_decided

logger = logging.getLogger(__name__)

VIEW_PERMISSION = "moderation.view_report"
DECIDE_PERMISSION = "moderation.change_report"
POLICE_PERMISSION = "moderation.notify_police"
# Reports one member may make per day (a fixed window in the shared cache).
DEFAULT_REPORTS_PER_DAY = 20
REPORT_WINDOW_SECONDS = 24 * 3600
TERRITORIAL_SCOPE = ["NL", "BE"]
APPEAL_TOKEN_SALT = "moderation.appeal"  # noqa: S105 (a signing salt)
NOTICE_APPEAL_TOKEN_SALT = "moderation.appeal.notice"  # noqa: S105 (a signing salt)
FLAGGER_CONFIRM_SALT = "moderation.notice.flagger"  # noqa: S105 (a signing salt)
FLAGGER_CONFIRM_DAYS = 7

# The decisions a moderator takes on a first-instance case.
DISMISS = "dismiss"
REMOVE = "remove"
RESTRICT = "restrict"
SUSPEND = "suspend"
CLOSE = "close"
ACTIONS = {
    DISMISS: Decision.DISMISSED,
    REMOVE: Decision.CONTENT_REMOVED,
    RESTRICT: Decision.ACCOUNT_RESTRICTED,
    SUSPEND: Decision.MEMBER_SUSPENDED,
    CLOSE: Decision.ACCOUNT_CLOSED,
}
PERIOD_ACTIONS = {RESTRICT, SUSPEND}
MAX_PERIOD_DAYS = 365


class ReportRefused(Exception):
    """The report is not taken. `code` is for code and tests, `message` for the person."""

    def __init__(self, code: str, message, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.message = message
        self.field = field


class AlreadyReported(ReportRefused):
    def __init__(self):
        super().__init__(
            "already_reported",
            _("You have already reported this. A moderator will look at it."),
        )


class DecisionRefused(Exception):
    """The decision cannot be taken on this case; `message` says why, for the moderator."""

    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message


class AppealRefused(Exception):
    """The appeal is not taken; `message` says why, for the person appealing."""

    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class ItemForReview:
    """One reported item as a moderator sees it. `described` is None when the content no
    longer exists (its author's data was erased)."""

    item_id: int
    kind: str
    object_id: int
    removed: bool
    described: registry.Described | None


@dataclass(frozen=True)
class StatementInput:
    """What a moderator writes for a statement of reasons (DSA Art. 17(3)): the ground
    (`Statement.Ground`), for illegal content the law and why, for content against the terms
    the clause and why, and the facts and circumstances (no personal data: the statement is
    published without the person)."""

    ground: str
    facts: str
    legal_ground: str = ""
    terms_clause: str = ""
    ground_explanation: str = ""

    def check(self) -> None:
        if self.ground not in Statement.Ground.values:
            raise DecisionRefused("no_ground", _("Choose the ground of the decision."))
        if self.ground == Statement.Ground.ILLEGAL and not self.legal_ground.strip():
            raise DecisionRefused(
                "no_law", _("Name the law the content breaks (for example a Dutch article).")
            )
        if self.ground == Statement.Ground.INCOMPATIBLE and not self.terms_clause.strip():
            raise DecisionRefused("no_clause", _("Name the clause of the terms it breaks."))
        if not self.ground_explanation.strip():
            raise DecisionRefused(
                "no_explanation",
                _("Explain why the content is illegal or against the terms."),
            )
        if not self.facts.strip():
            raise DecisionRefused("no_facts", _("Describe the facts the decision rests on."))
        if len(self.facts) > FACTS_MAX_LENGTH:
            raise DecisionRefused(
                "facts_too_long",
                _("The facts can be at most %(limit)s characters.") % {"limit": FACTS_MAX_LENGTH},
            )


# -- settings -----------------------------------------------------------------------------------


def reports_per_day() -> int:
    return getattr(settings, "REPORTS_PER_DAY", DEFAULT_REPORTS_PER_DAY)


def notices_per_day_per_address() -> int:
    return getattr(settings, "NOTICES_PER_DAY_PER_ADDRESS", 10)


def appeal_months() -> int:
    return getattr(settings, "MODERATION_APPEAL_MONTHS", 6)


def strike_ladder() -> list[tuple[int, str, int | None]]:
    """(strikes, "warning"|"suspension", days) steps, lowest first."""
    return sorted(
        getattr(
            settings,
            "MODERATION_STRIKE_LADDER",
            [(2, "warning", None), (3, "suspension", 7), (5, "suspension", 30)],
        )
    )


def strike_window_days() -> int:
    return getattr(settings, "MODERATION_STRIKE_WINDOW_DAYS", 365)


def dispute_bodies() -> list[dict]:
    return list(getattr(settings, "MODERATION_DISPUTE_BODIES", []))


def add_months(when: datetime, months: int) -> datetime:
    """The same moment `months` calendar months later (the last day of a shorter month)."""
    month = when.month - 1 + months
    year = when.year + month // 12
    month = month % 12 + 1
    for day in (when.day, 30, 29, 28):
        try:
            return when.replace(year=year, month=month, day=day)
        except ValueError:
            continue
    raise ValueError(when)


def appeal_deadline(decided_at: datetime) -> datetime:
    """Until when a decision can be appealed (six calendar months by default)."""
    return add_months(decided_at, appeal_months())


# -- reporting ----------------------------------------------------------------------------------


def _quota_key(reporter) -> str:
    window = int(timezone.now().timestamp()) // REPORT_WINDOW_SECONDS
    return f"reportquota:{reporter.pk}:{window}"


def _address_quota_key(rate_key: str) -> str:
    window = int(timezone.now().timestamp()) // REPORT_WINDOW_SECONDS
    digest = hashlib.sha256(f"{settings.SECRET_KEY}:{rate_key}".encode()).hexdigest()[:32]
    return f"noticequota:{digest}:{window}"


def _rate_limited():
    return ReportRefused(
        "rate_limited",
        _(
            "You have sent many reports today. Try again tomorrow, or write to the "
            "helpdesk if it cannot wait."
        ),
    )


# The quota units a report or notice took, given back when it is not stored after all (the
# member's own content, already reported, a failed transaction): see _quota_given_back_on_error.
_quota_units_taken: ContextVar[list[str] | None] = ContextVar("quota_units_taken", default=None)
QUOTA_KEY_SECONDS = REPORT_WINDOW_SECONDS + 60


def _take_quota(key: str, limit: int) -> None:
    """Counts the report first, atomically (members.quotas), and refuses it over the limit:
    50 concurrent reports store exactly the limit."""
    if not quotas.take(key, limit, QUOTA_KEY_SECONDS):
        raise _rate_limited()
    taken = _quota_units_taken.get()
    if taken is not None:
        taken.append(key)


def _check_report_quota(reporter) -> None:
    try:
        _take_quota(_quota_key(reporter), reports_per_day())
    except ReportRefused:
        logger.info("report.rate_limited member=%s", reporter.pk)
        raise


def _quota_given_back_on_error(function):
    """A report or notice that raises after taking its quota unit gives the unit back."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        taken: list[str] = []
        token = _quota_units_taken.set(taken)
        try:
            return function(*args, **kwargs)
        except BaseException:
            for key in taken:
                quotas.give_back(key, QUOTA_KEY_SECONDS)
            raise
        finally:
            _quota_units_taken.reset(token)

    return wrapper


def _lock_member(member) -> None:
    """Serialises case changes about one member, so two reports of the same item at the same
    moment end up in one case."""
    if member is not None:
        get_user_model().objects.select_for_update(no_key=True).filter(pk=member.pk).first()


def _item_keys(items) -> list[tuple[ContentType, int]]:
    keys = []
    for obj in items:
        registry.entry_for(obj)  # raises NotRegistered for content moderation does not know
        keys.append((registry.content_type_of(obj), obj.pk))
    return list(dict.fromkeys(keys))


def _open_case_for(keys) -> Report | None:
    """The oldest open first-instance case holding any of these items."""
    by_type: dict[ContentType, list[int]] = {}
    for content_type, object_id in keys:
        by_type.setdefault(content_type, []).append(object_id)
    matches = Q()
    for content_type, ids in by_type.items():
        matches |= Q(items__content_type=content_type, items__object_id__in=ids)
    return (
        Report.objects.filter(matches, status=Report.Status.OPEN, appeal_of__isnull=True)
        .order_by("created_at", "pk")
        .first()
    )


def _add_items(report: Report, keys) -> int:
    present = set(report.items.values_list("content_type_id", "object_id"))
    new = [
        ReportedItem(report=report, content_type=content_type, object_id=object_id)
        for content_type, object_id in keys
        if (content_type.pk, object_id) not in present
    ]
    ReportedItem.objects.bulk_create(new)
    return len(new)


def _reporter_is_deprioritised(reporter) -> bool:
    if reporter is None:
        return False
    return ReporterStanding.objects.filter(member=reporter, deprioritised_at__isnull=False).exists()


def _case_priority(category, reporter, *, trusted=False) -> int:
    """The category's priority; a reporter whose reports are repeatedly unfounded has theirs
    handled last, except urgent ones (a child's safety is never put at the back). A trusted
    flagger's notice is handled first (DSA Art. 22): at least high."""
    priority = priority_for(category)
    if trusted:
        return min(priority, Priority.HIGH)
    if priority != Priority.URGENT and _reporter_is_deprioritised(reporter):
        return Priority.LOW
    return priority


def _raise_priority(report: Report, category, reporter, *, trusted=False) -> None:
    """A later notice can make a case more urgent, never less: a case a deprioritised
    reporter opened (LOW) gets its category's priority once someone else reports it too."""
    wanted = _case_priority(category, reporter, trusted=trusted)
    if wanted < report.priority:
        report.priority = wanted
        report.save(update_fields=["priority"])


def _case_for(keys, *, category, reporter, member, trusted=False) -> tuple[Report, bool]:
    """The open first-instance case holding any of the items (its priority raised for this
    category when needed), or a new one about `member`; and whether it was joined. Inside the
    caller's transaction, with the member locked."""
    report = _open_case_for(keys)
    if report is not None:
        _raise_priority(report, category, reporter, trusted=trusted)
        return report, True
    report = Report.objects.create(
        content_type=keys[0][0],
        reason=category,
        priority=_case_priority(category, reporter, trusted=trusted),
        reported_member=member,
    )
    return report, False


def _stands_for_account(report: Report) -> bool:
    """Whether the case holds content that stands for its writer's account (a profile, a
    message, a profile text; not a photo), so independent reporters may hide the account."""
    content_types = ContentType.objects.filter(
        pk__in=report.items.values("content_type_id")
    ).distinct()
    return any(registry.entry_for_content_type(ct).stands_for_account for ct in content_types)


def _hold_account(report: Report, author, *, why: str) -> None:
    Sanction.objects.create(member=author, kind=Sanction.Kind.HIDDEN, report=report)
    record_action(
        staff=None, action="case.hidden_pending_review", report=report, detail=f"account: {why}"
    )
    if report.hidden_at is None:
        report.hidden_at = timezone.now()
        report.save(update_fields=["hidden_at"])
    logger.info("report.hidden report=%s account=True", report.pk)


def _holds_account(report: Report) -> bool:
    return Sanction.objects.filter(
        report=report, kind=Sanction.Kind.HIDDEN, ended_at__isnull=True
    ).exists()


def _hide_account_if_agreed(author, *, report: Report, by_moderator: bool) -> None:
    """Hides the account pending review when a moderator opened this case, or else on each of
    the member's open urgent cases that stand for the account and do not hold it yet, when
    independent reporters or a trusted flagger agree (moderation.urgent). Otherwise those
    cases wait, urgent, for a moderator."""
    if by_moderator:
        if _stands_for_account(report) and not _holds_account(report):
            _hold_account(report, author, why="moderator")
        return
    holding = Sanction.objects.filter(
        report=OuterRef("pk"), kind=Sanction.Kind.HIDDEN, ended_at__isnull=True
    )
    waiting = [
        case
        for case in Report.objects.filter(
            reported_member=author,
            status=Report.Status.OPEN,
            appeal_of__isnull=True,
            notices__reason__in=URGENT_CATEGORIES,
        )
        .exclude(Exists(holding))
        .distinct()
        .order_by("created_at", "pk")
        if _stands_for_account(case)
    ]
    if not waiting:
        return
    why = urgent.account_hide_reason(author)
    if not why:
        logger.info("report.account_hide_waits report=%s", report.pk)
        return
    for case in waiting:
        _hold_account(case, author, why=why)


def _hide_urgent(report: Report, keys, author, *, by_moderator: bool = False) -> None:
    """Urgent cases: the item is hidden at once, pending review, where its content app can
    (the registry's `hide`: a photo, a message, a profile text). Content that stands for the
    account (a profile, a message, a profile text) also hides the whole account, but only when
    a moderator opened the case, or independent reporters or a trusted flagger agree
    (`_hide_account_if_agreed`). Inside the caller's transaction, with the member locked."""
    hid_item = False
    for content_type, object_id in keys:
        entry = registry.entry_for_content_type(content_type)
        if entry.hide is None:
            continue
        obj = entry.objects().filter(pk=object_id).first()
        if obj is not None:
            # Also for items joining a case hidden before: `hide` is idempotent.
            entry.hide(obj)
            hid_item = True
    if hid_item and report.hidden_at is None:
        report.hidden_at = timezone.now()
        report.save(update_fields=["hidden_at"])
        record_action(staff=None, action="case.hidden_pending_review", report=report)
        logger.info("report.hidden report=%s account=False", report.pk)
    if author is not None:
        _hide_account_if_agreed(author, report=report, by_moderator=by_moderator)


def _validate_notice(*, category, explanation, good_faith):
    if category not in dict(REPORT_CATEGORIES):
        raise ReportRefused("invalid_reason", _("Choose a category."), field="reason")
    explanation = (explanation or "").strip()
    if len(explanation) > EXPLANATION_MAX_LENGTH:
        raise ReportRefused(
            "too_long",
            _("An explanation can be at most %(limit)s characters.")
            % {"limit": EXPLANATION_MAX_LENGTH},
            field="explanation",
        )
    if not good_faith:
        raise ReportRefused(
            "no_good_faith",
            _("Confirm that you report in good faith and that what you wrote is correct."),
            field="good_faith",
        )
    return explanation


@_quota_given_back_on_error
def submit_notice(
    *,
    item,
    category: str,
    explanation: str,
    good_faith: bool,
    reporter=None,
    name: str = "",
    email: str = "",
    language: str = "",
    rate_key: str = "",
) -> Notice:
    """A notice about one item (DSA Art. 16), from a member (`reporter`) or from a visitor
    without an account (`name`, `email`; optional only for ANONYMOUS_CATEGORIES). Joins the
    open case that holds the item or opens one; urgent categories hide the item or account at
    once. A receipt with the notice's reference is mailed. Raises ReportRefused."""
    explanation = _validate_notice(
        category=category, explanation=explanation, good_faith=good_faith
    )
    entry = registry.entry_for(item)
    author_id = entry.author(item)
    author = get_user_model().objects.filter(pk=author_id).first() if author_id else None
    if reporter is not None:
        if author is not None and author.pk == reporter.pk:
            raise ReportRefused("own_content", _("You cannot report your own content."))
        _check_report_quota(reporter)
        name, email = "", ""
        language = language or reporter.language
    else:
        name, email = (name or "").strip(), (email or "").strip()
        if category not in ANONYMOUS_CATEGORIES:
            if not name:
                raise ReportRefused("no_name", _("Enter your name."), field="name")
            if not email:
                raise ReportRefused("no_email", _("Enter your e-mail address."), field="email")
        if not explanation:
            raise ReportRefused(
                "no_explanation",
                _("Explain why you think this content is illegal or against the rules."),
                field="explanation",
            )
        if rate_key:
            _take_quota(_address_quota_key(rate_key), notices_per_day_per_address())
    keys = _item_keys([item])
    flagger = urgent.trusted_flagger_for(reporter=reporter, email=email)
    with transaction.atomic():
        _lock_member(author)
        report, joined = _case_for(
            keys,
            category=category,
            reporter=reporter,
            member=author,
            trusted=flagger is not None,
        )
        _add_items(report, keys)
        if reporter is not None and report.notices.filter(reporter=reporter).exists():
            raise AlreadyReported()
        notice = Notice.objects.create(
            report=report,
            reporter=reporter,
            name=name,
            email=email,
            language=language if language in dict(settings.LANGUAGES) else "nl",
            reason=category,
            explanation=explanation,
            good_faith=True,
            source_digest=urgent.source_digest(rate_key),
            trusted_flagger=flagger,
        )
        if category in URGENT_CATEGORIES:
            _hide_urgent(report, keys, author)
        _send_receipt(notice)
    logger.info(
        "report.received report=%s notice=%s member_reporter=%s joined=%s",
        report.pk,
        notice.pk,
        getattr(reporter, "pk", None),
        joined,
    )
    return notice


def flagger_confirm_token(*, notice: Notice) -> str:
    """The link in the receipt of a notice from a trusted flagger's address: following it
    proves the flagger holds that mailbox. It names the notice by its opaque reference."""
    return signing.dumps(notice.public_id, salt=FLAGGER_CONFIRM_SALT)


def read_flagger_confirm_token(token: str) -> Notice | None:
    try:
        reference = signing.loads(
            token, salt=FLAGGER_CONFIRM_SALT, max_age=timedelta(days=FLAGGER_CONFIRM_DAYS)
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    return (
        Notice.objects.select_related("report", "trusted_flagger")
        .filter(public_id=reference, reporter__isnull=True, trusted_flagger__isnull=False)
        .exclude(email="")
        .first()
    )


def confirm_flagger_notice(*, notice: Notice) -> bool:
    """A trusted flagger known by its e-mail address confirms its notice: from now on the
    notice counts as the flagger's, and an urgent one on an open case hides the account
    pending review. Idempotent; returns whether this confirmed it."""
    with transaction.atomic():
        report = Report.objects.get(pk=notice.report_id)
        _lock_member(report.reported_member)
        notice = Notice.objects.select_for_update().get(pk=notice.pk)
        if notice.trusted_flagger_id is None or notice.confirmed_at is not None:
            return False
        notice.confirmed_at = timezone.now()
        notice.save(update_fields=["confirmed_at"])
        record_action(staff=None, action="notice.confirmed_by_flagger", report=report)
        if report.is_open and report.appeal_of_id is None and notice.reason in URGENT_CATEGORIES:
            keys = [
                (item.content_type, item.object_id)
                for item in report.items.select_related("content_type")
            ]
            _hide_urgent(report, keys, report.reported_member)
    logger.info("notice.confirmed_by_flagger report=%s notice=%s", report.pk, notice.pk)
    return True


@_quota_given_back_on_error
def report_content(
    *, reporter, items, reason: str, explanation: str = "", reported_member, good_faith=True
) -> Report:
    """A member reports one or more items by `reported_member` (every item must be theirs),
    e.g. several messages of one conversation. Joins the open case that already holds one of
    the items, or opens one. Raises ReportRefused (the member's own content, too long, too many
    reports today) or AlreadyReported."""
    items = list(items)
    if not items:
        raise ValueError("a report needs at least one item")
    explanation = _validate_notice(category=reason, explanation=explanation, good_faith=good_faith)
    if reported_member is None or reported_member.pk == reporter.pk:
        raise ReportRefused("own_content", _("You cannot report your own content."))
    for obj in items:
        if registry.entry_for(obj).author(obj) != reported_member.pk:
            raise ValueError("every reported item must be the reported member's")
    _check_report_quota(reporter)
    keys = _item_keys(items)
    flagger = urgent.trusted_flagger_for(reporter=reporter)
    with transaction.atomic():
        _lock_member(reported_member)
        report, joined = _case_for(
            keys,
            category=reason,
            reporter=reporter,
            member=reported_member,
            trusted=flagger is not None,
        )
        added = _add_items(report, keys)
        if report.notices.filter(reporter=reporter).exists():
            if not added:
                raise AlreadyReported()
        else:
            notice = Notice.objects.create(
                report=report,
                reporter=reporter,
                language=reporter.language,
                reason=reason,
                explanation=explanation,
                good_faith=True,
                trusted_flagger=flagger,
            )
            _send_receipt(notice)
        if reason in URGENT_CATEGORIES:
            _hide_urgent(report, keys, reported_member)
    logger.info(
        "report.received report=%s reporter=%s member=%s items=%s joined=%s",
        report.pk,
        reporter.pk,
        reported_member.pk,
        len(keys),
        joined,
    )
    return report


def hold_for_review(*, item, author, reason: str) -> Report:
    """The site held `item` back (a message sent to many members, a profile text that matched
    a pattern, a new photo): it waits in the queue until a moderator releases (dismisses) or
    removes it. Holds of the same kind and category for the same author join one open case.
    Runs inside the caller's transaction."""
    reason = Category(reason)
    content_type = registry.content_type_of(item)
    registry.entry_for(item)
    with transaction.atomic():
        _lock_member(author)
        report = (
            Report.objects.filter(
                status=Report.Status.OPEN,
                reason=reason,
                reported_member=author,
                content_type=content_type,
                notices__isnull=True,
                appeal_of__isnull=True,
            )
            .order_by("created_at", "pk")
            .first()
        )
        if report is None:
            report = Report.objects.create(
                content_type=content_type,
                reason=reason,
                priority=priority_for(reason),
                reported_member=author,
            )
        _add_items(report, [(content_type, item.pk)])
    logger.info(
        "report.held report=%s member=%s item=%s", report.pk, getattr(author, "pk", None), item.pk
    )
    return report


# -- reviewing ----------------------------------------------------------------------------------


def _require(staff, permission: str) -> None:
    if staff is None or not staff.is_active or not staff.has_perm(permission):
        raise PermissionDenied


def _load_items(report: Report) -> list[tuple[ReportedItem, registry.ContentEntry, object]]:
    """The case's items with their content objects (None when gone), one query per kind."""
    items = list(report.items.select_related("content_type").order_by("object_id", "pk"))
    by_type: dict[int, list[ReportedItem]] = {}
    for item in items:
        by_type.setdefault(item.content_type_id, []).append(item)
    loaded = {}
    entries = {}
    for group in by_type.values():
        entry = registry.entry_for_content_type(group[0].content_type)
        entries[group[0].content_type_id] = entry
        objects = entry.in_bulk(item.object_id for item in group)
        for item in group:
            loaded[item.pk] = objects.get(item.object_id)
    return [(item, entries[item.content_type_id], loaded[item.pk]) for item in items]


def record_first_look(*, report: Report, staff, now=None) -> bool:
    """The first time a moderator opens the case page (or decides it): the moment the urgent
    queue's target is measured to. Later looks change nothing. Returns whether this was it."""
    _require(staff, VIEW_PERMISSION)
    now = now or timezone.now()
    # One conditional update: two moderators opening the case at once record one moment.
    first = bool(
        Report.objects.filter(pk=report.pk, first_looked_at__isnull=True).update(
            first_looked_at=now
        )
    )
    if first:
        report.first_looked_at = now
        logger.info("report.first_look report=%s staff=%s", report.pk, staff.pk)
    return first


def reported_items_for_review(*, report: Report, staff) -> list[ItemForReview]:
    """The reported content of a case, and only that, for a moderator to judge. Every item
    shown is logged (who saw whose content, when). An appeal case shows the items of the
    decision appealed."""
    _require(staff, VIEW_PERMISSION)
    shown = []
    logs = []
    now = timezone.now()
    for item, entry, obj in _load_items(report):
        described = entry.describe(obj) if obj is not None else None
        shown.append(
            ItemForReview(
                item_id=item.pk,
                kind=str(entry.verbose_name),
                object_id=item.object_id,
                removed=item.removed_at is not None,
                described=described,
            )
        )
        if described is not None:
            logs.append(
                ContentAccessLog(
                    staff=staff,
                    report=report,
                    content_type_id=item.content_type_id,
                    object_id=item.object_id,
                    author_id=described.author_id,
                    viewed_at=now,
                )
            )
    with transaction.atomic():
        ContentAccessLog.objects.bulk_create(logs)
    logger.info("report.viewed report=%s staff=%s items=%s", report.pk, staff.pk, len(logs))
    return shown


def earlier_decisions(*, report: Report) -> list[Report]:
    """The reported member's other decided cases, newest first, with their decisions."""
    if report.reported_member_id is None:
        return []
    return list(
        Report.objects.filter(reported_member_id=report.reported_member_id)
        .exclude(status=Report.Status.OPEN)
        .exclude(pk=report.pk)
        .prefetch_related("decisions")
        .order_by("-decided_at", "-pk")
    )


def case_history(*, report: Report) -> list[ModerationAction]:
    """Everything done on the case, oldest first (the audit log's entries for it)."""
    return list(
        ModerationAction.objects.filter(report=report)
        .select_related("staff")
        .order_by("created_at", "pk")
    )


def add_case_note(*, report: Report, staff, text: str) -> CaseNote:
    """A private note for other moderators."""
    _require(staff, DECIDE_PERMISSION)
    text = (text or "").strip()
    if not text:
        raise DecisionRefused("empty_note", _("Write the note first."))
    with transaction.atomic():
        note = CaseNote.objects.create(report=report, author=staff, text=text[:2000])
        record_action(staff=staff, action="case.note_added", report=report)
    return note


def open_case(*, staff, item, category: str, note: str) -> Report:
    """A moderator opens a case on the site's own initiative (no notice): about a profile or
    photo they came across, with a private note saying why. If an open case already holds the
    item, the note joins that one. Decided like any case, its statements say the site acted of
    its own accord (source "voluntary") and detection was not automated. This is the way to
    restrict or suspend an account without a report: every such decision needs a statement."""
    _require(staff, DECIDE_PERMISSION)
    category = Category(category)
    if category in SYSTEM_CATEGORIES:
        raise ValueError("the site's own holds are not opened by hand")
    note = (note or "").strip()
    if not note:
        raise DecisionRefused("empty_note", _("Write down why you open this case."))
    entry = registry.entry_for(item)
    author = get_user_model().objects.filter(pk=entry.author(item)).first()
    if author is None:
        raise DecisionRefused("no_member", _("This content belongs to no member any more."))
    if author.pk == staff.pk:
        raise DecisionRefused("own_content", _("You cannot open a case about yourself."))
    keys = _item_keys([item])
    with transaction.atomic():
        _lock_member(author)
        report, joined = _case_for(keys, category=category, reporter=None, member=author)
        if not joined:
            _add_items(report, keys)
            record_action(staff=staff, action="case.opened", report=report, item=item)
        CaseNote.objects.create(report=report, author=staff, text=note[:2000])
        record_action(staff=staff, action="case.note_added", report=report)
        if category in URGENT_CATEGORIES:
            _hide_urgent(report, keys, author, by_moderator=True)
    logger.info(
        "report.opened_by_staff report=%s staff=%s member=%s joined=%s",
        report.pk,
        staff.pk,
        author.pk,
        joined,
    )
    return report


def mark_passed_to_police(*, report: Report, staff) -> Report:
    """Records that the case was passed to the police: when and by whom. Once."""
    _require(staff, POLICE_PERMISSION)
    with transaction.atomic():
        report = _lock_report(report)
        if report.police_notified_at is not None:
            raise DecisionRefused(
                "already_notified", _("This case has already been marked as passed to the police.")
            )
        report.police_notified_at = timezone.now()
        report.police_notified_by = staff
        report.save(update_fields=["police_notified_at", "police_notified_by"])
        record_action(staff=staff, action="case.passed_to_police", report=report)
    logger.info("report.police report=%s staff=%s", report.pk, staff.pk)
    return report


# -- deciding -----------------------------------------------------------------------------------


def _lock_report(report: Report) -> Report:
    # NO KEY: a hold adding an item to this case meanwhile need not wait.
    return Report.objects.select_for_update(no_key=True).get(pk=report.pk)


def _record(
    *,
    report: Report,
    moderator,
    decision: Decision,
    note: str,
    ends_at=None,
    automated=False,
    close=True,
    now=None,
) -> ReportDecision:
    now = now or timezone.now()
    recorded = ReportDecision.objects.create(
        report=report,
        decision=decision,
        note=(note or "").strip(),
        moderator=moderator,
        created_at=now,
        ends_at=ends_at,
        automated=automated,
    )
    if close:
        report.status = (
            Report.Status.DISMISSED
            if decision in (Decision.DISMISSED, Decision.APPEAL_UPHELD)
            else Report.Status.ACTIONED
        )
        report.decision = decision
        report.decided_by = moderator
        report.decided_at = now
        report.save(update_fields=["status", "decision", "decided_by", "decided_at"])
    content_decided.send(sender=Report, report=report, decision=decision)
    logger.info(
        "report.decided report=%s moderator=%s decision=%s",
        report.pk,
        getattr(moderator, "pk", None),
        decision,
    )
    return recorded


def _statement_fields(decision: Decision, *, ends_at) -> dict:
    """The Transparency Database's decision fields for each kind of decision."""
    fields = {
        "decision_visibility": [],
        "decision_monetary": "",
        "decision_provision": "",
        "decision_account": "",
    }
    if decision == Decision.CONTENT_REMOVED:
        fields["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    elif decision == Decision.ACCOUNT_RESTRICTED:
        fields["decision_visibility"] = ["DECISION_VISIBILITY_CONTENT_DEMOTED"]
        fields["decision_provision"] = "DECISION_PROVISION_PARTIAL_SUSPENSION"
    elif decision == Decision.MEMBER_SUSPENDED:
        fields["decision_provision"] = "DECISION_PROVISION_TOTAL_SUSPENSION"
        fields["decision_account"] = "DECISION_ACCOUNT_SUSPENDED"
    elif decision == Decision.ACCOUNT_CLOSED:
        fields["decision_provision"] = "DECISION_PROVISION_TOTAL_TERMINATION"
        fields["decision_account"] = "DECISION_ACCOUNT_TERMINATED"
    elif decision == Decision.MEMBER_WARNED:
        fields["decision_visibility"] = ["DECISION_VISIBILITY_OTHER"]
    return fields


def _content_types_of(report: Report) -> list[str]:
    kinds = set()
    for _item, entry, _obj in _load_items(report):
        kinds.add(entry.tdb_content_type)
    return sorted(kinds) or ["CONTENT_TYPE_OTHER"]


def _content_date(report: Report):
    dates = [
        entry.describe(obj).created_at
        for _item, entry, obj in _load_items(report)
        if obj is not None
    ]
    dates = [d for d in dates if d]
    return min(dates) if dates else None


def _write_statement(
    *,
    report: Report,
    recorded: ReportDecision,
    member,
    statement: StatementInput,
    automated_decision=Statement.Automated.NOT,
) -> Statement:
    source = Statement.Source.NOTICE if report.notices.exists() else Statement.Source.VOLUNTARY
    language = member.language if member.language in dict(settings.LANGUAGES) else "nl"
    return Statement.objects.create(
        decision=recorded,
        member=member,
        **_statement_fields(recorded.decision, ends_at=recorded.ends_at),
        decision_ground=statement.ground,
        legal_ground=statement.legal_ground.strip(),
        terms_clause=statement.terms_clause.strip(),
        ground_explanation=statement.ground_explanation.strip(),
        category=report.reason,
        content_type=_content_types_of(report),
        decision_facts=statement.facts.strip(),
        source_type=source,
        # The site's own checks found it: a hold has no notice.
        automated_detection=report.reason in SYSTEM_CATEGORIES,
        automated_decision=automated_decision,
        content_date=_content_date(report),
        application_date=recorded.created_at,
        end_date=recorded.ends_at,
        territorial_scope=list(TERRITORIAL_SCOPE),
        language=language,
    )


def _end_hidden_pending_review(report: Report, *, unhide_items: bool) -> None:
    """The case is decided: the hold that hid the account or items pending review ends."""
    if report.hidden_at is None:
        return
    now = timezone.now()
    Sanction.objects.filter(report=report, kind=Sanction.Kind.HIDDEN, ended_at__isnull=True).update(
        ended_at=now
    )
    if unhide_items:
        for item, entry, obj in _load_items(report):
            if obj is not None and entry.unhide is not None and item.removed_at is None:
                entry.unhide(obj)


def _founded_reporters(report: Report, *, founded: bool) -> None:
    """Counts the outcome for every member who reported the case (DSA Art. 23(2)); a
    reporter with at least MODERATION_UNFOUNDED_MIN unfounded reports making up at least
    MODERATION_UNFOUNDED_SHARE of theirs has their reports handled last from now on."""
    minimum = getattr(settings, "MODERATION_UNFOUNDED_MIN", 5)
    share = getattr(settings, "MODERATION_UNFOUNDED_SHARE", 0.8)
    reporter_ids = list(
        report.notices.filter(reporter__isnull=False).values_list("reporter_id", flat=True)
    )
    for reporter_id in reporter_ids:
        standing, _created = ReporterStanding.objects.select_for_update().get_or_create(
            member_id=reporter_id
        )
        if founded:
            standing.founded += 1
        else:
            standing.unfounded += 1
        total = standing.founded + standing.unfounded
        repeatedly_unfounded = standing.unfounded >= minimum and standing.unfounded >= (
            share * total
        )
        if standing.deprioritised_at is None and repeatedly_unfounded:
            standing.deprioritised_at = timezone.now()
            standing.deprioritised_founded = standing.founded
            standing.deprioritised_unfounded = standing.unfounded
            record_action(
                staff=None,
                action="reporter.deprioritised",
                report=report,
                detail=f"founded={standing.founded} unfounded={standing.unfounded}",
            )
        elif standing.deprioritised_at is not None and not repeatedly_unfounded:
            # No longer mostly unfounded: their reports are handled in turn again. (Before,
            # this needed `founded >= share * total`: 5 unfounded then took 20 founded.)
            standing.deprioritised_at = None
            record_action(
                staff=None,
                action="reporter.restored",
                report=report,
                detail=f"founded={standing.founded} unfounded={standing.unfounded}",
            )
        standing.save()


def _apply_account_decision(*, member, decision: Decision, report, recorded, ends_at):
    if decision == Decision.ACCOUNT_RESTRICTED:
        Sanction.objects.create(
            member=member,
            kind=Sanction.Kind.RESTRICTED,
            report=report,
            decision=recorded,
            ends_at=ends_at,
        )
    elif decision in (Decision.MEMBER_SUSPENDED, Decision.ACCOUNT_CLOSED):
        Sanction.objects.create(
            member=member,
            kind=Sanction.Kind.SUSPENDED,
            report=report,
            decision=recorded,
            ends_at=ends_at if decision == Decision.MEMBER_SUSPENDED else None,
        )
        suspend_member(member=member)


def decide_case(
    *,
    report: Report,
    moderator,
    action: str,
    statement: StatementInput | None = None,
    note: str = "",
    item_ids=None,
    days: int | None = None,
) -> ReportDecision:
    """A moderator's decision on an open first-instance case: dismiss it, remove the chosen
    items (all by default), restrict the account (no messaging, hidden from search) or suspend
    it for `days`, or close it. Every decision but a dismissal needs a statement of reasons,
    which is mailed to the member with the ways to contest it; reporters are told the outcome.
    Restricting decisions count a strike; the strike ladder may add a warning or a suspension.
    """
    _require(moderator, DECIDE_PERMISSION)
    if action not in ACTIONS:
        raise DecisionRefused("unknown_action", _("Choose a decision."))
    decision = ACTIONS[action]
    if action != DISMISS:
        if statement is None:
            raise DecisionRefused("no_statement", _("Write the statement of reasons."))
        statement.check()
    if action in PERIOD_ACTIONS and (not days or not 1 <= int(days) <= MAX_PERIOD_DAYS):
        raise DecisionRefused(
            "no_period",
            _("Choose a period of 1 to %(max)s days.") % {"max": MAX_PERIOD_DAYS},
        )
    with transaction.atomic():
        report = _lock_report(report)
        if not report.is_open:
            raise DecisionRefused("already_decided", _("This case has already been decided."))
        if report.appeal_of_id is not None:
            raise DecisionRefused(
                "is_appeal", _("This is an appeal: uphold or reverse the decision appealed.")
            )
        record_first_look(report=report, staff=moderator)
        loaded = _load_items(report)
        chosen = []
        member = None
        if action != DISMISS:
            member = report.reported_member
            if member is None:
                raise DecisionRefused("no_member", _("The reported member no longer exists."))
        if action == DISMISS:
            for item, entry, obj in loaded:
                if obj is not None and entry.release is not None and item.removed_at is None:
                    entry.release(obj)
        elif action == REMOVE:
            wanted = set(int(pk) for pk in item_ids) if item_ids else None
            chosen = [
                (item, entry, obj)
                for item, entry, obj in loaded
                if item.removed_at is None and (wanted is None or item.pk in wanted)
            ]
            if not chosen:
                raise DecisionRefused(
                    "nothing_to_remove", _("The chosen content has already been removed.")
                )
            for _item, entry, obj in chosen:
                if obj is not None:
                    entry.remove(obj)
            ReportedItem.objects.filter(pk__in=[item.pk for item, _e, _o in chosen]).update(
                removed_at=timezone.now()
            )
        # Items removed just now are skipped (removed_at is set); the case's other items are
        # shown again, whatever the decision.
        _end_hidden_pending_review(report, unhide_items=True)
        # The period runs from the decision itself (the statement's application date).
        now = timezone.now()
        ends_at = now + timedelta(days=int(days)) if action in PERIOD_ACTIONS else None
        recorded = _record(
            report=report,
            moderator=moderator,
            decision=decision,
            note=note,
            ends_at=ends_at,
            now=now,
        )
        written = None
        if member is not None:
            _apply_account_decision(
                member=member, decision=decision, report=report, recorded=recorded, ends_at=ends_at
            )
            written = _write_statement(
                report=report, recorded=recorded, member=member, statement=statement
            )
            Strike.objects.create(member=member, decision=recorded)
        record_action(
            staff=moderator,
            action=f"decision.{decision}",
            report=report,
            statement=written,
            detail=f"days={days}" if action in PERIOD_ACTIONS else "",
        )
        for item, _entry, _obj in chosen:
            # Which items were taken down, by kind and id (also when the content is gone).
            record_action(
                staff=moderator,
                action="item.removed",
                report=report,
                content_type=item.content_type,
                object_id=item.object_id,
                statement=written,
            )
        if written is not None:
            _mail_statement(written)
        if report.notices.exists():
            # A case about a member erased meanwhile (their content erased with them) was not
            # judged: dismissing it says nothing about the reporters.
            if report.reported_member_id is not None:
                _founded_reporters(report, founded=action != DISMISS)
            _tell_reporters(report, recorded)
        if member is not None and decision != Decision.ACCOUNT_CLOSED:
            _climb_ladder(member=member, report=report)
    return recorded


# Thin names for the common decisions (admin actions and tests read better with them).


def dismiss_report(*, report: Report, moderator, note: str = "") -> Report:
    """Nothing wrong found: the case closes, and content the site held is delivered after
    all (through the registry's `release`)."""
    decide_case(report=report, moderator=moderator, action=DISMISS, note=note)
    report.refresh_from_db()
    return report


def approve_held_cases(*, reports, moderator) -> int:
    """Bulk approval from the queue (new photos): dismisses each open case the site itself
    opened (no notices), releasing its content. Returns how many were approved."""
    _require(moderator, DECIDE_PERMISSION)
    done = 0
    for report in reports:
        if not report.is_open or report.appeal_of_id or report.notices.exists():
            continue
        try:
            decide_case(report=report, moderator=moderator, action=DISMISS)
        except DecisionRefused:
            continue
        done += 1
    return done


def remove_reported_content(
    *, report: Report, moderator, statement: StatementInput, note: str = "", item_ids=None
) -> Report:
    decide_case(
        report=report,
        moderator=moderator,
        action=REMOVE,
        statement=statement,
        note=note,
        item_ids=item_ids,
    )
    report.refresh_from_db()
    return report


# -- the strike ladder (DSA Art. 23) ------------------------------------------------------------


def strikes_in_force(member, now=None) -> int:
    now = now or timezone.now()
    return Strike.objects.filter(
        member=member,
        removed_at__isnull=True,
        created_at__gte=now - timedelta(days=strike_window_days()),
    ).count()


LADDER_NOTE = "strike ladder: {count} strikes"
_LADDER_NOTE = re.compile(r"^strike ladder: (\d+) strikes$")


def _ladder_step(decision: ReportDecision) -> int | None:
    """The number of strikes that made the ladder take `decision` (None: not the ladder's)."""
    match = _LADDER_NOTE.match(decision.note) if decision.automated else None
    return int(match.group(1)) if match else None


def _ladder_decisions(member, *, since):
    """The ladder's decisions about the member since `since` that stand (not reversed)."""
    return [
        (decision, _ladder_step(decision))
        for decision in ReportDecision.objects.filter(
            statement__member=member,
            automated=True,
            reversed_at__isnull=True,
            created_at__gte=since,
        ).order_by("created_at", "pk")
        if _ladder_step(decision) is not None
    ]


def _climb_ladder(*, member, report: Report) -> None:
    """Takes the ladder's step for the member's number of strikes, once per step: a warning,
    then suspensions. Automated decisions on the same case, each with its own statement. A
    step taken within the strike window (and not reversed) is not taken again."""
    count = strikes_in_force(member)
    step = None
    for threshold, kind, days in strike_ladder():
        if count == threshold:
            step = (threshold, kind, days)
    if step is None:
        return
    threshold, kind, days = step
    since = timezone.now() - timedelta(days=strike_window_days())
    if any(taken == threshold for _d, taken in _ladder_decisions(member, since=since)):
        return
    now = timezone.now()
    if kind == "warning":
        decision, ends_at = Decision.MEMBER_WARNED, None
    else:
        decision, ends_at = Decision.MEMBER_SUSPENDED, now + timedelta(days=days or 7)
    recorded = _record(
        report=report,
        moderator=None,
        decision=decision,
        note=LADDER_NOTE.format(count=count),
        ends_at=ends_at,
        automated=True,
        close=False,
        now=now,
    )
    _apply_account_decision(
        member=member, decision=decision, report=report, recorded=recorded, ends_at=ends_at
    )
    written = _write_statement(
        report=report,
        recorded=recorded,
        member=member,
        statement=StatementInput(
            ground=Statement.Ground.INCOMPATIBLE,
            terms_clause=str(_("Terms of use, article on repeated violations")),
            ground_explanation=str(_("Repeated violations of the terms of use.")),
            facts=str(
                _("%(count)s decisions against this account within %(days)s days.")
                % {"count": count, "days": strike_window_days()}
            ),
        ),
        automated_decision=Statement.Automated.FULLY,
    )
    record_action(
        staff=None,
        action=f"ladder.{decision}",
        report=report,
        statement=written,
        detail=f"strikes={count}",
    )
    _mail_statement(written)


# -- account restrictions that end by themselves ------------------------------------------------


def end_expired_sanctions(*, now=None, member=None) -> int:
    """Ends sanctions past their end date (beat, every few minutes; idempotent): a suspended
    member with no other suspension in force can log in again. `member`: only theirs (the
    log-in does that, see `suspension_at_login`)."""
    now = now or timezone.now()
    ended = 0
    expired = Sanction.objects.filter(ended_at__isnull=True, ends_at__lte=now)
    if member is not None:
        expired = expired.filter(member=member)
    expired = list(expired.values_list("pk", flat=True))
    for pk in expired:
        with transaction.atomic():
            sanction = (
                Sanction.objects.select_for_update()
                .select_related("member")
                .filter(pk=pk, ended_at__isnull=True)
                .first()
            )
            if sanction is None:
                continue
            sanction.ended_at = now
            sanction.save(update_fields=["ended_at"])
            if sanction.kind == Sanction.Kind.SUSPENDED:
                _reinstate_if_free(sanction.member, now=now)
            record_action(
                staff=None, action=f"sanction.ended.{sanction.kind}", report=sanction.report
            )
            ended += 1
    if ended:
        logger.info("sanctions.ended count=%s", ended)
    return ended


def suspension_at_login(member, *, now=None) -> tuple[bool, datetime | None]:
    """Asked by the log-in (settings.SUSPENSION_AT_LOGIN; members does not import moderation)
    for a member whose account is suspended: ends their sanctions past their end date first,
    so a suspension that ended lets them in at once, before beat's sweep runs (and with
    `make run`, which has no beat). Returns (still suspended, until when; None: no end date,
    or a suspension from outside moderation)."""
    now = now or timezone.now()
    end_expired_sanctions(now=now, member=member)
    member.refresh_from_db(fields=["status", "is_active"])
    if member.is_active:
        return False, None
    ends = list(
        in_force(now)
        .filter(member=member, kind=Sanction.Kind.SUSPENDED)
        .values_list("ends_at", flat=True)
    )
    if not ends or any(end is None for end in ends):
        return True, None
    return True, max(ends)


def _reinstate_if_free(member, *, now) -> None:
    still = Sanction.objects.filter(
        member=member, kind=Sanction.Kind.SUSPENDED, ended_at__isnull=True
    ).filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
    if not still.exists():
        reinstate_member(member=member)


# -- appeals (DSA Art. 20) ----------------------------------------------------------------------


def appeal_token(*, decision: ReportDecision, member) -> str:
    """A token for the appeal link in a mail: it lets a suspended member (who cannot log in)
    appeal this decision."""
    return dumps_sealed([decision.pk, member.pk], salt=APPEAL_TOKEN_SALT)


def read_appeal_token(token: str, *, max_age_days: int | None = None):
    """(decision, member) from an appeal token, or None."""
    max_age = timedelta(days=max_age_days or 31 * (appeal_months() + 1))
    try:
        # legacy: links mailed before tokens were sealed, until they expire.
        decision_id, member_id = loads_sealed(
            token, salt=APPEAL_TOKEN_SALT, max_age=max_age, legacy=True
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    decision = ReportDecision.objects.select_related("report").filter(pk=decision_id).first()
    member = get_user_model().objects.filter(pk=member_id).first()
    if decision is None or member is None:
        return None
    return decision, member


def notice_appeal_token(*, decision: ReportDecision, notice: Notice) -> str:
    """A token for the appeal link in the outcome mail of a visitor's notice: a visitor has no
    account, so the link (sent to the address they gave) is how they appeal (DSA Art. 20(1):
    those who submitted a notice can complain about the decision taken on it)."""
    return dumps_sealed([decision.pk, notice.pk], salt=NOTICE_APPEAL_TOKEN_SALT)


def read_notice_appeal_token(token: str):
    """(decision, notice) from a visitor's appeal token, or None (also when the notice's
    details were erased: there is nobody left to answer)."""
    max_age = timedelta(days=31 * (appeal_months() + 1))
    try:
        # legacy: links mailed before tokens were sealed, until they expire.
        decision_id, notice_id = loads_sealed(
            token, salt=NOTICE_APPEAL_TOKEN_SALT, max_age=max_age, legacy=True
        )
    except (signing.BadSignature, ValueError, TypeError):
        return None
    decision = ReportDecision.objects.select_related("report").filter(pk=decision_id).first()
    notice = Notice.objects.filter(pk=notice_id, reporter__isnull=True).exclude(email="").first()
    if decision is None or notice is None or notice.report_id != decision.report_id:
        return None
    return decision, notice


def visitor_appeal_refusal(*, decision: ReportDecision, notice: Notice, now=None):
    """Why the visitor who gave `notice` cannot appeal `decision` now, or None if they can:
    as a member reporter, only a dismissal of their report, once, within the appeal months."""
    now = now or timezone.now()
    if (
        notice.reporter_id is not None
        or notice.report_id != decision.report_id
        or decision.decision != Decision.DISMISSED
    ):
        return AppealRefused("not_yours", _("You cannot appeal this decision."))
    if decision.reversed_at is not None:
        return AppealRefused("reversed", _("This decision has already been reversed."))
    if Appeal.objects.filter(decision=decision, notice=notice).exists():
        return AppealRefused("already", _("You have already appealed this decision."))
    if now > appeal_deadline(decision.created_at):
        return _too_late()
    return None


def _too_late() -> AppealRefused:
    return AppealRefused(
        "too_late",
        ngettext_lazy(
            "A decision can be appealed within %(months)s month. That time has passed.",
            "A decision can be appealed within %(months)s months. That time has passed.",
            "months",
        )
        % {"months": appeal_months()},
    )


def appeal_role(*, decision: ReportDecision, member) -> str | None:
    """Whether `member` may appeal `decision` at all: as the member it restricts, or as a
    reporter of a case that was dismissed."""
    if decision.decision in (Decision.APPEAL_UPHELD, Decision.APPEAL_REVERSED):
        return None
    if decision.decision == Decision.DISMISSED:
        if decision.report.notices.filter(reporter=member).exists():
            return Appeal.Role.REPORTER
        return None
    if Statement.objects.filter(decision=decision, member=member).exists():
        return Appeal.Role.AFFECTED
    return None


def appeal_refusal(*, decision: ReportDecision, member, now=None):
    """Why `member` cannot appeal `decision` now (an AppealRefused), or None if they can."""
    now = now or timezone.now()
    if appeal_role(decision=decision, member=member) is None:
        return AppealRefused("not_yours", _("You cannot appeal this decision."))
    if decision.reversed_at is not None:
        return AppealRefused("reversed", _("This decision has already been reversed."))
    if Appeal.objects.filter(decision=decision, appellant=member).exists():
        return AppealRefused("already", _("You have already appealed this decision."))
    if now > appeal_deadline(decision.created_at):
        return _too_late()
    return None


def _clean_appeal_explanation(explanation: str) -> str:
    explanation = (explanation or "").strip()
    if not explanation:
        raise AppealRefused("no_explanation", _("Explain why the decision should change."))
    if len(explanation) > EXPLANATION_MAX_LENGTH:
        raise AppealRefused(
            "too_long",
            _("An explanation can be at most %(limit)s characters.")
            % {"limit": EXPLANATION_MAX_LENGTH},
        )
    return explanation


def _open_appeal(*, decision: ReportDecision, role: str, explanation: str, **appellant) -> Appeal:
    """The appeal and its case in the same queue, holding the same items, with the original
    category's priority (inside the caller's transaction, after its checks)."""
    original = decision.report
    case = Report.objects.create(
        content_type=original.content_type,
        reason=original.reason,
        priority=min(priority_for(original.reason), Priority.NORMAL),
        reported_member=original.reported_member,
        appeal_of=decision,
    )
    ReportedItem.objects.bulk_create(
        ReportedItem(
            report=case,
            content_type_id=item.content_type_id,
            object_id=item.object_id,
            removed_at=item.removed_at,
        )
        for item in original.items.all()
    )
    appeal = Appeal.objects.create(
        decision=decision, role=role, explanation=explanation, case=case, **appellant
    )
    record_action(staff=None, action="appeal.filed", report=case)
    logger.info("appeal.filed appeal=%s case=%s", appeal.pk, case.pk)
    return appeal


def file_visitor_appeal(*, decision: ReportDecision, notice: Notice, explanation: str) -> Appeal:
    """A visitor's appeal against the dismissal of their notice (through the link in the
    outcome mail): free, once, within the appeal months, a case in the same queue like a
    member's. The outcome is mailed to the address of the notice."""
    explanation = _clean_appeal_explanation(explanation)
    with transaction.atomic():
        # Serialise with other appeals on this notice; then check under the lock.
        Notice.objects.select_for_update().filter(pk=notice.pk).first()
        refused = visitor_appeal_refusal(decision=decision, notice=notice)
        if refused is not None:
            raise refused
        return _open_appeal(
            decision=decision, role=Appeal.Role.REPORTER, explanation=explanation, notice=notice
        )


def file_appeal(*, decision: ReportDecision, appellant, explanation: str) -> Appeal:
    """Files an appeal: free, once per person and decision, within six months. It becomes a
    case in the same queue, holding the same items, with the original category's priority."""
    explanation = _clean_appeal_explanation(explanation)
    with transaction.atomic():
        _lock_member(appellant)
        refused = appeal_refusal(decision=decision, member=appellant)
        if refused is not None:
            raise refused
        return _open_appeal(
            decision=decision,
            role=appeal_role(decision=decision, member=appellant),
            explanation=explanation,
            appellant=appellant,
        )


def _lift(decision: ReportDecision, *, now) -> None:
    """Ends the decision's sanctions in force; a suspended member is reinstated unless another
    suspension is in force."""
    for sanction in Sanction.objects.filter(decision=decision, ended_at__isnull=True):
        sanction.ended_at = now
        sanction.save(update_fields=["ended_at"])
        if sanction.kind == Sanction.Kind.SUSPENDED:
            _reinstate_if_free(sanction.member, now=now)


def _undo(decision: ReportDecision, *, now, moderator=None) -> None:
    """Undoes a decision's effect: removed content back (where the content app can), its
    sanctions lifted (a suspension only if no other is in force), its strike removed, and
    the ladder's steps that no longer have their number of strikes without it reversed too.
    Reporters of the case had it right after all: their standing counts it unfounded."""
    report = decision.report
    if decision.decision == Decision.CONTENT_REMOVED:
        for item, entry, obj in _load_items(report):
            if item.removed_at is not None and obj is not None and entry.restore is not None:
                entry.restore(obj)
                ReportedItem.objects.filter(pk=item.pk).update(removed_at=None)
                record_action(staff=moderator, action="item.restored", report=report, item=obj)
    _lift(decision, now=now)
    struck = list(Strike.objects.filter(decision=decision, removed_at__isnull=True))
    Strike.objects.filter(pk__in=[strike.pk for strike in struck]).update(removed_at=now)
    window = timedelta(days=strike_window_days())
    for strike in struck:
        # Would the ladder still have taken each later step without this strike?
        for later, step in _ladder_decisions(strike.member_id, since=strike.created_at):
            supported = Strike.objects.filter(
                member_id=strike.member_id,
                removed_at__isnull=True,
                created_at__lte=later.created_at,
                created_at__gte=later.created_at - window,
            ).count()
            if supported < step:
                later.reversed_at = now
                later.save(update_fields=["reversed_at"])
                _lift(later, now=now)
                record_action(
                    staff=moderator,
                    action=f"ladder.reversed.{later.decision}",
                    report=later.report,
                    statement=Statement.objects.filter(decision=later).first(),
                    detail=f"strikes={supported}",
                )
    if not decision.automated:
        _uncount_reporters(report, founded=True)
        _founded_reporters(report, founded=False)
    decision.reversed_at = now
    decision.save(update_fields=["reversed_at"])


def _uncount_reporters(report: Report, *, founded: bool) -> None:
    """Takes a case's outcome back out of its reporters' standing (the decision was reversed
    on appeal); `_founded_reporters` then counts the new outcome."""
    field = "founded" if founded else "unfounded"
    reporter_ids = report.notices.filter(reporter__isnull=False).values_list(
        "reporter_id", flat=True
    )
    ReporterStanding.objects.filter(member_id__in=list(reporter_ids), **{f"{field}__gt": 0}).update(
        **{field: F(field) - 1}
    )


def decide_appeal(*, appeal: Appeal, moderator, reverse: bool, reasons: str) -> Appeal:
    """Decides an appeal: upheld or reversed, with reasons, by another moderator than the one
    who decided first. A reversal undoes the decision's effect; reversing a dismissal (a
    reporter's appeal) reopens the original case for a new decision. The appellant is told by
    mail."""
    _require(moderator, DECIDE_PERMISSION)
    reasons = (reasons or "").strip()
    if not reasons:
        raise DecisionRefused("no_reasons", _("Write the reasons for the outcome."))
    now = timezone.now()
    with transaction.atomic():
        case = _lock_report(appeal.case)
        appeal = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if not case.is_open or appeal.outcome:
            raise DecisionRefused("already_decided", _("This appeal has already been decided."))
        record_first_look(report=case, staff=moderator)
        decision = ReportDecision.objects.select_related("report").get(pk=appeal.decision_id)
        if decision.moderator_id is not None and decision.moderator_id == moderator.pk:
            raise DecisionRefused(
                "same_moderator",
                _("Another moderator must decide this appeal: you took the decision appealed."),
            )
        outcome = Decision.APPEAL_REVERSED if reverse else Decision.APPEAL_UPHELD
        if reverse:
            if decision.decision == Decision.DISMISSED:
                original = Report.objects.select_for_update().get(pk=decision.report_id)
                original.status = Report.Status.OPEN
                original.decision = ""
                original.decided_by = None
                original.decided_at = None
                original.priority = min(original.priority, Priority.HIGH)
                original.save(
                    update_fields=["status", "decision", "decided_by", "decided_at", "priority"]
                )
                decision.reversed_at = now
                decision.save(update_fields=["reversed_at"])
                # The reporters were not wrong after all, and hear of the new decision.
                _uncount_reporters(original, founded=False)
                original.notices.update(outcome_sent_at=None)
                record_action(staff=moderator, action="case.reopened", report=original)
            else:
                _undo(decision, now=now, moderator=moderator)
        _record(report=case, moderator=moderator, decision=outcome, note=reasons)
        appeal.outcome = Appeal.Outcome.REVERSED if reverse else Appeal.Outcome.UPHELD
        appeal.reasons = reasons
        appeal.decided_by = moderator
        appeal.decided_at = now
        appeal.save(update_fields=["outcome", "reasons", "decided_by", "decided_at"])
        statement = Statement.objects.filter(decision=decision).first()
        record_action(
            staff=moderator,
            action=f"appeal.{appeal.outcome}",
            report=case,
            statement=statement,
        )
        _mail_appeal_outcome(appeal)
    logger.info("appeal.decided appeal=%s outcome=%s", appeal.pk, appeal.outcome)
    return appeal


# -- what a member sees of moderation -----------------------------------------------------------


def statements_about(member):
    """Statements of reasons about the member, newest first (their "decisions about me")."""
    return (
        Statement.objects.filter(member=member)
        .select_related("decision", "decision__report")
        .prefetch_related("decision__appeals")
        .order_by("-created_at", "-pk")
    )


def notices_by(member):
    """The reports the member made, newest first, with their cases."""
    return (
        Notice.objects.filter(reporter=member)
        .select_related("report", "report__content_type")
        .order_by("-created_at", "-pk")
    )


def latest_decision(report: Report) -> ReportDecision | None:
    return report.decisions.exclude(automated=True).order_by("-created_at", "-pk").first()


# -- mails --------------------------------------------------------------------------------------


def _language(value: str) -> str:
    return value if value in dict(settings.LANGUAGES) else "nl"


def _site(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def _redress_context() -> dict:
    return {
        "dispute_bodies": dispute_bodies(),
        "helpdesk_email": settings.HELPDESK_EMAIL,
        "site_name": settings.SITE_NAME,
        "terms_url": _site(reverse("terms")),
    }


def _queue(prefix: str, *, language: str, context: dict, to: str, kind: str, member=None):
    with translation.override(_language(language)):
        parts = render_mail_parts(prefix, {**_redress_context(), **context})
    queue_rendered_mail(parts=parts, to=to, kind=kind, member=member)


def _mail_statement(statement: Statement) -> None:
    """The statement of reasons, in the member's language, with the redress options: the
    internal appeal (a link that works even while suspended), the out-of-court dispute bodies,
    and the courts."""
    member = get_user_model().objects.get(pk=statement.member_id)
    if not member.email:
        return
    decision = statement.decision
    with translation.override(_language(member.language)):
        context = {
            "member": member,
            "statement": statement,
            "decision_label": str(Decision(decision.decision).label),
            "category_label": str(Category(statement.category).label),
            "ground_label": str(Statement.Ground(statement.decision_ground).label),
            "automated": statement.automated_decision != Statement.Automated.NOT,
            "ends_at": timezone.localtime(decision.ends_at) if decision.ends_at else None,
            "appeal_until": timezone.localtime(appeal_deadline(decision.created_at)),
            "appeal_url": _site(
                reverse(
                    "moderation:appeal_by_link",
                    args=[appeal_token(decision=decision, member=member)],
                )
            ),
            "decisions_url": _site(reverse("moderation:my_decisions")),
        }
    _queue(
        "moderation/email/statement",
        language=member.language,
        context=context,
        to=member.email,
        kind="moderation_statement",
        member=member,
    )
    Statement.objects.filter(pk=statement.pk).update(mailed_at=timezone.now())


def _send_receipt(notice: Notice) -> None:
    """The receipt of a notice, with its reference (DSA Art. 16(4))."""
    member = notice.reporter
    to = member.email if member is not None else notice.email
    if not to:
        return
    _queue(
        "moderation/email/notice_receipt",
        language=member.language if member is not None else notice.language,
        context={
            "notice": notice,
            # Lazy: rendered in the receiver's language (_queue), not the page's.
            "category_label": Category(notice.reason).label,
            "name": member.username if member is not None else notice.name,
            "confirm_url": (
                _site(
                    reverse(
                        "moderation:confirm_notice",
                        args=[flagger_confirm_token(notice=notice)],
                    )
                )
                if notice.trusted_flagger_id is not None and member is None
                else ""
            ),
            "confirm_days": FLAGGER_CONFIRM_DAYS,
        },
        to=to,
        kind="moderation_notice_receipt",
        member=member,
    )


def _tell_reporters(report: Report, recorded: ReportDecision) -> None:
    """Tells everyone who reported the case what was decided (DSA Art. 16(5)), never more
    about the reported member than the decision; a dismissal can be appealed."""
    now = timezone.now()
    for notice in report.notices.filter(outcome_sent_at__isnull=True).select_related("reporter"):
        member = notice.reporter
        to = member.email if member is not None else notice.email
        if to:
            context = {
                "notice": notice,
                "dismissed": recorded.decision == Decision.DISMISSED,
                "decision_label": str(Decision(recorded.decision).label),
                "name": member.username if member is not None else notice.name,
                "decisions_url": _site(reverse("moderation:my_decisions")) if member else "",
                "appeal_url": _reporter_appeal_url(recorded, notice),
                "appeal_until": timezone.localtime(appeal_deadline(recorded.created_at)),
            }
            with translation.override(
                _language(member.language if member is not None else notice.language)
            ):
                context["decision_label"] = str(Decision(recorded.decision).label)
            _queue(
                "moderation/email/notice_outcome",
                language=member.language if member is not None else notice.language,
                context=context,
                to=to,
                kind="moderation_notice_outcome",
                member=member,
            )
        Notice.objects.filter(pk=notice.pk).update(outcome_sent_at=now)


def _reporter_appeal_url(recorded: ReportDecision, notice: Notice) -> str:
    """The appeal link for a reporter told of a dismissal: a member's or a visitor's."""
    if recorded.decision != Decision.DISMISSED:
        return ""
    if notice.reporter is not None:
        token = appeal_token(decision=recorded, member=notice.reporter)
        return _site(reverse("moderation:appeal_by_link", args=[token]))
    token = notice_appeal_token(decision=recorded, notice=notice)
    return _site(reverse("moderation:appeal_by_notice_link", args=[token]))


def _mail_appeal_outcome(appeal: Appeal) -> None:
    member = appeal.appellant
    visitor = appeal.notice if member is None else None
    to = member.email if member is not None else (visitor.email if visitor else "")
    if not to:
        return
    _queue(
        "moderation/email/appeal_outcome",
        language=member.language if member is not None else visitor.language,
        context={
            "member": member,
            "name": member.username if member is not None else visitor.name,
            "appeal": appeal,
            "reversed": appeal.outcome == Appeal.Outcome.REVERSED,
            "decisions_url": _site(reverse("moderation:my_decisions")) if member else "",
        },
        to=to,
        kind="moderation_appeal_outcome",
        member=member,
    )
