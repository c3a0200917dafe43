"""The erasure service and the beat task that runs it (R7.3): only due accounts, idempotent,
safe after a crash midway, and the pieces no app owns (admin log, cache, mail rows)."""

import logging
import threading
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core import mail
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone

from members.models import Member, OutgoingMail
from members.services import queue_mail, send_queued_mail
from messaging.models import Message, Participant
from messaging.services import send_message
from moderation.models import Notice
from moderation.services import report_content
from payments import checkout, mollie
from payments.models import CreditPack, LedgerEntry, Order
from payments.services import adjust_credits
from privacy import erasure, registry, tasks
from profiles.models import Profile
from tests.factories import PASSWORD, MemberFactory, make_profile, staff_member

pytestmark = pytest.mark.django_db


def closed(member, *, days_ago=0, immediately=False) -> Member:
    closed_at = timezone.now() - timedelta(days=days_ago)
    due = closed_at if immediately else erasure.add_months(closed_at, 60)
    Member.objects.filter(pk=member.pk).update(
        status=Member.Status.CLOSED, closed_at=closed_at, erasure_due_at=due
    )
    member.refresh_from_db()
    return member


def exists(member) -> bool:
    return Member.objects.filter(pk=member.pk).exists()


def give_credits(member, credits=100):
    adjust_credits(
        member=member, credits=credits, reason="test credits", staff=MemberFactory(is_staff=True)
    )


def paid_order(member) -> Order:
    pack = CreditPack.objects.filter(active=True).order_by("price_cents").first()
    order, _url = checkout.start_checkout(
        member=member, pack=pack, method="ideal", build_url=lambda path: "http://testserver" + path
    )
    mollie.set_stand_in_status(payment_id=order.mollie_payment_id, status="paid")
    return checkout.settle_payment(payment_id=order.mollie_payment_id)


def cache_keys() -> list[str]:
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        client = backend._cache.get_client()
        return [key.decode() for key in client.scan_iter(match=f"{backend.key_prefix}:*")]
    return list(backend._cache)


# --- The beat task -----------------------------------------------------------------------------


def test_the_beat_task_erases_only_accounts_whose_time_has_come():
    """R7.3: closed accounts past their erasure date go; closed accounts in their retention
    period, and open ones, stay."""
    due_long_ago = closed(MemberFactory(), days_ago=365 * 5 + 2)
    asked_now = closed(MemberFactory(), immediately=True)
    waiting = closed(MemberFactory(), days_ago=40)
    active = MemberFactory()
    due_long_ago.erasure_due_at = timezone.now() - timedelta(days=1)
    Member.objects.filter(pk=due_long_ago.pk).update(erasure_due_at=due_long_ago.erasure_due_at)

    assert erasure.erase_due_accounts() == 2

    assert not exists(due_long_ago) and not exists(asked_now)
    assert exists(waiting) and exists(active)


def test_the_beat_task_is_scheduled_every_five_minutes():
    entry = django_settings.CELERY_BEAT_SCHEDULE["erase-due-accounts"]

    assert entry["task"] == "privacy.tasks.erase_due_accounts"
    assert entry["schedule"] <= 300


def test_the_task_wrappers_run_the_service():
    member = closed(MemberFactory(), immediately=True)
    other = closed(MemberFactory(), immediately=True)

    tasks.erase_member_task(member.pk)
    tasks.erase_due_accounts()

    assert not exists(member) and not exists(other)


def test_the_task_works_in_batches():
    members = [closed(MemberFactory(), immediately=True) for _ in range(5)]

    assert erasure.erase_due_accounts(batch_size=2) == 5

    assert not any(exists(m) for m in members)


@pytest.mark.django_db(transaction=True)
def test_a_member_another_run_is_erasing_is_left_to_it():
    """Two runs at once (a slow run overlapping the next beat, or the immediate task): the
    second skips the member the first holds, without waiting or trying again and again."""
    member = closed(MemberFactory(), immediately=True)
    locked, release = threading.Event(), threading.Event()

    def other_run():
        try:
            with transaction.atomic():
                Member.objects.select_for_update().get(pk=member.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_run)
    thread.start()
    assert locked.wait(10)
    try:
        assert erasure.erase_due_accounts() == 0
        assert exists(member)
    finally:
        release.set()
        thread.join()

    assert erasure.erase_due_accounts() == 1


