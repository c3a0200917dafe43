"""Sending from the pages (R3.1, R3.2, R4.1): the receiver's refusal shown before the form and
never charged, out of credits keeps the text through buying credits and back, text errors keep
the text, starting a conversation from a profile, and the htmx variants of each."""

import pytest
from django.urls import reverse

from messaging import services
from messaging.models import Conversation, Message
from messaging.views import DRAFTS_SESSION_KEY
from payments.models import CreditPack, Order, StandInPayment
from payments.services import get_balance
from profiles.services import block_member
from tests.factories import MemberFactory
from tests.messaging.test_views_support import (
    HTMX,
    PRICE,
    client_for,
    composer_textarea,
    conversation_url,
    give_credits,
    person,
    start_url,
)

PACKS = reverse("payments:packs")


@pytest.fixture(autouse=True)
def _price(settings):
    settings.MESSAGE_PRICE_CREDITS = PRICE


@pytest.fixture
def alice(db):
    return person("alice")


@pytest.fixture
def bram(db):
    return person("bram", gender="man")


def stopped(bram):
    services.stop_receiving_messages(member=bram)
    return "bram does not receive messages at the moment."


def not_matching(bram):
    from tests.factories import make_profile

    make_profile(bram, seeks_men=True)  # alice is a woman
    services.update_receiving_settings(member=bram, only_matching=True)
    return "only accepts new conversations from members who fit their search preferences"


def daily_limit(bram):
    services.update_receiving_settings(member=bram, max_new_per_day=1)
    services.send_message(sender=person("carla"), receiver=bram, text="Hoi Bram, Carla hier")
    return "accepts only a few new conversations a day"


@pytest.mark.parametrize("setting", [stopped, not_matching, daily_limit])
def test_a_refusal_is_shown_before_the_form_and_costs_nothing(alice, bram, setting):
    """R3.2: a sender whose message would break the receiver's settings is told plainly before
    writing (no form), and a post anyway is refused with the text kept and nothing charged."""
    reason = setting(bram)
    client = client_for(alice)
    messages_before = Message.objects.count()

    page = client.get(start_url(bram)).content.decode()
    assert reason in page
    assert 'name="text"' not in page

    response = client.post(start_url(bram), {"text": "Mag ik je schrijven?"})
    html = response.content.decode()
    assert response.status_code == 400
    assert reason in html and 'role="alert"' in html
    assert "Your message was not sent and nothing was charged." in html
    assert composer_textarea(html) == "Mag ik je schrijven?"
    assert get_balance(member=alice) == 10
    assert Message.objects.count() == messages_before


def test_a_receiver_who_stops_later_is_shown_in_the_open_conversation(alice, bram):
    conversation = services.send_message(sender=alice, receiver=bram, text="hoi").conversation
    services.stop_receiving_messages(member=bram)
    page = client_for(alice).get(conversation_url(conversation)).content.decode()

    assert "bram does not receive messages at the moment." in page
    assert 'name="text"' not in page and "hoi" in page


def test_out_of_credits_keeps_the_text_through_buying_credits_and_back(alice, bram, settings):
    """Done-when story: a member runs out of credits, keeps the typed text, buys credits and
    comes back to the conversation with the text still in the form; once sent, it is gone."""
    settings.MOLLIE_API_KEY = ""  # the offline stand-in checkout
    conversation = services.send_message(sender=bram, receiver=alice, text="Hoi!").conversation
    url = conversation_url(conversation)
    client = client_for(alice)
    for _ in range(5):
        services.send_message(sender=alice, receiver=bram, text="ja")
    assert get_balance(member=alice) == 0

    page = client.get(url).content.decode()
    assert "You have too few credits to send a message." in page
    assert 'name="text"' in page  # writing first is fine: the text survives buying credits

    response = client.post(url, {"text": "Een lang en doordacht antwoord"})
    assert response.status_code == 302
    assert response["Location"] == f"{PACKS}?next={url.replace('/', '%2F')}"
    assert Message.objects.filter(sender=alice).count() == 5
    assert "doordacht" not in str(dict(client.session))  # kept encrypted, like messages

    packs = client.get(response["Location"]).content.decode()
    assert "You need 2 credits to send this message; your text is kept." in packs
    assert f'href="{url}">Go back without buying' in packs

    # Buy credits through the stand-in checkout; the order page leads back.
    client.post(
        reverse("payments:checkout"),
        {"pack": CreditPack.objects.get(name="Plus").pk, "method": "ideal"},
    )
    payment = StandInPayment.objects.get()
    order_page = client.post(
        reverse("payments:stand_in", args=[payment.id]), {"status": "paid"}, follow=True
    ).content.decode()
    assert Order.objects.get().status == Order.Status.PAID
    assert f'href="{url}">Go back to where you were' in order_page

    page = client.get(url).content.decode()
    assert composer_textarea(page) == "Een lang en doordacht antwoord"

    response = client.post(url, {"text": composer_textarea(page)})
    assert response.status_code == 302
    assert Message.objects.filter(sender=alice).latest("id").text == (
        "Een lang en doordacht antwoord"
    )
    assert composer_textarea(client.get(url).content.decode()) == ""

    # A later visit to the packs page without a return path forgets the old one.
    assert "Go back without buying" not in client.get(PACKS).content.decode()


def test_out_of_credits_on_a_first_message_keeps_it_for_the_start_page(bram):
    poor = person("poor", credits=0)
    client = client_for(poor)

    response = client.post(start_url(bram), {"text": "Eerste bericht"})
    assert response["Location"].startswith(f"{PACKS}?next=")
    assert not Conversation.objects.exists()

    page = client.get(start_url(bram)).content.decode()
    assert composer_textarea(page) == "Eerste bericht"


