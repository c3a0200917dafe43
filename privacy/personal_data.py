from .models import ConsentRecord
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
