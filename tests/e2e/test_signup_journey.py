"""A newcomer's whole story in a real browser: sign up (by keyboard), confirm the e-mail address
from the mail, set up an authenticator app, log out and in again with a TOTP code. And the
language switch in the header."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from .conftest import (
    CONFIRM_URL,
    PASSWORD,
    expect_logged_in,
    expect_logged_out,
    log_in,
    make_member,
    reauthenticate_if_asked,
)

pytestmark = pytest.mark.e2e

USERNAME = "Lotte_88"
EMAIL = "lotte88@example.org"
MAIL_WORD = re.compile("mail", re.IGNORECASE)  # "Check your mail", "e-mail"...


def totp(secret: str, *, at: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (HMAC-SHA1): independent of allauth, so a wrong implementation there shows."""
    key = base64.b32decode(secret.upper() + "=" * (-len(secret) % 8))
    counter = int((time.time() if at is None else at) // step)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 10**digits:0{digits}d}"


def fresh_totp(secret: str) -> str:
    """A code with at least a few seconds left in its 30 s window (allauth's tolerance is 0)."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    return totp(secret)


def focused(page: Page) -> dict:
    return page.evaluate(
        "() => { const e = document.activeElement;"
        " return {id: e.id, tag: e.tagName.toLowerCase(), name: e.getAttribute('name'),"
        " text: (e.innerText || '').trim()}; }"
    )


def tab_to(page: Page, selector: str, *, max_tabs: int = 8) -> None:
    """Presses Tab until `selector` has the focus; fails if it never gets it."""
    target = page.locator(selector)
    for _ in range(max_tabs):
        page.keyboard.press("Tab")
        if target.evaluate("e => e === document.activeElement"):
            return
    pytest.fail(f"Tab never reached {selector}; focus is on {focused(page)}")


def wait_for_mail(count: int, timeout: float = 5.0) -> list:
    deadline = time.monotonic() + timeout
    while len(mail.outbox) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return mail.outbox


def test_newcomer_signs_up_confirms_sets_up_totp_and_logs_in_again(context_factory):
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from members.models import Member, OutgoingMail

    page = context_factory(language="en").new_page()

    # --- Sign up, by keyboard ------------------------------------------------------------------
    page.goto("/accounts/signup/")
    page.locator("#id_username").focus()
    page.keyboard.type(USERNAME)
    tab_to(page, "#id_email")
    page.keyboard.type(EMAIL)
    tab_to(page, "#id_gender")
    page.keyboard.type("Non")  # type-ahead in the closed <select>
    expect(page.locator("#id_gender")).to_have_value("non_binary")
    tab_to(page, "#id_password1")
    page.keyboard.type(PASSWORD)
    tab_to(page, "#id_password2")
    page.keyboard.type(PASSWORD)
    tab_to(page, "#id_adult")
    page.keyboard.press("Space")
    expect(page.locator("#id_adult")).to_be_checked()
    tab_to(page, "#id_accept_terms")
    page.keyboard.press("Space")
    expect(page.locator("#id_accept_terms")).to_be_checked()
    tab_to(page, "form:has(#id_username) [type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_url(page)}/accounts/confirm-email/")
    # The "check your mail" page (its wording is the site's own, so only the gist is checked).
    expect(page.locator("h1")).to_be_visible()
    expect(page.locator("main")).to_contain_text(MAIL_WORD)
    expect_logged_out(page)

    member = Member.objects.get(username=USERNAME)
    assert member.email == EMAIL
    assert member.gender == Member.Gender.NON_BINARY
    assert member.language == "en"
    assert member.confirmed_adult_at is not None
    assert member.terms_accepted_at is not None and member.privacy_accepted_at is not None
    assert not EmailAddress.objects.get(user=member, email=EMAIL).verified

    # --- The confirmation mail went out through the outbox table and Celery --------------------
    outbox = wait_for_mail(1)
    assert len(outbox) == 1, [m.subject for m in outbox]
    message = outbox[0]
    assert message.to == [EMAIL]
    match = CONFIRM_URL.search(message.body)
    assert match, f"no confirmation link in the mail:\n{message.body}"
    confirm_path = match.group(1)
    sent = OutgoingMail.objects.get(member=member)
    assert sent.status == OutgoingMail.Status.SENT
    assert sent.body_text == "" and sent.body_html == "", "a sent mail keeps its link"

    # --- Not confirmed yet: the password alone does not let the member in ----------------------
    log_in(page, USERNAME)
    expect(page).to_have_url(f"{live_url(page)}/accounts/confirm-email/")
    expect(page.locator("main")).to_contain_text(MAIL_WORD)
    expect_logged_out(page)
    page.goto("/accounts/email/")
    assert "/accounts/login/" in page.url, "an unconfirmed member reached account pages"

    # --- Confirm the address from the mail's link ----------------------------------------------
    page.goto(confirm_path)
    expect(page.locator("main")).to_contain_text(EMAIL)
    confirm = page.locator("main form [type=submit]")
    confirm.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert EmailAddress.objects.get(user=member, email=EMAIL).verified

    # --- Log in by username --------------------------------------------------------------------
    log_in(page, USERNAME)
    expect(page).to_have_url(f"{live_url(page)}/")
    expect_logged_in(page)
    expect(page.locator("main")).to_contain_text(USERNAME)

    # --- Set up an authenticator app -----------------------------------------------------------
    page.goto("/accounts/2fa/totp/activate/")
    reauthenticate_if_asked(page)
    expect(page).to_have_url(f"{live_url(page)}/accounts/2fa/totp/activate/")
    secret = page.locator("#authenticator_secret").input_value()
    assert len(secret) >= 16, secret
    mails_before = len(mail.outbox)

    page.fill("#id_code", "000000" if totp(secret) != "000000" else "111111")
    with page.expect_navigation():
        page.locator("form:has(#id_code) [type=submit]").click()
    expect(page.locator(".errorlist")).to_be_visible()
    assert not Authenticator.objects.filter(user=member).exists()

    # A rejected code leaves the secret unchanged (it lives in the session).
    assert page.locator("#authenticator_secret").input_value() == secret
    page.fill("#id_code", fresh_totp(secret))
    with page.expect_navigation():
        page.locator("form:has(#id_code) [type=submit]").click()
    assert Authenticator.objects.filter(user=member, type=Authenticator.Type.TOTP).exists()
    page.goto("/accounts/2fa/")
    expect(page.locator("a[href='/accounts/2fa/totp/deactivate/']")).to_be_visible()
    # The member is told by mail that two-factor was switched on (ACCOUNT_EMAIL_NOTIFICATIONS).
    new_mail = wait_for_mail(mails_before + 1)[mails_before:]
    assert [m.to for m in new_mail] and all(m.to == [EMAIL] for m in new_mail)

    # --- Log out with the header's button ------------------------------------------------------
    logout = page.locator(".site-nav form[action='/accounts/logout/'] button")
    logout.focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect_logged_out(page)

    # --- Log in by e-mail address: now the password is not enough ------------------------------
    log_in(page, EMAIL)
    expect(page).to_have_url(f"{live_url(page)}/accounts/2fa/authenticate/")
    expect_logged_out(page)
    # An account page sends the half-logged-in member back to the code question.
    page.goto("/accounts/email/")
    expect(page).to_have_url(f"{live_url(page)}/accounts/2fa/authenticate/")
    expect_logged_out(page)
    code = fresh_totp(secret)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    page.fill("#id_code", wrong)
    with page.expect_navigation():
        page.locator("#id_code").press("Enter")
    expect(page.locator(".errorlist")).to_be_visible()
    expect_logged_out(page)

    page.fill("#id_code", fresh_totp(secret))
    with page.expect_navigation():
        page.locator("#id_code").press("Enter")
    expect(page).to_have_url(f"{live_url(page)}/")
    expect_logged_in(page)
    expect(page.locator("main")).to_contain_text(USERNAME)


def live_url(page: Page) -> str:
    return page.evaluate("() => location.origin")


def test_language_switch_in_header(context_factory):
    # Dutch by default, even for a browser that asks for English: only the switch decides.
    page = context_factory(locale="en-US").new_page()
    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    english = page.locator("form.language-switch button[value=en]")
    expect(english).to_have_text("English")
    with page.expect_navigation():
        english.click()
    expect(page).to_have_url(f"{live_url(page)}/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.locator(".site-nav a[href='/accounts/login/']")).to_have_text("Log in")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    assert cookies.get("django_language") == "en"

    # The choice sticks on the next page.
    page.goto("/terms/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    dutch = page.locator("form.language-switch button[value=nl]")
    expect(dutch).to_have_attribute("lang", "nl")
    with page.expect_navigation():
        dutch.click()
    expect(page).to_have_url(f"{live_url(page)}/terms/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page.locator("form.language-switch button[value=en]")).to_be_visible()


def test_language_switch_is_remembered_for_a_member(context_factory, transactional_db):
    """A logged-in member's choice is stored: their mail comes in it, and so does the site on
    another device once they log in there."""
    from members.models import Member

    member = make_member(language="nl")
    page = context_factory().new_page()
    log_in(page, member.username)
    expect_logged_in(page)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    with page.expect_navigation():
        page.locator("form.language-switch button[value=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert Member.objects.get(pk=member.pk).language == "en"

    other_device = context_factory().new_page()  # no language cookie
    other_device.goto("/")
    expect(other_device.locator("html")).to_have_attribute("lang", "nl")
    log_in(other_device, member.email)
    expect_logged_in(other_device)
    expect(other_device.locator("html")).to_have_attribute("lang", "en")
