"""Retention with a frozen clock (R6.1): full IP addresses shortened after
ACTIVITY_FULL_IP_DAYS, log-ins and sessions deleted after ACTIVITY_LOGIN_RETENTION_MONTHS,
pages visited after ACTIVITY_PAGE_VISIT_DAYS while the anonymous daily counts stay."""

from datetime import UTC, date, datetime, timedelta

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session

from activity import tasks
from activity.models import DailyPageCount, LoginRecord, PageVisit
from activity.retention import apply_retention, months_before

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 31, 12, 0, tzinfo=UTC)


def login(member, *, days_ago=0, at=None, ip="192.0.2.77"):
    return LoginRecord.objects.create(
        member=member, created_at=at or NOW - timedelta(days=days_ago), ip_address=ip
    )


def user_session(member, *, last_seen, ip="198.51.100.23"):
    store = SessionStore()
    store["_auth_user_id"] = str(member.pk)
    store.create()
    return UserSession.objects.create(
        user=member,
        session_key=store.session_key,
        ip=ip,
        user_agent="test",
        created_at=last_seen,
        last_seen_at=last_seen,
    )


def visit(member, *, days_ago):
    return PageVisit.objects.create(
        member=member, route="profiles:search", visited_at=NOW - timedelta(days=days_ago)
    )


def test_full_ip_addresses_are_shortened_after_30_days(member, settings):
    settings.ACTIVITY_FULL_IP_DAYS = 30
    recent = login(member, days_ago=29)
    old = login(member, days_ago=31)
    old_v6 = login(member, days_ago=31, ip="2001:db8:1:2::5")
    no_ip = login(member, days_ago=31, ip=None)
    fresh_session = user_session(member, last_seen=NOW - timedelta(days=29))
    idle_session = user_session(member, last_seen=NOW - timedelta(days=31), ip="2001:db8:9:8::1")

    apply_retention(now=NOW)

    for row in (recent, old, old_v6, no_ip, fresh_session, idle_session):
        row.refresh_from_db()
    assert (recent.ip_address, recent.ip_truncated) == ("192.0.2.77", False)
    assert (old.ip_address, old.ip_truncated) == ("192.0.2.0", True)
    assert (old_v6.ip_address, old_v6.ip_truncated) == ("2001:db8:1::", True)
    assert no_ip.ip_address is None
    assert fresh_session.ip == "198.51.100.23"
    assert idle_session.ip == "2001:db8:9::"


def test_the_ip_boundary_is_exact_and_follows_the_setting(member, settings):
    settings.ACTIVITY_FULL_IP_DAYS = 7
    on_the_day = login(member, at=NOW - timedelta(days=7))
    a_second_older = login(member, at=NOW - timedelta(days=7, seconds=1))

    apply_retention(now=NOW)

    on_the_day.refresh_from_db()
    a_second_older.refresh_from_db()
    assert on_the_day.ip_truncated is False
    assert a_second_older.ip_truncated is True


def test_logins_and_sessions_are_deleted_after_12_months(member, settings):
    settings.ACTIVITY_LOGIN_RETENTION_MONTHS = 12
    kept = login(member, at=datetime(2026, 3, 31, 12, 0, tzinfo=UTC))
    gone = login(member, at=datetime(2026, 3, 31, 11, 59, tzinfo=UTC))
    used_lately = user_session(member, last_seen=NOW - timedelta(days=364))
    idle = user_session(member, last_seen=NOW - timedelta(days=366))
    idle_key = idle.session_key

    apply_retention(now=NOW)

    assert LoginRecord.objects.filter(pk=kept.pk).exists()
    assert not LoginRecord.objects.filter(pk=gone.pk).exists()
    assert UserSession.objects.filter(pk=used_lately.pk).exists()
    assert not UserSession.objects.filter(pk=idle.pk).exists()
    assert not Session.objects.filter(session_key=idle_key).exists()


def test_months_are_calendar_months():
    assert months_before(NOW, 1) == datetime(2027, 2, 28, 12, 0, tzinfo=UTC)
    assert months_before(NOW, 12) == datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
    leap = datetime(2028, 3, 31, tzinfo=UTC)
    assert months_before(leap, 1) == datetime(2028, 2, 29, tzinfo=UTC)
    assert months_before(datetime(2027, 1, 15, tzinfo=UTC), 13) == datetime(
        2025, 12, 15, tzinfo=UTC
    )


def test_a_shorter_login_period_from_the_setting(member, settings):
    settings.ACTIVITY_LOGIN_RETENTION_MONTHS = 1
    kept = login(member, at=datetime(2027, 2, 28, 12, 0, tzinfo=UTC))
    gone = login(member, at=datetime(2027, 2, 28, 11, 0, tzinfo=UTC))

    apply_retention(now=NOW)

    assert list(LoginRecord.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not LoginRecord.objects.filter(pk=gone.pk).exists()


def test_pages_visited_are_deleted_after_90_days_and_the_daily_counts_stay(member, settings):
    settings.ACTIVITY_PAGE_VISIT_DAYS = 90
    kept = visit(member, days_ago=89)
    gone = visit(member, days_ago=91)
    DailyPageCount.objects.create(day=date(2026, 12, 1), route="profiles:search", views=12)

    apply_retention(now=NOW)

    assert list(PageVisit.objects.values_list("pk", flat=True)) == [kept.pk]
    assert not PageVisit.objects.filter(pk=gone.pk).exists()
    assert DailyPageCount.objects.get().views == 12


def test_running_it_again_changes_nothing(member):
    login(member, days_ago=31)
    login(member, days_ago=400)
    user_session(member, last_seen=NOW - timedelta(days=31))
    visit(member, days_ago=91)

    first = apply_retention(now=NOW)
    second = apply_retention(now=NOW)

    assert first == {
        "logins_deleted": 1,
        "sessions_deleted": 0,
        "page_visits_deleted": 1,
        "failed_logins_deleted": 0,
        "login_ips_shortened": 1,
        "session_ips_shortened": 1,
    }
    assert set(second.values()) == {0}


def test_the_beat_task_applies_it(member, settings):
    assert settings.CELERY_BEAT_SCHEDULE["activity-retention"]["task"] == (
        "activity.tasks.apply_retention"
    )
    old = login(member, at=datetime(2000, 1, 1, tzinfo=UTC))

    tasks.apply_retention.delay()

    assert not LoginRecord.objects.filter(pk=old.pk).exists()


def test_the_log_holds_counts_only(member, caplog):
    login(member, days_ago=31)
    caplog.set_level("INFO", logger="activity.retention")

    apply_retention(now=NOW)

    assert "login_ips_shortened=1" in caplog.text
    assert "192.0.2" not in caplog.text
