"""Moderation's account restrictions in chat (issue 11): a member who is restricted, hidden
pending review or suspended cannot send, and nobody can write to them, said before the form and
never charged; the restriction ends by itself at its end date."""

from datetime import timedelta

import pytest
from django.template.defaultfilters import date as date_format
from django.utils import timezone, translation

from messaging import services
from messaging.models import Message
from moderation.models import Sanction
from payments.services import get_balance
from tests.messaging.test_views_support import client_for, conversation_url, person, start_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(db):
    return person("alice")


@pytest.fixture
def bram(db):
    return person("bram", gender="man")


def restrict(member, *, kind=Sanction.Kind.RESTRICTED, days=3):
    ends_at = timezone.now() + timedelta(days=days) if days is not None else None
    return Sanction.objects.create(member=member, kind=kind, ends_at=ends_at)


def test_a_restricted_member_is_told_until_when_before_writing(alice, bram):
    conversation = services.send_message(sender=alice, receiver=bram, text="Hoi").conversation
    sanction = restrict(bram, days=3)
    with translation.override("en"):
        until = date_format(timezone.localtime(sanction.ends_at), "j F Y, H:i")
    client = client_for(bram)

    page = client.get(conversation_url(conversation)).content.decode()
    response = client.post(conversation_url(conversation), {"text": "Toch even"})

    expected = f"Your account is restricted until {until}: you cannot send messages."
    assert expected in page and 'name="text"' not in page
    assert response.status_code == 400 and expected in response.content.decode()
    assert get_balance(member=bram) == 10
    assert not Message.objects.filter(sender=bram).exists()


def test_hidden_pending_review_has_no_end_date(alice, bram):
    restrict(bram, kind=Sanction.Kind.HIDDEN, days=None)

    with pytest.raises(services.SendRefused) as refused:
        services.send_message(sender=bram, receiver=alice, text="Hallo")

    assert str(refused.value.message) == "Your account is restricted: you cannot send messages."
    assert get_balance(member=bram) == 10


@pytest.mark.parametrize("kind", list(Sanction.Kind))
def test_nobody_can_write_to_a_restricted_member(alice, bram, kind):
    """Not in a conversation they had, and not in a new one (their profile is not found)."""
    conversation = services.send_message(sender=alice, receiver=bram, text="Hoi").conversation
    restrict(bram, kind=kind)
    client = client_for(alice)
    balance = get_balance(member=alice)

    page = client.get(conversation_url(conversation)).content.decode()

    assert "This member cannot receive messages at the moment." in page
    assert 'name="text"' not in page
    assert client.get(start_url(bram)).status_code == 404
    with pytest.raises(services.SendRefused):
        services.send_message(sender=alice, receiver=bram, text="Hoi Bram")
    assert get_balance(member=alice) == balance


def test_a_restriction_past_its_end_date_no_longer_counts(alice, bram):
    """Even before the sweep records the end (moderation.services.end_expired_sanctions)."""
    restrict(bram, days=-1)

    message = services.send_message(sender=bram, receiver=alice, text="Weer terug")
    services.send_message(sender=alice, receiver=bram, text="Welkom terug")

    assert message.status == Message.Status.DELIVERED


def test_an_ended_restriction_no_longer_counts(alice, bram):
    sanction = restrict(bram)
    Sanction.objects.filter(pk=sanction.pk).update(ended_at=timezone.now())

    services.send_message(sender=bram, receiver=alice, text="Het is opgeheven")
