"""Every write of moderation: reporting content, holding content for review, showing reported
content to a moderator (logged), and the decisions on a case (R10.1).

Content apps reach these functions with their own model instances; what moderation does with
them (describe, remove, release) goes back through `moderation.registry`, so this module never
imports a content app. Each function is one transaction and logs ids only.
"""

import logging
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from members.services import queue_rendered_mail, render_mail_parts, suspend_member

from . import registry
from .models import (
    EXPLANATION_MAX_LENGTH,
    ContentAccessLog,
    Decision,
    Notice,
    Report,
    ReportDecision,
    ReportedItem,
)
from .reasons import MEMBER_REPORT_REASONS, ReportReason
from .signals import content_decided

logger = logging.getLogger(__name__)

VIEW_PERMISSION = "moderation.view_report"
DECIDE_PERMISSION = "moderation.change_report"
# Reports one member may make per day (a fixed window in the shared cache).
DEFAULT_REPORTS_PER_DAY = 20
REPORT_WINDOW_SECONDS = 24 * 3600


class ReportRefused(Exception):
    """The report is not taken. `code` is for code and tests, `message` for the member."""

    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message


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


@dataclass(frozen=True)
class ItemForReview:
    """One reported item as a moderator sees it. `described` is None when the content no
    longer exists (its author's data was erased)."""

    item_id: int
    kind: str
    object_id: int
    removed: bool
    described: registry.Described | None


# -- reporting ----------------------------------------------------------------------------------


def reports_per_day() -> int:
    return getattr(settings, "REPORTS_PER_DAY", DEFAULT_REPORTS_PER_DAY)


def _quota_key(reporter) -> str:
    window = int(timezone.now().timestamp()) // REPORT_WINDOW_SECONDS
    return f"reportquota:{reporter.pk}:{window}"


def _check_report_quota(reporter) -> None:
    if (cache.get(_quota_key(reporter)) or 0) >= reports_per_day():
        logger.info("report.rate_limited member=%s", reporter.pk)
        raise ReportRefused(
            "rate_limited",
            _(
                "You have sent many reports today. Try again tomorrow, or write to the "
                "helpdesk if it cannot wait."
            ),
        )


