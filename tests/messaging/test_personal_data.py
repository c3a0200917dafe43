"""Conversations and messages in the personal-data registry: the export holds every message the
member sent and received; erasure removes the content of their own messages and their
participation, and leaves the other member a conversation with "a removed member" (R7.3, R7.4).
"""

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import connection, models

from messaging import selectors, services
from messaging.models import Conversation, Message, Notify, Participant, ReceivingSettings
from payments.services import adjust_credits
from privacy import registry
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

MESSAGING_MODELS = [Conversation, Participant, Message, ReceivingSettings]
ALICE_TEXTS = ["Alice schrijft over haar hobby kantklossen", "Alice groet Carol hartelijk"]
BOB_TEXT = "Bob antwoordt over zijn fiets"


def give_credits(member, credits=100):
    adjust_credits(
        member=member, credits=credits, reason="test credits", staff=MemberFactory(is_staff=True)
    )


@pytest.fixture
def story(db):
    """Alice chats with Bob (she starts) and writes to Carol (Carol starts); a moderator removed
    one of Bob's messages; Bob has one message held for moderation; Alice set a schedule."""
    # Created so that Alice sits on both sides of the ordered pair (member_low / member_high).
    carol = MemberFactory(username="carol_lezer")
    alice = MemberFactory(username="alice_schrijver")
    bob = MemberFactory(username="bob_lezer")
    for member in (alice, bob, carol):
        give_credits(member)
    first = services.send_message(sender=alice, receiver=bob, text=ALICE_TEXTS[0])
    services.send_message(sender=bob, receiver=alice, text=BOB_TEXT)
    removed = services.send_message(sender=bob, receiver=alice, text="Iets ongepasts")
    services.remove_message(message=removed)
    held = Message.objects.create(
        conversation=first.conversation, sender=bob, text="Vast bij moderatie", status="held"
    )
    services.send_message(sender=carol, receiver=alice, text="Hoi Alice")
    services.send_message(sender=alice, receiver=carol, text=ALICE_TEXTS[1])
    services.update_receiving_settings(member=alice, notify=Notify.DAILY, max_new_per_day=4)
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "with_bob": first.conversation,
        "with_carol": services.conversation_between(alice, carol),
        "removed": removed,
        "held": held,
    }


def export_of(member):
    return {
        entry.label: list(entry.export(member))
        for entry in registry.entries()
        if entry.model in MESSAGING_MODELS
    }


def test_every_messaging_model_is_registered_with_export_and_erase():
    for model in MESSAGING_MODELS:
        entry = registry.entry_for(model)
        assert entry is not None, model
        assert entry.category == registry.Category.VOLUNTARY
        assert entry.basis == registry.Basis.CONTRACT


def test_the_export_holds_every_message_sent_and_received(story):
    """R7.4: with time, direction, status, the other party's username and the conversation;
    a removed message without its text; someone else's held message not at all."""
    alice, with_bob, with_carol = story["alice"], story["with_bob"], story["with_carol"]

    rows = export_of(alice)["messaging.message"]

    by_text = {row["text"]: row for row in rows}
    assert set(by_text) == {*ALICE_TEXTS, BOB_TEXT, "Hoi Alice", ""}
    assert len(rows) == 5
    assert by_text[ALICE_TEXTS[0]]["direction"] == "sent"
    assert by_text[ALICE_TEXTS[0]]["other_party"] == "bob_lezer"
    assert by_text[ALICE_TEXTS[0]]["conversation"] == with_bob.public_id
    assert by_text[ALICE_TEXTS[1]]["conversation"] == with_carol.public_id
    assert by_text[BOB_TEXT]["direction"] == "received"
    assert by_text[BOB_TEXT]["status"] == "delivered"
    assert by_text["Hoi Alice"]["other_party"] == "carol_lezer"
    assert by_text[""]["status"] == "removed"
    assert by_text[""]["message"] == story["removed"].public_id
    assert all(row["sent_at"] for row in rows)
    assert story["held"].public_id not in {row["message"] for row in rows}
    # The sender of the held message does get it in their own export.
    bob_rows = export_of(story["bob"])["messaging.message"]
    assert (bob_rows[-1]["text"], bob_rows[-1]["status"]) == ("Vast bij moderatie", "held")


def test_the_export_holds_settings_read_state_and_conversations(story):
    alice = story["alice"]
    before = {row["with"]: row for row in export_of(alice)["messaging.participant"]}
    assert before["bob_lezer"]["unread_count"] == 1
    services.mark_read(member=alice, conversation=story["with_bob"])

    exported = export_of(alice)

    [settings_row] = exported["messaging.receivingsettings"]
    assert settings_row["notify"] == "daily" and settings_row["max_new_per_day"] == 4
    sides = {row["with"]: row for row in exported["messaging.participant"]}
    assert set(sides) == {"bob_lezer", "carol_lezer"}
    assert sides["bob_lezer"]["unread_count"] == 0 and sides["bob_lezer"]["last_read_at"]
    assert sides["carol_lezer"]["in_inbox"] and sides["carol_lezer"]["last_message_at"]
    conversations = {row["with"]: row for row in exported["messaging.conversation"]}
    assert conversations["bob_lezer"]["started_by_you"] is True
    assert conversations["carol_lezer"]["started_by_you"] is False


