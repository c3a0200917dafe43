"""The monthly spending limit in a real browser (issue 11): My credits with the form, a wrong
value, a pending raise, and a checkout refused over the limit pass axe's WCAG 2.2 AA rules in
Dutch and in English, work with the keyboard and reflow at 320 CSS px."""

import pytest
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import assert_language, axe_report, field_descriptions

pytestmark = pytest.mark.e2e

HISTORY = "/credits/history/"


@pytest.fixture(autouse=True)
def _offline_mollie(settings):
    settings.MOLLIE_API_KEY = ""


def check(page: Page, what: str, problems: list[str]) -> None:
    expect(page.locator("main h1")).to_be_visible()
    report = axe_report(page)
    if report:
        problems.append(f"{what}:\n{report}")


def submit_limit(page: Page, value: str) -> None:
    """Types the limit and sends it with the Enter key, as a keyboard user does."""
    field = page.locator("#id_limit")
    field.fill(value)
    with page.expect_navigation():
        field.press("Enter")


@pytest.mark.parametrize("language", LANGUAGES)
def test_spending_limit_pages_are_accessible(context_factory, site, language):
    from payments import services
    from payments.models import CreditPack, Order

    member = make_member()
    page = context_factory(language=language).new_page()
    log_in(page, member.username)
    expect_logged_in(page)
    problems: list[str] = []

    page.goto(HISTORY)
    assert_language(page, language)
    expect(page.locator("#spending-limit")).to_be_visible()
    check(page, "my credits without a limit", problems)

    # A wrong value: kept in the field, the error announced with it.
    submit_limit(page, "12,50")
    expect(page.locator("#limit-errors")).to_be_visible()
    expect(page.locator("#id_limit")).to_have_value("12,50")
    error = page.locator("#id_limit_error").inner_text().strip()
    assert error and error in field_descriptions(page)["id_limit"]
    check(page, "my credits with a wrong limit", problems)

    # A limit, then a raise that waits 24 hours (with its cancel button).
    submit_limit(page, "30")
    expect(page.locator(".limit-in-force")).to_contain_text("30")
    submit_limit(page, "100")
    expect(page.locator(".limit-pending")).to_be_visible()
    check(page, "my credits with a pending raise", problems)
    assert services.monthly_limit_cents(member=member) == 3000

    # A checkout over the limit is refused on the buy page.
    plus = CreditPack.objects.get(name="Plus")
    max_pack = CreditPack.objects.get(name="Max")
    Order.objects.create(
        member=member,
        pack=plus,
        credits=plus.credits,
        amount_cents=plus.price_cents,
        method="ideal",
        status=Order.Status.PAID,
    )
    page.goto("/credits/")
    expect(page.locator(".limit-in-force")).to_be_visible()
    with page.expect_navigation():
        page.locator("li.pack-card", has=page.locator(f"#pack-{max_pack.pk}-name")).locator(
            "button[type=submit]"
        ).click()
    expect(page.locator("#checkout-errors")).to_be_visible()
    expect(
        page.locator("#checkout-errors a[href='/credits/history/#spending-limit']")
    ).to_be_visible()
    check(page, "checkout refused over the limit", problems)
    assert Order.objects.filter(member=member).count() == 1

    assert not problems, "\n\n".join(problems)


@pytest.mark.parametrize("width", [640, 320])
def test_my_credits_with_the_limit_reflows(context_factory, site, width):
    """200% and 400% zoom: nothing on My credits needs scrolling sideways (Dutch, the longer
    words), with a pending raise shown."""
    from payments import services

    member = make_member()
    services.set_spending_limit(member=member, limit_euros=30)
    services.set_spending_limit(member=member, limit_euros=100)
    page = context_factory(
        viewport={"width": width, "height": 480}, device_scale_factor=2, language="nl"
    ).new_page()
    log_in(page, member.username)
    page.goto(HISTORY)
    expect(page.locator(".limit-pending")).to_be_visible()
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["scroll"] <= sizes["inner"], f"{HISTORY} at {width}px scrolls sideways: {sizes}"
