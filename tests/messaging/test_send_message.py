"""Sending a message: paid in the same transaction, refused before any charge when the receiver's
settings, a block or the rate limit say no (R3.1, R3.2, R9.1)."""

import threading
from datetime import date, timedelta

import pytest
from django.db import connection
from django.utils import timezone

from messaging import services
from messaging.models import Conversation, Message, Participant
from payments.models import LedgerEntry
from payments.services import adjust_credits, get_balance
from profiles.services import block_member
from tests.factories import MemberFactory, make_profile

PRICE = 2


@pytest.fixture(autouse=True)
def _price(settings):
    settings.MESSAGE_PRICE_CREDITS = PRICE


def give_credits(member, credits=10):
    staff = MemberFactory(is_staff=True)
    adjust_credits(member=member, credits=credits, reason="test credits", staff=staff)


@pytest.fixture
def alice(db):
    member = MemberFactory(username="alice", gender="woman")
    make_profile(member, place="Utrecht", birth_date=date(1990, 5, 1))
    give_credits(member)
    return member


@pytest.fixture
def bob(db):
    member = MemberFactory(username="bob", gender="man")
    make_profile(member, place="Utrecht", birth_date=date(1988, 3, 1))
    return member


def test_a_message_is_stored_charged_and_counted_unread_for_the_receiver(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, text="  Hoi Bob!  ")

    assert message.text == "Hoi Bob!"
    assert get_balance(member=alice) == 10 - PRICE
    entry = LedgerEntry.objects.get(member=alice, kind="spend")
    assert entry.reference == message.public_id and entry.credits == -PRICE
    conversation = Conversation.objects.get()
    assert conversation.last_message_id == message.pk
    assert conversation.started_by == alice
    assert services.unread_total(member=bob) == 1
    assert services.unread_total(member=alice) == 0


def test_one_conversation_per_pair_whoever_writes_first(alice, bob):
    give_credits(bob)
    services.send_message(sender=alice, receiver=bob, text="Hoi")
    services.send_message(sender=bob, receiver=alice, text="Hallo terug")

    assert Conversation.objects.count() == 1
    assert Participant.objects.count() == 2
    assert Message.objects.count() == 2


def test_without_enough_credits_nothing_is_stored_or_charged(alice, bob):
    """No message without payment, no payment without message."""
    with pytest.raises(services.InsufficientCredits):
        services.send_message(sender=bob, receiver=alice, text="Hoi")

    assert Message.objects.count() == 0
    assert Conversation.objects.count() == 0
    assert services.unread_total(member=alice) == 0


def test_message_text_is_encrypted_in_the_database(alice, bob):
    services.send_message(sender=alice, receiver=bob, text="Geheime afspraak om acht uur")

    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM messaging_message")
        (stored,) = cursor.fetchone()
    assert "afspraak" not in stored
    assert stored.startswith("gAAAA")  # a Fernet token
    assert Message.objects.get().text == "Geheime afspraak om acht uur"


@pytest.mark.parametrize(("text", "code"), [("   ", "empty"), ("x" * 2001, "too_long")])
def test_empty_or_too_long_text_is_refused_without_charge(alice, bob, text, code):
    with pytest.raises(services.SendRefused) as refused:
        services.send_message(sender=alice, receiver=bob, text=text)

    assert refused.value.code == code
    assert get_balance(member=alice) == 10


def test_a_receiver_who_stopped_messages_is_not_charged_for(alice, bob):
    """R3.2: a refused message costs nothing and says why."""
    services.stop_receiving_messages(member=bob)

    with pytest.raises(services.SendRefused) as refused:
        services.send_message(sender=alice, receiver=bob, text="Hoi")

    assert refused.value.code == "stopped"
    assert "bob" in str(refused.value.message)
    assert get_balance(member=alice) == 10
    assert Message.objects.count() == 0