def test_erasure_logs_ids_only(caplog):
    member = closed(
        MemberFactory(username="loggedname", email="logged@example.org"), immediately=True
    )

    with caplog.at_level(logging.INFO):
        erasure.erase_due_accounts()

    assert f"member.erased member={member.pk}" in caplog.text
    assert "erasure.run erased=1" in caplog.text
    assert "loggedname" not in caplog.text and "logged@example.org" not in caplog.text


# --- What erase_member refuses -----------------------------------------------------------------


def test_an_open_account_is_never_erased():
    member = MemberFactory()

    assert erasure.erase_member(member_id=member.pk) is False
    assert exists(member)


def test_an_account_in_its_retention_period_is_not_erased_yet():
    member = closed(MemberFactory(), days_ago=10)

    assert erasure.erase_member(member_id=member.pk) is False
    assert exists(member)
    assert erasure.erase_member(member_id=member.pk, now=member.erasure_due_at) is True
    assert not exists(member)


def test_a_reopened_account_is_not_erased_by_a_task_still_queued(client):
    """A member who reopened by logging in is active again: no erasure call touches them,
    whatever date it is given."""
    member = closed(MemberFactory(username="returner"), days_ago=3)
    client.post("/accounts/login/", {"login": "returner", "password": PASSWORD})

    assert (
        erasure.erase_member(member_id=member.pk, now=timezone.now() + timedelta(days=9999))
        is False
    )
    assert exists(member)


def test_erasing_a_member_who_is_gone_is_a_no_op():
    member = closed(MemberFactory(), immediately=True)
    assert erasure.erase_member(member_id=member.pk) is True

    assert erasure.erase_member(member_id=member.pk) is False


# --- Idempotent and safe after a crash ---------------------------------------------------------


@pytest.fixture
def chatting(db):
    """Alice (to be erased) and Bob chat, Alice reported Bob's message, bought credits, and
    has a profile."""
    alice = MemberFactory(username="alice", email="alice@example.org")
    bob = MemberFactory(username="bob", email="bob@example.org")
    for member in (alice, bob):
        give_credits(member)
    make_profile(alice, description="Alice over Alice")
    send_message(sender=alice, receiver=bob, text="Hoi Bob, van Alice")
    reply = send_message(sender=bob, receiver=alice, text="Hoi Alice")
    report_content(
        reporter=alice,
        items=[reply],
        reason="spam",
        explanation="Alice legt uit",
        reported_member=bob,
    )
    paid_order(alice)
    return alice, bob


def assert_erased(alice, bob):
    assert not exists(alice)
    assert not Profile.objects.filter(member_id=alice.pk).exists()
    assert not LedgerEntry.objects.filter(member_id=alice.pk).exists()
    assert not Participant.objects.filter(member_id=alice.pk).exists()
    assert not Notice.objects.filter(explanation="Alice legt uit").exists()
    assert list(Message.objects.filter(sender=None).values_list("text", "status")) == [
        ("", Message.Status.ERASED)
    ]
    # Kept for bookkeeping, detached from the person (R4.2).
    assert Order.objects.filter(member=None, detached_at__isnull=False).count() == 1
    # Bob keeps his side of the conversation, with a removed member.
    side = Participant.objects.get(member=bob)
    assert side.other is None


def test_erasure_run_twice_is_harmless(chatting):
    alice, bob = chatting
    closed(alice, immediately=True)

    assert erasure.erase_member(member_id=alice.pk) is True
    assert erasure.erase_member(member_id=alice.pk) is False
    # Every entry's erase on its own is idempotent too (a re-run after a partial erasure).
    registry.erase_member_data(alice)
    registry.erase_member_data(alice)

    assert_erased(alice, bob)


