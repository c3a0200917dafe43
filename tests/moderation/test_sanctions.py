"""Account restrictions and suspensions (issue 11): a restricted member cannot write or be
found or written to; a suspended member cannot log in; both end by themselves at their end
date (beat's `end_expired_sanctions`, or at the log-in itself), a suspension only when no other
one is in force."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.utils import timezone

from members.models import Member
from members.services import suspend_member
from messaging.services import SendRefused, check_can_send
from moderation import sanctions, services, tasks
from moderation.models import Sanction
from profiles.selectors import visible_profiles
from tests.factories import PASSWORD, make_profile

from .support import actions, decide, reported_message

pytestmark = pytest.mark.django_db


def restricted(bob, alice, moderator, days=7):
    report, _message = reported_message(alice, bob)
    return decide(report, moderator, services.RESTRICT, days=days)


def suspended(bob, alice, moderator, days=7, action=services.SUSPEND):
    report, _message = reported_message(alice, bob)
    return decide(report, moderator, action, days=days)


def log_in(client, login="bob"):
    return client.post("/accounts/login/", {"login": login, "password": PASSWORD}, follow=True)


def logged_in(client) -> bool:
    return "_auth_user_id" in client.session


def shown(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_a_restricted_member_cannot_send_and_is_told_until_when(alice, bob, carol, moderator):
    decision = restricted(bob, alice, moderator, days=7)

    with pytest.raises(SendRefused) as refused:
        check_can_send(sender=bob, receiver=carol)

    until = timezone.localtime(decision.ends_at)
    assert refused.value.code == "sender_restricted"
    assert str(refused.value.message) == (
        f"Your account is restricted until {until.day} {until:%B %Y, %H:%M}: "
        "you cannot send messages."
    )


def test_a_restricted_member_is_told_in_dutch_too(alice, bob, carol, moderator):
    from django.utils import translation

    decision = restricted(bob, alice, moderator, days=7)

    with translation.override("nl"), pytest.raises(SendRefused) as refused:
        check_can_send(sender=bob, receiver=carol)
    message = str(refused.value.message)
    months = [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ]
    assert months[timezone.localtime(decision.ends_at).month - 1] in message


def test_nobody_can_write_to_a_restricted_member(alice, bob, carol, moderator):
    make_profile(bob)
    restricted(bob, alice, moderator)

    with pytest.raises(SendRefused) as refused:
        check_can_send(sender=carol, receiver=bob)

    assert refused.value.code == "unavailable"
    assert not visible_profiles(carol).filter(member=bob).exists()
    assert bob.is_active  # restricted, not suspended: bob still logs in


def test_a_restriction_ends_by_itself(alice, bob, carol, moderator, clock):
    """Effects end at the end date even before the sweep; the sweep then records the end."""
    make_profile(bob)
    decision = restricted(bob, alice, moderator, days=3)
    sanction = Sanction.objects.get(member=bob)

    clock.set(decision.ends_at + timedelta(seconds=1))

    check_can_send(sender=bob, receiver=carol)  # no SendRefused
    check_can_send(sender=carol, receiver=bob)
    assert visible_profiles(carol).filter(member=bob).exists()
    assert services.end_expired_sanctions(now=timezone.now()) == 1
    assert services.end_expired_sanctions(now=timezone.now()) == 0  # idempotent
    sanction.refresh_from_db()
    assert sanction.ended_at == decision.ends_at + timedelta(seconds=1)
    assert "sanction.ended.restricted" in actions(report=decision.report)


def test_the_sweep_leaves_sanctions_still_in_force(alice, bob, moderator):
    decision = restricted(bob, alice, moderator, days=3)

    assert services.end_expired_sanctions(now=decision.ends_at - timedelta(seconds=1)) == 0
    assert sanctions.may_not_message(bob)


def test_a_suspended_member_cannot_log_in_and_is_told_until_when(client, alice, bob, moderator):
    decision = suspended(bob, alice, moderator, days=7)
    bob.refresh_from_db()
    assert (bob.status, bob.is_active) == (Member.Status.SUSPENDED, False)

    response = log_in(client)

    assert not logged_in(client)
    until = timezone.localtime(decision.ends_at)
    page = response.content.decode()
    assert f"Your account is suspended until {until.day} {until:%B %Y, %H:%M}." in page
    assert "You can log in again after that." in page
    assert "inactive" not in page.lower()


def test_a_closed_account_is_told_without_a_date(client, alice, bob, moderator):
    suspended(bob, alice, moderator, action=services.CLOSE)

    response = log_in(client)

    assert not logged_in(client)
    assert "Your account is suspended. The e-mail about this decision" in (
        response.content.decode()
    )
    assert services.end_expired_sanctions(now=timezone.now() + timedelta(days=3650)) == 0
    bob.refresh_from_db()
    assert not bob.is_active


def test_a_wrong_password_says_nothing_about_the_suspension(client, alice, bob, moderator):
    suspended(bob, alice, moderator)

    response = client.post("/accounts/login/", {"login": "bob", "password": "wrong"}, follow=True)

    assert "suspended" not in response.content.decode()


def test_the_sweep_reinstates_a_suspended_member_at_the_end_date(client, alice, bob, moderator):
    decision = suspended(bob, alice, moderator, days=7)

    assert services.end_expired_sanctions(now=decision.ends_at) == 1

    bob.refresh_from_db()
    assert (bob.status, bob.is_active) == (Member.Status.ACTIVE, True)
    log_in(client)
    assert logged_in(client)
    assert "sanction.ended.suspended" in actions(report=decision.report)


def test_the_beat_task_runs_the_sweep(alice, bob, moderator, clock):
    assert settings.CELERY_BEAT_SCHEDULE["end-expired-sanctions"] == {
        "task": "moderation.tasks.end_expired_sanctions",
        "schedule": 300.0,
    }
    decision = suspended(bob, alice, moderator, days=7)
    clock.set(decision.ends_at + timedelta(minutes=1))

    tasks.end_expired_sanctions.delay()

    bob.refresh_from_db()
    assert bob.is_active


def test_logging_in_after_the_end_date_works_before_the_sweep(client, alice, bob, moderator, clock):
    """`make run` has no beat, and beat runs every 5 minutes: the log-in itself ends a
    suspension whose end date has passed."""
    decision = suspended(bob, alice, moderator, days=7)
    clock.set(decision.ends_at + timedelta(seconds=1))

    log_in(client)

    assert logged_in(client)
    bob.refresh_from_db()
    assert (bob.status, bob.is_active) == (Member.Status.ACTIVE, True)
    assert Sanction.objects.get(member=bob).ended_at is not None


def test_a_member_is_reinstated_only_when_no_other_suspension_holds(alice, bob, carol, moderator):
    first, _message = reported_message(alice, bob)
    second, _message = reported_message(carol, bob)
    short = decide(first, moderator, services.SUSPEND, days=3)
    long = decide(second, moderator, services.SUSPEND, days=30)

    services.end_expired_sanctions(now=short.ends_at + timedelta(seconds=1))
    bob.refresh_from_db()
    assert not bob.is_active
    assert services.suspension_at_login(bob, now=short.ends_at + timedelta(seconds=1)) == (
        True,
        long.ends_at,
    )

    services.end_expired_sanctions(now=long.ends_at)
    bob.refresh_from_db()
    assert bob.is_active


def test_a_suspension_from_admin_has_no_end_date(client, bob):
    """Suspended by staff in admin (no moderation decision): told without a date, and the
    sweep does not lift it."""
    suspend_member(member=bob)

    response = log_in(client)

    assert not logged_in(client)
    assert "Your account is suspended. The e-mail" in response.content.decode()
    assert services.end_expired_sanctions(now=timezone.now() + timedelta(days=3650)) == 0
    bob.refresh_from_db()
    assert not bob.is_active


def test_a_suspended_member_can_neither_write_nor_be_written_to(alice, bob, carol, moderator):
    suspended(bob, alice, moderator)
    bob.refresh_from_db()

    with pytest.raises(SendRefused):
        check_can_send(sender=bob, receiver=carol)
    with pytest.raises(SendRefused) as receiving:
        check_can_send(sender=carol, receiver=bob)
    assert receiving.value.code == "unavailable"
