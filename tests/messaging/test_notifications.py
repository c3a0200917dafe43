"""Mail about new messages, by the receiver's choice: right away (once per conversation until
read), a daily summary, or never; never with the message text or the sender's name, always with
a one-click unsubscribe (R3.2, R5.2, R7.2)."""

import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.contrib import admin
from django.core import mail
from django.db import connection
from django.utils import timezone

from members.models import Member, OutgoingMail
from messaging import notifications, services
from messaging.models import Conversation, Message, Notify, Participant, ReceivingSettings
from payments.services import adjust_credits
from profiles.services import block_member
from tests.factories import MemberFactory, staff_member

pytestmark = pytest.mark.django_db

SECRET_TEXT = "Mijn geheime voorkeur is zeilen op de Waddenzee"


def give_credits(member, credits=100):
    staff = MemberFactory(is_staff=True)
    adjust_credits(member=member, credits=credits, reason="test credits", staff=staff)


@pytest.fixture
def alice(db):
    member = MemberFactory(username="alice_zender")
    give_credits(member)
    return member


@pytest.fixture
def carol(db):
    member = MemberFactory(username="carol_zender")
    give_credits(member)
    return member


@pytest.fixture
def bob(db):
    return MemberFactory(username="bob_ontvanger", email="bob@example.org", language="en")


@pytest.fixture
def send(django_capture_on_commit_callbacks):
    """Sends as the site does: the notification task and the queued mail run on commit."""

    def send(sender, receiver, text=SECRET_TEXT):
        with django_capture_on_commit_callbacks(execute=True):
            return services.send_message(sender=sender, receiver=receiver, text=text)

    return send


def mails_to(address, kind="message_notification"):
    return [
        m
        for m in mail.outbox
        if m.to == [address]
        and OutgoingMail.objects.filter(kind=kind, to=address, subject=m.subject).exists()
    ]