def test_a_crash_midway_leaves_nothing_half_done_and_the_next_run_finishes(chatting, monkeypatch):
    """R7.3: an error inside one app's erase (here the messaging entry, after several others
    ran) rolls the member's erasure back; the next beat run erases them completely."""
    alice, bob = chatting
    closed(alice, immediately=True)
    entry = registry.entry_for(Message)

    def crash(member):
        raise RuntimeError("worker died")

    monkeypatch.setattr(entry.handler, "erase", crash)
    assert erasure.erase_due_accounts() == 0  # logged, not raised: other members go on
    assert exists(alice)
    assert Profile.objects.filter(member_id=alice.pk).exists()  # rolled back, not half-erased
    with pytest.raises(RuntimeError):
        erasure.erase_member(member_id=alice.pk)

    monkeypatch.undo()
    assert erasure.erase_due_accounts() == 1

    assert_erased(alice, bob)


def test_one_failing_member_does_not_stop_the_others(monkeypatch):
    failing = closed(MemberFactory(), immediately=True)
    fine = closed(MemberFactory(), immediately=True)
    entry = registry.entry_for(Profile)
    original = entry.handler.erase

    def erase(member):
        if member.pk == failing.pk:
            raise RuntimeError("disk full")
        original(member)

    monkeypatch.setattr(entry.handler, "erase", erase)

    assert erasure.erase_due_accounts() == 1
    assert exists(failing) and not exists(fine)


# --- Mail ----------------------------------------------------------------------------------------


def test_the_closing_confirmation_goes_out_before_an_immediate_erasure():
    """The erasure may run before the mail task (a race on the worker, or a broker that lost
    the mail task): erasure sends the pending confirmation itself, then no row keeps the
    address."""
    member = MemberFactory(username="leaver", email="leaver@example.org")
    erasure.close_account(member=member, erase_immediately=True)  # no on-commit callbacks
    assert OutgoingMail.objects.get(kind="account_closed").status == OutgoingMail.Status.PENDING

    erasure.erase_member(member_id=member.pk)

    assert [m.to for m in mail.outbox] == [["leaver@example.org"]]
    assert not OutgoingMail.objects.filter(to__iexact="leaver@example.org").exists()


def test_other_unsent_mail_is_dropped_and_sent_mail_forgets_the_address():
    """Decided: a notification still pending for an erased member is not sent (the account it
    is about is gone), and sent rows (bookkeeping without a body) do not keep the address."""
    from django.core.mail import EmailMultiAlternatives

    member = MemberFactory(username="leaver", email="leaver@example.org")
    sent = queue_mail(
        message=EmailMultiAlternatives("Welkom", "body", to=["leaver@example.org"]),
        kind="welcome",
        member=member,
    )
    send_queued_mail(mail_id=sent.pk)
    queue_mail(
        message=EmailMultiAlternatives("Nieuw bericht", "body", to=["leaver@example.org"]),
        kind="new_message",
        member=member,
    )
    # A mail to the address that never matched the account row ("already signed up").
    queue_mail(
        message=EmailMultiAlternatives("Al lid", "body", to=["LEAVER@example.org"]),
        kind="account_already_exists",
    )
    closed(member, immediately=True)
    mail.outbox.clear()

    erasure.erase_member(member_id=member.pk)

    assert mail.outbox == []
    assert not OutgoingMail.objects.filter(to__iexact="leaver@example.org").exists()


def test_mail_to_an_unconfirmed_new_address_goes_too():
    from allauth.account.models import EmailAddress
    from django.core.mail import EmailMultiAlternatives

    member = MemberFactory(username="mover", email="old@example.org")
    EmailAddress.objects.create(user=member, email="new@example.org", verified=False)
    queue_mail(
        message=EmailMultiAlternatives("Bevestig", "link", to=["new@example.org"]),
        kind="email_confirmation",
    )
    closed(member, immediately=True)

    erasure.erase_member(member_id=member.pk)

    assert not OutgoingMail.objects.filter(to="new@example.org").exists()
    assert not EmailAddress.objects.filter(email="new@example.org").exists()


