"""The conversation page (R3.1): chatting both ways, history paged by message id, polling for
new messages that marks them read, "seen" for the sender, escaping, blocks, delete for me and
flat query counts."""

import logging

import pytest
from django.utils.html import escape

from messaging import services
from messaging.models import Conversation, Message
from payments.services import get_balance
from profiles.services import block_member
from tests.messaging.test_views_support import (
    HTMX,
    PRICE,
    add_history,
    client_for,
    conversation_url,
    inbox_url,
    message_texts,
    new_url,
    older_url,
    person,
    side,
    start_url,
)


@pytest.fixture(autouse=True)
def _price(settings):
    settings.MESSAGE_PRICE_CREDITS = PRICE


@pytest.fixture
def alice(db):
    return person("alice")


@pytest.fixture
def bram(db):
    return person("bram", gender="man")


def send(sender, receiver, text):
    return services.send_message(sender=sender, receiver=receiver, text=text)


def test_two_members_chat_both_ways_through_the_pages(alice, bram):
    """R3.1: the first message from a profile starts the conversation; the reply shows on
    both sides in order, newest at the bottom, each marked with who wrote it."""
    alice_client, bram_client = client_for(alice), client_for(bram)

    response = alice_client.post(start_url(bram), {"text": "Hoi Bram!"})
    conversation = Conversation.objects.get()
    assert response.status_code == 302
    assert response["Location"] == conversation_url(conversation)

    page = bram_client.get(inbox_url()).content.decode()
    assert "alice" in page and "Hoi Bram!" in page and "1 unread" in page

    response = bram_client.post(conversation_url(conversation), {"text": "Hoi Alice, leuk!"})
    assert response.status_code == 302

    page = alice_client.get(conversation_url(conversation)).content.decode()
    assert message_texts(page) == ["Hoi Bram!", "Hoi Alice, leuk!"]
    assert 'class="chat-sender">You<' in page and 'class="chat-sender">bram<' in page
    assert get_balance(member=alice) == 10 - PRICE
    assert get_balance(member=bram) == 10 - PRICE


def test_opening_marks_read_and_the_sender_sees_seen(alice, bram):
    """R3.1: read state per participant; "Seen" (as text) for the sender once read."""
    message = send(alice, bram, "Ben je er?")
    conversation = message.conversation
    alice_client = client_for(alice)

    page = alice_client.get(conversation_url(conversation)).content.decode()
    assert f'id="seen-{message.public_id}">Sent<' in page

    client_for(bram).get(conversation_url(conversation))
    assert side(bram, conversation).unread_count == 0
    assert services.unread_total(member=bram) == 0

    page = alice_client.get(conversation_url(conversation)).content.decode()
    assert f'id="seen-{message.public_id}">Seen<' in page


def test_history_pages_by_message_id_with_and_without_javascript(alice, bram):
    """Older history comes 30 at a time before a message id (not an offset): as a page of its
    own without JavaScript, as a fragment with a new button for htmx."""
    conversation = send(bram, alice, "bericht 0").conversation
    made = add_history(conversation, [alice, bram], [f"bericht {n}" for n in range(1, 35)])
    client = client_for(alice)

    page = client.get(conversation_url(conversation)).content.decode()
    shown = message_texts(page)
    assert shown == [f"bericht {n}" for n in range(5, 35)]
    oldest = made[4]
    assert oldest.text == "bericht 5"
    assert f"?before={oldest.pk}" in page and "Show older messages" in page

    # A new message meanwhile does not shift the pages (ids, not offsets).
    send(bram, alice, "nieuw")
    older = client.get(older_url(conversation, oldest.pk))
    assert older.status_code == 200
    assert "<html" in older.content.decode()
    assert message_texts(older.content.decode()) == [f"bericht {n}" for n in range(5)]
    assert "Show older messages" not in older.content.decode()

    fragment = client.get(older_url(conversation, oldest.pk), **HTMX).content.decode()
    assert "<html" not in fragment
    assert 'id="older"' in fragment and "This is the start of the conversation." in fragment
    assert message_texts(fragment) == [f"bericht {n}" for n in range(5)]

    assert client.get(older_url(conversation, "abc")).status_code == 400


