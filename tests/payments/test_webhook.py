"""Mollie's webhook: it posts only a payment id; the site fetches the state from Mollie's API
(faked at the HTTP level), settles the order and moves the ledger exactly once (R4.1, R4.2,
R2.4 for who counts as paying)."""

import threading

import pytest
import requests
import responses
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.urls import reverse

from payments import checkout, mollie
from payments.models import CreditPack, LedgerEntry, Order
from payments.services import (
    InsufficientCredits,
    get_balance,
    is_paying_member,
    spend_credits,
    verify_balances,
)
from tests.factories import MemberFactory, staff_member

from . import mollie_payloads as mp

PAYMENT = "tr_WDqYK6vllg"
WEBHOOK = "/credits/webhook/"


@pytest.fixture
def mollie_api(settings):
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


def make_order(member, payment_id=PAYMENT):
    pack = CreditPack.objects.get(name="Plus")  # 120 credits, € 19,95
    return Order.objects.create(
        member=member,
        pack=pack,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        method="ideal",
        mollie_payment_id=payment_id,
    )


def post_webhook(client, payment_id=PAYMENT):
    return client.post(WEBHOOK, {"id": payment_id})


def purchases():
    return LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE).count()


def test_webhook_url_is_the_named_route():
    assert reverse("payments:webhook") == WEBHOOK


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("mollie_status", "order_status", "credited"),
    [
        ("open", Order.Status.OPEN, False),
        ("pending", Order.Status.OPEN, False),
        ("authorized", Order.Status.OPEN, False),
        ("paid", Order.Status.PAID, True),
        ("failed", Order.Status.FAILED, False),
        ("canceled", Order.Status.CANCELED, False),
        ("expired", Order.Status.EXPIRED, False),
    ],
)
def test_every_mollie_status(client, member, mollie_api, mollie_status, order_status, credited):
    """R4.1: each Mollie status settles the order as it should; only "paid" credits."""
    order = make_order(member)
    mp.mock_get(mollie_api, PAYMENT, status=mollie_status, order=order.public_id)
    response = post_webhook(client)
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == order_status
    assert get_balance(member=member) == (120 if credited else 0)
    assert is_paying_member(member=member) is credited
    if credited:
        assert order.paid_at.isoformat() == "2026-03-20T09:14:02+00:00"
    else:
        assert order.paid_at is None


@pytest.mark.django_db
def test_the_posted_body_is_never_trusted(client, member, mollie_api):
    """R4.1: a forged post saying "paid" changes nothing while Mollie says "open"."""
    make_order(member)
    mp.mock_get(mollie_api, PAYMENT, status="open")
    client.post(WEBHOOK, {"id": PAYMENT, "status": "paid", "amount": "19.95"})
    assert Order.objects.get().status == Order.Status.OPEN
    assert get_balance(member=member) == 0


@pytest.mark.django_db
def test_an_amount_other_than_the_orders_is_not_credited(client, member, mollie_api):
    """R4.1: a payment whose amount differs from the order's credits nothing."""
    make_order(member)
    mp.mock_get(mollie_api, PAYMENT, status="paid", amount_cents=1)
    assert post_webhook(client).status_code == 200
    assert Order.objects.get().status == Order.Status.OPEN
    assert get_balance(member=member) == 0


@pytest.mark.django_db
def test_repeated_webhook_credits_once(client, member, mollie_api):
    """R4.1: Mollie may call the webhook many times; the wallet is credited once."""
    make_order(member)
    mp.mock_get(mollie_api, PAYMENT, status="paid")
    for _ in range(4):
        assert post_webhook(client).status_code == 200
    assert purchases() == 1
    assert get_balance(member=member) == 120
    assert verify_balances() == []


@pytest.mark.django_db
def test_what_is_kept_of_a_payment(client, member, mollie_api):
    """R4.2: Mollie returns the payer's name and IBAN; none of it is kept."""
    order = make_order(member)
    mp.mock_get(mollie_api, PAYMENT, status="paid")
    state = mollie.fetch_payment(PAYMENT)
    assert set(vars(state)) == {
        "status",
        "method",
        "amount_cents",
        "amount_refunded_cents",
        "amount_charged_back_cents",
        "paid_at",
    }
    post_webhook(client)
    stored = repr(list(Order.objects.values())) + repr(list(LedgerEntry.objects.values()))
    assert order.public_id in stored
    assert mp.CONSUMER_ACCOUNT not in stored and mp.CONSUMER_NAME not in stored