# --- Admin log -----------------------------------------------------------------------------------


def log_about(staff, obj) -> LogEntry:
    return LogEntry.objects.create(
        user=staff,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=str(obj)[:200],
        action_flag=CHANGE,
        change_message="[]",
    )


def test_admin_log_rows_about_the_member_go_and_purchase_records_stay(chatting):
    """The admin log names the member (object_repr holds the username): rows about them and
    their erased objects go; rows about the order kept for bookkeeping stay, as the order does;
    the staff member's own trail about others is untouched."""
    alice, bob = chatting
    staff = staff_member("superuser")
    about_member = log_about(staff, alice)
    about_profile = log_about(staff, Profile.objects.get(member=alice))
    about_order = log_about(staff, Order.objects.get(member=alice))
    about_bob = log_about(staff, bob)
    assert about_member.object_repr == "alice"
    closed(alice, immediately=True)

    erasure.erase_member(member_id=alice.pk)

    remaining = set(LogEntry.objects.values_list("pk", flat=True))
    assert about_member.pk not in remaining and about_profile.pk not in remaining
    assert {about_order.pk, about_bob.pk} <= remaining
    assert not LogEntry.objects.filter(object_repr__icontains="alice").exists()


def test_rows_a_staff_member_wrote_go_with_their_account():
    """Django's LogEntry cannot outlive its author (not nullable): decided, and proved."""
    staff = staff_member("superuser", username="formerstaff")
    target = MemberFactory(username="target")
    log_about(staff, target)
    closed(staff, immediately=True)

    erasure.erase_member(member_id=staff.pk)

    assert not LogEntry.objects.exists()
    assert exists(target)


# --- Cache ---------------------------------------------------------------------------------------


@pytest.mark.rate_limits
def test_cached_counters_about_the_member_go(settings):
    """Sending and report counters (by member id) and allauth's failed-log-in counter (by a
    hash of the log-in name) leave the cache with the member."""
    settings.MESSAGE_RATE_LIMITS = [(10, 60), (100, 3600)]
    alice = MemberFactory(username="alice", email="alice@example.org")
    bob = MemberFactory(username="bob")
    give_credits(alice)
    give_credits(bob)
    reply = send_message(sender=bob, receiver=alice, text="Hoi")
    send_message(sender=alice, receiver=bob, text="Hoi Bob")
    report_content(reporter=alice, items=[reply], reason="spam", reported_member=bob)
    Client().post("/accounts/login/", {"login": "alice", "password": "wrong-password"})
    before = set(cache_keys())
    mine = {k for k in before if f"msgrate:{alice.pk}:" in k or f"reportquota:{alice.pk}:" in k}
    assert len(mine) == 3
    login_failed = {k for k in before if ":login_failed:" in k and ":ip:" not in k}
    assert login_failed
    closed(alice, immediately=True)

    erasure.erase_member(member_id=alice.pk)

    after = set(cache_keys())
    assert not mine & after
    assert not login_failed & after
    assert any(f"msgrate:{bob.pk}:" in k for k in after)  # Bob's are Bob's


@pytest.mark.django_db
def test_a_request_the_member_never_confirmed_is_reduced_to_proof_at_erasure():
    """R7.3: a request sent while logged out with the member's address, not yet confirmed by
    the mailed link, holds their words too; the link dies with the account, so it goes."""
    from privacy.models import PrivacyRequest
    from privacy.requests import ERASED_REQUESTER_EMAIL, create_request

    member = MemberFactory(username="alice", email="alice@example.org")
    request = create_request(
        email="Alice@Example.org",
        subject="Mijn gegevens",
        description="Ik heb een medische vraag over mijn profiel",
        type="access",
        language="nl",
    )
    assert request.member is None and request.verified_at is None

    erasure.erase_member(member_id=closed(member, immediately=True).pk)

    request = PrivacyRequest.objects.get(pk=request.pk)
    assert request.requester_email == ERASED_REQUESTER_EMAIL
    assert request.subject == "" and request.description == ""
    assert request.messages.filter(body__icontains="medische").count() == 0
