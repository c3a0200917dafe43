"""Buying credits: starting a checkout, settling a payment from Mollie's state, refunding.

R4.1: the member pays on Mollie's hosted checkout (iDEAL, Bancontact, credit card); the order's
amount and credits come from the pack row, never from a form. Mollie's webhook carries only a
payment id: `settle_payment` fetches the state from Mollie's API and moves the ledger through
`payments.services` (a purchase is credited exactly once; refunds and chargebacks take credits
back). R4.2: only the payment id, method, amounts, status and times are kept.
"""

import logging
from collections.abc import Callable

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from . import mollie, services
from .models import CreditPack, LedgerEntry, Order, PaymentMethod

logger = logging.getLogger(__name__)

# Mollie's payment status -> the order's status. Open, pending and authorized stay open.
SETTLED_STATUSES = {
    "paid": Order.Status.PAID,
    "failed": Order.Status.FAILED,
    "canceled": Order.Status.CANCELED,
    "expired": Order.Status.EXPIRED,
}


class RefundNotAllowed(ValueError):
    """The order is not paid, or the amount is more than what is left to refund."""


def start_checkout(
    *, member, pack: CreditPack, method: str, build_url: Callable[[str], str]
) -> tuple[Order, str]:
    """Creates an order for `pack` and its Mollie payment; returns the order and the checkout
    URL to send the member to. `build_url(path)` makes an absolute URL (the redirect and webhook
    URLs Mollie needs). When Mollie cannot be reached the order is marked failed, nothing is
    charged, and `mollie.MollieUnavailable` is raised for the caller to explain. When the pack
    would take the member over their monthly spending limit, `services.SpendingLimitReached`
    is raised before anything is created."""
    if method not in PaymentMethod.values:
        raise ValueError("unknown payment method")
    if not pack.active:
        raise ValueError("this pack is not on sale")
    # The member's monthly spending limit (issue 11): checked and the order created under the
    # lock on their wallet, so of two checkouts started at once the second counts the first
    # (an open order counts until it fails, is cancelled or expires).
    # Raises services.SpendingLimitReached, with nothing created and nothing sent to Mollie.
    with transaction.atomic():
        services.lock_wallet(member=member)
        services.check_spending_limit(member=member, amount_cents=pack.price_cents)
        order = Order.objects.create(
            member=member,
            pack=pack,
            credits=pack.credits,
            amount_cents=pack.price_cents,
            method=method,
        )
    # The call to Mollie runs outside any transaction: no row stays locked while we wait.
    try:
        payment_id, checkout_url = mollie.create_payment(
            order=order,
            redirect_url=build_url(reverse("payments:order", args=[order.public_id])),
            webhook_url=build_url(reverse("payments:webhook")),
        )
    except mollie.MollieUnavailable:
        Order.objects.filter(pk=order.pk, status=Order.Status.OPEN).update(
            status=Order.Status.FAILED, updated_at=timezone.now()
        )
        logger.warning("checkout.mollie_unavailable member=%s order=%s", member.pk, order.pk)
        raise
    order.mollie_payment_id = payment_id
    order.save(update_fields=["mollie_payment_id", "updated_at"])
    logger.info("checkout.started member=%s order=%s payment=%s", member.pk, order.pk, payment_id)
    return order, checkout_url


def settle_payment(*, payment_id: str) -> Order | None:
    """Brings the order of Mollie payment `payment_id` up to date with Mollie's state (what the
    webhook does). Returns None for an unknown id (nothing changes). Idempotent: any number of
    calls, in any order and concurrently, credit a paid order once and take back each refunded
    or charged-back cent once. Raises `mollie.MollieUnavailable` when Mollie cannot be asked."""
    known = Order.objects.filter(mollie_payment_id=payment_id).values_list("pk", flat=True).first()
    if known is None:
        logger.info("settle.unknown_payment")
        return None
    state = mollie.fetch_payment(payment_id)  # never trust what was posted
    with transaction.atomic():
        order = Order.objects.select_for_update().get(pk=known)
        if state.amount_cents != order.amount_cents:
            logger.error("settle.amount_mismatch order=%s payment=%s", order.pk, payment_id)
            return order
        new_status = SETTLED_STATUSES.get(state.status, Order.Status.OPEN)
        if order.status != Order.Status.PAID and new_status != order.status:
            order.status = new_status
            if new_status == Order.Status.PAID:
                order.paid_at = state.paid_at or timezone.now()
            order.save(update_fields=["status", "paid_at", "updated_at"])
            logger.info("settle.status order=%s status=%s", order.pk, new_status)
        if order.status == Order.Status.PAID:
            services.credit_purchase(order=order)
        _take_back(order, LedgerEntry.Kind.REFUND, "refunded_cents", state.amount_refunded_cents)
        _take_back(
            order,
            LedgerEntry.Kind.CHARGEBACK,
            "charged_back_cents",
            state.amount_charged_back_cents,
        )
    return order


def _take_back(order: Order, kind: str, field: str, total_cents: int) -> None:
    """Records Mollie's new total of refunded (or charged-back) cents on the locked order and
    takes back the credits for what was added since the last time."""
    added = total_cents - getattr(order, field)
    if added <= 0:
        return
    setattr(order, field, total_cents)
    order.save(update_fields=[field, "updated_at"])
    services.take_back_credits(order=order, kind=kind, cents=added)
    logger.info("settle.%s order=%s cents=%s", kind, order.pk, added)


def refundable_cents(order: Order) -> int:
    if order.status != Order.Status.PAID:
        return 0
    return max(order.amount_cents - order.refunded_cents - order.charged_back_cents, 0)


def refund_order(*, order: Order, amount_cents: int, staff) -> Order:
    """Refunds `amount_cents` of a paid order through Mollie (Finance only) and takes the
    matching credits back at once; Mollie's own webhook for the refund then changes nothing."""
    if not staff.has_perm("payments.refund_order"):
        raise PermissionDenied
    order = Order.objects.get(pk=order.pk)
    if not order.mollie_payment_id or amount_cents <= 0 or amount_cents > refundable_cents(order):
        raise RefundNotAllowed
    mollie.create_refund(
        payment_id=order.mollie_payment_id,
        amount_cents=amount_cents,
        description=f"Refund {order.public_id[:8]}",
    )
    logger.info("refund.requested order=%s by=%s cents=%s", order.pk, staff.pk, amount_cents)
    return settle_payment(payment_id=order.mollie_payment_id) or order
