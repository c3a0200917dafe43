"""The "my data" page (R7.4 access and rectification, R8.1, R8.2): per category of the
statement, what the site holds about the member, why, on which basis and for how long, with a
summary of what is held for this member and a link to where it is corrected."""

import re

import pytest
from django.urls import reverse

from members.models import Member
from messaging.services import send_message
from moderation.services import report_content
from payments.services import adjust_credits
from privacy.services import set_consent
from profiles.models import Photo
from profiles.services import (
    add_favourite,
    block_member,
    give_special_category_consent,
    set_sexual_preferences,
)
from tests.factories import MemberFactory, make_profile, staff_member

pytestmark = pytest.mark.django_db

MY_DATA = reverse("privacy:my_data")


@pytest.fixture
def alice_client(member_client):
    member_client.cookies["django_language"] = "en"
    return member_client


def text_of(response) -> str:
    """The page's visible text, tags stripped and spaces collapsed."""
    html = response.content.decode()
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def photo(member, number):
    return Photo.objects.create(
        member=member,
        image=f"{number}.jpg",
        thumbnail=f"{number}t.jpg",
        width=1,
        height=1,
        status=Photo.Status.APPROVED,
    )


def test_my_data_needs_logging_in(client, db):
    assert client.get(MY_DATA).status_code == 302


def test_each_category_lists_why_on_which_basis_and_how_long(alice_client, settings):
    """R8.1, R8.2: the three categories of section 9, each with its purposes, the legal basis
    and the retention period in plain words, from the settings."""
    settings.ACCOUNT_ERASURE_AFTER = 24
    response = alice_client.get(MY_DATA)

    assert response.status_code == 200
    text = text_of(response)
    for heading in ["Necessary data", "Voluntary data", "Special data"]:
        assert heading in text
    assert "Your account" in text
    assert "Needed to provide the service you signed up for" in text  # contract
    assert "Your explicit consent" in text  # the sexual preferences
    assert "A legal obligation" in text  # purchases, proof of consent
    assert "within 24 months after you close your account" in text
    assert "7 years, as Dutch tax law requires" in text
    # In the statement's order: necessary, voluntary, special.
    assert text.index("Necessary data") < text.index("Voluntary data") < text.index("Special data")


def test_the_summary_says_what_is_held_about_this_member(alice_client, member):
    """R7.4: counts and values for this member: their photos, favourites, blocks, messages,
    credits and consents, and the e-mail address only half shown."""
    other = MemberFactory(username="bob")
    for number in range(3):
        photo(member, number)
    add_favourite(member=member, target=other)
    block_member(member=member, target=MemberFactory(username="nuisance"))
    adjust_credits(member=member, credits=10, reason="test", staff=staff_member("superuser"))
    send_message(sender=member, receiver=other, text="Hallo Bob")
    set_consent(member=member, purpose="suggestions", granted=True, source="test")

    text = text_of(alice_client.get(MY_DATA))

    assert "username alice, e-mail address a***@example.org" in text
    assert "alice@example.org" not in text
    assert "3 photos" in text
    assert "1 favourite" in text
    assert "1 member blocked" in text
    assert "1 message sent" in text
    assert "1 conversation" in text
    assert "8 credits" in text  # 10 given, one message of 2
    assert "1 record" in text  # the consent
    assert "Hallo Bob" not in text  # a summary, never the content


def test_what_others_did_about_the_member_is_not_told(alice_client, member):
    """Counts are of the member's own rows only: not who favourited or blocked them, nor that
    someone reported them (a report stays unknown to the reported member until decided)."""
    other = MemberFactory(username="bob")
    adjust_credits(member=member, credits=10, reason="test", staff=staff_member("superuser"))
    message = send_message(sender=member, receiver=other, text="Koop nu!")
    report_content(
        reporter=other, items=[message], reason="spam", explanation="", reported_member=member
    )
    add_favourite(member=other, target=member)
    block_member(member=other, target=member)

    text = text_of(alice_client.get(MY_DATA))

    assert "0 favourites" in text
    assert "0 members blocked" in text
    assert "0 reports" in text  # reports alice made
    assert "0 decisions" in text  # decided against alice: none


def test_every_item_links_to_where_it_is_corrected(alice_client):
    """R7.4 rectification: a link per item to where the data lives."""
    html = alice_client.get(MY_DATA).content.decode()
    for name in [
        "account_email",
        "activity:devices",
        "mfa_index",
        "profiles:edit",
        "profiles:photos",
        "profiles:sensitive",
        "profiles:favourites",
        "profiles:blocks",
        "messaging:settings",
        "messaging:inbox",
        "payments:history",
        "privacy:consents",
        "privacy:limits",
    ]:
        assert f'href="{reverse(name)}"' in html, name
    # And the rights that go with access: a copy, and leaving.
    assert f'href="{reverse("privacy:exports")}"' in html
    assert f'href="{reverse("privacy:close_account")}"' in html


def test_special_category_shows_whether_sexual_preferences_are_stored(alice_client, member):
    """R2.2, R8.1: the special category tells whether sexual preferences are held, never
    which."""
    make_profile(member)
    assert "Nothing stored" in text_of(alice_client.get(MY_DATA))

    give_special_category_consent(member=member)
    set_sexual_preferences(member=member, preferences=["bisexual", "queer"])
    text = text_of(alice_client.get(MY_DATA))

    assert "2 preferences stored" in text
    assert "bisexual" not in text.lower()


def test_staff_records_are_left_out_for_members(alice_client):
    text = text_of(alice_client.get(MY_DATA))
    assert "Staff work" not in text


def test_the_page_takes_the_same_queries_for_a_long_history(
    alice_client, member, django_assert_max_num_queries
):
    """Counts come from one query: more photos and messages add no queries."""
    other = MemberFactory(username="bob", gender=Member.Gender.MAN)
    adjust_credits(member=member, credits=100, reason="test", staff=staff_member("superuser"))
    photo(member, 0)
    send_message(sender=member, receiver=other, text="Hallo")
    alice_client.get(MY_DATA)
    with django_assert_max_num_queries(20) as few:
        alice_client.get(MY_DATA)
    for number in range(1, 6):
        photo(member, number)
        send_message(sender=member, receiver=other, text=f"Nog een {number}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = alice_client.get(MY_DATA)
    assert "6 messages sent" in text_of(response)
