"""How moderation's personal data is exported and erased (see privacy.registry).

A member's export holds the reports they made and the decisions taken against their content,
never who reported them. Erasure keeps the cases (other members' reports and the moderators'
work depend on them) but cuts every link to the member and clears what they wrote.
"""

from django.core.cache import cache
from django.utils import timezone

from privacy.registry import Basis, Category, register, register_no_personal_data

from .models import ContentAccessLog, Decision, Notice, Report, ReportDecision, ReportedItem
from .services import REPORT_WINDOW_SECONDS


def _iso(value):
    return value.isoformat() if value else None


@register(Notice, category=Category.VOLUNTARY, purpose="safety", basis=Basis.LEGITIMATE_INTEREST)
class NoticeData:
    """The reports the member made."""

    def export(self, member):
        return [
            {
                "reference": notice.report.public_id,
                "reason": notice.reason,
                "explanation": notice.explanation,
                "reported_at": _iso(notice.created_at),
                "status": notice.report.status,
            }
            for notice in Notice.objects.filter(reporter=member)
            .select_related("report")
            .order_by("created_at", "pk")
        ]

    def erase(self, member):
        Notice.objects.filter(reporter=member).update(reporter=None, explanation="")
        # The member's report counter in the cache (services._quota_key): this window and the
        # one before, which lives a minute longer.
        window = int(timezone.now().timestamp()) // REPORT_WINDOW_SECONDS
        cache.delete_many([f"reportquota:{member.pk}:{window - back}" for back in (0, 1)])


@register(Report, category=Category.NECESSARY, purpose="safety", basis=Basis.LEGITIMATE_INTEREST)
class ReportData:
    """Decisions against the member's content or account. Open and dismissed cases are left
    out: they would only tell that someone reported them."""

    def export(self, member):
        decided = (
            Report.objects.filter(reported_member=member, status=Report.Status.ACTIONED)
            .prefetch_related("decisions")
            .order_by("created_at", "pk")
        )
        return [
            {
                "reference": report.public_id,
                "reason": report.reason,
                "decisions": [
                    {"decision": decision.decision, "decided_at": _iso(decision.created_at)}
                    for decision in report.decisions.all()
                    if decision.decision != Decision.DISMISSED
                ],
            }
            for report in decided
        ]

    def erase(self, member):
        Report.objects.filter(reported_member=member).update(reported_member=None)
        Report.objects.filter(decided_by=member).update(decided_by=None)


@register(
    ReportDecision, category=Category.NECESSARY, purpose="staff", basis=Basis.LEGITIMATE_INTEREST
)
class ReportDecisionData:
    """Decisions the member took as a moderator."""

    def export(self, member):
        return [
            {
                "reference": decision.report.public_id,
                "decision": decision.decision,
                "decided_at": _iso(decision.created_at),
            }
            for decision in ReportDecision.objects.filter(moderator=member)
            .select_related("report")
            .order_by("created_at", "pk")
        ]

    def erase(self, member):
        ReportDecision.objects.filter(moderator=member).update(moderator=None)


@register(
    ContentAccessLog,
    category=Category.NECESSARY,
    purpose="staff",
    basis=Basis.LEGITIMATE_INTEREST,
)
class ContentAccessLogData:
    """The member's own views of reported content, as a staff member."""

    def export(self, member):
        return [
            {
                "kind": f"{row.content_type.app_label}.{row.content_type.model}",
                "item": row.object_id,
                "viewed_at": _iso(row.viewed_at),
            }
            for row in ContentAccessLog.objects.filter(staff=member)
            .select_related("content_type")
            .order_by("viewed_at", "pk")
        ]

    def erase(self, member):
        ContentAccessLog.objects.filter(staff=member).update(staff=None)
        ContentAccessLog.objects.filter(author=member).update(author=None)


register_no_personal_data(
    ReportedItem, reason="points at content by id; the content app holds and erases it"
)
