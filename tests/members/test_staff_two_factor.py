"""Staff two-factor is a property of the session (SECURITY.md, Accounts and sessions): a staff
page opens only in a session that used a second factor; adding a factor ends the account's
other sessions; a staff account's first authenticator needs a one-time enrolment link."""

import time
from datetime import timedelta

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from allauth.usersessions.models import UserSession
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from members.models import OutgoingMail, StaffEnrolmentLink
from members.staff_two_factor import issue_enrolment_link
from tests.conftest import clear_own_cache
from tests.factories import PASSWORD, MemberFactory, has_totp, staff_member

pytestmark = pytest.mark.django_db

ADMIN = "/admin/"
ACTIVATE = "/accounts/2fa/totp/activate/"
REAUTHENTICATE_MFA = "/accounts/2fa/reauthenticate/"
AUTHENTICATE_MFA = "/accounts/2fa/authenticate/"


def code_for(secret: str) -> str:
    """The current TOTP code, with a few seconds left in its 30 s window (tolerance is 0)."""
    if 30 - time.time() % 30 < 3:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def password_login(member) -> Client:
    """A new browser that logs in through the form with the password only."""
    browser = Client()
    response = browser.post("/accounts/login/", {"login": member.username, "password": PASSWORD})
    assert response.status_code == 302
    return browser


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[-1]