def html_of(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def assert_nothing_personal(message, *names):
    """No message text, no preview, no sender's name: in the subject, the text or the HTML."""
    for part in (message.subject, message.body, html_of(message)):
        assert SECRET_TEXT not in part
        assert "Waddenzee" not in part
        for name in names:
            assert name not in part


def test_the_receiver_is_mailed_once_per_conversation_until_they_read_it(alice, bob, send):
    """R3.2 "immediately": the first message brings a mail, the next ones do not, until the
    receiver has read the conversation; then the next message brings one mail again."""
    send(alice, bob)
    send(alice, bob, "Nog een bericht")
    send(alice, bob, "En nog een")
    assert len(mails_to("bob@example.org")) == 1

    conversation = Conversation.objects.get()
    services.mark_read(member=bob, conversation=conversation)
    send(alice, bob, "Na het lezen")

    assert len(mails_to("bob@example.org")) == 2
    assert OutgoingMail.objects.filter(kind="message_notification", member=bob).count() == 2


def test_each_conversation_has_its_own_mail(alice, carol, bob, send):
    send(alice, bob)
    send(carol, bob)
    send(carol, bob, "Tweede")

    assert len(mails_to("bob@example.org")) == 2


def test_the_mail_has_no_text_no_sender_a_link_and_one_click_unsubscribe(alice, bob, send):
    """R3.2, R5.2: the mail says only that there is a message, links to the conversation, and
    carries a visible unsubscribe link plus the RFC 8058 List-Unsubscribe headers."""
    send(alice, bob)

    [message] = mails_to("bob@example.org")
    assert_nothing_personal(message, "alice_zender")
    conversation = Conversation.objects.get()
    assert f"http://testserver/messages/c/{conversation.public_id}/" in message.body
    assert "You have a new message" in message.subject
    unsubscribe_url = notifications.unsubscribe_url(bob)
    assert unsubscribe_url in message.body
    assert f'href="{unsubscribe_url}"' in html_of(message)
    assert message.extra_headers["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    raw = message.message().as_string()
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in raw
    # Once sent, the stored row keeps neither the body nor the unsubscribe token.
    row = OutgoingMail.objects.get(kind="message_notification")
    assert row.status == OutgoingMail.Status.SENT
    assert row.body_text == "" and row.body_html == "" and row.headers == {}


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = "http://testserver"


def test_the_mail_is_in_the_receivers_language(alice, bob, send):
    """The mail is rendered in the receiver's own language, whatever the sender's."""
    Member.objects.filter(pk=bob.pk).update(language="nl")
    carol = MemberFactory(username="carol_en", email="carol@example.org", language="en")
    send(alice, bob)
    send(alice, carol)

    [to_bob] = mails_to("bob@example.org")
    [to_carol] = mails_to("carol@example.org")
    assert '<html lang="nl">' in html_of(to_bob)
    assert '<html lang="en">' in html_of(to_carol)
    assert "You have a new message" in to_carol.subject


def test_never_and_daily_bring_no_immediate_mail(alice, carol, bob, send):
    """R3.2: "never" means no mail at all; "daily" waits for the summary."""
    services.update_receiving_settings(member=bob, notify=Notify.NEVER)
    send(alice, bob)
    services.update_receiving_settings(member=bob, notify=Notify.DAILY)
    send(carol, bob)

    assert mails_to("bob@example.org") == []
    assert not Participant.objects.filter(member=bob, notified_at__isnull=False).exists()


def test_a_task_running_after_unsubscribe_sends_nothing(alice, bob):
    """Honoured at once: the notification task reads the wish when it runs."""
    message = services.send_message(sender=alice, receiver=bob, text=SECRET_TEXT)
    assert notifications.unsubscribe(public_id=bob.public_id)

    assert notifications.notify_new_message(message_id=message.pk) is False
    assert not OutgoingMail.objects.exists()


def test_running_the_task_twice_queues_one_mail(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, text=SECRET_TEXT)

    assert notifications.notify_new_message(message_id=message.pk) is True
    assert notifications.notify_new_message(message_id=message.pk) is False
    assert OutgoingMail.objects.filter(kind="message_notification").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_tasks_for_the_same_messages_queue_exactly_one_mail():
    """The claim is one conditional UPDATE: tasks running at the same time (a retry, the sweep,
    two messages in a row) cannot both mail."""
    alice = MemberFactory(username="alice_zender")
    bob = MemberFactory(username="bob_ontvanger")
    give_credits(alice)
    first = services.send_message(sender=alice, receiver=bob, text="Een")
    second = services.send_message(sender=alice, receiver=bob, text="Twee")
    # The tasks that ran on commit are undone, as if they were lost and now all run at once.
    OutgoingMail.objects.all().delete()
    Participant.objects.filter(member=bob).update(notified_at=None)
    mail.outbox.clear()
    results = []
    barrier = threading.Barrier(4)

    def run(message_id):
        try:
            barrier.wait()
            results.append(notifications.notify_new_message(message_id=message_id))
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(m.pk,)) for m in (first, second) * 2]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    assert OutgoingMail.objects.filter(kind="message_notification", member=bob).count() == 1


def test_no_mail_to_a_closed_suspended_or_unverified_receiver(alice, send):
    closed = MemberFactory(username="gesloten", status=Member.Status.CLOSED)
    suspended = MemberFactory(username="geschorst", status=Member.Status.SUSPENDED, is_active=False)
    unverified = MemberFactory(username="onbevestigd", verified_email=False)
    EmailAddress.objects.create(
        user=unverified, email=unverified.email, verified=False, primary=True
    )
    for receiver in (closed, suspended, unverified):
        message = Message.objects.create(
            conversation=services.get_or_start_conversation(sender=alice, receiver=receiver),
            sender=alice,
            text=SECRET_TEXT,
        )
        Participant.objects.filter(member=receiver).update(unread_count=1)
        assert notifications.notify_new_message(message_id=message.pk) is False

    assert not OutgoingMail.objects.exists()


def test_no_mail_about_a_held_removed_or_already_read_message(alice, bob, send):
    message = services.send_message(sender=alice, receiver=bob, text=SECRET_TEXT)
    services.mark_read(member=bob, conversation=message.conversation)
    assert notifications.notify_new_message(message_id=message.pk) is False

    other = services.send_message(sender=alice, receiver=bob, text="Nieuw")
    Message.objects.filter(pk=other.pk).update(status=Message.Status.HELD)
    assert notifications.notify_new_message(message_id=other.pk) is False

    services.remove_message(message=other)
    assert notifications.notify_new_message(message_id=other.pk) is False
    assert notifications.notify_new_message(message_id=999_999_999) is False
    assert not OutgoingMail.objects.exists()


