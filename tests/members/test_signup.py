"""Sign-up, e-mail confirmation and log-in (R1.1 to R1.4, R5.1)."""

import re

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core import mail
from django.urls import reverse

from members.models import Member, OutgoingMail
from tests.factories import PASSWORD, MemberFactory

pytestmark = pytest.mark.django_db

SIGNUP_URL = "/accounts/signup/"
LOGIN_URL = "/accounts/login/"


def signup_data(**overrides):
    data = {
        "username": "Jan_de-Vries.1",
        "email": "jan@example.org",
        "gender": "man",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "adult": "on",
        "accept_terms": "on",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def confirmation_link(message) -> str:
    return re.search(r"https?://[^\s]+/accounts/confirm-email/[^\s/]+/", message.body).group(0)


def test_signup_creates_member_and_sends_confirmation_in_dutch(committing_client):
    """R1.1, R1.4, R5.1: the account is stored with what was accepted, and a Dutch mail with a
    text and an HTML part carries the confirmation link."""
    response = committing_client.post(SIGNUP_URL, signup_data())

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    member = Member.objects.get(username="Jan_de-Vries.1")
    assert member.gender == "man"
    assert member.language == "nl"
    assert member.confirmed_adult_at is not None
    assert member.terms_version == settings.TERMS_VERSION
    assert member.privacy_version == settings.PRIVACY_STATEMENT_VERSION
    assert member.privacy_accepted_at is not None
    assert member.password.startswith("argon2$")
    assert not EmailAddress.objects.get(user=member).verified

    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["jan@example.org"]
    assert "Bevestig" in message.subject or "bevestig" in message.body.lower()
    html = dict((mimetype, content) for content, mimetype in message.alternatives)["text/html"]
    assert confirmation_link(message) in html
    assert OutgoingMail.objects.get(member=member).status == OutgoingMail.Status.SENT


def test_signup_in_english_sends_english_mail(committing_client):
    committing_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    committing_client.post(SIGNUP_URL, signup_data())

    assert Member.objects.get(username="Jan_de-Vries.1").language == "en"
    assert "confirm" in mail.outbox[0].body.lower()


def test_no_login_before_confirmation_then_login_after(committing_client):
    """R1.2: the confirmation link activates the account; before it, log-in is refused and a
    new link is sent."""
    committing_client.post(SIGNUP_URL, signup_data())
    link = confirmation_link(mail.outbox[0])

    response = committing_client.post(LOGIN_URL, {"login": "jan_de-vries.1", "password": PASSWORD})
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert "_auth_user_id" not in committing_client.session

    path = link.split("://", 1)[1].split("/", 1)[1]
    confirm_page = committing_client.get("/" + path)
    assert confirm_page.status_code == 200
    committing_client.post("/" + path)
    assert EmailAddress.objects.get(email="jan@example.org").verified

    response = committing_client.post(LOGIN_URL, {"login": "jan@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert (
        int(committing_client.session["_auth_user_id"])
        == Member.objects.get(email="jan@example.org").pk
    )


@pytest.mark.parametrize(
    "overrides, field, message",
    [
        ({"adult": None}, "adult", "18"),
        ({"accept_terms": None}, "accept_terms", "privacy"),
        ({"gender": ""}, "gender", ""),
        ({"gender": "dragon"}, "gender", ""),
        ({"username": "ab"}, "username", ""),
        ({"username": "jan de vries"}, "username", "_"),
        ({"username": "x" * 31}, "username", ""),
        ({"email": "not-an-address"}, "email", ""),
        ({"password1": "kort", "password2": "kort"}, "password1", ""),
        ({"password1": "1234567890123", "password2": "1234567890123"}, "password1", ""),
        ({"password2": PASSWORD + "x"}, "password2", ""),
    ],
)
def test_bad_input_returns_the_form_with_a_message(committing_client, overrides, field, message):
    """R1.1: every mistake gets the form back (not a 500), with what was typed kept."""
    response = committing_client.post(SIGNUP_URL, signup_data(**overrides))

    assert response.status_code == 200
    errors = response.context["form"].errors
    assert field in errors, errors
    assert message in " ".join(errors[field])
    assert not Member.objects.exists()
    assert mail.outbox == []
    if field != "email":
        assert 'value="jan@example.org"' in response.content.decode()


def test_username_taken_in_another_case_is_refused(committing_client):
    MemberFactory(username="Jan_de-Vries.1")

    response = committing_client.post(
        SIGNUP_URL, signup_data(username="JAN_DE-VRIES.1", email="x@example.org")
    )

    assert response.status_code == 200
    assert "username" in response.context["form"].errors
    assert Member.objects.count() == 1


def test_taken_email_does_not_reveal_the_account_but_tells_its_owner(committing_client):
    """The sign-up looks the same whether the address is taken or not (no account enumeration);
    the owner gets a mail that someone tried, and no second account is made."""
    MemberFactory(username="owner", email="jan@example.org")

    response = committing_client.post(SIGNUP_URL, signup_data(email="JAN@example.org"))

    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    assert Member.objects.count() == 1
    assert len(mail.outbox) == 1
    assert [a.lower() for a in mail.outbox[0].to] == ["jan@example.org"]
    assert "already" in mail.outbox[0].subject.lower() or "bestaat" in mail.outbox[0].subject
    assert "owner" not in response.content.decode()


def test_database_refuses_case_variants_of_username_and_email():
    """The uniqueness ignoring case is a database constraint, not only a form check."""
    from django.db import IntegrityError, transaction

    MemberFactory(username="Piet", email="piet@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(username="PIET", email="other@example.org")
    with pytest.raises(IntegrityError), transaction.atomic():
        Member.objects.create(username="piet2", email="Piet@Example.org")


def test_invalid_confirmation_link_explains_how_to_get_a_new_one(committing_client):
    response = committing_client.get("/accounts/confirm-email/not-a-real-key/")

    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="link-invalid"' in content
    assert reverse("account_login") in content


def test_expired_confirmation_link_is_refused(committing_client, settings):
    committing_client.post(SIGNUP_URL, signup_data())
    link = confirmation_link(mail.outbox[0])
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    settings.ACCOUNT_EMAIL_CONFIRMATION_EXPIRE_DAYS = 0

    response = committing_client.post(path)

    assert response.status_code == 400
    assert 'id="link-invalid"' in response.content.decode()
    assert not EmailAddress.objects.get(email="jan@example.org").verified


def test_used_confirmation_link_does_not_log_anyone_in(committing_client):
    committing_client.post(SIGNUP_URL, signup_data())
    link = confirmation_link(mail.outbox[0])
    path = "/" + link.split("://", 1)[1].split("/", 1)[1]
    committing_client.post(path)
    committing_client.logout()

    response = committing_client.post(path)

    assert response.status_code == 400
    assert "_auth_user_id" not in committing_client.session


def test_login_with_wrong_password_shows_a_message(committing_client, member):
    response = committing_client.post(LOGIN_URL, {"login": "alice", "password": "wrong-password"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert "_auth_user_id" not in committing_client.session


def test_session_id_changes_on_login(committing_client, member):
    committing_client.get(LOGIN_URL)
    committing_client.session.save()
    before = committing_client.session.session_key

    committing_client.post(LOGIN_URL, {"login": "alice", "password": PASSWORD})

    assert committing_client.session.session_key != before
    assert int(committing_client.session["_auth_user_id"]) == member.pk


def test_suspended_member_cannot_log_in(committing_client):
    MemberFactory(username="bob", status=Member.Status.SUSPENDED, is_active=False)

    committing_client.post(LOGIN_URL, {"login": "bob", "password": PASSWORD})

    assert "_auth_user_id" not in committing_client.session


@pytest.mark.rate_limits
def test_repeated_failed_logins_are_rate_limited_with_a_message(committing_client, member):
    """SECURITY.md: allauth's rate limits are on; the member is told to wait."""
    for _ in range(5):
        committing_client.post(LOGIN_URL, {"login": "alice", "password": "wrong-password"})

    response = committing_client.post(LOGIN_URL, {"login": "alice", "password": PASSWORD})

    assert response.status_code == 200
    assert "Te veel inlogpogingen" in str(response.context["form"].errors)
    assert "_auth_user_id" not in committing_client.session
