"""Closing the account, and reopening it by logging in within the grace period (R7.3)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.usersessions.models import UserSession
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from members.adapter import may_reopen, reopen_deadline
from members.models import Member, OutgoingMail
from messaging import services as messaging
from messaging.services import SendRefused
from privacy import erasure
from tests.factories import PASSWORD, MemberFactory, make_profile

pytestmark = pytest.mark.django_db

CLOSE = reverse("privacy:close_account")
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def log_in(client, login="alice", password=PASSWORD):
    return client.post("/accounts/login/", {"login": login, "password": password}, follow=True)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def closed(member, *, days_ago=0, immediately=False, months=60) -> Member:
    """Puts `member` in the state closing left them in `days_ago` days ago."""
    closed_at = timezone.now() - timedelta(days=days_ago)
    due = closed_at if immediately else erasure.add_months(closed_at, months)
    Member.objects.filter(pk=member.pk).update(
        status=Member.Status.CLOSED, closed_at=closed_at, erasure_due_at=due
    )
    member.refresh_from_db()
    return member


# --- The page ----------------------------------------------------------------------------------


def test_the_page_needs_a_logged_in_member(client):
    response = client.get(CLOSE)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_the_page_says_what_happens_and_names_the_dates(english, member, settings):
    """R7.3: the member reads, before choosing, what happens at once, the exact erasure date
    after the retention period, and until when logging in reopens the account."""
    settings.ACCOUNT_ERASURE_AFTER = 60
    english.force_login(member)

    page = english.get(CLOSE).content.decode()

    now = timezone.localtime()
    erasure_day = erasure.add_months(now, 60)
    reopen_day = timezone.localtime(now + timedelta(days=settings.ACCOUNT_REOPEN_GRACE_DAYS))
    assert "Your profile and photos disappear" in page
    assert "You are logged out everywhere" in page
    assert "other members see you as a removed member" in page
    assert "We stop sending you promotional e-mail" in page
    assert f"erase it on {erasure_day.day} {erasure_day:%B} {erasure_day.year}" in page
    assert "for 60 months" in page
    assert "Within 30 days of closing" in page
    assert f"until {reopen_day.day} {reopen_day:%B} {reopen_day.year}" in page
    assert "This cannot be undone" in page
    assert 'name="erasure" value="later"' in page and 'name="erasure" value="now"' in page
    assert 'autocomplete="current-password"' in page
    assert 'id="close-account-button"' in page


def test_a_shorter_retention_period_shows_its_own_date(english, member, settings):
    """R7.3: ACCOUNT_ERASURE_AFTER may be shorter than 60 months; the page follows it."""
    settings.ACCOUNT_ERASURE_AFTER = 6
    english.force_login(member)

    page = english.get(CLOSE).content.decode()

    erasure_day = erasure.add_months(timezone.localtime(), 6)
    assert "for 6 months" in page
    assert f"{erasure_day.day} {erasure_day:%B} {erasure_day.year}" in page


def test_without_a_retention_period_only_immediate_erasure_is_offered(english, member, settings):
    settings.ACCOUNT_ERASURE_AFTER = 0
    english.force_login(member)

    page = english.get(CLOSE).content.decode()

    assert 'value="later"' not in page
    assert 'name="erasure" value="now"' in page


def test_a_wrong_password_changes_nothing(english, member):
    """R7.3: closing needs the password again; a wrong one is a form error and nothing else."""
    english.force_login(member)

    response = english.post(CLOSE, {"erasure": "now", "password": "not-my-password"})

    assert response.status_code == 200
    assert "That is not your password. Nothing has changed." in response.content.decode()
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert member.closed_at is None and member.erasure_due_at is None
    assert logged_in(english)
    assert not OutgoingMail.objects.filter(kind="account_closed").exists()


@pytest.mark.rate_limits
def test_guessing_the_password_is_limited(english, member):
    """A stolen session cannot be used to guess the password on this form."""
    english.force_login(member)
    for _attempt in range(5):
        english.post(CLOSE, {"erasure": "later", "password": "guess"})

    response = english.post(CLOSE, {"erasure": "later", "password": PASSWORD})

    assert "Too many failed login attempts" in response.content.decode()
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


def test_choosing_is_required(english, member):
    english.force_login(member)

    response = english.post(CLOSE, {"erasure": "whenever", "password": PASSWORD})

    assert response.status_code == 200
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE


# --- Closing with the retention period ---------------------------------------------------------


def test_closing_with_retention_keeps_the_data_until_the_due_date(
    committing_client, member, settings
):
    """R7.3: status closed, the due date ACCOUNT_ERASURE_AFTER months on, logged out, a
    confirmation mail in the member's language naming the dates; the data is still there."""
    settings.ACCOUNT_ERASURE_AFTER = 60
    member.language = "en"
    member.save(update_fields=["language"])
    committing_client.force_login(member)

    response = committing_client.post(CLOSE, {"erasure": "later", "password": PASSWORD})

    assert response.status_code == 302
    assert response.url == "/"
    member.refresh_from_db()
    assert member.status == Member.Status.CLOSED
    assert member.erasure_due_at == erasure.add_months(member.closed_at, 60)
    assert not member.is_findable
    assert not logged_in(committing_client)
    [message] = mail.outbox
    assert message.to == ["alice@example.org"]
    assert message.subject.endswith("Your account is closed")
    erasure_day = timezone.localtime(member.erasure_due_at)
    reopen_day = timezone.localtime(reopen_deadline(member))
    assert f"erased on {erasure_day.day} {erasure_day:%B} {erasure_day.year}" in message.body
    assert f"Log in by {reopen_day.day} {reopen_day:%B} {reopen_day.year}" in message.body
    assert "/accounts/login/" in message.body
    assert 'lang="en"' in message.alternatives[0][0]  # the HTML part, in English too


