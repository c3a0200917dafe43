"""How moderation's personal data is exported and erased (see privacy.registry).

A member's export holds the reports they made, the decisions about them (statements of
reasons, restrictions, strikes), their appeals and how their reports turned out; never who
reported them. Staff export the work they did (decisions, notes, audit log entries, reported
content viewed).

Erasure keeps the cases (other members' reports and the moderators' work depend on them) but
cuts every link to the member and clears what they wrote, and what was written about them on
cases about them (moderators' notes, other reporters' explanations). Restrictions, strikes,
standing go. Statements of reasons are kept without the person (`member` and `language`
emptied; their facts hold no personal data by rule) for MODERATION_STATEMENT_YEARS after the
decision, as the record of the decision the Digital Services Act asks for (Art. 17, 24), and
then deleted (`delete_detached_statements`, daily). A visitor's notice (name, e-mail address)
belongs to no account: the helpdesk erases it with `erase_visitor_notices(email=...)`.
"""

from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from privacy.registry import Basis, Category, register, register_no_personal_data

from .models import (
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
    TrustedFlagger,
)
from .services import REPORT_WINDOW_SECONDS

DEFAULT_STATEMENT_YEARS = 5


def _iso(value):
    return value.isoformat() if value else None


@register(Notice, category=Category.VOLUNTARY, purpose="safety", basis=Basis.LEGITIMATE_INTEREST)
class NoticeData:
    """The reports the member made."""

    def export(self, member):
        return [
            {
                "reference": notice.public_id,
                "reason": notice.reason,
                "explanation": notice.explanation,
                "good_faith": notice.good_faith,
                "reported_at": _iso(notice.created_at),
                "status": notice.report.status,
                # The decision only, never more about the member reported (DSA Art. 16(5)).
                "outcome": notice.report.decision,
                "outcome_sent_at": _iso(notice.outcome_sent_at),
            }
            for notice in Notice.objects.filter(reporter=member)
            .select_related("report")
            .order_by("created_at", "pk")
        ]

    def erase(self, member):
        Notice.objects.filter(reporter=member).update(
            reporter=None, explanation="", name="", email="", language="", source_digest=""
        )
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
        about = Report.objects.filter(reported_member=member)
        # What others wrote about the member goes with them: moderators' notes, the notes of
        # decisions and other reporters' explanations on cases about them.
        CaseNote.objects.filter(report__in=about).delete()
        ReportDecision.objects.filter(report__in=about).exclude(note="").update(note="")
        Notice.objects.filter(report__in=about).exclude(explanation="").update(explanation="")
        about.update(reported_member=None)
        Report.objects.filter(decided_by=member).update(decided_by=None)
        Report.objects.filter(police_notified_by=member).update(police_notified_by=None)


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


@register(
    TrustedFlagger, category=Category.NECESSARY, purpose="safety", basis=Basis.LEGITIMATE_INTEREST
)
class TrustedFlaggerData:
    """A member account an organisation reports with as a trusted flagger (DSA Art. 22).
    Erasing the account ends that; the staff member who added a flagger is unlinked."""

    def export(self, member):
        return [
            {
                "organisation": flagger.name,
                "active": flagger.active,
                "since": _iso(flagger.created_at),
            }
            for flagger in TrustedFlagger.objects.filter(member=member).order_by("pk")
        ]

    def erase(self, member):
        TrustedFlagger.objects.filter(member=member).delete()
        TrustedFlagger.objects.filter(added_by=member).update(added_by=None)


register_no_personal_data(
    ReportedItem, reason="points at content by id; the content app holds and erases it"
)

# The blocked-terms list (moderation.detection) is staff's, not a member's: `added_by` names
# the staff member and is set to NULL when that account is erased.
from .models import BlockedTerm  # noqa: E402

register_no_personal_data(
    BlockedTerm, reason="staff's list of blocked words; added_by is set to NULL on erasure"
)


# --- Statements of reasons, restrictions, strikes, standing, appeals (DSA Art. 17, 20, 23) ------


def _statement_row(statement: Statement) -> dict:
    decision = statement.decision
    return {
        "reference": statement.public_id,
        "decision": decision.decision,
        "category": statement.category,
        "ground": statement.decision_ground,
        "law": statement.legal_ground,
        "terms_clause": statement.terms_clause,
        "ground_explanation": statement.ground_explanation,
        "facts": statement.decision_facts,
        "source": statement.source_type,
        "automated_detection": statement.automated_detection,
        "automated_decision": statement.automated_decision,
        "applies_from": _iso(statement.application_date),
        "applies_until": _iso(statement.end_date),
        "reversed_at": _iso(decision.reversed_at),
        "mailed_at": _iso(statement.mailed_at),
    }


@register(
    Statement,
    category=Category.NECESSARY,
    purpose="moderation_decisions",
    basis=Basis.LEGAL_OBLIGATION,
)
class StatementData:
    """The statements of reasons about the member. On erasure they are kept without the
    person for MODERATION_STATEMENT_YEARS (see the module docstring and the declared
    purpose's retention), then `delete_detached_statements` deletes them."""

    def export(self, member):
        return [
            _statement_row(statement)
            for statement in Statement.objects.filter(member=member)
            .select_related("decision")
            .order_by("created_at", "pk")
        ]

    def erase(self, member):
        Statement.objects.filter(member=member).update(member=None, language="")


def statement_years() -> int:
    return getattr(settings, "MODERATION_STATEMENT_YEARS", DEFAULT_STATEMENT_YEARS)


