"""The credit ledger: the only way credits change (ARCHITECTURE: money moves once, here).

Every change takes a row lock on the member's wallet, writes one ledger entry and moves the
cached balance in the same transaction, so concurrent requests cannot spend the same credit
twice and the balance always equals the sum of the ledger.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, ExpressionWrapper, F, IntegerField, Q, Sum, Value, When
from django.db.models.functions import Greatest
from django.utils import timezone

from .models import LedgerEntry, Order, SpendingLimit, Wallet

logger = logging.getLogger(__name__)


class InsufficientCredits(Exception):
    """The member's balance does not cover the amount (or is negative after a chargeback)."""


def get_balance(*, member) -> int:
    return Wallet.objects.filter(member=member).values_list("balance", flat=True).first() or 0


def _locked_wallet(member) -> Wallet:
    Wallet.objects.get_or_create(member=member)
    return Wallet.objects.select_for_update().get(member=member)


def lock_wallet(*, member) -> Wallet:
    """Locks the member's wallet row until the caller's transaction ends: what serialises a
    member's checkouts, so two started at once cannot both pass the spending limit."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_wallet needs a transaction")
    return _locked_wallet(member)


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


# --- What a member spends, and their own monthly spending limit (issue 11, fair play) ----------
#
# Weeks start on Monday 00:00 and months on the 1st at 00:00, both in the site's time zone
# (Europe/Amsterdam, settings.TIME_ZONE), whatever the time zone a page is shown in.

# Raising or removing a limit waits this long; setting or lowering one is in force at once.
LIMIT_RAISE_DELAY = timedelta(hours=24)
# The highest limit the form accepts (a member who wants more removes the limit).
LIMIT_MAX_EUROS = 100_000


class SpendingLimitReached(Exception):
    """Starting this purchase would go over the member's monthly spending limit."""

    def __init__(self, *, limit_cents: int, counted_cents: int, amount_cents: int, limit):
        super().__init__("monthly spending limit reached")
        self.limit_cents = limit_cents
        self.counted_cents = counted_cents
        self.amount_cents = amount_cents
        self.left_cents = max(limit_cents - counted_cents, 0)
        self.spending_limit = limit  # the SpendingLimit row, for a pending change


