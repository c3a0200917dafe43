"""Staff and money: only Finance sees payments in admin, refunds and adjusts (R9.2)."""

import pytest

from payments import services
from payments.models import LedgerEntry, Wallet
from tests.factories import MemberFactory, staff_member

pytestmark = pytest.mark.django_db

SCREENS = [
    "/admin/payments/order/",
    "/admin/payments/ledgerentry/",
    "/admin/payments/wallet/",
    "/admin/payments/creditpack/",
]


@pytest.mark.parametrize("role", ["Moderators", "Helpdesk"])
@pytest.mark.parametrize("screen", SCREENS)
def test_moderators_and_helpdesk_see_nothing_of_payments(client, role, screen):
    client.force_login(staff_member(role))

    assert client.get(screen).status_code == 403


@pytest.mark.parametrize("screen", SCREENS)
def test_finance_sees_every_payments_screen(client, screen):
    client.force_login(staff_member("Finance"))

    assert client.get(screen).status_code == 200


def test_finance_cannot_reach_moderation_or_helpdesk_screens(client):
    client.force_login(staff_member("Finance"))

    assert client.get("/admin/profiles/photo/").status_code == 403
    assert client.get("/admin/members/outgoingmail/").status_code == 403


def test_the_ledger_cannot_be_edited_in_admin(client):
    member = MemberFactory()
    finance = staff_member("Finance")
    entry = services.adjust_credits(member=member, credits=5, reason="Goodwill", staff=finance)
    client.force_login(staff_member("superuser"))

    response = client.post(
        f"/admin/payments/ledgerentry/{entry.pk}/change/", {"credits": 5000, "kind": "purchase"}
    )

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.credits == 5


def test_finance_adjusts_credits_only_with_a_reason(client):
    member = MemberFactory()
    finance = staff_member("Finance")
    services.adjust_credits(member=member, credits=1, reason="open wallet", staff=finance)
    wallet = Wallet.objects.get(member=member)
    client.force_login(finance)
    url = "/admin/payments/wallet/"
    base = {"action": "adjust", "_selected_action": [wallet.pk], "confirm": "yes"}

    refused = client.post(url, {**base, "credits": 10, "reason": "   "})
    assert refused.status_code == 200
    assert "reason" in refused.context["form"].errors
    assert services.get_balance(member=member) == 1

    client.post(url, {**base, "credits": 10, "reason": "Compensation for an outage"})
    assert services.get_balance(member=member) == 11
    entry = LedgerEntry.objects.filter(member=member).order_by("-pk").first()
    assert entry.reason == "Compensation for an outage" and entry.created_by == finance


def test_helpdesk_cannot_adjust_credits(client):
    member = MemberFactory()
    services.adjust_credits(member=member, credits=1, reason="x", staff=staff_member("Finance"))
    wallet = Wallet.objects.get(member=member)
    client.force_login(staff_member("Helpdesk"))

    client.post(
        "/admin/payments/wallet/",
        {
            "action": "adjust",
            "_selected_action": [wallet.pk],
            "confirm": "yes",
            "credits": 50,
            "reason": "sneaky",
        },
    )

    assert services.get_balance(member=member) == 1


def test_a_refund_in_admin_takes_the_credits_back(client, member, settings):
    """Done-when of issue 4: Finance refunds a paid order in admin (through the offline
    stand-in for Mollie) and the member's credits go back."""
    from django.urls import reverse

    from payments.models import CreditPack, Order, StandInPayment

    settings.MOLLIE_API_KEY = ""
    buyer = client
    buyer.force_login(member)
    pack = CreditPack.objects.get(name="Plus")
    buyer.post(reverse("payments:checkout"), {"pack": pack.pk, "method": "ideal"})
    payment = StandInPayment.objects.get()
    buyer.post(reverse("payments:stand_in", args=[payment.id]), {"status": "paid"})
    order = Order.objects.get()
    assert services.get_balance(member=member) == pack.credits

    client.force_login(staff_member("Finance"))
    client.post(
        "/admin/payments/order/", {"action": "refund_remaining", "_selected_action": [order.pk]}
    )

    order.refresh_from_db()
    assert order.refunded_cents == order.amount_cents
    assert services.get_balance(member=member) == 0
    assert not services.is_paying_member(member=member)


def test_helpdesk_cannot_refund(client, member, settings):
    from payments.models import CreditPack, Order

    order = Order.objects.create(
        member=member,
        pack=CreditPack.objects.first(),
        credits=50,
        amount_cents=995,
        method="ideal",
        status=Order.Status.PAID,
        mollie_payment_id="tr_helpdesk1",
    )
    client.force_login(staff_member("Helpdesk"))

    client.post(
        "/admin/payments/order/", {"action": "refund_remaining", "_selected_action": [order.pk]}
    )

    order.refresh_from_db()
    assert order.refunded_cents == 0