def _count_report(reporter) -> None:
    key = _quota_key(reporter)
    cache.add(key, 0, timeout=REPORT_WINDOW_SECONDS + 60)
    cache.incr(key)


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
    """The oldest open case holding any of these items."""
    by_type: dict[ContentType, list[int]] = {}
    for content_type, object_id in keys:
        by_type.setdefault(content_type, []).append(object_id)
    matches = Q()
    for content_type, ids in by_type.items():
        matches |= Q(items__content_type=content_type, items__object_id__in=ids)
    return (
        Report.objects.filter(matches, status=Report.Status.OPEN)
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


def report_content(
    *, reporter, items, reason: str, explanation: str = "", reported_member
) -> Report:
    """A member reports content by `reported_member` (every item must be theirs). Joins the
    open case that already holds one of the items, or opens one. Raises ReportRefused (the
    member's own content, too long, too many reports today) or AlreadyReported."""
    items = list(items)
    if not items:
        raise ValueError("a report needs at least one item")
    if reason not in dict(MEMBER_REPORT_REASONS):
        raise ReportRefused("invalid_reason", _("Choose a reason."))
    explanation = (explanation or "").strip()
    if len(explanation) > EXPLANATION_MAX_LENGTH:
        raise ReportRefused(
            "too_long",
            _("An explanation can be at most %(limit)s characters.")
            % {"limit": EXPLANATION_MAX_LENGTH},
        )
    if reported_member is None or reported_member.pk == reporter.pk:
        raise ReportRefused("own_content", _("You cannot report your own content."))
    for obj in items:
        if registry.entry_for(obj).author(obj) != reported_member.pk:
            raise ValueError("every reported item must be the reported member's")
    _check_report_quota(reporter)
    keys = _item_keys(items)
    with transaction.atomic():
        _lock_member(reported_member)
        report = _open_case_for(keys)
        joined = report is not None
        if report is None:
            report = Report.objects.create(
                content_type=keys[0][0], reason=reason, reported_member=reported_member
            )
        added = _add_items(report, keys)
        if report.notices.filter(reporter=reporter).exists():
            if not added:
                raise AlreadyReported()
        else:
            Notice.objects.create(
                report=report, reporter=reporter, reason=reason, explanation=explanation
            )
    _count_report(reporter)
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
    """The site held `item` back (for instance a message sent to many members): it waits in
    the queue until a moderator releases (dismisses) or removes it. Holds of the same kind for
    the same author join one open case. Runs inside the caller's transaction."""
    reason = ReportReason(reason)
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
            )
            .order_by("created_at", "pk")
            .first()
        )
        if report is None:
            report = Report.objects.create(
                content_type=content_type, reason=reason, reported_member=author
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


def reported_items_for_review(*, report: Report, staff) -> list[ItemForReview]:
    """The reported content of a case, and only that, for a moderator to judge. Every item
    shown is logged (who saw whose content, when)."""
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


# -- deciding -----------------------------------------------------------------------------------


def _lock_report(report: Report) -> Report:
    # NO KEY: a hold adding an item to this case meanwhile need not wait.
    return Report.objects.select_for_update(no_key=True).get(pk=report.pk)


def _record(*, report: Report, moderator, decision: Decision, note: str) -> ReportDecision:
    now = timezone.now()
    recorded = ReportDecision.objects.create(
        report=report,
        decision=decision,
        note=(note or "").strip(),
        moderator=moderator,
        created_at=now,
    )
    report.status = (
        Report.Status.DISMISSED if decision == Decision.DISMISSED else Report.Status.ACTIONED
    )
    report.decision = decision
    report.decided_by = moderator
    report.decided_at = now
    report.save(update_fields=["status", "decision", "decided_by", "decided_at"])
    content_decided.send(sender=Report, report=report, decision=decision)
    logger.info(
        "report.decided report=%s moderator=%s decision=%s", report.pk, moderator.pk, decision
    )
    return recorded


def _already(report: Report, decision: Decision) -> bool:
    return report.decisions.filter(decision=decision).exists()


def dismiss_report(*, report: Report, moderator, note: str = "") -> Report:
    """Nothing wrong found: the case closes, and content the site held is delivered after
    all (through the registry's `release`)."""
    _require(moderator, DECIDE_PERMISSION)
    with transaction.atomic():
        report = _lock_report(report)
        if not report.is_open:
            raise DecisionRefused(
                "already_decided",
                _("This report has already been decided; it cannot be dismissed."),
            )
        for item, entry, obj in _load_items(report):
            if obj is not None and entry.release is not None and item.removed_at is None:
                entry.release(obj)
        _record(report=report, moderator=moderator, decision=Decision.DISMISSED, note=note)
    return report


def remove_reported_content(*, report: Report, moderator, note: str = "", item_ids=None) -> Report:
    """Removes the case's content for good (all items, or the ReportedItem ids given)."""
    _require(moderator, DECIDE_PERMISSION)
    with transaction.atomic():
        report = _lock_report(report)
        chosen = [
            (item, entry, obj)
            for item, entry, obj in _load_items(report)
            if item.removed_at is None and (item_ids is None or item.pk in set(item_ids))
        ]
        if not chosen:
            raise DecisionRefused(
                "nothing_to_remove", _("The chosen content has already been removed.")
            )
        now = timezone.now()
        for _item, entry, obj in chosen:
            if obj is not None:
                entry.remove(obj)
        ReportedItem.objects.filter(pk__in=[item.pk for item, _e, _o in chosen]).update(
            removed_at=now
        )
        _record(report=report, moderator=moderator, decision=Decision.CONTENT_REMOVED, note=note)
    return report


def _reported_member_for(report: Report, decision: Decision):
    member = report.reported_member
    if member is None:
        raise DecisionRefused("no_member", _("The reported member no longer exists."))
    if _already(report, decision):
        raise DecisionRefused(
            "already_done", _("This decision has already been taken on this report.")
        )
    return member


def warn_member(*, report: Report, moderator, note: str) -> Report:
    """Tells the reported member by mail, in their language, that their content broke the
    rules and why (never who reported it). Content is removed separately."""
    _require(moderator, DECIDE_PERMISSION)
    with transaction.atomic():
        report = _lock_report(report)
        member = _reported_member_for(report, Decision.MEMBER_WARNED)
        _record(report=report, moderator=moderator, decision=Decision.MEMBER_WARNED, note=note)
        _tell_member(member=member, report=report, decision=Decision.MEMBER_WARNED)
    return report


def suspend_reported_member(*, report: Report, moderator, note: str) -> Report:
    """Suspends the reported member (no log-in; their sessions end at once) and tells them
    by mail why."""
    _require(moderator, DECIDE_PERMISSION)
    with transaction.atomic():
        report = _lock_report(report)
        member = _reported_member_for(report, Decision.MEMBER_SUSPENDED)
        suspend_member(member=member)
        _record(report=report, moderator=moderator, decision=Decision.MEMBER_SUSPENDED, note=note)
        _tell_member(member=member, report=report, decision=Decision.MEMBER_SUSPENDED)
    return report


MAIL_TEMPLATES = {
    Decision.MEMBER_WARNED: ("moderation/email/member_warned", "moderation_warning"),
    Decision.MEMBER_SUSPENDED: ("moderation/email/member_suspended", "moderation_suspension"),
}


def _tell_member(*, member, report: Report, decision: Decision) -> None:
    member = get_user_model().objects.get(pk=member.pk)
    if not member.email:
        return
    prefix, kind = MAIL_TEMPLATES[decision]
    entry = registry.entry_for_content_type(report.content_type)
    language = member.language if member.language in dict(settings.LANGUAGES) else "nl"
    site = settings.SITE_URL.rstrip("/")
    with translation.override(language):
        context = {
            "member": member,
            "kind": str(entry.verbose_name),
            "reason": str(ReportReason(report.reason).label),
            "terms_url": site + reverse("terms"),
            "helpdesk_email": settings.HELPDESK_EMAIL,
            "site_name": settings.SITE_NAME,
        }
        parts = render_mail_parts(prefix, context)
    queue_rendered_mail(parts=parts, to=member.email, kind=kind, member=member)
