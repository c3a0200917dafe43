"""The "log-ins and devices" page in a real browser (issue 10, R6.1): a member logged in on a
computer and on a phone sees both sessions, this one marked in words; the page passes axe's
WCAG 2.2 A/AA rules in nl and en; ending the phone's session by keyboard alone logs the phone
out."""

import pytest
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, expect_logged_in, expect_logged_out, log_in, make_member
from .test_accessibility import assert_language, axe_report

pytestmark = pytest.mark.e2e

DEVICES = "/account/devices/"
PHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_6 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1"
)


@pytest.fixture
def sanne(transactional_db):
    return make_member()


def focused_is(page: Page, selector: str) -> bool:
    return page.locator(selector).evaluate("e => e === document.activeElement")


def tab_to(page: Page, selector: str, *, max_tabs: int = 80) -> None:
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if focused_is(page, selector):
            return
    pytest.fail(f"Tab never reached {selector}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_member_ends_the_session_on_another_device_by_keyboard(context_factory, sanne, language):
    computer = context_factory(language=language).new_page()
    phone = context_factory(language=language, user_agent=PHONE).new_page()
    log_in(computer, "sanne")
    log_in(phone, "sanne")
    expect_logged_in(phone)

    response = computer.goto(DEVICES)
    assert response.status == 200
    assert_language(computer, language)
    sessions = computer.locator(".device-session")
    expect(sessions).to_have_count(2)
    current = computer.locator(".device-session-current")
    expect(current).to_have_count(1)
    expect(current.locator(".device-current")).to_be_visible()  # said in words
    expect(computer.locator(".login-history tbody tr")).to_have_count(2)
    report = axe_report(computer)
    assert not report, f"axe violations on {DEVICES} ({language}):\n{report}"

    # The phone's session: the one that is not current. Reached and pressed by keyboard.
    end_button = ".device-session:not(.device-session-current) form button[type=submit]"
    tab_to(computer, end_button)
    with computer.expect_navigation():
        computer.keyboard.press("Enter")

    expect(computer.locator(".message-success")).to_be_visible()
    expect(computer.locator(".device-session")).to_have_count(1)
    report = axe_report(computer)
    assert not report, f"axe violations after ending a session ({language}):\n{report}"

    phone.goto(DEVICES)
    assert "/accounts/login/" in phone.url
    expect_logged_out(phone)
    computer.goto("/accounts/email/")
    expect_logged_in(computer)