def member_foreign_keys(model):
    member_model = get_user_model()
    return [
        field.column
        for field in model._meta.concrete_fields
        if isinstance(field, models.ForeignKey) and field.related_model is member_model
    ]


def text_columns(table):
    with connection.cursor() as cursor:
        description = connection.introspection.get_table_description(cursor, table)
    return [
        column.name
        for column in description
        if column.type_code in {25, 1043, 1042, 3802, 114}  # text, varchar, char, jsonb, json
    ]


def raw_traces(needles) -> list[str]:
    """Every text column of every messaging table, read past the ORM, searched for the needles."""
    found = []
    for model in apps.get_app_config("messaging").get_models():
        table = model._meta.db_table
        for column in text_columns(table):
            for needle in needles:
                with connection.cursor() as cursor:
                    cursor.execute(
                        f'SELECT count(*) FROM "{table}" WHERE "{column}"::text ILIKE %s',  # noqa: S608
                        [f"%{needle}%"],
                    )
                    if cursor.fetchone()[0]:
                        found.append(f"{table}.{column}: {needle}")
    return found


def references_to(member) -> list[str]:
    found = []
    for model in apps.get_app_config("messaging").get_models():
        for column in member_foreign_keys(model):
            with connection.cursor() as cursor:
                cursor.execute(
                    f'SELECT count(*) FROM "{model._meta.db_table}" WHERE "{column}" = %s',  # noqa: S608
                    [member.pk],
                )
                if cursor.fetchone()[0]:
                    found.append(f"{model._meta.db_table}.{column}")
    return found


def test_erasure_leaves_no_trace_of_the_member_in_the_messaging_tables(story):
    """R7.3: after the messaging entries erase Alice, no text column of a messaging table holds
    her username, her public id or her message text (read decrypted too), and no member column
    points at her."""
    alice = story["alice"]
    digests = [services.text_digest(text) for text in ALICE_TEXTS]
    needles = [alice.username, alice.public_id, *ALICE_TEXTS, *digests]
    # The search is not blind: it finds her messages' digests before.
    assert raw_traces(needles) == [f"messaging_message.text_digest: {d}" for d in digests]
    assert references_to(alice)

    for model in MESSAGING_MODELS:
        registry.entry_for(model).erase(alice)

    assert raw_traces(needles) == []
    assert references_to(alice) == []
    decrypted = [m.text for m in Message.objects.all()]
    for text in ALICE_TEXTS:
        assert text not in decrypted
        assert text not in " ".join(decrypted)
    erased = Message.objects.filter(status=Message.Status.ERASED)
    assert erased.count() == 2
    assert {(m.text, m.text_digest, m.sender_id) for m in erased} == {("", "", None)}
    assert not ReceivingSettings.objects.filter(member=alice).exists()
    assert not Participant.objects.filter(member=alice).exists()

    # Idempotent: the full erasure runs again over it (and removes the account).
    registry.erase_member_data(alice)
    registry.erase_member_data(alice)
    assert not get_user_model().objects.filter(pk=alice.pk).exists()


def test_the_other_member_keeps_the_conversation_with_a_removed_member(story):
    """R7.3: Bob still opens the conversation; Alice's messages are placeholders without text,
    his own messages are all there, and the other party is "a removed member"."""
    alice, bob, with_bob = story["alice"], story["bob"], story["with_bob"]

    registry.erase_member_data(alice)

    side = selectors.side_of(bob, with_bob.public_id)
    assert side is not None
    assert side.other is None
    assert side.in_inbox
    assert services.other_member(side.conversation, bob) is None
    history, _has_older = selectors.latest_messages(side)
    assert [(m.status, m.text) for m in history if m.sender_id == bob.pk] == [
        ("delivered", BOB_TEXT),
        ("removed", ""),
        ("held", "Vast bij moderatie"),
    ]
    assert [(m.status, m.text, m.sender_id) for m in history if m.sender_id != bob.pk] == [
        ("erased", "", None)
    ]
    services.mark_read(member=bob, conversation=side.conversation)
    assert services.unread_total(member=bob) == 0
    # Carol's conversation with the removed member still shows her own message.
    carol_side = selectors.side_of(story["carol"], story["with_carol"].public_id)
    carol_texts = [m.text for m in selectors.latest_messages(carol_side)[0]]
    assert carol_texts == ["Hoi Alice", ""]
    assert services.unread_total(member=story["carol"]) == 0
    # Bob's own export names the other party as removed.
    bob_rows = export_of(bob)
    assert {row["other_party"] for row in bob_rows["messaging.message"]} == {"removed member"}
    assert bob_rows["messaging.participant"][0]["with"] == "removed member"