def test_no_mail_when_the_receiver_blocked_the_sender(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, text=SECRET_TEXT)
    block_member(member=bob, target=alice)

    assert notifications.notify_new_message(message_id=message.pk) is False


# -- the daily summary -------------------------------------------------------------------------


def at(day, hour, minute=0):
    """A moment on `day` in the site's time zone (Europe/Amsterdam)."""
    local = timezone.localtime().replace(
        year=day.year, month=day.month, day=day.day, hour=hour, minute=minute, second=0
    )
    return local


@pytest.fixture
def daily_bob(bob):
    services.update_receiving_settings(member=bob, notify=Notify.DAILY)
    return bob


def arrived_at(receiver, moment):
    """Pins when the receiver's latest messages arrived (the summary reads last_message_at)."""
    Participant.objects.filter(member=receiver).update(last_message_at=moment)


def run_digests(django_capture_on_commit_callbacks, now) -> int:
    with django_capture_on_commit_callbacks(execute=True):
        return notifications.send_daily_digests(now=now)


def test_the_daily_summary_counts_messages_and_conversations_once_a_day(
    alice, carol, daily_bob, send, django_capture_on_commit_callbacks
):
    """R3.2 "daily": one mail a day after 08:00 with the number of unread messages and
    conversations, no text and no names; a second run the same day sends nothing, and the next
    day sends nothing when nothing new arrived."""
    send(alice, daily_bob)
    send(alice, daily_bob, "Twee")
    send(carol, daily_bob, "Drie")
    assert mails_to("bob@example.org", "message_digest") == []
    today = timezone.localdate()
    arrived_at(daily_bob, at(today, 6))

    assert run_digests(django_capture_on_commit_callbacks, at(today, 7, 59)) == 0
    assert run_digests(django_capture_on_commit_callbacks, at(today, 8, 5)) == 1
    assert run_digests(django_capture_on_commit_callbacks, at(today, 8, 20)) == 0
    assert run_digests(django_capture_on_commit_callbacks, at(today, 23, 50)) == 0
    tomorrow = today + timedelta(days=1)
    assert run_digests(django_capture_on_commit_callbacks, at(tomorrow, 9)) == 0

    [digest] = mails_to("bob@example.org", "message_digest")
    assert "You have 3 unread messages in 2 conversations" in digest.body
    assert "http://testserver/messages/" in digest.body
    assert_nothing_personal(digest, "alice_zender", "carol_zender")
    unsubscribe_url = notifications.unsubscribe_url(daily_bob)
    assert unsubscribe_url in digest.body
    assert digest.extra_headers["List-Unsubscribe"] == f"<{unsubscribe_url}>"
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mails_to("bob@example.org") == []  # no immediate mail besides

    # Something new tomorrow: tomorrow's summary goes out.
    arrived_at(daily_bob, at(tomorrow, 10))
    assert run_digests(django_capture_on_commit_callbacks, at(tomorrow, 10, 15)) == 1
    assert len(mails_to("bob@example.org", "message_digest")) == 2


def test_the_daily_summary_is_in_each_members_language(
    alice, daily_bob, send, django_capture_on_commit_callbacks
):
    dutch = MemberFactory(username="nederlander", email="nl@example.org", language="nl")
    services.update_receiving_settings(member=dutch, notify=Notify.DAILY)
    send(alice, daily_bob)
    send(alice, dutch)
    today = timezone.localdate()
    arrived_at(daily_bob, at(today, 6))
    arrived_at(dutch, at(today, 6))

    assert run_digests(django_capture_on_commit_callbacks, at(today, 9)) == 2

    [english] = mails_to("bob@example.org", "message_digest")
    [nederlands] = mails_to("nl@example.org", "message_digest")
    assert '<html lang="en">' in html_of(english)
    assert "You have 1 unread message in 1 conversation" in english.body
    assert '<html lang="nl">' in html_of(nederlands)
    assert_nothing_personal(nederlands, "alice_zender")


