"""The credit ledger: the only way credits change (ARCHITECTURE: money moves once, here).

Every change takes a row lock on the member's wallet, writes one ledger entry and moves the
cached balance in the same transaction, so concurrent requests cannot spend the same credit
twice and the balance always equals the sum of the ledger.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils import timezone

from .models import LedgerEntry, Order, Wallet

logger = logging.getLogger(__name__)


class InsufficientCredits(Exception):
    """The member's balance does not cover the amount (or is negative after a chargeback)."""


def get_balance(*, member) -> int:
    return Wallet.objects.filter(member=member).values_list("balance", flat=True).first() or 0


def _locked_wallet(member) -> Wallet:
    Wallet.objects.get_or_create(member=member)
    return Wallet.objects.select_for_update().get(member=member)


def _record(*, wallet: Wallet, **entry) -> LedgerEntry:
    row = LedgerEntry.objects.create(member_id=wallet.member_id, **entry)
    Wallet.objects.filter(pk=wallet.pk).update(balance=F("balance") + entry["credits"])
    return row


def spend_credits(*, member, amount: int, reason: str, reference: str = "") -> LedgerEntry:
    """Takes `amount` credits; raises InsufficientCredits and changes nothing when the balance
    does not cover it. Twenty concurrent calls with credit for one: exactly one succeeds."""
    if amount <= 0:
        raise ValueError("amount must be positive")
    with transaction.atomic():
        wallet = _locked_wallet(member)
        if wallet.balance < amount:
            raise InsufficientCredits
        entry = _record(
            wallet=wallet,
            kind=LedgerEntry.Kind.SPEND,
            credits=-amount,
            reason=reason,
            reference=reference,
        )
    logger.info("credits.spent member=%s amount=%s", member.pk, amount)
    return entry


def credit_purchase(*, order: Order) -> LedgerEntry | None:
    """Credits a paid order's pack exactly once. Returns the entry, or None when the order
    was credited before (a repeated or concurrent webhook)."""
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=order.pk)
        if (
            order.member_id is None
            or order.ledger_entries.filter(kind=LedgerEntry.Kind.PURCHASE).exists()
        ):
            return None
        wallet = _locked_wallet(order.member)
        try:
            with transaction.atomic():
                entry = _record(
                    wallet=wallet,
                    kind=LedgerEntry.Kind.PURCHASE,
                    credits=order.credits,
                    order=order,
                    reference=order.public_id,
                )
        except IntegrityError:  # the unique constraint: someone credited it just now
            return None
    logger.info("credits.purchased member=%s order=%s", order.member_id, order.pk)
    return entry


def take_back_credits(*, order: Order, kind: str, cents: int) -> LedgerEntry | None:
    """A refund or chargeback of `cents` more takes back the matching share of the pack's
    credits. The caller has already recorded the new totals on the order (refunded_cents,
    charged_back_cents); the share is computed on those totals, so several partial refunds
    take back exactly what one refund of their sum would. The balance may go negative:
    spending is then blocked until a top-up."""
    if kind not in (LedgerEntry.Kind.REFUND, LedgerEntry.Kind.CHARGEBACK):
        raise ValueError(kind)
    if cents <= 0 or order.member_id is None:
        return None
    total = min(order.refunded_cents + order.charged_back_cents, order.amount_cents)
    before = max(total - cents, 0)
    credits = _credit_share(order, total) - _credit_share(order, before)
    if credits <= 0:
        return None
    with transaction.atomic():
        wallet = _locked_wallet(order.member)
        entry = _record(
            wallet=wallet, kind=kind, credits=-credits, order=order, reference=order.public_id
        )
    logger.info("credits.taken_back member=%s order=%s kind=%s", order.member_id, order.pk, kind)
    return entry


def _credit_share(order: Order, cents: int) -> int:
    """The credits that `cents` of the order's amount paid for, rounded up."""
    return -(-order.credits * cents // order.amount_cents)


def adjust_credits(*, member, credits: int, reason: str, staff) -> LedgerEntry:
    """A staff correction, always with a reason (a database constraint requires it)."""
    if not reason.strip():
        raise ValueError("an adjustment needs a reason")
    if credits == 0:
        raise ValueError("an adjustment changes the balance")
    with transaction.atomic():
        wallet = _locked_wallet(member)
        entry = _record(
            wallet=wallet,
            kind=LedgerEntry.Kind.ADJUSTMENT,
            credits=credits,
            reason=reason.strip()[:200],
            created_by=staff,
        )
    logger.info("credits.adjusted member=%s by=%s", member.pk, staff.pk)
    return entry


def paying_orders():
    """Settled purchases that were not fully refunded or charged back (within
    PAYING_MEMBER_WINDOW_DAYS when that setting is on): what makes a member paying (R2.4)."""
    orders = Order.objects.filter(
        status=Order.Status.PAID,
        refunded_cents__lt=F("amount_cents") - F("charged_back_cents"),
    )
    window = getattr(settings, "PAYING_MEMBER_WINDOW_DAYS", None)
    if window:
        orders = orders.filter(paid_at__gte=timezone.now() - timedelta(days=window))
    return orders


def paying_member_ids():
    """The ids of paying members, as a subquery for `member__in` (campaign audiences)."""
    # Orders of erased members have no member: a NULL would empty a NOT IN (...).
    return paying_orders().filter(member__isnull=False).values("member_id")


def is_paying_member(*, member) -> bool:
    """R2.4: a member with a settled purchase that was not fully refunded or charged back."""
    if member is None or not member.is_authenticated:
        return False
    return paying_orders().filter(member=member).exists()


def verify_balances() -> list[int]:
    """Members whose cached balance differs from the sum of their ledger (should be none)."""
    sums = dict(
        LedgerEntry.objects.values("member_id")
        .annotate(total=Sum("credits"))
        .values_list("member_id", "total")
    )
    wrong = [
        member_id
        for member_id, balance in Wallet.objects.values_list("member_id", "balance")
        if balance != sums.get(member_id, 0)
    ]
    wrong += [m for m in sums if not Wallet.objects.filter(member_id=m).exists()]
    return sorted(set(wrong))
