"""Helpers for the chat page tests (test_views_*.py): members with credits, a logged-in client
per member (English, so the tests can read the page), and the URLs of the chat pages."""

import re
from datetime import date

from django.test import Client
from django.urls import reverse

from messaging.models import Conversation, Message, Participant
from payments.services import adjust_credits
from tests.factories import MemberFactory, make_profile

PRICE = 2
HTMX = {"HTTP_HX_REQUEST": "true"}


def give_credits(member, credits=10):
    adjust_credits(
        member=member, credits=credits, reason="test credits", staff=MemberFactory(is_staff=True)
    )


def person(username, *, gender="woman", credits=10, **profile):
    member = MemberFactory(username=username, gender=gender)
    make_profile(member, place="Utrecht", birth_date=date(1990, 5, 1), **profile)
    if credits:
        give_credits(member, credits)
    return member


def add_history(conversation, senders, texts) -> list[Message]:
    """Stores delivered messages straight away (quicker than paying for each), one per text,
    senders taking turns, and makes the last one the conversation's latest."""
    made = Message.objects.bulk_create(
        [
            Message(conversation=conversation, sender=senders[number % len(senders)], text=text)
            for number, text in enumerate(texts)
        ]
    )
    Conversation.objects.filter(pk=conversation.pk).update(last_message=made[-1])
    return made


def client_for(member) -> Client:
    client = Client()
    client.force_login(member)
    client.cookies["django_language"] = "en"
    return client


def inbox_url():
    return reverse("messaging:inbox")


def conversation_url(conversation):
    return reverse("messaging:conversation", args=[conversation.public_id])


def start_url(member):
    return reverse("messaging:start", args=[member.public_id])


def new_url(conversation, after, seen=0):
    return reverse("messaging:new_messages", args=[conversation.public_id]) + (
        f"?after={after}&seen={seen}"
    )


def older_url(conversation, before):
    return reverse("messaging:older_messages", args=[conversation.public_id]) + (
        f"?before={before}"
    )


def side(member, conversation) -> Participant:
    return Participant.objects.get(member=member, conversation=conversation)


def message_texts(html: str) -> list[str]:
    """The texts of the messages in a page or fragment, in page order."""
    return [
        re.sub(r"\s+", " ", text).strip()
        for text in re.findall(r'<p class="chat-text">(.*?)</p>', html, flags=re.S)
    ]


def composer_textarea(html: str) -> str:
    """The value of the send form's textarea (or of the read-only copy of an unsent text)."""
    found = re.search(r"<textarea[^>]*>(.*?)</textarea>", html, flags=re.S)
    return found[1].strip("\n") if found else ""
