"""The credit ledger: every change an entry, the balance their sum, money moved exactly once."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from payments import services
from payments.models import CreditPack, LedgerEntry, Order, Wallet
from tests.factories import MemberFactory, staff_member


def paid_order(member, credits=50, cents=995):
    pack = CreditPack.objects.order_by("pk").first()
    return Order.objects.create(
        member=member,
        pack=pack,
        credits=credits,
        amount_cents=cents,
        method="ideal",
        status=Order.Status.PAID,
        mollie_payment_id=f"tr_test{member.pk}x{credits}",
    )


@pytest.mark.django_db
def test_a_paid_order_is_credited_once_however_often_it_is_settled():
    """R4.1: a payment credits the wallet exactly once."""
    member = MemberFactory()
    order = paid_order(member)

    first = services.credit_purchase(order=order)
    second = services.credit_purchase(order=order)

    assert first is not None and second is None
    assert services.get_balance(member=member) == 50
    assert LedgerEntry.objects.filter(order=order, kind="purchase").count() == 1
    assert services.verify_balances() == []


@pytest.mark.django_db
def test_the_database_refuses_a_second_purchase_entry_for_one_order():
    member = MemberFactory()
    order = paid_order(member)
    LedgerEntry.objects.create(member=member, kind="purchase", credits=50, order=order)

    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(member=member, kind="purchase", credits=50, order=order)


@pytest.mark.django_db
def test_spending_never_goes_below_zero_and_changes_nothing_when_refused():
    member = MemberFactory()
    services.credit_purchase(order=paid_order(member, credits=3))

    services.spend_credits(member=member, amount=2, reason="message", reference="m1")
    with pytest.raises(services.InsufficientCredits):
        services.spend_credits(member=member, amount=2, reason="message", reference="m2")

    assert services.get_balance(member=member) == 1
    assert LedgerEntry.objects.filter(member=member, kind="spend").count() == 1


@pytest.mark.django_db
def test_refund_and_chargeback_take_credits_back_and_a_negative_balance_blocks_spending():
    member = MemberFactory()
    order = paid_order(member, credits=50, cents=1000)
    services.credit_purchase(order=order)
    services.spend_credits(member=member, amount=40, reason="messages")

    order.refunded_cents = 500  # as settle_payment records Mollie's totals first
    services.take_back_credits(order=order, kind="refund", cents=500)  # half: 25 credits
    assert services.get_balance(member=member) == -15
    with pytest.raises(services.InsufficientCredits):
        services.spend_credits(member=member, amount=1, reason="message")

    order.charged_back_cents = 1
    services.take_back_credits(order=order, kind="chargeback", cents=1)  # rounds up to 1
    assert services.get_balance(member=member) == -16
    assert services.verify_balances() == []


@pytest.mark.django_db
def test_many_small_refunds_take_back_what_one_refund_of_their_sum_would():
    member = MemberFactory()
    order = paid_order(member, credits=50, cents=1000)
    services.credit_purchase(order=order)

    for _ in range(10):  # ten refunds of 1 cent: 0.5 credit each, rounded up once, not ten times
        order.refunded_cents += 1
        services.take_back_credits(order=order, kind="refund", cents=1)

    assert services.get_balance(member=member) == 50 - 1
    order.refunded_cents = 1000
    services.take_back_credits(order=order, kind="refund", cents=990)
    assert services.get_balance(member=member) == 0


@pytest.mark.django_db
def test_a_staff_adjustment_needs_a_reason():
    member = MemberFactory()
    finance = staff_member("Finance")

    with pytest.raises(ValueError):
        services.adjust_credits(member=member, credits=10, reason="  ", staff=finance)
    entry = services.adjust_credits(member=member, credits=10, reason="Goodwill", staff=finance)

    assert entry.created_by == finance
    assert services.get_balance(member=member) == 10
    with pytest.raises(IntegrityError), transaction.atomic():
        LedgerEntry.objects.create(member=member, kind="adjustment", credits=1, reason="")


@pytest.mark.django_db
def test_paying_member_until_fully_refunded():
    """R2.4: a settled purchase that is not fully refunded or charged back."""
    member = MemberFactory()
    assert not services.is_paying_member(member=member)
    order = paid_order(member, cents=1000)
    assert services.is_paying_member(member=member)

    Order.objects.filter(pk=order.pk).update(refunded_cents=600, charged_back_cents=400)
    assert not services.is_paying_member(member=member)


@pytest.mark.django_db
def test_verify_balances_finds_a_cached_balance_that_drifted():
    member = MemberFactory()
    services.credit_purchase(order=paid_order(member))
    Wallet.objects.filter(member=member).update(balance=999)

    assert services.verify_balances() == [member.pk]


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_spends_with_credit_for_one_send_exactly_one():
    """SECURITY.md: spending takes a row lock; a race cannot spend one credit twice."""
    member = MemberFactory()
    services.adjust_credits(member=member, credits=1, reason="test", staff=staff_member("Finance"))
    barrier = threading.Barrier(20)
    outcomes = []

    def spend():
        try:
            barrier.wait()
            services.spend_credits(member=member, amount=1, reason="message")
            outcomes.append("spent")
        except services.InsufficientCredits:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=spend) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes).count("spent") == 1
    assert outcomes.count("refused") == 19
    assert services.get_balance(member=member) == 0
    assert services.verify_balances() == []


@pytest.mark.django_db(transaction=True)
def test_concurrent_credits_of_one_order_credit_it_once():
    member = MemberFactory()
    order = paid_order(member)
    barrier = threading.Barrier(10)

    def settle():
        try:
            barrier.wait()
            services.credit_purchase(order=order)
        finally:
            connection.close()

    threads = [threading.Thread(target=settle) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert services.get_balance(member=member) == 50
    assert LedgerEntry.objects.filter(order=order).count() == 1


@pytest.mark.django_db
def test_erasure_keeps_purchases_for_bookkeeping_detached_from_the_person():
    """R4.2, R7.3: the order stays (amount, method, Mollie id) without the member."""
    from privacy.registry import erase_member_data, export_member

    member = MemberFactory(username="betaler")
    order = paid_order(member)
    services.credit_purchase(order=order)
    exported = export_member(member)
    assert exported["payments.order"][0]["order"] == order.public_id
    assert exported["payments.ledgerentry"][0]["credits"] == 50

    erase_member_data(member)

    order.refresh_from_db()
    assert order.member_id is None and order.detached_at is not None
    assert order.mollie_payment_id and order.amount_cents == 995
    assert not LedgerEntry.objects.filter(order=order).exists()
    assert not Wallet.objects.filter(member_id=member.pk).exists()
