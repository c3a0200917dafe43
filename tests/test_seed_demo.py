"""seed_demo makes idempotent demo data: members that can log in, with realistic profiles,
conversations with consistent read state, encrypted text, and credits that equal the ledger."""

import pytest
from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management import call_command
from django.db import connection

from members.management.commands.seed_demo import DEMO_PASSWORD
from members.models import Member
from messaging import demo_data, services
from messaging.models import Conversation, Message, Participant
from payments.models import LedgerEntry
from payments.services import get_balance, verify_balances
from profiles.models import Photo, Profile
from tests.profiles import images

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(tmp_path, settings, monkeypatch):
    """The demo photos go to a temporary storage, not var/media."""
    return images.use_private_storage(tmp_path / "private", settings, monkeypatch)


def test_seed_demo_is_idempotent_and_makes_complete_adult_profiles(client):
    call_command("seed_demo", members=30)
    call_command("seed_demo", members=30)

    assert Member.objects.filter(username__startswith="demo_").count() == 30
    assert (
        EmailAddress.objects.filter(verified=True, user__username__startswith="demo_").count() == 30
    )
    profiles = Profile.objects.filter(member__username__startswith="demo_")
    assert profiles.count() == 30
    for profile in profiles:
        assert profile.age >= 18
        assert profile.place_id and profile.latitude is not None
        assert profile.sought_genders
        assert profile.age_min <= profile.age_max

    response = client.post("/accounts/login/", {"login": "demo_000001", "password": DEMO_PASSWORD})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_seed_demo_grows_without_duplicates():
    call_command("seed_demo", members=5)
    call_command("seed_demo", members=8)

    assert Member.objects.filter(username__startswith="demo_").count() == 8
    assert Profile.objects.filter(member__username__startswith="demo_").count() == 8


# -- conversations (issue 5, "Speed": demo conversations) -------------------------------------


def test_seed_demo_starts_conversations_with_read_state_as_the_services_would_leave_it():
    """R3: the demo inbox shows conversations whose unread counts, previews and order agree
    with the messages, exactly as send_message and mark_read keep them."""
    call_command("seed_demo", members=30)

    conversations = Conversation.objects.filter(member_low__username__startswith="demo_")
    assert conversations.count() >= 10
    assert Message.objects.count() == 30 * demo_data.MESSAGES_PER_MEMBER
    for conversation in conversations.prefetch_related("participants"):
        messages = list(Message.objects.filter(conversation=conversation).order_by("id"))
        assert conversation.last_message_id == messages[-1].pk
        assert conversation.first_message_at == messages[0].created_at
        assert conversation.started_by_id == messages[0].sender_id
        assert [m.created_at for m in messages] == sorted(m.created_at for m in messages)
        sides = list(conversation.participants.all())
        assert {s.member_id for s in sides} == {
            conversation.member_low_id,
            conversation.member_high_id,
        }
        for side in sides:
            assert side.in_inbox
            assert side.last_message_at == messages[-1].created_at
            assert side.other_id in {conversation.member_low_id, conversation.member_high_id}
            assert side.other_id != side.member_id
            from_other_after_read = [
                m
                for m in messages
                if m.sender_id != side.member_id
                and m.status == Message.Status.DELIVERED
                and m.pk > side.last_read_message_id
            ]
            assert side.unread_count == len(from_other_after_read)
    unread_sides = Participant.objects.filter(unread_count__gt=0)
    assert unread_sides.exists(), "some demo conversations should wait to be read"
    # The service's own recount agrees: marking read at the same position changes nothing.
    side = unread_sides.select_related("conversation", "member").first()
    before = side.unread_count
    services.mark_read(
        member=side.member, conversation=side.conversation, up_to_id=side.last_read_message_id
    )
    side.refresh_from_db()
    assert side.unread_count == before
    assert services.unread_total(member=side.member) == sum(
        Participant.objects.filter(member=side.member).values_list("unread_count", flat=True)
    )


