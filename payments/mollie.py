"""The one place that talks to Mollie (mollie-api-python 4), R4.1.

Three calls: create a payment for an order, fetch a payment's state, refund (part of) a payment.
Any API or network error is raised as `MollieUnavailable`, so callers answer with a clear message
(checkout) or a 5xx that makes Mollie retry (webhook).

What is kept of a payment is only what proves and reconciles it (R4.2): `PaymentState` carries
the status, method, amounts and time paid, never the card or bank details or the consumer's name
that Mollie returns in `details`.

Without `MOLLIE_API_KEY` the same functions use the offline stand-in: payments are rows of
`StandInPayment`, and the stand-in checkout page (payments.views.stand_in) lets the tester choose
the outcome, as in Mollie's test mode.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

import requests
from django.conf import settings
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from mollie.api.client import Client
from mollie.api.error import Error as MollieError
from mollie.api.objects.payment import Payment

from .models import StandInPayment

logger = logging.getLogger(__name__)

STATUSES = ("open", "pending", "authorized", "paid", "failed", "canceled", "expired")
STAND_IN_PREFIX = "tr_standin_"


class MollieUnavailable(Exception):
    """Mollie's API could not be reached or answered with an error."""


@dataclass(frozen=True)
class PaymentState:
    """What the site keeps of a Mollie payment (R4.2): no card, bank or consumer details."""

    status: str
    method: str
    amount_cents: int
    amount_refunded_cents: int = 0
    amount_charged_back_cents: int = 0
    paid_at: datetime | None = None


def is_offline() -> bool:
    """True when no Mollie API key is set: the built-in stand-in checkout is used."""
    return not settings.MOLLIE_API_KEY


def euro_amount(cents: int) -> dict:
    """Mollie's amount object: {"currency": "EUR", "value": "19.95"}."""
    return {"currency": "EUR", "value": f"{cents // 100}.{cents % 100:02d}"}


def amount_to_cents(amount) -> int:
    """Mollie's amount object (or None) in euro cents."""
    if not amount:
        return 0
    if amount.get("currency") != "EUR":
        raise MollieUnavailable("unexpected currency")
    try:
        return int((Decimal(amount["value"]) * 100).to_integral_exact())
    except (InvalidOperation, KeyError, TypeError) as error:
        raise MollieUnavailable("unreadable amount") from error


def description_for(order) -> str:
    """What Mollie shows on the checkout page and the bank statement: the pack, no person."""
    return f"{order.pack.name}: {order.credits} credits ({order.public_id[:8]})"


def _client() -> Client:
    client = Client()
    try:
        client.set_api_key(settings.MOLLIE_API_KEY)
    except MollieError as error:
        raise MollieUnavailable("invalid API key setting") from error
    return client


def create_payment(*, order, redirect_url: str, webhook_url: str) -> tuple[str, str]:
    """Creates the payment for `order` (amount and description from the order, never from a
    form) and returns (payment id, checkout URL to send the member to)."""
    if is_offline():
        payment = StandInPayment.objects.create(
            id=STAND_IN_PREFIX + secrets.token_hex(10), order=order
        )
        logger.info("mollie.standin.created order=%s payment=%s", order.pk, payment.id)
        return payment.id, reverse("payments:stand_in", args=[payment.id])
    data = {
        "amount": euro_amount(order.amount_cents),
        "description": description_for(order),
        "redirectUrl": redirect_url,
        "webhookUrl": webhook_url,
        "method": order.method,
        "metadata": {"order": order.public_id},
    }
    try:
        payment = _client().payments.create(data)
    except (MollieError, requests.RequestException) as error:
        logger.warning("mollie.create_failed order=%s error=%s", order.pk, type(error).__name__)
        raise MollieUnavailable("could not create the payment") from error
    if not payment.id or not payment.checkout_url:
        raise MollieUnavailable("payment without id or checkout URL")
    logger.info("mollie.created order=%s payment=%s", order.pk, payment.id)
    return payment.id, payment.checkout_url


def _state_from_payment(payment: Payment) -> PaymentState:
    status = payment.status
    if status not in STATUSES:
        raise MollieUnavailable("unknown payment status")
    paid_at = parse_datetime(payment.paid_at) if payment.paid_at else None
    return PaymentState(
        status=status,
        method=payment.method or "",
        amount_cents=amount_to_cents(payment.amount),
        amount_refunded_cents=amount_to_cents(payment.amount_refunded),
        amount_charged_back_cents=amount_to_cents(payment.amount_chargedback),
        paid_at=paid_at,
    )


def fetch_payment(payment_id: str) -> PaymentState:
    """The payment's current state, read from Mollie's API (never from a webhook's body)."""
    if is_offline():
        payment = StandInPayment.objects.select_related("order").filter(id=payment_id).first()
        if payment is None:
            raise MollieUnavailable("no such stand-in payment")
        return PaymentState(
            status=payment.status,
            method=payment.order.method,
            amount_cents=payment.order.amount_cents,
            amount_refunded_cents=payment.refunded_cents,
            amount_charged_back_cents=payment.charged_back_cents,
            paid_at=payment.paid_at,
        )
    try:
        payment = _client().payments.get(payment_id)
    except (MollieError, requests.RequestException) as error:
        logger.warning("mollie.fetch_failed payment=%s error=%s", payment_id, type(error).__name__)
        raise MollieUnavailable("could not fetch the payment") from error
    return _state_from_payment(payment)


def create_refund(*, payment_id: str, amount_cents: int, description: str) -> None:
    """Asks Mollie to refund `amount_cents` of the payment."""
    if is_offline():
        updated = StandInPayment.objects.filter(id=payment_id).update(
            refunded_cents=F("refunded_cents") + amount_cents
        )
        if not updated:
            raise MollieUnavailable("no such stand-in payment")
        logger.info("mollie.standin.refunded payment=%s", payment_id)
        return
    client = _client()
    data = {"amount": euro_amount(amount_cents), "description": description}
    try:
        Payment({"resource": "payment", "id": payment_id}, client).refunds.create(data)
    except (MollieError, requests.RequestException) as error:
        logger.warning("mollie.refund_failed payment=%s error=%s", payment_id, type(error).__name__)
        raise MollieUnavailable("could not create the refund") from error
    logger.info("mollie.refunded payment=%s", payment_id)


def set_stand_in_status(*, payment_id: str, status: str) -> StandInPayment:
    """The tester's choice on the stand-in checkout page (as in Mollie's test mode). Only an
    open stand-in payment changes; the outcome is then settled through the webhook's code."""
    if status not in StandInPayment.Status.values or status == StandInPayment.Status.OPEN:
        raise ValueError(status)
    payment = StandInPayment.objects.get(id=payment_id)
    if payment.status == StandInPayment.Status.OPEN:
        payment.status = status
        payment.paid_at = timezone.now() if status == StandInPayment.Status.PAID else None
        payment.save(update_fields=["status", "paid_at"])
    return payment
