"""My credits: the member's balance, purchases and every change of credits (R4.1, R4.2)."""

import pytest
from django.urls import reverse

from payments.models import CreditPack, Order
from payments.services import adjust_credits, credit_purchase, spend_credits
from tests.factories import MemberFactory, staff_member

pytestmark = pytest.mark.django_db

HISTORY = "/credits/history/"


def paid_order(member, name="Plus"):
    pack = CreditPack.objects.get(name=name)
    order = Order.objects.create(
        member=member,
        pack=pack,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        method="ideal",
        status=Order.Status.PAID,
    )
    credit_purchase(order=order)
    return order


def test_history_url():
    assert reverse("payments:history") == HISTORY


def test_my_credits_shows_balance_purchases_and_changes(member_client, member):
    """R4.1: purchases with status, amount and date; changes with +/- and a staff reason."""
    order = paid_order(member)
    Order.objects.create(
        member=member,
        pack=CreditPack.objects.get(name="Starter"),
        credits=50,
        amount_cents=995,
        method="bancontact",
        status=Order.Status.FAILED,
    )
    spend_credits(member=member, amount=3, reason="message", reference="conv-1")
    adjust_credits(
        member=member,
        credits=5,
        reason="Goodwill for a lost message",
        staff=staff_member("Finance", with_totp=False),
    )
    member_client.cookies["django_language"] = "en"
    page = member_client.get(HISTORY)
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["balance"] == 122
    assert "Your balance: 122 credits." in html
    assert "€19.95" in html and "€9.95" in html
    assert "Paid" in html and "Failed" in html
    assert reverse("payments:order", args=[order.public_id]) in html
    assert "+120" in html and "-3" in html and "+5" in html
    assert "Goodwill for a lost message" in html
    assert "Adjustment by staff" in html and "Spent" in html and "Purchase" in html


def test_my_credits_shows_only_my_own(member_client, member):
    """Another member's purchases and ledger never appear."""
    member_client.cookies["django_language"] = "en"  # English texts below
    other = MemberFactory()
    other_order = paid_order(other, name="Max")
    html = member_client.get(HISTORY).content.decode()
    assert other_order.public_id not in html
    assert "+300" not in html
    assert "You have not bought credits yet." in html


def test_my_credits_is_paginated(member_client, member):
    """A long history comes in pages; the other list keeps its page."""
    paid_order(member)
    for number in range(25):
        spend_credits(member=member, amount=1, reason="message", reference=f"m{number}")
    first = member_client.get(HISTORY)
    assert len(first.context["entries"].object_list) == 20
    assert "?page=2" in first.content.decode()
    second = member_client.get(HISTORY, {"page": 2})
    assert len(second.context["entries"].object_list) == 6  # 25 spends + 1 purchase
    assert member_client.get(HISTORY, {"page": "999"}).status_code == 200