def delete_detached_statements(*, now=None) -> int:
    """Deletes statements kept without their member (erased) once MODERATION_STATEMENT_YEARS
    have passed since the decision. Idempotent; daily on the beat schedule."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=365 * statement_years())
    deleted, _by_model = Statement.objects.filter(
        member__isnull=True, application_date__lt=cutoff
    ).delete()
    return deleted


@register(Sanction, category=Category.NECESSARY, purpose="safety", basis=Basis.LEGITIMATE_INTEREST)
class SanctionData:
    """Restrictions and suspensions of the member's account, in force or ended."""

    def export(self, member):
        return [
            {
                "kind": sanction.kind,
                "from": _iso(sanction.starts_at),
                "until": _iso(sanction.ends_at),
                "ended_at": _iso(sanction.ended_at),
            }
            for sanction in Sanction.objects.filter(member=member).order_by("starts_at", "pk")
        ]

    def erase(self, member):
        Sanction.objects.filter(member=member).delete()


@register(Strike, category=Category.NECESSARY, purpose="safety", basis=Basis.LEGITIMATE_INTEREST)
class StrikeData:
    """Violations counted against the member (the strike ladder)."""

    def export(self, member):
        return [
            {
                "decision": strike.decision.decision,
                "counted_at": _iso(strike.created_at),
                "removed_at": _iso(strike.removed_at),
            }
            for strike in Strike.objects.filter(member=member)
            .select_related("decision")
            .order_by("created_at", "pk")
        ]

    def erase(self, member):
        Strike.objects.filter(member=member).delete()


@register(
    ReporterStanding,
    category=Category.NECESSARY,
    purpose="safety",
    basis=Basis.LEGITIMATE_INTEREST,
)
class ReporterStandingData:
    """How the member's reports turned out, and whether they are handled last."""

    def export(self, member):
        return [
            {
                "founded": standing.founded,
                "unfounded": standing.unfounded,
                "handled_last_since": _iso(standing.deprioritised_at),
            }
            for standing in ReporterStanding.objects.filter(member=member)
        ]

    def erase(self, member):
        ReporterStanding.objects.filter(member=member).delete()


@register(Appeal, category=Category.VOLUNTARY, purpose="safety", basis=Basis.LEGITIMATE_INTEREST)
class AppealData:
    """The member's appeals. Erasure keeps the appeal case (moderators' work and the
    transparency counts depend on it) without the appellant and what they wrote."""

    def export(self, member):
        rows = []
        for appeal in (
            Appeal.objects.filter(appellant=member)
            .select_related("decision")
            .order_by("created_at", "pk")
        ):
            statement = Statement.objects.filter(decision=appeal.decision, member=member).first()
            rows.append(
                {
                    "reference": appeal.public_id,
                    "decision": appeal.decision.decision,
                    "statement": statement.public_id if statement else "",
                    "appealed_as": appeal.role,
                    "explanation": appeal.explanation,
                    "appealed_at": _iso(appeal.created_at),
                    "outcome": appeal.outcome,
                    "reasons": appeal.reasons,
                    "decided_at": _iso(appeal.decided_at),
                }
            )
        return rows

    def erase(self, member):
        Appeal.objects.filter(appellant=member).update(appellant=None, explanation="", reasons="")
        Appeal.objects.filter(decided_by=member).update(decided_by=None)


@register(CaseNote, category=Category.NECESSARY, purpose="staff", basis=Basis.LEGITIMATE_INTEREST)
class CaseNoteData:
    """Staff only: the private notes the moderator wrote on cases. (Notes on cases about an
    erased member are deleted with the member: ReportData.erase.)"""

    def export(self, member):
        return [
            {"case": note.report.public_id, "written_at": _iso(note.created_at), "note": note.text}
            for note in CaseNote.objects.filter(author=member)
            .select_related("report")
            .order_by("created_at", "pk")
        ]

    def erase(self, member):
        CaseNote.objects.filter(author=member).update(author=None)


@register(
    ModerationAction,
    category=Category.NECESSARY,
    purpose="staff",
    basis=Basis.LEGITIMATE_INTEREST,
)
class ModerationActionData:
    """Staff only: the member's entries in the moderation audit log. The log is append-only;
    erasing a staff account sets `staff` to NULL, the one change its trigger allows."""

    def export(self, member):
        return [
            {
                "action": action.action,
                "case": action.report.public_id if action.report_id and action.report else "",
                "statement": action.statement_reference,
                "when": _iso(action.created_at),
            }
            for action in ModerationAction.objects.filter(staff=member)
            .select_related("report")
            .order_by("created_at", "pk")
        ]

    def erase(self, member):
        ModerationAction.objects.filter(staff=member).update(staff=None)


def erase_visitor_notices(*, email: str) -> int:
    """The helpdesk's way to erase what a visitor without an account gave with their notices
    (name, e-mail address, language, explanation), found by the e-mail address they used.
    The notices stay on their cases, without the person, and so do appeals filed through
    them, without their explanation. Returns how many notices were erased."""
    email = (email or "").strip()
    if not email:
        return 0
    with transaction.atomic():
        notices = Notice.objects.filter(reporter__isnull=True, email__iexact=email)
        # Their appeals (through the outcome mail's link) stay counted, without what they wrote.
        Appeal.objects.filter(notice__in=notices).update(explanation="", reasons="")
        return notices.update(name="", email="", language="", explanation="", source_digest="")
