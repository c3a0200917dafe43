"""Password reset and change, e-mail change with re-confirmation, sessions (R1.3, SECURITY.md)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client

from members.models import OutgoingMail
from tests.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "Nog-een-lang-wachtwoord-77"


def link_in(message, fragment):
    return re.search(rf"https?://[^/\s]+(/accounts/{fragment}[^\s]*)", message.body).group(1)


def test_password_reset_by_mail(committing_client, member):
    response = committing_client.post("/accounts/password/reset/", {"email": "ALICE@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    path = link_in(mail.outbox[0], "password/reset/key/")

    form_page = committing_client.get(path, follow=True)
    action = form_page.redirect_chain[-1][0] if form_page.redirect_chain else path
    committing_client.post(action, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})

    member.refresh_from_db()
    assert member.check_password(NEW_PASSWORD)
    # The mail that held the reset link no longer holds it in the database.
    assert OutgoingMail.objects.filter(kind="password_reset_key", body_text="").exists()


def test_password_reset_for_unknown_address_looks_the_same(committing_client, member):
    response = committing_client.post("/accounts/password/reset/", {"email": "nobody@example.org"})

    assert response.status_code == 302
    assert [m.to for m in mail.outbox] == [["nobody@example.org"]]
    assert "alice" not in mail.outbox[0].body


def test_password_change_ends_other_sessions_and_notifies(committing_client, member):
    other_device = Client()
    other_device.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    assert "_auth_user_id" in other_device.session
    committing_client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    mail.outbox.clear()

    response = committing_client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    assert "_auth_user_id" in committing_client.session
    assert other_device.get("/accounts/email/").status_code == 302  # logged out there
    assert len(mail.outbox) == 1  # ACCOUNT_EMAIL_NOTIFICATIONS: "your password was changed"


def test_wrong_old_password_is_refused_with_a_message(member_client, member):
    response = member_client.post(
        "/accounts/password/change/",
        {"oldpassword": "not-it", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 200
    assert "oldpassword" in response.context["form"].errors
    member.refresh_from_db()
    assert member.check_password(PASSWORD)


def test_email_change_needs_confirmation_of_the_new_address(committing_client, member):
    committing_client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    mail.outbox.clear()

    committing_client.post("/accounts/email/", {"action_add": "", "email": "alice.new@example.org"})

    member.refresh_from_db()
    assert member.email == "alice@example.org"  # unchanged until confirmed
    assert not EmailAddress.objects.get(email="alice.new@example.org").verified
    assert mail.outbox[-1].to == ["alice.new@example.org"]
    path = link_in(mail.outbox[-1], "confirm-email/")
    committing_client.post(path)

    member.refresh_from_db()
    assert member.email == "alice.new@example.org"
    assert list(EmailAddress.objects.filter(user=member).values_list("email", flat=True)) == [
        "alice.new@example.org"
    ]


def test_email_change_to_a_taken_address_can_never_be_confirmed(committing_client, member):
    """With enumeration protection allauth does not say the address is taken; the address
    cannot be confirmed for this account, so the member's e-mail stays as it was."""
    MemberFactory(username="bob", email="bob@example.org")
    committing_client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    mail.outbox.clear()

    committing_client.post("/accounts/email/", {"action_add": "", "email": "BOB@example.org"})
    confirmations = [m for m in mail.outbox if "confirm-email" in m.body]
    assert len(confirmations) == 1
    page = committing_client.get(link_in(confirmations[0], "confirm-email/"))
    assert 'id="cannot-confirm"' in page.content.decode()
    committing_client.post(link_in(confirmations[0], "confirm-email/"))

    member.refresh_from_db()
    assert member.email == "alice@example.org"
    assert not EmailAddress.objects.filter(
        user=member, email__iexact="bob@example.org", verified=True
    ).exists()


def test_member_sees_and_ends_other_sessions(member):
    laptop, phone = Client(), Client()
    laptop.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    phone.post("/accounts/login/", {"login": "alice", "password": PASSWORD})

    listing = laptop.get("/accounts/sessions/")
    assert listing.status_code == 200
    assert len(listing.context["sessions"]) == 2

    laptop.post("/accounts/sessions/", {})

    assert phone.get("/accounts/email/").status_code == 302
    assert laptop.get("/accounts/email/").status_code == 200


def test_logout_ends_the_session_on_the_server(member):
    from django.contrib.sessions.models import Session

    browser = Client()
    browser.post("/accounts/login/", {"login": "alice", "password": PASSWORD})
    key = browser.session.session_key

    browser.post("/accounts/logout/")

    assert not Session.objects.filter(session_key=key).exists()


@pytest.mark.rate_limits
def test_signup_rate_limit_answers_with_a_clear_page(client, settings):
    settings.ACCOUNT_RATE_LIMITS = {"signup": "2/m/ip"}
    for n in range(2):
        client.post("/accounts/signup/", {"username": f"x{n}"})

    response = client.post("/accounts/signup/", {"username": "x3"})

    assert response.status_code == 429
    assert 'id="rate-limited"' in response.content.decode()