def test_the_confirmation_is_in_the_members_language(committing_client, member):
    member.language = "nl"
    member.save(update_fields=["language"])
    committing_client.force_login(member)

    committing_client.post(CLOSE, {"erasure": "later", "password": PASSWORD})

    [message] = mail.outbox
    assert "alice" in message.body
    assert 'lang="nl"' in message.alternatives[0][0]


def test_the_home_page_says_the_account_is_closed(english, member):
    english.force_login(member)

    response = english.post(CLOSE, {"erasure": "later", "password": PASSWORD}, follow=True)

    page = response.content.decode()
    assert "Your account is closed." in page
    assert "Log in by" in page


def test_closing_ends_every_session(client, member):
    """R7.3: all sessions end, on every device."""
    other_device = Client()
    log_in(other_device)
    log_in(client)
    assert logged_in(other_device)
    assert UserSession.objects.filter(user=member).count() == 2

    client.post(CLOSE, {"erasure": "later", "password": PASSWORD})

    assert other_device.get("/accounts/email/").status_code == 302
    assert not logged_in(client)
    assert not UserSession.objects.filter(user=member).exists()


def test_the_profile_disappears_at_once(client, member):
    """R7.3: profile page, search and suggestions stop showing a closed member, and nobody
    can start writing to them."""
    bob = MemberFactory(username="bob")
    make_profile(member, place="Utrecht", birth_date=datetime(1990, 5, 1).date(), seeks_men=True)
    make_profile(bob, place="Utrecht", birth_date=datetime(1988, 5, 1).date(), seeks_women=True)
    client.force_login(bob)
    profile_url = reverse("profiles:profile", args=[member.public_id])
    assert client.get(profile_url).status_code == 200
    assert member.public_id in client.get(reverse("profiles:search")).content.decode()

    erasure.close_account(member=member, erase_immediately=False)

    assert client.get(profile_url).status_code == 404
    assert member.public_id not in client.get(reverse("profiles:search")).content.decode()
    assert member.public_id not in client.get(reverse("profiles:suggestions")).content.decode()
    with pytest.raises(SendRefused):
        messaging.check_can_send(sender=bob, receiver=Member.objects.get(pk=member.pk))


def test_an_account_is_closed_once(member):
    erasure.close_account(member=member, erase_immediately=False)

    with pytest.raises(erasure.AccountNotClosable):
        erasure.close_account(member=member, erase_immediately=True)

    member.refresh_from_db()
    assert member.erasure_due_at > member.closed_at  # the first choice stands


# --- Closing with immediate erasure ------------------------------------------------------------


def test_closing_immediately_erases_within_minutes(committing_client, member):
    """R7.3: on request the data is erased at once (here the eager task runs right after the
    commit); the confirmation mail went out first, and no mail row keeps the address."""
    committing_client.force_login(member)

    response = committing_client.post(CLOSE, {"erasure": "now", "password": PASSWORD})

    assert response.status_code == 302
    assert not Member.objects.filter(pk=member.pk).exists()
    [message] = mail.outbox
    assert message.to == ["alice@example.org"]
    assert "cannot be undone" in message.body or "ongedaan" in message.body
    assert not OutgoingMail.objects.filter(to__iexact="alice@example.org").exists()
    assert not logged_in(committing_client)


def test_immediate_erasure_is_never_lost(member):
    """When the broker loses the task, the beat task erases the account on its next run."""
    erasure.close_account(member=member, erase_immediately=True)  # on-commit task not run
    assert Member.objects.filter(pk=member.pk).exists()

    assert erasure.erase_due_accounts() == 1

    assert not Member.objects.filter(pk=member.pk).exists()


# --- The due date ------------------------------------------------------------------------------


def at(*args) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM)


