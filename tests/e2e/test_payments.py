"""A member buys credits in a real browser through the offline stand-in for Mollie's checkout,
sees the return page update by itself (htmx) and the balance; every payments page passes axe's
WCAG 2.2 AA rules in Dutch and in English (R4.1)."""

import pytest
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import assert_language, axe_report

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _offline_mollie(settings):
    settings.MOLLIE_API_KEY = ""


def check(page: Page, what: str, problems: list[str]) -> None:
    expect(page.locator("main h1")).to_be_visible()
    report = axe_report(page)
    if report:
        problems.append(f"{what}:\n{report}")


def start_buying_plus(page: Page, method: str = "bancontact"):
    from payments.models import CreditPack

    plus = CreditPack.objects.get(name="Plus")
    page.goto("/credits/")
    page.locator(f"#pack-{plus.pk}-{method}").check()
    with page.expect_navigation():
        page.locator("li.pack-card", has=page.locator(f"#pack-{plus.pk}-name")).locator(
            "button[type=submit]"
        ).click()
    assert "/credits/standin/tr_standin_" in page.url


@pytest.mark.parametrize("language", LANGUAGES)
def test_member_buys_a_pack_through_the_stand_in(context_factory, site, language):
    """R4.1: /credits/ -> Buy -> stand-in checkout -> "Paid" -> the order page shows the
    credits; the open order page polls and updates itself; all pages are accessible."""
    from payments import checkout, mollie
    from payments.models import Order
    from payments.services import get_balance

    member = make_member()
    page = context_factory(language=language).new_page()
    log_in(page, member.username)
    expect_logged_in(page)
    problems: list[str] = []

    page.goto("/credits/")
    assert_language(page, language)
    check(page, "/credits/", problems)

    start_buying_plus(page)
    check(page, "stand-in checkout", problems)
    order = Order.objects.get(member=member)
    assert order.method == "bancontact" and order.amount_cents == 1995

    # The member comes back before the payment is settled: the page waits and polls.
    stand_in_url = page.url
    page.goto(f"/credits/orders/{order.public_id}/")
    expect(page.locator("[data-state=open]")).to_be_visible()
    check(page, "order page (open)", problems)

    # Settled meanwhile (as Mollie's webhook would): htmx brings the news without a reload.
    mollie.set_stand_in_status(payment_id=order.mollie_payment_id, status="paid")
    checkout.settle_payment(payment_id=order.mollie_payment_id)
    expect(page.locator("[data-state=paid]")).to_be_visible(timeout=8_000)
    expect(page.locator("#order-status")).to_contain_text("120")

    # The usual way: the tester chooses "Paid" on the stand-in (here: a second purchase).
    start_buying_plus(page, method="ideal")
    assert page.url != stand_in_url
    with page.expect_navigation():
        page.locator("button[name=status][value=paid]").click()
    assert "/credits/orders/" in page.url
    expect(page.locator("[data-state=paid]")).to_be_visible()
    expect(page.locator("#order-status")).to_contain_text("240")
    check(page, "order page (paid)", problems)
    assert get_balance(member=member) == 240

    page.goto("/credits/history/")
    expect(page.locator(".credit-balance")).to_contain_text("240")
    check(page, "/credits/history/", problems)

    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_failed_stand_in_payment_offers_to_try_again(context_factory, site, language):
    """R4.1: "Failed" on the stand-in: no credits, and a clear way to try again."""
    from payments.services import get_balance

    member = make_member()
    page = context_factory(language=language).new_page()
    log_in(page, member.username)
    start_buying_plus(page, method="creditcard")
    with page.expect_navigation():
        page.locator("button[name=status][value=failed]").click()
    expect(page.locator("[data-state=failed]")).to_be_visible()
    expect(page.locator("#order-status a[href='/credits/']")).to_be_visible()
    problems: list[str] = []
    check(page, "order page (failed)", problems)
    assert not problems, "\n\n".join(problems)
    assert get_balance(member=member) == 0
