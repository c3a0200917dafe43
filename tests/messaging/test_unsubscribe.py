"""One-click unsubscribe from mail about new messages, without logging in (R5.2, R7.2)."""

import re

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from members.models import Member, OutgoingMail
from messaging import notifications, services
from messaging.models import Notify, ReceivingSettings
from payments.services import adjust_credits
from privacy import crypto, registry
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english(client, settings):
    client.cookies["django_language"] = "en"
    settings.SITE_URL = "http://testserver"


@pytest.fixture
def bob(db):
    return MemberFactory(username="bob_ontvanger", email="bob@example.org")


def url_for(member) -> str:
    return reverse("messaging:unsubscribe", args=[notifications.unsubscribe_token(member)])


def notify_setting(member) -> str:
    return services.receiving_settings_for(member).notify


def mail_client() -> Client:
    """A mail client's one-click POST: no session, no cookies, CSRF checks on."""
    return Client(enforce_csrf_checks=True)


def test_the_link_is_under_messages_and_differs_per_member(bob):
    other = MemberFactory()
    assert url_for(bob).startswith("/messages/unsubscribe/")
    assert url_for(bob) != url_for(other)
    assert bob.username not in url_for(bob)


def test_opening_the_link_only_asks_and_changes_nothing(client, bob):
    """Link scanners follow links: GET (and HEAD) show a question with one button, nothing
    more."""
    response = client.get(url_for(bob))
    client.head(url_for(bob))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Stop e-mails about new messages?" in page
    assert 'id="unsubscribe-form"' in page and 'method="post"' in page
    assert 'name="robots" content="noindex"' in page
    assert response["Cache-Control"].startswith("max-age=0")
    assert not ReceivingSettings.objects.filter(member=bob).exists()
    assert notify_setting(bob) == Notify.IMMEDIATELY


def test_the_button_stops_the_mail_and_points_to_the_settings(client, bob):
    response = client.post(url_for(bob))

    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="unsubscribed"' in page
    assert "No more e-mails about new messages" in page
    assert f'href="{reverse("messaging:settings")}"' in page
    assert notify_setting(bob) == Notify.NEVER


def test_one_click_post_from_a_mail_client_works_without_session_or_csrf(bob):
    """RFC 8058: the mail client POSTs `List-Unsubscribe=One-Click` to the header's URL."""
    response = mail_client().post(
        url_for(bob),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert notify_setting(bob) == Notify.NEVER


def test_other_settings_stay_as_they_were(bob):
    services.update_receiving_settings(member=bob, only_matching=True, max_new_per_day=3)
    mail_client().post(url_for(bob), {"List-Unsubscribe": "One-Click"})

    wishes = ReceivingSettings.objects.get(member=bob)
    assert (wishes.notify, wishes.only_matching, wishes.max_new_per_day) == (
        Notify.NEVER,
        True,
        3,
    )


@pytest.mark.parametrize(
    "token",
    [
        "nonsense",
        "abc:def",
        # the member's token for another purpose (a mailing's unsubscribe link)
        "OTHER_PURPOSE",
        # the member's bare public id, and the token changed in one character
        "PUBLIC_ID",
        "TAMPERED",
    ],
)
def test_a_bad_token_is_a_plain_not_found_and_changes_nothing(client, bob, token):
    if token == "OTHER_PURPOSE":
        token = crypto.seal_token(bob.public_id, purpose="mailings.unsubscribe.promotions")
    if token == "PUBLIC_ID":
        token = bob.public_id
    if token == "TAMPERED":
        good = notifications.unsubscribe_token(bob)
        token = good[:5] + ("A" if good[5] != "A" else "B") + good[6:]
    url = reverse("messaging:unsubscribe", args=[token])

    assert client.get(url).status_code == 404
    assert mail_client().post(url, {"List-Unsubscribe": "One-Click"}).status_code == 404
    page = client.get(url).content.decode()
    assert bob.username not in page
    assert notify_setting(bob) == Notify.IMMEDIATELY


def test_a_closed_or_erased_account_gets_the_same_confirmation(client, bob):
    """Nothing is revealed about the account behind an old link: the same page, no error."""
    closed = MemberFactory(username="gesloten", status=Member.Status.CLOSED)
    closed_url = url_for(closed)
    erased_url = url_for(bob)
    registry.erase_member_data(bob)

    for url in (closed_url, erased_url):
        assert client.get(url).status_code == 200
        response = client.post(url)
        assert response.status_code == 200
        assert 'id="unsubscribed"' in response.content.decode()
    assert not Member.objects.filter(username="bob_ontvanger").exists()


def test_the_link_in_a_notification_mail_stops_the_next_one(
    client, bob, django_capture_on_commit_callbacks
):
    """The whole story: a mail arrives, its link is opened and confirmed, and the next message
    after reading brings no mail."""
    alice = MemberFactory(username="alice_zender")
    adjust_credits(member=alice, credits=20, reason="test", staff=MemberFactory(is_staff=True))
    with django_capture_on_commit_callbacks(execute=True):
        message = services.send_message(sender=alice, receiver=bob, text="Hallo daar")
    [notification] = mail.outbox
    link = re.search(r"http://testserver(/messages/unsubscribe/\S+/)", notification.body)[1]
    assert notification.extra_headers["List-Unsubscribe"] == f"<http://testserver{link}>"

    client.get(link)
    assert notify_setting(bob) == Notify.IMMEDIATELY
    client.post(link)
    assert notify_setting(bob) == Notify.NEVER

    services.mark_read(member=bob, conversation=message.conversation)
    with django_capture_on_commit_callbacks(execute=True):
        services.send_message(sender=alice, receiver=bob, text="Nog een keer")
    assert len(mail.outbox) == 1
    assert OutgoingMail.objects.filter(kind="message_notification").count() == 1


def test_the_token_reveals_no_id_and_is_the_same_in_every_mail(bob):
    """The List-Unsubscribe header travels through mail providers and forwarded mail: it must
    not carry the public id that profile URLs show."""
    token = notifications.unsubscribe_token(bob)

    assert bob.public_id not in token and bob.username not in token
    assert notifications.unsubscribe_token(bob) == token
    assert notifications.member_public_id_from_token(token) == bob.public_id