def _local_midnight(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


def week_start(now: datetime) -> datetime:
    """Monday 00:00 (Amsterdam) of the week `now` is in."""
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    return _local_midnight(today - timedelta(days=today.weekday()))


def month_start(now: datetime) -> datetime:
    """The 1st, 00:00 (Amsterdam) of the month `now` is in."""
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    return _local_midnight(today.replace(day=1))


def next_month_start(now: datetime) -> datetime:
    today = timezone.localtime(now, timezone.get_default_timezone()).date()
    first = today.replace(day=1)
    return _local_midnight((first + timedelta(days=32)).replace(day=1))


@dataclass(frozen=True)
class CreditsSpent:
    week: int
    month: int


def credits_spent(*, member, now: datetime | None = None) -> CreditsSpent:
    """Credits the member spent (messages and whatever else costs credits) since Monday and
    since the 1st, in one query over the ledger's spend entries. Not counted as spending:
    purchases, credits taken back after a refund or chargeback (that undoes a purchase, not
    spending) and corrections by staff (kind "adjustment"; a goodwill gift is not a spend
    undone). The member sees all of them in the list of changes."""
    now = now or timezone.now()
    week, month = week_start(now), month_start(now)
    # Spend entries are negative.
    spent = ExpressionWrapper(Value(0) - F("credits"), output_field=IntegerField())
    totals = LedgerEntry.objects.filter(
        member=member,
        kind=LedgerEntry.Kind.SPEND,
        created_at__gte=min(week, month),
        created_at__lte=now,
    ).aggregate(
        week=Sum(spent, filter=Q(created_at__gte=week)),
        month=Sum(spent, filter=Q(created_at__gte=month)),
    )
    return CreditsSpent(week=totals["week"] or 0, month=totals["month"] or 0)


def counted_purchases_cents(*, member, now: datetime | None = None) -> int:
    """The euro cents that count against the member's limit this month, in one query: every
    order started this calendar month that is paid (less what was refunded or charged back:
    only money that went back to the member frees the limit again) or still open (a payment
    under way may still be paid; failed, cancelled and expired orders cost nothing).

    An order counts in the month it was started, also when it is paid after midnight on the
    1st: so each month's orders never add up to more than the limit."""
    now = now or timezone.now()
    total = Order.objects.filter(
        member=member,
        created_at__gte=month_start(now),
        status__in=[Order.Status.PAID, Order.Status.OPEN],
    ).aggregate(
        cents=Sum(
            Case(
                When(
                    status=Order.Status.PAID,
                    then=Greatest(
                        F("amount_cents") - F("refunded_cents") - F("charged_back_cents"),
                        Value(0),
                        output_field=IntegerField(),
                    ),
                ),
                default=F("amount_cents"),
                output_field=IntegerField(),
            )
        )
    )["cents"]
    return total or 0


def get_spending_limit(*, member) -> SpendingLimit | None:
    return SpendingLimit.objects.filter(member=member).first()


def monthly_limit_cents(*, member, now: datetime | None = None) -> int | None:
    """The limit in force for the member at `now` (None: no limit)."""
    limit = get_spending_limit(member=member)
    return limit.limit_in_force_cents(now or timezone.now()) if limit else None


def check_spending_limit(*, member, amount_cents: int, now: datetime | None = None) -> None:
    """Raises SpendingLimitReached when a purchase of `amount_cents` would take what counts
    this month over the member's limit. Call it under `lock_wallet`, and create the order in
    the same transaction, so a checkout started at the same moment counts this one."""
    now = now or timezone.now()
    limit = get_spending_limit(member=member)
    limit_cents = limit.limit_in_force_cents(now) if limit else None
    if limit_cents is None:
        return
    counted = counted_purchases_cents(member=member, now=now)
    if counted + amount_cents > limit_cents:
        logger.info("checkout.limit_reached member=%s", member.pk)
        raise SpendingLimitReached(
            limit_cents=limit_cents, counted_cents=counted, amount_cents=amount_cents, limit=limit
        )


def _fold_in_due_change(limit: SpendingLimit, now: datetime) -> None:
    """A pending change whose moment has come becomes the stored limit (on a locked row)."""
    if limit.pending_effective_at is not None and now >= limit.pending_effective_at:
        limit.monthly_limit_cents = limit.limit_in_force_cents(now)
        _clear_pending(limit)


def _clear_pending(limit: SpendingLimit) -> None:
    limit.pending_limit_cents = None
    limit.pending_removal = False
    limit.pending_effective_at = None


def set_spending_limit(
    *, member, limit_euros: int | None, now: datetime | None = None
) -> SpendingLimit:
    """Sets the member's monthly limit to `limit_euros` whole euros, or removes it (None).

    A first limit, a lower one or the same one is in force at once (and drops a pending raise).
    A higher limit or a removal waits LIMIT_RAISE_DELAY: it is stored as pending with the
    moment it takes effect. Asking again for the same or a smaller pending change keeps that
    moment; asking for more than what is pending starts a new wait."""
    if limit_euros is not None and not 0 <= limit_euros <= LIMIT_MAX_EUROS:
        raise ValueError("limit out of range")
    now = now or timezone.now()
    new = None if limit_euros is None else limit_euros * 100
    with transaction.atomic():
        # The wallet lock first, as checkout takes it: a checkout running now finishes before
        # a lowered limit is stored, and one started after it counts the new limit.
        _locked_wallet(member)
        limit, _ = SpendingLimit.objects.select_for_update().get_or_create(member=member)
        _fold_in_due_change(limit, now)
        current = limit.monthly_limit_cents
        if new is not None and (current is None or new <= current):
            limit.monthly_limit_cents = new
            _clear_pending(limit)
            change = "in_force"
        elif new is None and current is None:
            _clear_pending(limit)
            change = "none"
        else:
            pending_before = None if limit.pending_removal else limit.pending_limit_cents
            had_pending = limit.pending_effective_at is not None
            # Removal is the largest change there is: it never keeps a raise's moment.
            keeps_moment = had_pending and (
                limit.pending_removal or (new is not None and new <= pending_before)
            )
            if not keeps_moment:
                limit.pending_effective_at = now + LIMIT_RAISE_DELAY
            limit.pending_limit_cents = new
            limit.pending_removal = new is None
            change = "pending"
        limit.save()
    logger.info("spending_limit.changed member=%s change=%s", member.pk, change)
    return limit


def cancel_pending_limit_change(*, member, now: datetime | None = None) -> bool:
    """Cancels a higher limit or a removal that has not taken effect yet; the limit in force
    stays. Returns False when there was nothing pending (or it had taken effect already)."""
    now = now or timezone.now()
    with transaction.atomic():
        limit = SpendingLimit.objects.select_for_update().filter(member=member).first()
        if limit is None or not limit.change_pending_at(now):
            return False
        _clear_pending(limit)
        limit.save()
    logger.info("spending_limit.pending_cancelled member=%s", member.pk)
    return True