def test_stopping_also_stops_replies_in_an_existing_conversation(alice, bob):
    services.send_message(sender=alice, receiver=bob, text="Hoi")
    services.stop_receiving_messages(member=bob)

    with pytest.raises(services.SendRefused):
        services.send_message(sender=alice, receiver=bob, text="Ben je er nog?")
    assert get_balance(member=alice) == 10 - PRICE


def test_only_members_who_fit_the_search_preferences_may_start_a_conversation(alice, bob):
    make_profile(bob, seeks_men=True)
    services.update_receiving_settings(member=bob, only_matching=True)

    with pytest.raises(services.SendRefused) as refused:
        services.check_can_send(sender=alice, receiver=bob)
    assert refused.value.code == "not_matching"

    make_profile(bob, seeks_women=True, age_min=30, age_max=40, max_distance_km=50)
    services.send_message(sender=alice, receiver=bob, text="Hoi")  # 36, Utrecht: fits
    assert Message.objects.count() == 1


def test_age_and_distance_preferences_are_honoured(alice, bob):
    make_profile(bob, seeks_women=True, age_min=20, age_max=30)
    services.update_receiving_settings(member=bob, only_matching=True)
    assert not services.fits_preferences(sender=alice, receiver=bob)

    make_profile(bob, age_min=18, age_max=99, max_distance_km=20)
    make_profile(alice, place="Maastricht")
    assert not services.fits_preferences(sender=alice, receiver=bob)
    make_profile(alice, place="Amersfoort")
    assert services.fits_preferences(sender=alice, receiver=bob)


def test_the_preference_filter_applies_to_new_conversations_only(alice, bob):
    give_credits(bob)
    services.send_message(sender=bob, receiver=alice, text="Hoi Alice")
    make_profile(bob, seeks_men=True)
    services.update_receiving_settings(member=bob, only_matching=True)

    services.send_message(sender=alice, receiver=bob, text="Hoi Bob")  # a reply: allowed
    assert Message.objects.count() == 2


def test_a_daily_maximum_of_new_conversations(alice, bob):
    services.update_receiving_settings(member=bob, max_new_per_day=1)
    carol = MemberFactory(username="carol")
    give_credits(carol)
    services.send_message(sender=carol, receiver=bob, text="Hoi")

    with pytest.raises(services.SendRefused) as refused:
        services.send_message(sender=alice, receiver=bob, text="Hoi")
    assert refused.value.code == "daily_limit"
    assert get_balance(member=alice) == 10

    services.send_message(sender=carol, receiver=bob, text="Nog een")  # same conversation
    Conversation.objects.update(first_message_at=timezone.now() - timedelta(days=1))
    services.send_message(sender=alice, receiver=bob, text="Hoi")  # a new day
    assert Message.objects.filter(sender=alice).count() == 1


@pytest.mark.parametrize("blocker", ["sender", "receiver"])
def test_blocks_are_honoured_both_ways(alice, bob, blocker):
    if blocker == "sender":
        block_member(member=alice, target=bob)
    else:
        block_member(member=bob, target=alice)

    with pytest.raises(services.SendRefused) as refused:
        services.send_message(sender=alice, receiver=bob, text="Hoi")
    assert refused.value.code == "blocked"
    assert get_balance(member=alice) == 10


def test_closed_restricted_or_suspended_members_receive_nothing(alice, bob):
    bob.processing_restricted = True
    bob.save()
    with pytest.raises(services.SendRefused) as refused:
        services.send_message(sender=alice, receiver=bob, text="Hoi")
    assert refused.value.code == "unavailable"

    bob.processing_restricted = False
    bob.status = "suspended"
    bob.save()
    with pytest.raises(services.SendRefused):
        services.send_message(sender=alice, receiver=bob, text="Hoi")
    assert get_balance(member=alice) == 10


def test_a_member_cannot_write_to_themselves(alice):
    with pytest.raises(services.SendRefused):
        services.send_message(sender=alice, receiver=alice, text="Hoi")