def enrol(browser: Client, member) -> str:
    """Opens a fresh enrolment link in `browser`, re-enters the password and activates TOTP
    with a code from the new secret, as a new staff member does. Returns the secret."""
    token = token_of(issue_enrolment_link(member=member))
    assert browser.post(f"/accounts/staff-enrolment/{token}/").url == ACTIVATE
    assert browser.get(ACTIVATE).url.startswith("/accounts/reauthenticate/")
    browser.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = browser.get(ACTIVATE)
    assert page.status_code == 200
    secret = browser.session["mfa.totp.secret"]
    response = browser.post(ACTIVATE, {"code": code_for(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert has_totp(member)
    return secret


def test_password_only_session_gets_no_admin_once_totp_exists_elsewhere():
    """The attack: session A logged in with the password only, before the account had TOTP;
    the account gains TOTP elsewhere. Session A is sent to enter a code, not into admin."""
    moderator = staff_member("Moderators", with_totp=False)
    session_a = password_login(moderator)
    assert session_a.get(ADMIN).url == ACTIVATE
    TOTP.activate(moderator, generate_totp_secret())  # "session B" (no signal: A lives on)

    response = session_a.get(ADMIN)

    assert response.status_code == 302
    assert response.url.startswith(REAUTHENTICATE_MFA)
    assert session_a.get("/admin/members/member/").status_code == 302
    # Changing the factors needs a session that used one, too.
    assert session_a.get("/accounts/2fa/recovery-codes/generate/").url == REAUTHENTICATE_MFA


def test_password_only_session_enters_a_code_and_then_reaches_admin():
    moderator = staff_member("Moderators", with_totp=False)
    session_a = password_login(moderator)
    secret = generate_totp_secret()
    TOTP.activate(moderator, secret)
    step = session_a.get(ADMIN).url
    assert session_a.get(step).status_code == 200

    response = session_a.post(step, {"code": code_for(secret)})

    assert response.status_code == 302 and response.url == ADMIN
    assert session_a.get(ADMIN).status_code == 200


def test_staff_log_in_with_totp_code_reaches_admin():
    moderator = staff_member("Moderators", with_totp=False)
    secret = generate_totp_secret()
    TOTP.activate(moderator, secret)
    browser = Client()

    step = browser.post("/accounts/login/", {"login": moderator.username, "password": PASSWORD})
    assert step.url == AUTHENTICATE_MFA
    assert browser.get(ADMIN).status_code == 302  # not logged in until the code
    browser.post(AUTHENTICATE_MFA, {"code": code_for(secret)})

    assert browser.get(ADMIN).status_code == 200


def test_staff_log_in_with_recovery_code_reaches_admin():
    moderator = staff_member("Moderators")  # TOTP from the factory
    recovery = RecoveryCodes.activate(moderator)
    browser = Client()

    browser.post("/accounts/login/", {"login": moderator.username, "password": PASSWORD})
    browser.post(AUTHENTICATE_MFA, {"code": recovery.get_unused_codes()[0]})

    assert browser.get(ADMIN).status_code == 200


def test_staff_that_already_have_totp_are_unaffected(client):
    client.force_login(staff_member("Helpdesk"))

    assert client.get(ADMIN).status_code == 200
    assert client.get("/admin/members/outgoingmail/").status_code == 200


@pytest.mark.django_db(transaction=True)  # allauth sends its signal and mail after commit
def test_adding_totp_ends_the_accounts_other_sessions():
    """Session A (password only) dies when TOTP is activated in session B; B, which proved the
    new factor with a code, goes on into admin; another member's session is untouched."""
    moderator = staff_member("Moderators", with_totp=False)
    session_a = password_login(moderator)
    session_a.get("/")  # a page view: allauth's session list knows it
    key_a = session_a.session.session_key
    bystander = MemberFactory()
    other_browser = password_login(bystander)
    session_b = password_login(moderator)

    enrol(session_b, moderator)

    assert not Session.objects.filter(session_key=key_a).exists()
    assert not UserSession.objects.filter(session_key=key_a).exists()
    response = session_a.get(ADMIN)
    assert response.status_code == 302 and "/login" in response.url
    assert session_b.get(ADMIN).status_code == 200
    assert UserSession.objects.filter(user=moderator).count() == 1
    assert other_browser.get("/accounts/email/").status_code == 200


@pytest.mark.django_db(transaction=True)
def test_untracked_staff_session_ends_too():
    """A staff session missing from allauth's list (its row cleaned up) is found all the same."""
    moderator = staff_member("Moderators", with_totp=False)
    session_a = password_login(moderator)
    key_a = session_a.session.session_key
    UserSession.objects.filter(session_key=key_a).delete()

    enrol(password_login(moderator), moderator)

    assert not Session.objects.filter(session_key=key_a).exists()


@pytest.mark.django_db(transaction=True)
def test_new_recovery_codes_end_the_other_sessions():
    """A member (not staff) who makes new recovery codes: their other sessions end as well."""
    member = MemberFactory()
    secret = generate_totp_secret()
    TOTP.activate(member, secret)
    RecoveryCodes.activate(member)
    laptop, phone = Client(), Client()
    for browser in (laptop, phone):
        browser.post("/accounts/login/", {"login": member.username, "password": PASSWORD})
        browser.post(AUTHENTICATE_MFA, {"code": code_for(secret)})
        clear_own_cache()  # the same code again, for the second browser
    assert phone.get("/accounts/email/").status_code == 200
    laptop.post("/accounts/reauthenticate/", {"password": PASSWORD})

    response = laptop.post("/accounts/2fa/recovery-codes/generate/")

    assert response.status_code == 302
    assert phone.get("/accounts/email/").status_code == 302
    assert laptop.get("/accounts/email/").status_code == 200


def test_enrolment_needs_the_link():
    """The password alone does not reach the set-up page, in Dutch or English."""
    moderator = staff_member("Moderators", with_totp=False)
    browser = password_login(moderator)

    assert browser.get(ADMIN).url == ACTIVATE
    for language, words in [("nl", "nieuwe inschrijflink"), ("en", "new enrolment link")]:
        browser.cookies["django_language"] = language
        page = browser.get(ACTIVATE)
        assert page.status_code == 403
        assert words in page.content.decode()
    assert browser.post(ACTIVATE, {"code": "123456"}).status_code == 403
    assert browser.get("/accounts/2fa/recovery-codes/generate/").status_code == 403
    assert not Authenticator.objects.filter(user=moderator).exists()


def test_enrolment_link_opens_the_set_up_page_once():
    moderator = staff_member("Moderators", with_totp=False)
    token = token_of(issue_enrolment_link(member=moderator))
    browser = password_login(moderator)

    page = browser.get(f"/accounts/staff-enrolment/{token}/")  # a look does not use it
    assert page.status_code == 200 and 'id="enrolment-form"' in page.content.decode()
    assert browser.post(f"/accounts/staff-enrolment/{token}/").url == ACTIVATE
    assert (
        browser.get(ACTIVATE, follow=True)
        .redirect_chain[-1][0]
        .startswith("/accounts/reauthenticate/")
    )

    other_browser = password_login(moderator)
    again = other_browser.post(f"/accounts/staff-enrolment/{token}/")
    assert again.status_code == 400
    assert 'id="enrolment-invalid"' in again.content.decode()
    assert other_browser.get(ACTIVATE).status_code == 403


def test_expired_wrong_replaced_and_foreign_links_do_not_work():
    moderator = staff_member("Moderators", with_totp=False)
    colleague = staff_member("Helpdesk", with_totp=False)
    expired = token_of(issue_enrolment_link(member=moderator))
    StaffEnrolmentLink.objects.filter(member=moderator).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    replaced = token_of(issue_enrolment_link(member=moderator))
    current = token_of(issue_enrolment_link(member=moderator))
    colleagues = token_of(issue_enrolment_link(member=colleague))
    browser = password_login(moderator)

    for token in [expired, replaced, colleagues, "x" * 43, current[:-1]]:
        response = browser.post(f"/accounts/staff-enrolment/{token}/")
        assert response.status_code == 400, token
        assert browser.get(ACTIVATE).status_code == 403
    # The colleague's link was not spent by the wrong account.
    assert password_login(colleague).post(f"/accounts/staff-enrolment/{colleagues}/").url == (
        ACTIVATE
    )
    assert browser.post(f"/accounts/staff-enrolment/{current}/").url == ACTIVATE


def test_enrolment_link_needs_a_log_in_and_a_staff_account(client):
    moderator = staff_member("Moderators", with_totp=False)
    token = token_of(issue_enrolment_link(member=moderator))

    response = client.get(f"/accounts/staff-enrolment/{token}/")
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")
    client.force_login(MemberFactory())
    assert client.post(f"/accounts/staff-enrolment/{token}/").status_code == 404
    assert StaffEnrolmentLink.objects.get(member=moderator).used_at is None


def test_only_a_hash_of_the_token_is_stored():
    moderator = staff_member("Moderators", with_totp=False)
    token = token_of(issue_enrolment_link(member=moderator))

    link = StaffEnrolmentLink.objects.get(member=moderator)
    assert len(token) >= 43  # 256 bits in URL-safe base64
    assert token not in link.token_hash
    assert link.expires_at - link.created_at == timedelta(hours=72)


def test_create_staff_mails_and_prints_an_enrolment_link(capsys, monkeypatch):
    monkeypatch.setenv("STAFF_PASSWORD", "Een-heel-sterk-wachtwoord-9")

    call_command("create_staff", "moderator7", "mod7@example.org", "--role", "moderator")

    printed = capsys.readouterr().out
    mail = OutgoingMail.objects.get(kind="staff_enrolment_link")
    url = next(line for line in printed.splitlines() if "/accounts/staff-enrolment/" in line)
    assert mail.to == "mod7@example.org"
    assert url.strip() in mail.body_text
    assert "inschrijflink" in mail.body_text  # the staff member's language (Dutch)


def test_create_staff_issues_a_new_link_for_an_existing_account(capsys):
    moderator = staff_member("Moderators", with_totp=False)
    old = token_of(issue_enrolment_link(member=moderator))

    call_command("create_staff", "--enrolment-link", moderator.username)

    printed = capsys.readouterr().out
    new = token_of(next(line for line in printed.splitlines() if "staff-enrolment" in line))
    browser = password_login(moderator)
    assert browser.post(f"/accounts/staff-enrolment/{old}/").status_code == 400
    assert browser.post(f"/accounts/staff-enrolment/{new}/").url == ACTIVATE
    with pytest.raises(CommandError):
        call_command("create_staff", "--enrolment-link", "nobody")
    with pytest.raises(CommandError):
        call_command("create_staff", "--enrolment-link", staff_member("Helpdesk").username)


def test_superuser_mails_a_new_enrolment_link_from_the_account_page(client):
    newcomer = staff_member("Moderators", with_totp=False)
    old = token_of(issue_enrolment_link(member=newcomer))
    page = f"/admin/members/member/{newcomer.pk}/change/"
    action = f"/admin/members/member/{newcomer.pk}/enrolment-link/"
    client.force_login(staff_member("superuser"))

    assert 'id="enrolment-link-button"' in client.get(page).content.decode()
    response = client.post(action)

    assert response.status_code == 302 and response.url == page
    assert OutgoingMail.objects.filter(member=newcomer, kind="staff_enrolment_link").count() == 2
    browser = password_login(newcomer)
    assert browser.post(f"/accounts/staff-enrolment/{old}/").status_code == 400
    assert client.get(action).url == page  # a visit mails nothing
    assert OutgoingMail.objects.filter(member=newcomer, kind="staff_enrolment_link").count() == 2
    enrolled = staff_member("Helpdesk")
    assert (
        'id="enrolment-link-button"'
        not in client.get(f"/admin/members/member/{enrolled.pk}/change/").content.decode()
    )
    assert client.post(f"/admin/members/member/{enrolled.pk}/enrolment-link/").status_code == 403


def test_only_superusers_mail_enrolment_links(client):
    newcomer = staff_member("Moderators", with_totp=False)
    client.force_login(staff_member("Helpdesk"))

    page = client.get(f"/admin/members/member/{newcomer.pk}/change/").content.decode()
    response = client.post(f"/admin/members/member/{newcomer.pk}/enrolment-link/")

    assert 'id="enrolment-link-button"' not in page
    assert response.status_code == 403
    assert not StaffEnrolmentLink.objects.filter(member=newcomer).exists()


def test_session_that_used_a_factor_sets_up_a_new_phone_without_a_link(client):
    """Moving to a new phone: a session that logged in with the old app's code removes it and
    sets up the new one; it proved more than the password."""
    moderator = staff_member("Moderators")
    client.force_login(moderator)  # password and TOTP code
    Authenticator.objects.filter(user=moderator).delete()

    response = client.get(ACTIVATE)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/reauthenticate/")
    assert client.get(ADMIN).url == ACTIVATE  # no staff page until the new app is set up
