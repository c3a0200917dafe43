from .models import ConsentRecord, DataExport, ProcessingLimitRecord, StatementAcceptance
from .registry import Basis, Category, register


@register(
    ConsentRecord, category=Category.NECESSARY, purpose="consent", basis=Basis.LEGAL_OBLIGATION
)
class ConsentRecordData:
    def export(self, member):
        return [
            {
                "purpose": r.purpose,
                "granted": r.granted,
                "wording_version": r.wording_version,
                "source": r.source,
                "at": r.created_at.isoformat(),
            }
            for r in ConsentRecord.objects.filter(member=member).order_by("created_at", "pk")
        ]

    def erase(self, member):
        ConsentRecord.objects.filter(member=member).delete()


@register(DataExport, category=Category.NECESSARY, purpose="export", basis=Basis.LEGAL_OBLIGATION)
class DataExportData:
    """The member's export requests (dates and status), not the files' contents."""

    def export(self, member):
        return [
            {
                "requested_at": e.requested_at.isoformat(),
                "status": e.status,
                "ready_at": e.ready_at.isoformat() if e.ready_at else None,
                "expires_at": e.expires_at.isoformat() if e.expires_at else None,
                "downloaded_at": e.downloaded_at.isoformat() if e.downloaded_at else None,
                "size_bytes": e.size_bytes,
            }
            for e in DataExport.objects.filter(member=member).order_by("requested_at", "pk")
        ]

    def erase(self, member):
        """Files first, then rows (privacy.exports.erase_exports); safe to run twice."""
        from .exports import erase_exports

        erase_exports(member=member)


@register(
    ProcessingLimitRecord,
    category=Category.NECESSARY,
    purpose="consent",
    basis=Basis.LEGAL_OBLIGATION,
)
class ProcessingLimitRecordData:
    """Each restriction and objection the member put in force or lifted (R7.4)."""

    def export(self, member):
        return [
            {
                "kind": r.kind,
                "in_force": r.active,
                "source": r.source,
                "at": r.created_at.isoformat(),
            }
            for r in ProcessingLimitRecord.objects.filter(member=member).order_by(
                "created_at", "pk"
            )
        ]

    def erase(self, member):
        ProcessingLimitRecord.objects.filter(member=member).delete()


@register(
    StatementAcceptance,
    category=Category.NECESSARY,
    purpose="consent",
    basis=Basis.LEGAL_OBLIGATION,
)
class StatementAcceptanceData:
    """The privacy statement versions the member accepted, and when."""

    def export(self, member):
        return [
            {"version": a.version, "source": a.source, "accepted_at": a.accepted_at.isoformat()}
            for a in StatementAcceptance.objects.filter(member=member).order_by("accepted_at", "pk")
        ]

    def erase(self, member):
        StatementAcceptance.objects.filter(member=member).delete()
