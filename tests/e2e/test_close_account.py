"""Closing the account in a real browser (R7.3): one member asks for immediate erasure and is
erased; another keeps the retention period, logs in again and is welcomed back; the close page
passes axe's WCAG 2.2 A/AA rules in nl and en, also when it shows an error."""

import pytest
from playwright.sync_api import expect

from .conftest import LANGUAGES, expect_logged_in, expect_logged_out, log_in, make_member
from .test_accessibility import assert_language, axe_report

pytestmark = pytest.mark.e2e

CLOSE = "/privacy/me/close/"


def member_exists(username: str) -> bool:
    from members.models import Member

    return Member.objects.filter(username=username).exists()


def status_of(username: str) -> str:
    from members.models import Member

    return Member.objects.get(username=username).status


def close(page, *, erasure: str, password: str) -> None:
    page.goto(CLOSE)
    page.locator(f"input[name=erasure][value={erasure}]").check()
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("#close-account-button").click()


def test_the_close_page_is_accessible_in_both_languages(context_factory):
    make_member()
    problems = []
    for language in LANGUAGES:
        page = context_factory(language=language).new_page()
        log_in(page, "sanne")
        page.goto(CLOSE)
        assert_language(page, language)
        expect(page.locator("main h1")).to_be_visible()
        if report := axe_report(page):
            problems.append(f"{language}, the page:\n{report}")
        # With the error of a wrong password, announced and tied to its field.
        close(page, erasure="now", password="not-the-password")
        expect(page.locator("#id_password")).to_have_attribute("aria-invalid", "true")
        if report := axe_report(page):
            problems.append(f"{language}, with an error:\n{report}")
    assert not problems, "\n".join(problems)
    assert status_of("sanne") == "active"


def test_a_member_closes_asking_for_immediate_erasure_and_is_erased(context_factory):
    from django.core import mail

    make_member()
    page = context_factory(language="en").new_page()
    log_in(page, "sanne")
    page.goto("/privacy/me/close/")
    expect(page.get_by_text("This cannot be undone", exact=False).first).to_be_visible()

    close(page, erasure="now", password="Een-lang-wachtwoord-2026")

    expect(page.locator(".messages")).to_contain_text("your data is being erased")
    expect_logged_out(page)
    # The erasure task ran right after the commit (in-process here, on a worker in production).
    assert not member_exists("sanne")
    # The confirmation went out before the erasure, in her language (Dutch, the default).
    assert [m.to for m in mail.outbox if "opgeheven" in m.subject] == [["sanne@example.org"]]
    # The account is gone: logging in fails like any unknown account.
    log_in(page, "sanne")
    expect_logged_out(page)


def test_a_member_closes_keeping_the_retention_period_and_comes_back(context_factory):
    make_member()
    page = context_factory(language="en").new_page()
    log_in(page, "sanne")

    close(page, erasure="later", password="Een-lang-wachtwoord-2026")

    expect(page.locator(".messages")).to_contain_text("Your account is closed.")
    expect_logged_out(page)
    assert status_of("sanne") == "closed"

    log_in(page, "sanne")

    expect(page.locator(".messages")).to_contain_text("Welcome back!")
    expect_logged_in(page)
    assert status_of("sanne") == "active"