def test_polling_returns_only_new_messages_and_marks_them_read(alice, bram):
    """The open conversation polls: only messages after the last shown id come back, they are
    marked read, and the next poll asks after the newest."""
    first = send(alice, bram, "een")
    conversation = first.conversation
    bram_client = client_for(bram)
    bram_client.get(conversation_url(conversation))

    nothing = bram_client.get(new_url(conversation, first.pk), **HTMX).content.decode()
    assert message_texts(nothing) == []
    assert f"after={first.pk}" in nothing

    second = send(alice, bram, "twee")
    third = send(alice, bram, "drie")
    assert side(bram, conversation).unread_count == 2
    fragment = bram_client.get(new_url(conversation, first.pk), **HTMX).content.decode()

    assert message_texts(fragment) == ["twee", "drie"]
    assert 'hx-swap-oob="beforeend:#message-list"' in fragment
    assert f"after={third.pk}" in fragment
    assert side(bram, conversation).unread_count == 0
    assert side(bram, conversation).last_read_message_id == third.pk
    assert second.pk < third.pk

    # Without htmx the address simply leads to the conversation.
    response = bram_client.get(new_url(conversation, first.pk))
    assert response.status_code == 302 and response["Location"] == conversation_url(conversation)


def test_polling_turns_sent_into_seen_for_the_sender(alice, bram):
    message = send(alice, bram, "Gelezen?")
    conversation = message.conversation
    alice_client = client_for(alice)

    before = alice_client.get(new_url(conversation, message.pk, seen=0), **HTMX)
    assert f'id="seen-{message.public_id}"' not in before.content.decode()

    client_for(bram).get(conversation_url(conversation))
    after = alice_client.get(new_url(conversation, message.pk, seen=0), **HTMX).content.decode()
    assert f'id="seen-{message.public_id}" hx-swap-oob="true">Seen<' in after
    assert f"seen={message.pk}" in after


def test_message_text_is_escaped_with_line_breaks_and_no_links(alice, bram):
    """SECURITY: every text a member writes is shown escaped; links are not made clickable."""
    message = send(alice, bram, '<script>alert("x")</script>\nhttps://example.com')
    page = client_for(bram).get(conversation_url(message.conversation)).content.decode()

    assert "<script>alert" not in page
    assert escape('<script>alert("x")</script>') + "<br>https://example.com" in page
    assert 'href="https://example.com' not in page


def test_a_member_outside_the_conversation_gets_404_and_it_is_logged(alice, bram, caplog):
    """SECURITY: conversation ids are checked against the member; others get a 404."""
    message = send(alice, bram, "privé")
    conversation = message.conversation
    stranger = person("stranger")
    client = client_for(stranger)

    with caplog.at_level(logging.WARNING, logger="messaging.views"):
        assert client.get(conversation_url(conversation)).status_code == 404
    assert f"access.denied conversation member={stranger.pk}" in caplog.text
    assert "privé" not in caplog.text
    assert client.get(new_url(conversation, 0), **HTMX).status_code == 404
    assert client.get(older_url(conversation, message.pk + 1), **HTMX).status_code == 404
    assert client.post(conversation_url(conversation), {"text": "hoi"}).status_code == 404
    assert client.post(f"{conversation_url(conversation)}delete/").status_code == 404
    assert Message.objects.count() == 1


def test_held_messages_only_to_their_sender_and_removed_ones_as_a_placeholder(alice, bram):
    """Held messages (mass sending) show to the sender as waiting for review and not at all to
    the receiver; a message a moderator removed leaves a placeholder (R10.1)."""
    removed = send(alice, bram, "weg ermee")
    services.remove_message(message=removed)
    held = Message.objects.create(
        conversation=removed.conversation, sender=alice, text="vasthouden", status="held"
    )
    conversation = removed.conversation

    alice_page = client_for(alice).get(conversation_url(conversation)).content.decode()
    bram_page = client_for(bram).get(conversation_url(conversation)).content.decode()

    assert "vasthouden" in alice_page and "Waiting for review" in alice_page
    assert "vasthouden" not in bram_page and held.public_id not in bram_page
    for page in (alice_page, bram_page):
        assert "This message was removed by a moderator." in page
        assert "weg ermee" not in page


def test_report_links_on_the_other_members_messages_only(alice, bram):
    mine = send(alice, bram, "van mij")
    theirs = send(bram, alice, "van bram")
    page = client_for(alice).get(conversation_url(mine.conversation)).content.decode()

    assert f"/messages/m/{theirs.public_id}/report/" in page
    assert f"/messages/m/{mine.public_id}/report/" not in page
    assert f"/messages/c/{mine.conversation.public_id}/report/" in page