@pytest.mark.parametrize(
    ("closed_at", "months", "due"),
    [
        (at(2026, 3, 15, 12, 0), 60, at(2031, 3, 15, 12, 0)),
        (at(2026, 1, 31, 10, 0), 1, at(2026, 2, 28, 10, 0)),  # month end, common year
        (at(2028, 1, 31, 10, 0), 1, at(2028, 2, 29, 10, 0)),  # month end, leap year
        (at(2028, 2, 29, 9, 0), 60, at(2033, 2, 28, 9, 0)),  # leap day, five years on
        (at(2026, 8, 31, 23, 30), 1, at(2026, 9, 30, 23, 30)),
        (at(2026, 12, 31, 23, 30), 2, at(2027, 2, 28, 23, 30)),  # over the year's end
        (at(2026, 1, 15, 12, 0), 6, at(2026, 7, 15, 12, 0)),  # winter to summer time
        # 1 March 00:30 in Amsterdam is still 28 February in UTC: the local date counts.
        (at(2026, 3, 1, 0, 30), 1, at(2026, 4, 1, 0, 30)),
    ],
)
def test_the_due_date_counts_calendar_months(settings, closed_at, months, due):
    """One function computes the erasure date from the closing time (frozen clock: the time
    is given), month ends clamped, wall-clock time kept across summer time."""
    settings.ACCOUNT_ERASURE_AFTER = months

    assert erasure.erasure_due_date(closed_at) == due
    assert timezone.localtime(erasure.erasure_due_date(closed_at)).hour == due.hour


def test_immediate_erasure_is_due_at_closing(settings):
    closed_at = at(2026, 5, 4, 8, 15)
    settings.ACCOUNT_ERASURE_AFTER = 60

    assert erasure.erasure_due_date(closed_at, immediately=True) == closed_at
    settings.ACCOUNT_ERASURE_AFTER = 0
    assert erasure.erasure_due_date(closed_at) == closed_at


def test_the_reopen_deadline(settings):
    settings.ACCOUNT_REOPEN_GRACE_DAYS = 30
    closed_at = at(2026, 5, 4, 8, 15)
    later = Member(closed_at=closed_at, erasure_due_at=at(2031, 5, 4, 8, 15))
    now = Member(closed_at=closed_at, erasure_due_at=closed_at)
    soon = Member(closed_at=closed_at, erasure_due_at=at(2026, 5, 20, 8, 15))

    assert reopen_deadline(later) == closed_at + timedelta(days=30)
    assert reopen_deadline(now) is None
    assert reopen_deadline(soon) == at(2026, 5, 20, 8, 15)  # never past the erasure
    later.status = Member.Status.CLOSED
    assert may_reopen(later, now=closed_at + timedelta(days=29, hours=23))
    assert not may_reopen(later, now=closed_at + timedelta(days=30))


# --- Reopening ---------------------------------------------------------------------------------


def test_logging_in_within_the_grace_period_reopens_the_account(english, member):
    """R7.3: a closed member who logs in within 30 days gets the account back, welcomed."""
    closed(member, days_ago=29)

    response = log_in(english)

    assert logged_in(english)
    assert "Welcome back!" in response.content.decode()
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
    assert member.closed_at is None and member.erasure_due_at is None
    assert member.is_findable
    assert erasure.erase_due_accounts(now=timezone.now() + timedelta(days=3650)) == 0


def test_after_the_grace_period_log_in_is_refused_clearly(english, member):
    closed(member, days_ago=31)

    response = log_in(english)

    assert not logged_in(english)
    page = response.content.decode()
    assert "This account was closed on" in page
    assert "that is no longer possible" in page
    member.refresh_from_db()
    assert member.status == Member.Status.CLOSED


def test_after_asking_for_immediate_erasure_log_in_is_refused(english, member):
    """Before the erasure ran: the member asked for it, so there is no way back."""
    closed(member, immediately=True)

    response = log_in(english)

    assert not logged_in(english)
    assert "It can no longer be reopened." in response.content.decode()
    member.refresh_from_db()
    assert member.status == Member.Status.CLOSED


def test_a_wrong_password_says_nothing_about_the_closed_account(english, member):
    """Only someone who knows the password learns that the account was closed."""
    closed(member, days_ago=31)

    page = log_in(english, password="wrong-password").content.decode()

    assert not logged_in(english)
    assert "closed" not in page
    assert "is not correct" in page or "not correct" in page


def test_reopening_waits_for_the_second_factor(english, member):
    """Someone with only the password does not reopen an account protected by two-factor."""
    secret = generate_totp_secret()
    TOTP.activate(member, secret)
    closed(member, days_ago=2)

    response = log_in(english)

    assert "/accounts/2fa/authenticate/" in response.redirect_chain[-1][0]
    member.refresh_from_db()
    assert member.status == Member.Status.CLOSED

    code = format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))
    response = english.post("/accounts/2fa/authenticate/", {"code": code}, follow=True)

    assert logged_in(english)
    assert "Welcome back!" in response.content.decode()
    member.refresh_from_db()
    assert member.status == Member.Status.ACTIVE