@pytest.mark.django_db
def test_unknown_payment_id_gets_200_and_changes_nothing(client, member, mollie_api):
    """R4.1: an id we never created: 200, no call to Mollie, nothing changes."""
    make_order(member)
    assert post_webhook(client, "tr_unknown123").status_code == 200
    assert post_webhook(client, "not a mollie id").status_code == 200
    assert not mollie_api.calls
    assert Order.objects.get().status == Order.Status.OPEN
    assert not LedgerEntry.objects.exists()


@pytest.mark.django_db
def test_webhook_without_id_is_a_bad_request(client):
    assert client.post(WEBHOOK, {}).status_code == 400
    assert client.get(WEBHOOK).status_code == 405


@pytest.mark.django_db
@pytest.mark.parametrize("outage", ["network", "api-error"])
def test_mollie_outage_during_the_webhook_then_a_retry(client, member, mollie_api, outage):
    """R4.1: Mollie unreachable: 503 so Mollie retries; the retry credits exactly once."""
    order = make_order(member)
    if outage == "network":
        mp.mock_get_down(mollie_api, PAYMENT)
    else:
        mp.mock_get_error(mollie_api, PAYMENT, status=500)
    assert post_webhook(client).status_code == 503
    order.refresh_from_db()
    assert order.status == Order.Status.OPEN and get_balance(member=member) == 0

    mollie_api.replace(
        responses.GET,
        f"{mp.API}/payments/{PAYMENT}",
        json=mp.payment(PAYMENT, status="paid"),
        content_type=mp.HAL,
    )
    assert post_webhook(client).status_code == 200
    assert post_webhook(client).status_code == 200
    assert purchases() == 1 and get_balance(member=member) == 120


@pytest.mark.django_db
def test_full_refund_takes_the_credits_back_once(client, member, mollie_api):
    """R4.1, R2.4: a refund made at Mollie takes back the credits; no longer paying."""
    order = make_order(member)
    mp.mock_get(mollie_api, PAYMENT, status="paid")
    post_webhook(client)
    mollie_api.replace(
        responses.GET,
        f"{mp.API}/payments/{PAYMENT}",
        json=mp.payment(PAYMENT, status="paid", refunded_cents=1995),
        content_type=mp.HAL,
    )
    post_webhook(client)
    post_webhook(client)
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.refunded_cents == 1995
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1
    assert get_balance(member=member) == 0
    assert is_paying_member(member=member) is False


@pytest.mark.django_db
def test_partial_refund_takes_back_its_share(client, member, mollie_api):
    """R4.1: refunding € 9,98 of € 19,95 takes back half of the 120 credits (rounded up)."""
    make_order(member)
    mp.mock_get(mollie_api, PAYMENT, status="paid", refunded_cents=998)
    post_webhook(client)
    assert get_balance(member=member) == 120 - 61
    assert is_paying_member(member=member) is True


@pytest.mark.django_db
def test_chargeback_can_take_the_balance_below_zero_and_blocks_spending(client, member, mollie_api):
    """R4.1, R2.4: credits spent before a chargeback leave a negative balance; spending is
    blocked until a top-up."""
    make_order(member)
    mp.mock_get(mollie_api, PAYMENT, status="paid")
    post_webhook(client)
    spend_credits(member=member, amount=100, reason="message")
    mollie_api.replace(
        responses.GET,
        f"{mp.API}/payments/{PAYMENT}",
        json=mp.payment(PAYMENT, status="paid", charged_back_cents=1995),
        content_type=mp.HAL,
    )
    post_webhook(client)
    post_webhook(client)
    assert Order.objects.get().charged_back_cents == 1995
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CHARGEBACK).count() == 1
    assert get_balance(member=member) == -100
    assert is_paying_member(member=member) is False
    with pytest.raises(InsufficientCredits):
        spend_credits(member=member, amount=1, reason="message")
    assert verify_balances() == []


