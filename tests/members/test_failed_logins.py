"""Failed log-ins (SECURITY.md): the per-account limit counts the account, whichever name is
typed; each failure is logged and recorded with the member's id and a hash of the IP address,
never the name typed; superusers alone see the records."""

import logging
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from activity.models import FailedLogin
from activity.retention import apply_retention
from members.adapter import ip_digest
from tests.factories import PASSWORD, MemberFactory, staff_member

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
FAILED_LOGINS = "/admin/activity/failedlogin/"
TOO_MANY = "Too many failed login attempts"
IP = "203.0.113.77"
WRONG = "wrong-password-123"  # noqa: S105


def attempt(client, login, password=WRONG):
    client.cookies["django_language"] = "en"
    return client.post(LOGIN, {"login": login, "password": password}, REMOTE_ADDR=IP)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


# --- The per-account limit counts the account -------------------------------------------------


@pytest.mark.rate_limits
def test_five_failures_by_username_then_the_right_password_by_email_is_refused(settings, member):
    """allauth keyed the limit by the typed name: 5 by username then 5 by e-mail were 10
    guesses per account. Now both names share the member's budget."""
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,5/5m/key"}
    client = Client()
    for _n in range(5):
        attempt(client, "alice")

    response = attempt(client, "ALICE@example.org", PASSWORD)

    assert TOO_MANY in response.content.decode()
    assert not logged_in(client)


@pytest.mark.rate_limits
def test_the_limit_is_per_account_not_shared_by_other_accounts_or_unknown_names(settings, member):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,5/5m/key"}
    MemberFactory(username="bob", email="bob@example.org")
    client = Client()
    for _n in range(5):
        attempt(client, "nobody-here")
    for _n in range(4):
        attempt(client, "alice@example.org")

    assert TOO_MANY in attempt(client, "nobody-here").content.decode()
    bob = Client()
    attempt(bob, "bob", PASSWORD)
    assert logged_in(bob)
    alice = Client()
    attempt(alice, "Alice", PASSWORD)  # the fifth attempt on alice's account: still allowed
    assert logged_in(alice)


# --- Logged and recorded without the name typed -------------------------------------------------


@pytest.mark.rate_limits
def test_failed_and_rate_limited_log_ins_are_logged_with_the_member_id_and_a_hashed_ip(
    settings, member, caplog
):
    settings.ACCOUNT_RATE_LIMITS = {"login_failed": "100/m/ip,1/5m/key"}
    caplog.set_level(logging.INFO)
    client = Client()

    attempt(client, "alice@example.org")  # wrong password
    attempt(client, "alice")  # refused by the limit
    attempt(client, "nobody@example.org")  # no such account

    lines = [r.getMessage() for r in caplog.records if "login.failed" in r.getMessage()]
    text = "\n".join(r.getMessage() for r in caplog.records)
    digest = ip_digest(IP)
    assert lines == [
        f"login.failed reason=bad_password member={member.pk} ip={digest}",
        f"login.failed reason=rate_limited member={member.pk} ip={digest}",
        f"login.failed reason=unknown_account member=- ip={digest}",
    ]
    for secret in ("alice", "example.org", "nobody", IP, "wrong-password-123"):
        assert secret not in text
    rows = list(FailedLogin.objects.order_by("pk").values_list("member_id", "reason", "ip_digest"))
    assert rows == [
        (member.pk, "bad_password", digest),
        (member.pk, "rate_limited", digest),
        (None, "unknown_account", digest),
    ]


def test_superusers_see_failed_log_ins_in_admin_and_other_staff_do_not(member):
    attempt(Client(), "alice")
    row = FailedLogin.objects.get()

    root = Client()
    root.force_login(staff_member("superuser", username="root"))
    listing = root.get(FAILED_LOGINS)
    assert listing.status_code == 200
    assert row.ip_digest in listing.content.decode()
    assert root.get(f"{FAILED_LOGINS}{row.pk}/change/").status_code == 200
    assert root.get(f"{FAILED_LOGINS}add/").status_code == 403
    assert root.post(f"{FAILED_LOGINS}{row.pk}/delete/", {"post": "yes"}).status_code == 403
    assert FailedLogin.objects.exists()

    for role in ("Helpdesk", "Moderators", "Finance"):
        staff = Client()
        staff.force_login(staff_member(role))
        assert staff.get(FAILED_LOGINS).status_code == 403
        assert staff.get(f"{FAILED_LOGINS}{row.pk}/change/").status_code == 403
        assert "failedlogin" not in staff.get("/admin/").content.decode()


def test_failed_log_ins_go_after_their_retention_period_and_with_the_member(settings, member):
    settings.ACTIVITY_FAILED_LOGIN_DAYS = 30
    attempt(Client(), "alice")
    attempt(Client(), "someone-else")
    FailedLogin.objects.filter(member=member).update(created_at=timezone.now() - timedelta(days=31))

    done = apply_retention()

    assert done["failed_logins_deleted"] == 1
    assert list(FailedLogin.objects.values_list("reason", flat=True)) == ["unknown_account"]