def test_a_blocked_pair_keeps_the_history_read_only(alice, bram):
    """Blocks are honoured both ways: no sending, no photo or profile link; the history stays
    readable with the reason shown instead of the form, and nothing is charged."""
    message = send(alice, bram, "voor de blokkade")
    conversation = message.conversation
    block_member(member=bram, target=alice)

    for member, other in ((alice, bram), (bram, alice)):
        client = client_for(member)
        page = client.get(conversation_url(conversation)).content.decode()
        assert "voor de blokkade" in page
        assert "You can no longer write to this member." in page
        assert 'name="text"' not in page
        assert f'href="/members/{other.public_id}/"' not in page
        balance = get_balance(member=member)
        response = client.post(conversation_url(conversation), {"text": "toch nog even"})
        assert response.status_code == 400
        assert "toch nog even" in response.content.decode()  # the text is kept, read-only
        assert "nothing was charged" in response.content.decode()
        assert get_balance(member=member) == balance
    assert Message.objects.count() == 1
    # The blocker can undo it from here; the blocked member is offered nothing to toggle.
    assert "Unblock alice" in client_for(bram).get(conversation_url(conversation)).content.decode()
    assert (
        "Block bram" not in client_for(alice).get(conversation_url(conversation)).content.decode()
    )


def test_block_from_the_conversation_comes_back_to_it(alice, bram):
    message = send(alice, bram, "hallo")
    url = conversation_url(message.conversation)
    client = client_for(bram)
    page = client.get(url).content.decode()
    assert "Block alice" in page

    response = client.post(
        f"/members/{alice.public_id}/block/", {"action": "add", "next": url}, follow=True
    )
    assert response.redirect_chain[-1][0] == url
    assert "You can no longer write to this member." in response.content.decode()


def test_delete_for_me_leaves_the_other_side_and_a_new_message_brings_it_back(alice, bram):
    """A member deletes a conversation for themselves only; a new message brings it back,
    without the old ones."""
    message = send(alice, bram, "oud bericht")
    conversation = message.conversation
    bram_client = client_for(bram)

    confirm = bram_client.get(f"{conversation_url(conversation)}delete/")
    assert confirm.status_code == 200 and "Delete for me" in confirm.content.decode()
    response = bram_client.post(f"{conversation_url(conversation)}delete/", follow=True)
    assert response.redirect_chain[-1][0] == inbox_url()
    assert "The conversation was deleted for you." in response.content.decode()
    assert conversation.public_id not in response.content.decode()

    alice_page = client_for(alice).get(conversation_url(conversation)).content.decode()
    assert message_texts(alice_page) == ["oud bericht"]

    send(alice, bram, "nieuw bericht")
    inbox = bram_client.get(inbox_url()).content.decode()
    assert conversation.public_id in inbox and "nieuw bericht" in inbox
    page = bram_client.get(conversation_url(conversation)).content.decode()
    assert message_texts(page) == ["nieuw bericht"]


def test_a_removed_member_is_shown_neutrally(alice, bram):
    message = send(alice, bram, "tot ziens")
    conversation = message.conversation
    bram.delete()
    page = client_for(alice).get(conversation_url(conversation)).content.decode()

    assert "Conversation with Removed member" in page
    assert "This member cannot receive messages." in page
    assert 'name="text"' not in page


def test_conversation_query_count_does_not_grow_with_the_history(
    alice, bram, django_assert_max_num_queries
):
    """Speed: the conversation page costs the same number of queries for 3 or 80 messages."""
    for number in range(3):
        send(bram, alice, f"kort {number}")
    conversation = Conversation.objects.get()
    client = client_for(alice)
    client.get(conversation_url(conversation))  # warm up (session, content types)
    send(bram, alice, "ongelezen")
    with django_assert_max_num_queries(24) as short:
        client.get(conversation_url(conversation))

    add_history(conversation, [bram, alice], [f"lang {number}" for number in range(80)])
    send(bram, alice, "ongelezen")
    with django_assert_max_num_queries(len(short.captured_queries)):
        response = client.get(conversation_url(conversation))
    assert len(message_texts(response.content.decode())) == 30

    with django_assert_max_num_queries(12):
        response = client.get(new_url(conversation, 0), **HTMX)
    assert len(message_texts(response.content.decode())) == 85
