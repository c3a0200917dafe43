"""The inbox and the unread badge (R3.1): conversations by latest message with photo, preview
and unread count; a list htmx refreshes; a badge in the navigation; flat query counts."""

import re

import pytest
from django.urls import reverse

from messaging import services
from messaging.models import Message, Participant
from profiles.models import Photo
from profiles.services import block_member
from tests.factories import MemberFactory
from tests.messaging.test_views_support import (
    HTMX,
    client_for,
    conversation_url,
    give_credits,
    inbox_url,
    person,
)

INBOX_LIST = reverse("messaging:inbox_list")
BADGE = reverse("messaging:unread_badge")


@pytest.fixture
def alice(db):
    return person("alice", credits=500)


def send(sender, receiver, text):
    return services.send_message(sender=sender, receiver=receiver, text=text)


def names_in_order(html: str) -> list[str]:
    return re.findall(r'<h2 class="inbox-name"><a [^>]*>([^<]+)</a>', html)


def main_photo(member, *, premium=False):
    return Photo.objects.create(
        member=member,
        image=f"{member.pk}.jpg",
        thumbnail=f"{member.pk}t.jpg",
        width=1,
        height=1,
        status=Photo.Status.APPROVED,
        is_main=not premium,
        is_premium=premium,
    )


def test_inbox_lists_conversations_latest_first_with_preview_and_unread_count(alice):
    """R3.1: by latest message, a preview of it and the unread count as text."""
    bram, carla = person("bram", gender="man"), person("carla")
    send(alice, bram, "Hoi Bram")
    send(carla, alice, "Eerste van Carla")
    send(carla, alice, "Tweede van Carla")
    send(bram, alice, "Antwoord van Bram <b>vet</b>")

    page = client_for(alice).get(inbox_url()).content.decode()

    assert names_in_order(page) == ["bram", "carla"]
    assert "Antwoord van Bram &lt;b&gt;vet&lt;/b&gt;" in page
    assert "2 unread" in page and "1 unread" in page
    assert "You have 3 unread messages." in page
    assert 'role="status"' in page


def test_preview_is_truncated_and_own_messages_say_so(alice):
    bram = person("bram", gender="man")
    send(alice, bram, "x" * 200)
    page = client_for(alice).get(inbox_url()).content.decode()

    assert "You:" in page
    assert "x" * 79 + "…" in page and "x" * 81 not in page


def test_preview_never_shows_what_the_member_may_not_see(alice):
    """Held messages preview only to their sender; a removed message says so; what a member
    deleted for themselves is not previewed again."""
    bram = person("bram", gender="man")
    first = send(bram, alice, "gewoon bericht")
    Message.objects.create(
        conversation=first.conversation, sender=bram, text="vastgehouden", status="held"
    )
    Participant.objects.filter(member=bram).update(last_message_at=first.created_at)

    alice_page = client_for(alice).get(inbox_url()).content.decode()
    bram_page = client_for(bram).get(inbox_url()).content.decode()
    assert "gewoon bericht" in alice_page and "vastgehouden" not in alice_page
    assert "vastgehouden" in bram_page and "waiting for review" in bram_page

    services.remove_message(message=first)
    assert "Message removed" in client_for(alice).get(inbox_url()).content.decode()

    services.delete_conversation_for_me(member=alice, conversation=first.conversation)
    Participant.objects.filter(member=alice).update(in_inbox=True)  # as if it came back
    page = client_for(alice).get(inbox_url()).content.decode()
    assert "gewoon bericht" not in page and "No messages to show" in page


def test_photo_is_the_main_one_never_premium_and_not_after_a_block(alice):
    """R2.4: a premium photo is never a main photo; a block hides who the other is."""
    bram, carla = person("bram", gender="man"), person("carla")
    bram_photo = main_photo(bram)
    carla_premium = main_photo(carla, premium=True)
    send(bram, alice, "van bram")
    send(carla, alice, "van carla")

    page = client_for(alice).get(inbox_url()).content.decode()
    assert f"/photos/{bram_photo.public_id}/thumb.jpg" in page
    assert carla_premium.public_id not in page

    block_member(member=bram, target=alice)
    page = client_for(alice).get(inbox_url()).content.decode()
    assert bram_photo.public_id not in page
    assert "van bram" in page  # the history stays


