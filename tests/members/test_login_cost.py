"""A failed log-in costs one Argon2 (SECURITY.md): one authentication backend, checking each
account once, for an existing account and an unknown name alike (no timing difference), while
log-in by username or e-mail, `authenticate()` and the admin log-in keep working."""

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.hashers import Argon2PasswordHasher
from django.test import Client

from tests.factories import PASSWORD, staff_member

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
WRONG = "wrong-password-123"  # noqa: S105


def attempt(client, login, password=WRONG):
    return client.post(LOGIN, {"login": login, "password": password})


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def hasher_calls(monkeypatch):
    """Counts Argon2 verifications and hashings (every Argon2 hasher of the settings)."""
    calls = []
    verify, encode = Argon2PasswordHasher.verify, Argon2PasswordHasher.encode

    def counted_verify(self, password, encoded):
        calls.append("verify")
        return verify(self, password, encoded)

    def counted_encode(self, password, salt):
        calls.append("encode")
        return encode(self, password, salt)

    monkeypatch.setattr(Argon2PasswordHasher, "verify", counted_verify)
    monkeypatch.setattr(Argon2PasswordHasher, "encode", counted_encode)
    return calls


@pytest.mark.parametrize("login", ["alice", "alice@example.org"])
def test_a_failed_log_in_checks_the_password_once(client, member, hasher_calls, login):
    attempt(client, login)

    assert hasher_calls == ["verify"]
    assert not logged_in(client)


@pytest.mark.parametrize("login", ["nobody", "nobody@example.org"])
def test_an_unknown_account_costs_the_same_one_argon2(client, member, hasher_calls, login):
    attempt(client, login)

    assert hasher_calls == ["encode"]


def test_log_in_by_username_or_email_and_authenticate_still_work(member):
    for login in ("alice", "Alice@Example.org"):
        client = Client()
        attempt(client, login, PASSWORD)
        assert logged_in(client)
    assert authenticate(username="alice", password=PASSWORD) == member
    assert authenticate(username="alice", password="wrong-password-123") is None


def test_the_admin_log_in_goes_through_allauth_and_still_works(member):
    staff_member("superuser", username="root")
    client = Client()

    page = client.get("/admin/login/?next=/admin/")
    assert page.status_code == 302 and page["Location"].startswith(LOGIN)
    response = client.post(page["Location"], {"login": "root", "password": PASSWORD})

    assert response.status_code == 302
    assert "/2fa/" in response["Location"] or "mfa" in response["Location"]
    assert client.session.get("_auth_user_id") is None  # the second factor comes next
