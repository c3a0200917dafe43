"""How the activity app's records are exported and erased (see privacy.registry).

Export (R7.4): every log-in with what it recorded, every failed log-in on the account, and
every page visited that is still kept (ACTIVITY_PAGE_VISIT_DAYS; a generator over a cursor,
as the list can be long).
Erasure (R7.3): all deleted. The anonymous daily page counts hold nothing of the member."""

from privacy.registry import Basis, Category, register, register_no_personal_data

from . import partners  # noqa: F401  (PartnerCheck registers itself there)
from .models import DailyPageCount, FailedLogin, LoginRecord, PageVisit


def _iso(value):
    return value.isoformat() if value else None


@register(
    LoginRecord, category=Category.NECESSARY, purpose="security", basis=Basis.LEGITIMATE_INTEREST
)
class LoginRecordData:
    def export(self, member):
        return [
            {
                "at": _iso(record.created_at),
                "ip_address": record.ip_address,
                "ip_shortened": record.ip_truncated,
                "device": record.device_type,
                "operating_system": record.operating_system,
                "browser": record.browser,
                "provider": record.provider,
                "new_device": record.new_device,
                "session": record.session_digest,
            }
            for record in LoginRecord.objects.filter(member=member).order_by("created_at", "pk")
        ]

    def erase(self, member):
        LoginRecord.objects.filter(member=member).delete()


@register(
    FailedLogin, category=Category.NECESSARY, purpose="security", basis=Basis.LEGITIMATE_INTEREST
)
class FailedLoginData:
    """Attempts with a name that was not the member's have no member and are not theirs:
    they go only with the retention period."""

    def export(self, member):
        return [
            {"at": _iso(row.created_at), "reason": row.reason, "ip_hash": row.ip_digest}
            for row in FailedLogin.objects.filter(member=member).order_by("created_at", "pk")
        ]

    def erase(self, member):
        FailedLogin.objects.filter(member=member).delete()


@register(
    PageVisit,
    category=Category.NECESSARY,
    purpose="site_operation",
    basis=Basis.LEGITIMATE_INTEREST,
)
class PageVisitData:
    def export(self, member):
        visits = (
            PageVisit.objects.filter(member=member)
            .order_by("visited_at", "pk")
            .values_list("route", "visited_at", "session_digest")
        )
        for route, visited_at, digest in visits.iterator(chunk_size=2000):
            yield {"page": route, "at": _iso(visited_at), "session": digest}

    def erase(self, member):
        PageVisit.objects.filter(member=member).delete()


register_no_personal_data(
    DailyPageCount,
    reason="Anonymous: views per page per day, by visitors and members together; no member.",
)