@pytest.mark.django_db
def test_refund_from_staff_goes_through_mollie_and_takes_credits_back(client, member, mollie_api):
    """R4.1: Finance refunds through Mollie's refund API; the credits come back at once and
    Mollie's later webhook changes nothing more."""
    order = make_order(member)
    mp.mock_get(mollie_api, PAYMENT, status="paid")
    post_webhook(client)
    mollie_api.post(
        f"{mp.API}/payments/{PAYMENT}/refunds",
        json=mp.refund(PAYMENT, amount_cents=1995),
        status=201,
        content_type=mp.HAL,
    )
    mollie_api.replace(
        responses.GET,
        f"{mp.API}/payments/{PAYMENT}",
        json=mp.payment(PAYMENT, status="paid", refunded_cents=1995),
        content_type=mp.HAL,
    )
    finance = staff_member("Finance", with_totp=False)
    checkout.refund_order(order=order, amount_cents=1995, staff=finance)
    refund_call = next(c for c in mollie_api.calls if c.request.method == "POST")
    assert mp.sent_json(refund_call)["amount"] == {"currency": "EUR", "value": "19.95"}
    assert get_balance(member=member) == 0
    post_webhook(client)
    assert get_balance(member=member) == 0
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.REFUND).count() == 1


@pytest.mark.django_db
def test_refund_needs_finance_and_a_refundable_amount(member, mollie_api):
    """Only Finance refunds, and never more than what is left; nothing reaches Mollie else."""
    order = make_order(member)
    order.status = Order.Status.PAID
    order.save()
    with pytest.raises(PermissionDenied):
        checkout.refund_order(
            order=order, amount_cents=100, staff=staff_member("Moderators", with_totp=False)
        )
    finance = staff_member("Finance", with_totp=False)
    for amount in (0, -5, 1996):
        with pytest.raises(checkout.RefundNotAllowed):
            checkout.refund_order(order=order, amount_cents=amount, staff=finance)
    order.status = Order.Status.OPEN
    order.save()
    with pytest.raises(checkout.RefundNotAllowed):
        checkout.refund_order(order=order, amount_cents=100, staff=finance)
    assert not mollie_api.calls


@pytest.mark.django_db(transaction=True)
def test_concurrent_webhooks_credit_exactly_once(settings):
    """R4.1 on PostgreSQL: eight webhook calls at the same moment, each in its own request
    and database connection: exactly one purchase entry."""
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    member = MemberFactory()
    make_order(member)
    barrier = threading.Barrier(8)
    codes = []
    errors = []

    def call():
        try:
            barrier.wait(timeout=10)
            codes.append(post_webhook(Client()).status_code)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mp.mock_get(rsps, PAYMENT, status="paid")
        threads = [threading.Thread(target=call) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert codes == [200] * 8
    assert purchases() == 1
    assert get_balance(member=member) == 120
    assert verify_balances() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_chargeback_webhooks_take_back_once(settings):
    """R4.1: concurrent webhooks reporting the same chargeback take the credits back once."""
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    member = MemberFactory()
    make_order(member)
    errors = []
    barrier = threading.Barrier(6)

    def call():
        try:
            barrier.wait(timeout=10)
            checkout.settle_payment(payment_id=PAYMENT)
        except Exception as error:  # reported below
            errors.append(error)
        finally:
            connection.close()

    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        mp.mock_get(rsps, PAYMENT, status="paid", charged_back_cents=1995)
        threads = [threading.Thread(target=call) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert not errors
    assert purchases() == 1
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.CHARGEBACK).count() == 1
    assert get_balance(member=member) == 0


def test_network_errors_become_mollie_unavailable(settings):
    """Any failure to reach Mollie is MollieUnavailable (so the webhook answers 503)."""
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    with responses.RequestsMock() as rsps:
        rsps.get(f"{mp.API}/payments/{PAYMENT}", body=requests.exceptions.Timeout("slow"))
        with pytest.raises(mollie.MollieUnavailable):
            mollie.fetch_payment(PAYMENT)