def test_the_first_demo_member_has_a_full_inbox_and_a_re_run_adds_nothing():
    call_command("seed_demo", members=30)
    first = Member.objects.get(username="demo_000001")
    messages = Message.objects.count()
    conversations = Conversation.objects.count()

    call_command("seed_demo", members=30)

    assert Participant.objects.filter(member=first, in_inbox=True).count() >= (
        demo_data.FEATURED_INBOX
    )
    assert Message.objects.count() == messages
    assert Conversation.objects.count() == conversations


def test_the_benchmark_can_ask_for_a_total_and_one_long_history():
    """The benchmark's parameters: a total number of messages and a member with one long
    conversation (bench/messaging.py asks for a million and 50000)."""
    call_command("seed_demo", members=40)
    demo = Member.objects.filter(username__startswith="demo_")

    demo_data.seed_demo(members=demo, messages=1200, featured_inbox=16, featured_history=300)

    assert Message.objects.filter(sender__in=demo).count() == 1200
    first = demo.order_by("pk").first()
    sides = Participant.objects.filter(member=first)
    assert sides.count() >= 16
    longest = max(
        Message.objects.filter(conversation_id=side.conversation_id).count() for side in sides
    )
    assert longest >= 300


def test_seeded_message_text_is_encrypted_in_the_database():
    """R9 / SECURITY: bulk inserts encrypt too; a dump of the table shows no message text."""
    call_command("seed_demo", members=20)
    plain = [
        t for pool in (demo_data.OPENERS, demo_data.REPLIES) for ts in pool.values() for t in ts
    ]

    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM messaging_message")
        stored = [row[0] for row in cursor.fetchall()]

    assert stored
    assert all(value.startswith("gAAAAA") for value in stored)  # Fernet tokens
    dump = "\n".join(stored)
    for text in plain:
        assert text[:12] not in dump
    assert len(set(stored)) == len(stored)  # every message encrypted on its own
    # Through the model every text reads back as written.
    for text in Message.objects.values_list("text", flat=True):
        assert text in plain or any(text.startswith(f"{start} ") for start in plain)


def test_demo_members_get_credits_once_and_balances_equal_the_ledger():
    """R4 ledger invariant: the demo credits are ledger entries, and a demo member can pay
    for a message with them."""
    call_command("seed_demo", members=10)
    call_command("seed_demo", members=10)

    demo = Member.objects.filter(username__startswith="demo_")
    assert verify_balances() == []
    for member in demo:
        assert get_balance(member=member) == demo_data.DEMO_CREDITS
        assert LedgerEntry.objects.filter(member=member).count() == 1

    sender, receiver = demo.order_by("pk")[:2]
    services.send_message(sender=sender, receiver=receiver, text="Hoi, zin in koffie?")
    assert get_balance(member=sender) == demo_data.DEMO_CREDITS - settings.MESSAGE_PRICE_CREDITS
    assert verify_balances() == []


# -- demo photos and badges (issue 11, "Verified badge") -------------------------------------


def test_seed_demo_gives_a_few_members_drawn_photos_and_some_the_badge(client, private_storage):
    """The first demo members get an approved drawn portrait (served like any photo) and some
    the verified badge, derived as for anyone from a grant and a photo from before it."""
    from profiles.demo_data import PHOTO_MEMBERS, VERIFIED_MEMBERS

    call_command("seed_demo", members=PHOTO_MEMBERS + 3)
    call_command("seed_demo", members=PHOTO_MEMBERS + 3)

    photos = Photo.objects.filter(member__username__startswith="demo_")
    assert photos.count() == PHOTO_MEMBERS
    assert set(photos.values_list("status", flat=True)) == {Photo.Status.APPROVED}
    profiles = Profile.objects.filter(member__username__startswith="demo_")
    assert profiles.filter(has_photo=True).count() == PHOTO_MEMBERS
    assert profiles.filter(verified_at__isnull=False).count() == VERIFIED_MEMBERS
    photo = photos.order_by("member__username").first()
    assert private_storage.exists(photo.image.name) and private_storage.exists(photo.thumbnail.name)
    viewer = Member.objects.get(username="demo_000002")
    client.force_login(viewer)
    served = client.get(f"/photos/{photo.public_id}/full.jpg")
    assert served.status_code == 200 and served["Content-Type"] == "image/jpeg"