def test_a_removed_member_shows_as_such(alice):
    bram = person("bram", gender="man")
    send(bram, alice, "doei")
    bram.delete()
    page = client_for(alice).get(inbox_url()).content.decode()
    assert names_in_order(page) == ["Removed member"]


def test_inbox_pages_20_at_a_time_with_a_more_link(alice):
    others = [MemberFactory(username=f"lid{number:02}") for number in range(23)]
    for other in others:
        send(alice, other, f"hoi {other.username}")
    client = client_for(alice)

    first = client.get(inbox_url()).content.decode()
    assert names_in_order(first) == [f"lid{n:02}" for n in range(22, 2, -1)]
    assert f'href="{inbox_url()}?page=2">More conversations' in first

    second = client.get(inbox_url(), {"page": 2}).content.decode()
    assert names_in_order(second) == ["lid02", "lid01", "lid00"]
    assert "More conversations</a>" not in second and "Newer conversations" in second
    assert client.get(inbox_url(), {"page": "abc"}).status_code == 200


def test_the_list_refreshes_by_htmx_and_announces_only_a_changed_total(alice):
    """The polled list carries the last total it knew; the status region is written only
    when the total changed, so a refresh does not read everything out again."""
    bram = person("bram", gender="man")
    send(bram, alice, "een")
    client = client_for(alice)

    same = client.get(INBOX_LIST, {"page": 1, "unread": 1}, **HTMX).content.decode()
    assert "<html" not in same and 'id="inbox-list"' in same and "bram" in same
    assert "hx-swap-oob" not in same

    send(bram, alice, "twee")
    changed = client.get(INBOX_LIST, {"page": 1, "unread": 1}, **HTMX).content.decode()
    assert 'id="inbox-status" hx-swap-oob="innerHTML"' in changed
    assert "You have 2 unread messages." in changed
    assert "unread=2" in changed

    # Without htmx the address leads to the inbox page.
    assert client.get(INBOX_LIST)["Location"] == f"{inbox_url()}?page=1"


def test_the_navigation_shows_the_unread_count_as_text_and_polls_it(alice):
    bram = person("bram", gender="man")
    client = client_for(alice)
    page = client.get(inbox_url()).content.decode()
    assert 'id="nav-messages"' in page and f'hx-get="{BADGE}"' in page
    assert "unread)" not in page

    send(bram, alice, "een")
    send(bram, alice, "twee")
    page = client.get(reverse("profiles:favourites")).content.decode()
    assert '<span class="visually-hidden"> (2 unread)</span>' in page

    badge = client.get(BADGE, **HTMX)
    assert badge.status_code == 200
    assert "(2 unread)" in badge.content.decode() and "<html" not in badge.content.decode()

    client.get(conversation_url(Participant.objects.get(member=alice).conversation))
    assert "unread)" not in client.get(BADGE, **HTMX).content.decode()


def test_badge_and_polled_parts_stop_polling_for_a_logged_out_member(client, alice):
    """htmx stops polling on 286 instead of swapping the log-in page into the page."""
    assert client.get(BADGE, **HTMX).status_code == 286
    assert client.get(INBOX_LIST, **HTMX).status_code == 286
    assert client.get(inbox_url()).status_code == 302


def test_the_badge_costs_one_query(alice, django_assert_max_num_queries):
    client = client_for(alice)
    client.get(BADGE, **HTMX)
    # Besides what every request costs (session, member, the member's session record):
    with django_assert_max_num_queries(8) as counted:
        client.get(BADGE, **HTMX)
    unread_queries = [q for q in counted.captured_queries if "unread_count" in q["sql"]]
    assert len(unread_queries) == 1


def test_inbox_query_count_does_not_grow_with_conversations(alice, django_assert_max_num_queries):
    """Speed: 3 or 30 conversations (with photos and long histories) cost the same queries."""

    def add(count, start):
        for number in range(start, start + count):
            other = MemberFactory(username=f"m{number:02}")
            give_credits(other)
            main_photo(other)
            send(other, alice, "hallo")
            send(alice, other, "hoi terug")

    add(3, 0)
    client = client_for(alice)
    client.get(inbox_url())  # warm up (session, content types)
    with django_assert_max_num_queries(14) as small:
        response = client.get(inbox_url())
    assert len(names_in_order(response.content.decode())) == 3

    add(27, 3)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(inbox_url())
    assert len(names_in_order(response.content.decode())) == 20
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(INBOX_LIST, **HTMX)
