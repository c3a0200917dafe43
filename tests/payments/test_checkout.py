"""Buying a credit pack: the packs page, checkout through Mollie (faked at the HTTP level), the
return page, and the offline stand-in checkout (R4.1, R4.2)."""

import pytest
import requests
import responses
from django.urls import reverse

from payments import checkout
from payments.models import CreditPack, LedgerEntry, Order, StandInPayment
from payments.services import get_balance
from tests.factories import MemberFactory

from . import mollie_payloads as mp

pytestmark = pytest.mark.django_db


@pytest.fixture
def live_mollie(settings):
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    with responses.RequestsMock() as rsps:
        yield rsps


@pytest.fixture
def offline(settings):
    settings.MOLLIE_API_KEY = ""


def plus():
    return CreditPack.objects.get(name="Plus")


def test_packs_page_lists_packs_with_price_and_balance(member_client):
    """R4.1: the member sees the packs on sale, their price and a choice of method."""
    CreditPack.objects.create(name="Old", credits=10, price_cents=100, active=False)
    page = member_client.get(reverse("payments:packs"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "€ 19,95" in html  # Dutch by default
    assert "Plus" in html and "Old" not in html
    for method in ("ideal", "bancontact", "creditcard"):
        assert f'value="{method}"' in html
    assert page.context["balance"] == 0


def test_packs_page_in_english_formats_euros_the_english_way(member_client):
    """R4.1: prices are shown in the member's language."""
    member_client.cookies["django_language"] = "en"
    html = member_client.get(reverse("payments:packs")).content.decode()
    assert "€19.95" in html and "€ 19,95" not in html


def test_credit_pages_need_log_in(client):
    """Only members buy credits: anonymous visitors are sent to log in."""
    for url in (reverse("payments:packs"), reverse("payments:history")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    response = client.post(reverse("payments:checkout"), {"pack": plus().pk, "method": "ideal"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Order.objects.exists()


def test_checkout_creates_the_order_and_sends_the_member_to_mollie(member_client, live_mollie):
    """R4.1: amount, description and metadata go to Mollie from the server; the member is
    redirected to Mollie's hosted checkout."""
    mp.mock_create(live_mollie, "tr_7UhSN1zuXS")
    response = member_client.post(
        reverse("payments:checkout"), {"pack": plus().pk, "method": "bancontact"}
    )
    assert response.status_code == 302
    assert response["Location"] == "https://www.mollie.com/checkout/select-method/7UhSN1zuXS"

    order = Order.objects.get()
    assert (order.credits, order.amount_cents, order.method) == (120, 1995, "bancontact")
    assert order.status == Order.Status.OPEN
    assert order.mollie_payment_id == "tr_7UhSN1zuXS"

    call = live_mollie.calls[0]
    assert call.request.headers["Authorization"] == f"Bearer {mp.TEST_KEY}"
    sent = mp.sent_json(call)
    assert sent["amount"] == {"currency": "EUR", "value": "19.95"}
    assert sent["method"] == "bancontact"
    assert sent["metadata"] == {"order": order.public_id}
    assert "Plus" in sent["description"]
    assert sent["redirectUrl"] == f"http://testserver/credits/orders/{order.public_id}/"
    assert sent["webhookUrl"] == "http://testserver/credits/webhook/"


def test_an_amount_or_credits_tampered_in_the_form_are_ignored(member_client, live_mollie):
    """R4.1 / SECURITY: only pack and method are read; price and credits come from the pack."""
    mp.mock_create(live_mollie, "tr_tampered1")
    member_client.post(
        reverse("payments:checkout"),
        {
            "pack": plus().pk,
            "method": "ideal",
            "amount": "0.01",
            "amount_cents": "1",
            "price_cents": "1",
            "credits": "999999",
        },
    )
    order = Order.objects.get()
    assert (order.credits, order.amount_cents) == (120, 1995)
    assert mp.sent_json(live_mollie.calls[0])["amount"]["value"] == "19.95"


@pytest.mark.parametrize(
    "data",
    [
        {"method": "ideal"},
        {"pack": "999999", "method": "ideal"},
        {"pack": "PLUS", "method": "paypal"},
        {"method": "ideal", "inactive": True},
    ],
)
def test_bad_checkout_input_gives_the_page_back_with_a_message(member_client, live_mollie, data):
    """R4.1: a missing or unknown pack or method, or a pack no longer on sale, starts nothing."""
    member_client.cookies["django_language"] = "en"  # English texts below
    data = dict(data)
    if data.pop("inactive", False):
        data["pack"] = CreditPack.objects.create(
            name="Gone", credits=5, price_cents=100, active=False
        ).pk
    if data.get("pack") == "PLUS":
        data["pack"] = plus().pk
    response = member_client.post(reverse("payments:checkout"), data)
    assert response.status_code == 400
    assert "Your purchase could not start." in response.content.decode()
    assert not Order.objects.exists()
    assert not live_mollie.calls


def test_start_checkout_refuses_an_unknown_method(member):
    """R4.1: only iDEAL, Bancontact and credit card."""
    with pytest.raises(ValueError):
        checkout.start_checkout(
            member=member, pack=plus(), method="paypal", build_url=lambda path: path
        )
    assert not Order.objects.exists()


@pytest.mark.parametrize("outage", ["network", "api-error"])
def test_mollie_outage_at_checkout(member_client, member, live_mollie, outage):
    """R4.1: Mollie unreachable at checkout: a clear message, the order failed (not paid), no
    credits."""
    member_client.cookies["django_language"] = "en"  # English texts below
    if outage == "network":
        live_mollie.post(f"{mp.API}/payments", body=requests.exceptions.ConnectionError("down"))
    else:
        live_mollie.post(
            f"{mp.API}/payments",
            json=mp.error(503, "Service Unavailable", "Try again later"),
            status=503,
            content_type=mp.HAL,
        )
    response = member_client.post(
        reverse("payments:checkout"), {"pack": plus().pk, "method": "ideal"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("payments:packs")
    html = response.content.decode()
    assert "cannot be reached right now. Nothing was charged." in html
    order = Order.objects.get()
    assert order.status == Order.Status.FAILED
    assert order.mollie_payment_id is None
    assert get_balance(member=member) == 0
    assert not LedgerEntry.objects.exists()


def make_order(member, *, payment_id="tr_WDqYK6vllg", status=Order.Status.OPEN):
    pack = plus()
    return Order.objects.create(
        member=member,
        pack=pack,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        method="ideal",
        mollie_payment_id=payment_id,
        status=status,
    )


def test_return_page_refreshes_while_the_order_is_open(member_client, member):
    """R4.1: back from Mollie before the webhook: the page polls (htmx) and offers a Refresh
    link without JavaScript."""
    member_client.cookies["django_language"] = "en"  # English texts below
    order = make_order(member)
    html = member_client.get(reverse("payments:order", args=[order.public_id])).content.decode()
    status_url = reverse("payments:order_status", args=[order.public_id])
    assert f'hx-get="{status_url}"' in html and 'hx-trigger="every 2s"' in html
    assert "Waiting for your payment" in html
    assert f'<a href="{reverse("payments:order", args=[order.public_id])}">Refresh</a>' in html
    assert member_client.get(status_url).status_code == 200  # keep polling


@pytest.mark.parametrize(
    ("status", "text"),
    [
        (Order.Status.PAID, "Your credits are ready"),
        (Order.Status.FAILED, "The payment failed"),
        (Order.Status.CANCELED, "The payment was canceled"),
        (Order.Status.EXPIRED, "The payment expired"),
    ],
)
def test_return_page_shows_the_next_step_once_settled(member_client, member, status, text):
    """R4.1: a settled order stops the polling (htmx's 286) and says what to do next."""
    member_client.cookies["django_language"] = "en"  # English texts below
    order = make_order(member, status=status)
    page = member_client.get(reverse("payments:order", args=[order.public_id]))
    html = page.content.decode()
    status_url = reverse("payments:order_status", args=[order.public_id])
    assert text in html and f'hx-get="{status_url}"' not in html
    fragment = member_client.get(reverse("payments:order_status", args=[order.public_id]))
    assert fragment.status_code == 286 and text in fragment.content.decode()
    if status != Order.Status.PAID:
        assert reverse("payments:packs") in html and "Try again" in html


def test_another_members_order_is_not_found(member_client):
    """Opaque ids, owner checked: someone else's order page and status answer 404."""
    order = make_order(MemberFactory())
    assert member_client.get(reverse("payments:order", args=[order.public_id])).status_code == 404
    status_url = reverse("payments:order_status", args=[order.public_id])
    assert member_client.get(status_url).status_code == 404
    assert member_client.get(reverse("payments:order", args=["nope"])).status_code == 404


# --- The offline stand-in for Mollie's test checkout -----------------------------------------


def stand_in_checkout(member_client):
    response = member_client.post(
        reverse("payments:checkout"), {"pack": plus().pk, "method": "creditcard"}
    )
    assert response.status_code == 302
    payment = StandInPayment.objects.get()
    assert response["Location"] == reverse("payments:stand_in", args=[payment.id])
    return payment


def test_stand_in_paid_credits_the_member(member_client, member, offline):
    """R4.1 offline: checkout -> stand-in page -> "Paid" -> the order is paid, credits added,
    through the webhook's own code; choosing again changes nothing."""
    member_client.cookies["django_language"] = "en"  # English texts below
    payment = stand_in_checkout(member_client)
    assert payment.id.startswith("tr_standin_")
    order = Order.objects.get()
    assert order.mollie_payment_id == payment.id

    page = member_client.get(reverse("payments:stand_in", args=[payment.id]))
    html = page.content.decode()
    assert page.status_code == 200 and "€19.95" in html
    for choice in ("paid", "failed", "canceled", "expired"):
        assert f'value="{choice}"' in html

    response = member_client.post(
        reverse("payments:stand_in", args=[payment.id]), {"status": "paid"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("payments:order", args=[order.public_id])
    assert "Your credits are ready" in response.content.decode()
    order.refresh_from_db()
    assert order.status == Order.Status.PAID and order.paid_at
    assert get_balance(member=member) == 120

    member_client.post(reverse("payments:stand_in", args=[payment.id]), {"status": "paid"})
    member_client.post(reverse("payments:webhook"), {"id": payment.id})
    assert get_balance(member=member) == 120
    assert LedgerEntry.objects.filter(kind=LedgerEntry.Kind.PURCHASE).count() == 1


@pytest.mark.parametrize("outcome", ["failed", "canceled", "expired"])
def test_stand_in_unpaid_outcomes_add_no_credits(member_client, member, offline, outcome):
    """R4.1 offline: failed, canceled or expired settle the order so, with no credits."""
    payment = stand_in_checkout(member_client)
    member_client.post(reverse("payments:stand_in", args=[payment.id]), {"status": outcome})
    order = Order.objects.get()
    assert order.status == outcome
    assert get_balance(member=member) == 0
    assert not LedgerEntry.objects.exists()
    # A later "Paid" on the ended stand-in payment changes nothing.
    member_client.post(reverse("payments:stand_in", args=[payment.id]), {"status": "paid"})
    assert get_balance(member=member) == 0


def test_stand_in_refund_takes_the_credits_back(member_client, member, offline):
    """R4.1 offline: a refund from admin goes through the stand-in too."""
    from tests.factories import staff_member

    payment = stand_in_checkout(member_client)
    member_client.post(reverse("payments:stand_in", args=[payment.id]), {"status": "paid"})
    finance = staff_member("Finance", with_totp=False)
    checkout.refund_order(order=Order.objects.get(), amount_cents=1995, staff=finance)
    assert get_balance(member=member) == 0
    assert Order.objects.get().refunded_cents == 1995


def test_stand_in_page_is_only_offline_and_only_for_the_owner(
    member_client, member, offline, settings
):
    """The stand-in exists only without MOLLIE_API_KEY, and only for the order's member."""
    payment = stand_in_checkout(member_client)
    url = reverse("payments:stand_in", args=[payment.id])
    other = MemberFactory()
    member_client.force_login(other)
    assert member_client.get(url).status_code == 404
    assert member_client.post(url, {"status": "paid"}).status_code == 404
    assert get_balance(member=other) == 0 and get_balance(member=member) == 0
    member_client.force_login(member)
    settings.MOLLIE_API_KEY = mp.TEST_KEY
    assert member_client.get(url).status_code == 404
