"""How the payments app's personal data is exported and erased (see privacy.registry).

Purchase records must be kept for bookkeeping (7 years, Dutch fiscal law): at erasure the order
stays, detached from the person (no member, so no name, e-mail or username), R4.2.
"""

from django.utils import timezone

from privacy.registry import Basis, Category, register, register_no_personal_data

from .models import LedgerEntry, Order, SpendingLimit, StandInPayment, Wallet


@register(Order, category=Category.NECESSARY, purpose="purchases", basis=Basis.LEGAL_OBLIGATION)
class OrderData:
    retention = "Kept 7 years for bookkeeping, detached from the member at erasure."

    def export(self, member):
        return [
            {
                "order": o.public_id,
                "credits": o.credits,
                "amount_cents": o.amount_cents,
                "method": o.method,
                "status": o.status,
                "refunded_cents": o.refunded_cents,
                "charged_back_cents": o.charged_back_cents,
                "created_at": o.created_at.isoformat(),
                "paid_at": o.paid_at.isoformat() if o.paid_at else None,
            }
            for o in Order.objects.filter(member=member)
        ]

    def erase(self, member):
        Order.objects.filter(member=member).update(member=None, detached_at=timezone.now())


@register(LedgerEntry, category=Category.NECESSARY, purpose="credits", basis=Basis.CONTRACT)
class LedgerEntryData:
    def export(self, member):
        return [
            {
                "kind": e.kind,
                "credits": e.credits,
                "reason": e.reason,
                "reference": e.reference,
                "at": e.created_at.isoformat(),
            }
            for e in LedgerEntry.objects.filter(member=member).order_by("created_at", "pk")
        ]

    def erase(self, member):
        LedgerEntry.objects.filter(member=member).delete()
        LedgerEntry.objects.filter(created_by=member).update(created_by=None)


@register(Wallet, category=Category.NECESSARY, purpose="credits", basis=Basis.CONTRACT)
class WalletData:
    def export(self, member):
        return [{"balance": w.balance} for w in Wallet.objects.filter(member=member)]

    def erase(self, member):
        Wallet.objects.filter(member=member).delete()


@register(SpendingLimit, category=Category.VOLUNTARY, purpose="credits", basis=Basis.CONTRACT)
class SpendingLimitData:
    """The member's own monthly spending limit and a change waiting to take effect."""

    def export(self, member):
        now = timezone.now()
        rows = []
        for limit in SpendingLimit.objects.filter(member=member):
            pending = limit.change_pending_at(now)
            rows.append(
                {
                    "limit_cents": limit.limit_in_force_cents(now),
                    "pending_limit_cents": limit.pending_limit_cents if pending else None,
                    "pending_removal": limit.pending_removal if pending else False,
                    "pending_effective_at": (
                        limit.pending_effective_at.isoformat() if pending else None
                    ),
                    "updated_at": limit.updated_at.isoformat(),
                }
            )
        return rows

    def erase(self, member):
        SpendingLimit.objects.filter(member=member).delete()


register_no_personal_data(
    StandInPayment,
    reason="The offline stand-in for Mollie's checkout: a payment's status and amounts, "
    "tied to an order, never to a person.",
)