def test_no_summary_for_read_messages_or_other_schedules(
    alice, carol, daily_bob, send, django_capture_on_commit_callbacks
):
    send(alice, daily_bob)
    services.mark_read(member=daily_bob, conversation=Conversation.objects.get())
    immediate = MemberFactory(username="direct")
    send(carol, immediate)
    today = timezone.localdate()
    Participant.objects.update(last_message_at=at(today, 6))

    assert run_digests(django_capture_on_commit_callbacks, at(today, 9)) == 0
    assert ReceivingSettings.objects.get(member=daily_bob).digest_sent_at is None


def test_the_summary_is_claimed_once_even_when_two_runs_overlap(
    alice, daily_bob, send, django_capture_on_commit_callbacks
):
    send(alice, daily_bob)
    today = timezone.localdate()
    arrived_at(daily_bob, at(today, 6))
    wishes = ReceivingSettings.objects.get(member=daily_bob)
    cutoff = notifications.digest_cutoff(at(today, 9))

    with django_capture_on_commit_callbacks(execute=True):
        first = notifications.send_digest(settings_pk=wishes.pk, now=at(today, 9), cutoff=cutoff)
        second = notifications.send_digest(settings_pk=wishes.pk, now=at(today, 9), cutoff=cutoff)

    assert (first, second) == (True, False)
    assert len(mails_to("bob@example.org", "message_digest")) == 1


# -- the sweep ---------------------------------------------------------------------------------


def test_the_sweep_sends_a_lost_notification_once(
    alice, carol, bob, django_capture_on_commit_callbacks
):
    """Work that must not be lost: a notification whose task never ran (Redis down, a killed
    worker) is enqueued again by the periodic sweep, and sent once."""
    # Sent without running the on-commit task: the notification is lost.
    lost = services.send_message(sender=alice, receiver=bob, text=SECRET_TEXT)
    services.send_message(sender=alice, receiver=bob, text="Tweede")
    latest = Message.objects.filter(conversation=lost.conversation).latest("id")
    too_new = services.send_message(sender=carol, receiver=bob, text="Net verstuurd")
    now = timezone.now()
    Participant.objects.filter(member=bob, conversation=lost.conversation).update(
        last_message_at=now - timedelta(minutes=10)
    )

    assert list(notifications.lost_notifications(now=now)) == [latest.pk]
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.sweep_lost_notifications(now=now) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.sweep_lost_notifications(now=now) == 0

    [message] = mails_to("bob@example.org")
    assert lost.conversation.public_id in message.body
    assert too_new.conversation.public_id not in message.body
    # A day later a notification is no longer news: the sweep leaves it.
    Participant.objects.filter(member=bob).update(
        notified_at=None, last_message_at=now - timedelta(days=2)
    )
    assert list(notifications.lost_notifications(now=now)) == []


def test_the_sweep_skips_members_who_do_not_want_mail_right_away(alice, bob):
    services.send_message(sender=alice, receiver=bob, text=SECRET_TEXT)
    now = timezone.now()
    Participant.objects.filter(member=bob).update(last_message_at=now - timedelta(minutes=10))
    assert len(notifications.lost_notifications(now=now)) == 1

    services.update_receiving_settings(member=bob, notify=Notify.DAILY)
    assert list(notifications.lost_notifications(now=now)) == []


def test_the_beat_schedule_runs_the_digest_and_the_sweep(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "messaging.tasks.send_daily_digests",
        "messaging.tasks.sweep_lost_notifications",
    } <= tasks


# -- admin -------------------------------------------------------------------------------------


def test_admin_shows_receiving_settings_read_only_and_no_messages(client, bob):
    """R9.2: staff can see a member's mail schedule (to answer "why no mail?") but cannot change
    it, and conversations and messages have no admin pages at all."""
    client.cookies["django_language"] = "en"
    wishes = services.update_receiving_settings(member=bob, notify=Notify.NEVER)
    client.force_login(staff_member("superuser"))

    listing = client.get("/admin/messaging/receivingsettings/")
    assert listing.status_code == 200
    assert "bob_ontvanger" in listing.content.decode()
    page = client.get(f"/admin/messaging/receivingsettings/{wishes.pk}/change/")
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    client.post(
        f"/admin/messaging/receivingsettings/{wishes.pk}/change/", {"notify": "immediately"}
    )
    wishes.refresh_from_db()
    assert wishes.notify == Notify.NEVER
    assert not admin.site.is_registered(Conversation)
    assert not admin.site.is_registered(Message)
    assert not admin.site.is_registered(Participant)