@pytest.mark.rate_limits
def test_sending_is_rate_limited_per_member(alice, bob, settings):
    settings.MESSAGE_RATE_LIMITS = [(3, 60)]
    give_credits(alice, 100)
    for number in range(3):
        services.send_message(sender=alice, receiver=bob, text=f"Bericht {number}")

    with pytest.raises(services.SendRefused) as refused:
        services.send_message(sender=alice, receiver=bob, text="Nog een")
    assert refused.value.code == "rate_limited"
    assert Message.objects.count() == 3
    assert get_balance(member=alice) == 110 - 3 * PRICE


def test_reading_clears_the_unread_count_and_marks_seen(alice, bob):
    first = services.send_message(sender=alice, receiver=bob, text="Een")
    services.send_message(sender=alice, receiver=bob, text="Twee")
    conversation = first.conversation

    services.mark_read(member=bob, conversation=conversation, up_to_id=first.pk)
    assert services.unread_total(member=bob) == 1
    services.mark_read(member=bob, conversation=conversation)
    side = Participant.objects.get(member=bob)
    assert side.unread_count == 0
    assert side.last_read_message_id == Message.objects.latest("id").pk
    assert side.last_read_at is not None


def test_deleting_for_me_leaves_the_other_members_history(alice, bob):
    give_credits(bob)
    services.send_message(sender=alice, receiver=bob, text="Hoi")
    conversation = Conversation.objects.get()

    services.delete_conversation_for_me(member=bob, conversation=conversation)

    bob_side = Participant.objects.get(member=bob)
    alice_side = Participant.objects.get(member=alice)
    assert not bob_side.in_inbox and bob_side.unread_count == 0
    assert bob_side.cleared_up_to_message_id == conversation.messages.get().pk
    assert alice_side.in_inbox and alice_side.cleared_up_to_message_id == 0

    services.send_message(sender=alice, receiver=bob, text="Nog een")
    bob_side.refresh_from_db()
    assert bob_side.in_inbox and bob_side.unread_count == 1


def test_removing_a_message_clears_its_text_and_its_unread_count(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, text="Iets lelijks")

    services.remove_message(message=message)
    services.remove_message(message=message)  # idempotent

    message.refresh_from_db()
    assert message.status == Message.Status.REMOVED
    assert message.text == "" and message.text_digest == ""
    assert services.unread_total(member=bob) == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_sends_with_credit_for_one_deliver_exactly_one():
    """Two tabs, credit for one message: one is sent and paid, the other refused."""
    alice = MemberFactory(username="alice")
    bob = MemberFactory(username="bob")
    give_credits(alice, PRICE)
    outcomes = []

    def send(text):
        try:
            services.send_message(sender=alice, receiver=bob, text=text)
            outcomes.append("sent")
        except services.InsufficientCredits:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(f"Hoi {n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["refused", "refused", "refused", "sent"]
    assert Message.objects.count() == 1
    assert get_balance(member=alice) == 0


def test_a_held_message_is_not_delivered_to_someone_who_blocked_the_sender_since(alice, bob):
    message = services.send_message(sender=alice, receiver=bob, text="Hoi")
    Message.objects.filter(pk=message.pk).update(status=Message.Status.HELD)
    Participant.objects.filter(member=bob).update(unread_count=0, in_inbox=False)
    block_member(member=bob, target=alice)

    assert services.release_held_message(message=message) is False

    message.refresh_from_db()
    assert message.status == Message.Status.HELD
    assert services.unread_total(member=bob) == 0


def test_removing_an_old_hidden_message_leaves_the_unread_count_of_new_ones(alice, bob):
    """A message hidden by "delete for me" no longer counts: removing it changes nothing."""
    old = services.send_message(sender=alice, receiver=bob, text="Oud bericht")
    services.delete_conversation_for_me(member=bob, conversation=old.conversation)
    services.send_message(sender=alice, receiver=bob, text="Nieuw bericht")
    assert services.unread_total(member=bob) == 1

    services.remove_message(message=old)

    assert services.unread_total(member=bob) == 1