def test_htmx_out_of_credits_sends_the_browser_to_the_packs(bram):
    poor = person("poor", credits=0)
    response = client_for(poor).post(start_url(bram), {"text": "Hallo"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(f"{PACKS}?next=")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("x" * 2001, "A message can be at most 2000 characters; yours has 2001."),
        ("   ", "Write a message first."),
    ],
)
def test_a_text_error_keeps_the_text_and_charges_nothing(alice, bram, text, error):
    conversation = services.send_message(sender=bram, receiver=alice, text="Hoi").conversation
    client = client_for(alice)

    response = client.post(conversation_url(conversation), {"text": text})
    html = response.content.decode()
    assert response.status_code == 400
    assert error in html and 'aria-invalid="true"' in html
    assert composer_textarea(html) == text
    assert get_balance(member=alice) == 10
    assert not Message.objects.filter(sender=alice).exists()


def test_the_form_states_the_limit_and_the_price(alice, bram):
    page = client_for(alice).get(start_url(bram)).content.decode()
    assert 'maxlength="2000"' in page and "At most 2000 characters." in page
    assert "A message costs 2 credits. You have 10 credits." in page
    assert '<label for="id_text">Your message' in page


def test_sending_with_htmx_swaps_in_a_fresh_form_and_asks_the_poll_to_fetch(alice, bram):
    conversation = services.send_message(sender=bram, receiver=alice, text="Hoi").conversation
    client = client_for(alice)

    response = client.post(conversation_url(conversation), {"text": "Met htmx"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html
    assert response["HX-Trigger"] == "message-sent"
    assert 'id="composer"' in html and composer_textarea(html) == ""
    assert "autofocus" in html  # the keyboard is back in the text for the next message
    assert "You have 8 credits." in html
    assert Message.objects.filter(sender=alice, text_digest=services.text_digest("Met htmx"))

    refused = client.post(conversation_url(conversation), {"text": "x" * 2001}, **HTMX)
    assert refused.status_code == 200 and "HX-Trigger" not in refused
    assert "at most 2000 characters" in refused.content.decode()
    assert composer_textarea(refused.content.decode()) == "x" * 2001


@pytest.mark.rate_limits
def test_sending_too_fast_keeps_the_form_and_the_text(alice, bram, settings):
    settings.MESSAGE_RATE_LIMITS = [(1, 3600)]
    conversation = services.send_message(sender=alice, receiver=bram, text="een").conversation
    response = client_for(alice).post(conversation_url(conversation), {"text": "twee"})
    html = response.content.decode()

    assert response.status_code == 400
    assert "You are sending messages very quickly." in html
    assert composer_textarea(html) == "twee" and 'name="text"' in html
    assert get_balance(member=alice) == 10 - PRICE


def test_start_leads_to_the_existing_conversation(alice, bram):
    conversation = services.send_message(sender=bram, receiver=alice, text="Hoi").conversation
    response = client_for(alice).get(start_url(bram))
    assert response.status_code == 302
    assert response["Location"] == conversation_url(conversation)


def test_start_shows_an_empty_conversation_until_the_first_message(alice, bram):
    client = client_for(alice)
    page = client.get(start_url(bram)).content.decode()
    assert "Conversation with bram" in page and "No messages yet." in page
    assert not Conversation.objects.exists()

    response = client.post(start_url(bram), {"text": "Eerste!"}, **HTMX)
    conversation = Conversation.objects.get()
    assert response["HX-Redirect"] == conversation_url(conversation)


def test_start_is_404_for_blocked_closed_or_own_members(alice, bram):
    client = client_for(alice)
    closed = MemberFactory(username="closed", status="closed")
    give_credits(closed)
    block_member(member=bram, target=alice)

    assert client.get(start_url(bram)).status_code == 404
    assert client.post(start_url(bram), {"text": "toch"}).status_code == 404
    assert client.get(start_url(closed)).status_code == 404
    assert client.get(start_url(alice)).status_code == 404
    assert not Message.objects.filter(sender=alice).exists()


def test_the_profile_page_offers_to_send_a_message(alice, bram):
    page = client_for(alice).get(reverse("profiles:profile", args=[bram.public_id]))
    assert f'href="{start_url(bram)}">Send a message' in page.content.decode()
    own = client_for(alice).get(reverse("profiles:profile", args=[alice.public_id]))
    assert start_url(alice) not in own.content.decode()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "/\\evil.example", "/credits/x/"]
)
def test_the_return_path_stays_on_the_site(alice, next_url):
    """SECURITY: no open redirect through the packs page's `next`."""
    client = client_for(alice)
    page = client.get(PACKS, {"next": next_url}).content.decode()
    assert "Go back without buying" not in page
    assert "payments_return_to" not in client.session


def test_drafts_are_kept_for_a_few_conversations_only(alice, bram):
    poor = person("poor", credits=0)
    client = client_for(poor)
    for number in range(7):
        receiver = person(f"r{number}")
        client.post(start_url(receiver), {"text": f"concept {number}"})
    assert len(client.session[DRAFTS_SESSION_KEY]) == 5


def test_a_send_after_the_session_ended_goes_to_the_log_in_page(client, alice, bram):
    """With htmx the whole page goes to log in (not the log-in form inside the chat)."""
    conversation = services.send_message(sender=bram, receiver=alice, text="Hoi").conversation
    response = client.post(conversation_url(conversation), {"text": "nog daar?"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith("/accounts/login/?next=")
    response = client.post(conversation_url(conversation), {"text": "nog daar?"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
    assert not Message.objects.filter(sender=alice).exists()
