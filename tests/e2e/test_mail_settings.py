"""The e-mail settings page and the unsubscribe pages in a real browser (issue 9, R5.2, R7.2):
axe's WCAG 2.2 A/AA rules pass in nl and en (also with every "you get none because" note
showing), and a member switches promotional e-mail on and changes the message mail by keyboard
alone."""

import pytest
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, log_in, make_member
from .test_accessibility import assert_language, axe_report

pytestmark = pytest.mark.e2e

SETTINGS = "/mail/settings/"


@pytest.fixture
def sanne(transactional_db):
    return make_member()


def check(page: Page, what: str, problems: list[str]) -> None:
    expect(page.locator("main h1")).to_be_visible()
    report = axe_report(page)
    if report:
        problems.append(f"{what}:\n{report}")


def focused_is(page: Page, selector: str) -> bool:
    return page.locator(selector).evaluate("e => e === document.activeElement")


def tab_to(page: Page, selector: str, *, max_tabs: int = 60) -> None:
    """Presses Tab until `selector` has the focus; fails if it never gets it."""
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if focused_is(page, selector):
            return
    pytest.fail(f"Tab never reached {selector}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_mail_settings_page_is_accessible(context_factory, sanne, language):
    from members.services import mark_undeliverable
    from privacy.services import set_processing_limit

    page = context_factory(language=language).new_page()
    log_in(page, "sanne")
    problems: list[str] = []

    response = page.goto(SETTINGS)
    assert response.status == 200
    assert_language(page, language)
    check(page, SETTINGS, problems)

    # A saved form, with the success message.
    page.locator("#id_promotions").check()
    with page.expect_navigation():
        page.locator("form.mail-settings-form [type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    check(page, f"{SETTINGS} (saved)", problems)

    # A refused form (no notify choice, as a browser without its own validation sends it).
    page.locator("form.mail-settings-form").evaluate(
        "f => { f.noValidate = true; f.querySelectorAll('[name=notify]')"
        ".forEach(r => { r.checked = false; }); }"
    )
    with page.expect_navigation():
        page.locator("form.mail-settings-form [type=submit]").click()
    expect(page.locator("main [role=alert]")).to_be_visible()
    check(page, f"{SETTINGS} (error)", problems)

    # Every reason why no marketing mail goes out, at once.
    for kind in ["restriction", "object_direct_marketing", "object_profiling"]:
        set_processing_limit(member=sanne, kind=kind, active=True, source="test")
    mark_undeliverable(email=sanne.email, reason="test")
    page.goto(SETTINGS)
    expect(page.locator("#mail-blocked li")).to_have_count(4)
    check(page, f"{SETTINGS} (no mail because ...)", problems)

    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_unsubscribe_pages_are_accessible(context_factory, sanne, language):
    """Opened from a mail, without logging in: the question and both done pages."""
    from mailings import services
    from mailings.models import MailKind

    page = context_factory(language=language).new_page()
    problems: list[str] = []
    for kind in MailKind:
        url = services.unsubscribe_url(sanne, kind).split("/mail/", 1)[1]
        for scope in ["kind", "all"]:
            response = page.goto(f"/mail/{url}")
            assert response.status == 200
            assert_language(page, language)
            check(page, f"unsubscribe {kind}", problems)
            with page.expect_navigation():
                page.locator(f"#unsubscribe-form button[value={scope}]").click()
            expect(page.locator("#unsubscribed")).to_be_visible()
            check(page, f"unsubscribed {kind} ({scope})", problems)

    assert not problems, "axe violations:\n" + "\n".join(problems)


def test_a_member_changes_mail_settings_by_keyboard_alone(context_factory, sanne):
    from messaging.models import Notify
    from messaging.services import receiving_settings_for
    from privacy.models import ConsentRecord

    page = context_factory(language="en").new_page()
    log_in(page, "sanne")

    # From the menu to the page, by keyboard.
    page.goto("/")
    tab_to(page, f".site-nav a[href='{SETTINGS}']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("main h1")).to_have_text("E-mail settings")

    # The notify choice: Tab reaches the checked radio; an arrow key picks the next one.
    tab_to(page, "#id_notify_0")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#id_notify_1")).to_be_checked()

    # Promotional e-mail on with the space bar; suggestion e-mails left off.
    tab_to(page, "#id_promotions")
    page.keyboard.press("Space")
    expect(page.locator("#id_promotions")).to_be_checked()
    expect(page.locator("#id_suggestions")).not_to_be_checked()

    tab_to(page, "form.mail-settings-form [type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.locator(".message-success")).to_contain_text("Your e-mail settings are saved.")
    expect(page.locator("#id_promotions")).to_be_checked()
    expect(page.locator("#id_notify_1")).to_be_checked()
    records = list(ConsentRecord.objects.filter(member=sanne).values_list("purpose", "source"))
    assert records == [("promotional_email", "mail settings page")]
    assert receiving_settings_for(sanne).notify == Notify.DAILY


def test_mail_pages_reflow_without_horizontal_scroll(context_factory, sanne):
    """WCAG 1.4.10: the settings page and the unsubscribe question fit 320 CSS px."""
    from mailings import services
    from mailings.models import MailKind

    page = context_factory(language="nl", viewport={"width": 320, "height": 640}).new_page()
    log_in(page, "sanne")
    unsubscribe = "/mail/" + services.unsubscribe_url(sanne, MailKind.PROMOTIONS).split("/mail/")[1]
    for path in [SETTINGS, unsubscribe]:
        page.goto(path)
        sizes = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert sizes["scroll"] <= sizes["inner"], f"{path} scrolls sideways: {sizes}"
