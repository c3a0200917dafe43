"""The mail provider's delivery events (issue 9, "Delivery"): django-anymail's tracking signal
marks hard bounces as undeliverable and complaints as an unsubscribe from all marketing, each
recorded in the consent ledger; soft bounces change nothing; a campaign mail that bounced is
marked failed. Mail goes out through anymail's backends (here its test backend)."""

import base64
import json
import logging

import pytest
from allauth.account.models import EmailAddress
from anymail.signals import AnymailTrackingEvent, EventType, RejectReason, tracking
from django.core import mail
from django.utils import timezone

from mailings import services
from mailings.models import Campaign, Delivery, MailKind
from members.models import OutgoingMail, UndeliverableAddress
from members.services import (
    confirmed_address,
    mailable_members,
    queue_rendered_mail,
    send_queued_mail,
)
from privacy import declaration
from privacy.models import ConsentPurpose, ConsentRecord
from privacy.services import set_consent
from tests.factories import MemberFactory

pytestmark = pytest.mark.django_db

WEBHOOK_SECRET = "anymail-hook:Zeer-geheim-2026"
TRACKING_URL = "/anymail/postmark/tracking/"
MARKETING = {ConsentPurpose.PROMOTIONAL_EMAIL, ConsentPurpose.SUGGESTION_EMAIL}
MESSAGE_ID = "883953f4-6105-42a2-a16a-77a8eac79483"


@pytest.fixture(autouse=True)
def webhook_secret(settings):
    settings.ANYMAIL = {"WEBHOOK_SECRET": WEBHOOK_SECRET}


@pytest.fixture
def alice():
    """Alice asked for suggestion and promotional mail (and suggestions on the site)."""
    alice = MemberFactory(username="alice", email="alice@example.org")
    set_consent(member=alice, purpose=ConsentPurpose.SUGGESTIONS, granted=True, source="test")
    for kind in MailKind:
        services.set_mail_choice(member=alice, kind=kind, wanted=True, source="test")
    return alice


@pytest.fixture
def delivery(alice):
    campaign = Campaign.objects.create(
        name="Lente",
        subject_nl="Lente-actie",
        subject_en="Spring offer",
        body_nl="<p>Hallo</p>",
        body_en="<p>Hello</p>",
        status=Campaign.Status.SENDING,
    )
    return Delivery.objects.create(
        campaign=campaign,
        member=alice,
        status=Delivery.Status.SENT,
        sent_at=timezone.now(),
        message_id=MESSAGE_ID,
    )


def postmark_bounce(email, *, bounce_type="HardBounce", type_code=1, message_id=MESSAGE_ID):
    """A bounce as Postmark posts it to the tracking webhook."""
    return {
        "RecordType": "Bounce",
        "MessageStream": "broadcast",
        "ID": 4323372036854775807,
        "Type": bounce_type,
        "TypeCode": type_code,
        "Name": "Hard bounce" if bounce_type == "HardBounce" else "Soft bounce",
        "Tag": "campaign",
        "MessageID": message_id,
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "noreply@example.org",
        "BouncedAt": "2026-11-05T16:33:54.9070259Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "Lente-actie",
        "Content": "",
    }


def post_webhook(client, payload, *, secret=WEBHOOK_SECRET):
    headers = {}
    if secret:
        headers["HTTP_AUTHORIZATION"] = "Basic " + base64.b64encode(secret.encode()).decode()
    return client.post(
        TRACKING_URL, data=json.dumps(payload), content_type="application/json", **headers
    )


def send_event(
    event_type, recipient, *, reject_reason=None, esp_event=None, esp_name="Postmark", **kwargs
):
    """The tracking signal as anymail sends it after a webhook, for any provider."""
    event = AnymailTrackingEvent(
        event_type=event_type,
        recipient=recipient,
        reject_reason=reject_reason,
        esp_event=esp_event or {},
        **kwargs,
    )
    tracking.send(sender=object, event=event, esp_name=esp_name)


def ledger(member):
    return list(
        ConsentRecord.objects.filter(member=member)
        .exclude(source="test")
        .order_by("purpose")
        .values_list("purpose", "granted", "source")
    )


def withdrawn(source):
    return sorted((purpose, False, source) for purpose in MARKETING)


def test_a_postmark_hard_bounce_posted_to_the_webhook_stops_the_mail_and_is_recorded(
    client, alice, delivery
):
    """End to end through anymail's Postmark webhook (HTTP basic auth with WEBHOOK_SECRET):
    the address is undeliverable, suggestion and promotional mail are off in the ledger with
    source "bounce", the campaign mail is failed, and posting it again changes nothing."""
    assert services.may_mail(alice, MailKind.PROMOTIONS)

    response = post_webhook(client, postmark_bounce("Alice@Example.org"))

    assert response.status_code == 200
    row = UndeliverableAddress.objects.get()
    assert (row.email, row.member, row.reason) == ("alice@example.org", alice, "bounce")
    assert ledger(alice) == withdrawn(declaration.SOURCE_BOUNCE)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == (Delivery.Status.FAILED, "bounced")
    assert not services.may_mail(alice, MailKind.PROMOTIONS)
    assert not services.may_mail(alice, MailKind.SUGGESTIONS)
    assert not mailable_members().filter(pk=alice.pk).exists()  # message notifications too

    assert post_webhook(client, postmark_bounce("alice@example.org")).status_code == 200
    assert UndeliverableAddress.objects.count() == 1
    assert ledger(alice) == withdrawn(declaration.SOURCE_BOUNCE)


def test_a_webhook_post_without_the_secret_is_refused(client, alice, delivery):
    for secret in (None, "anymail-hook:geraden"):
        response = post_webhook(client, postmark_bounce("alice@example.org"), secret=secret)
        assert response.status_code == 400
    assert not UndeliverableAddress.objects.exists()
    assert ledger(alice) == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


def test_without_a_webhook_secret_events_are_ignored(settings, alice, caplog):
    """Without WEBHOOK_SECRET anymail accepts posts from anyone (with a warning): nobody's mail
    is stopped on the word of an unauthenticated post."""
    settings.ANYMAIL = {}
    with caplog.at_level(logging.WARNING, logger="mailings.signals"):
        send_event(EventType.COMPLAINED, "alice@example.org")
    assert ledger(alice) == []
    assert "no_webhook_secret" in caplog.text


def test_a_soft_bounce_leaves_the_address_and_the_consents_alone(client, alice, delivery):
    """Postmark reports a full mailbox as a "bounced" event of type SoftBounce (Brevo and
    Amazon SES similarly); others send "deferred". That campaign mail did not arrive, but the
    member keeps getting mail."""
    response = post_webhook(client, postmark_bounce("alice@example.org", bounce_type="SoftBounce"))
    assert response.status_code == 200
    send_event(EventType.DEFERRED, "alice@example.org")
    send_event(
        EventType.BOUNCED,
        "alice@example.org",
        reject_reason=RejectReason.BOUNCED,
        esp_event={"event": "soft_bounce", "email": "alice@example.org"},
        esp_name="Brevo",
    )
    send_event(
        EventType.BOUNCED,
        "alice@example.org",
        reject_reason=RejectReason.BOUNCED,
        esp_event={"eventType": "Bounce", "bounce": {"bounceType": "Transient"}},
        esp_name="Amazon SES",
    )

    assert not UndeliverableAddress.objects.exists()
    assert ledger(alice) == []
    assert services.may_mail(alice, MailKind.PROMOTIONS)
    delivery.refresh_from_db()
    assert (delivery.status, delivery.reason) == (Delivery.Status.FAILED, "bounced")


def test_a_permanent_bounce_from_another_provider_counts_too(alice):
    send_event(
        EventType.BOUNCED,
        "alice@example.org",
        reject_reason=RejectReason.BOUNCED,
        esp_event={"eventType": "Bounce", "bounce": {"bounceType": "Permanent"}},
        esp_name="Amazon SES",
    )
    assert UndeliverableAddress.objects.filter(member=alice).exists()
    assert ledger(alice) == withdrawn(declaration.SOURCE_BOUNCE)


def test_a_bounce_for_spam_content_or_policy_is_not_the_addresses_fault(alice):
    for reason in (RejectReason.SPAM, RejectReason.BLOCKED, RejectReason.OTHER):
        send_event(EventType.BOUNCED, "alice@example.org", reject_reason=reason)
    send_event(EventType.REJECTED, "alice@example.org", reject_reason=RejectReason.BLOCKED)
    assert not UndeliverableAddress.objects.exists()
    assert ledger(alice) == []


def test_a_complaint_unsubscribes_from_all_marketing_but_not_from_message_mail(alice, delivery):
    send_event(EventType.COMPLAINED, "ALICE@example.org", message_id=MESSAGE_ID)
    send_event(EventType.COMPLAINED, "alice@example.org", message_id=MESSAGE_ID)  # resent

    assert ledger(alice) == withdrawn(declaration.SOURCE_COMPLAINT)
    assert not services.may_mail(alice, MailKind.PROMOTIONS)
    assert not services.may_mail(alice, MailKind.SUGGESTIONS)
    # Not an undeliverable address: mail about messages and the account still goes.
    assert not UndeliverableAddress.objects.exists()
    assert mailable_members().filter(pk=alice.pk).exists()
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT  # it did arrive


def test_an_unsubscribe_at_the_provider_is_recorded_with_its_own_source(alice):
    send_event(EventType.UNSUBSCRIBED, "alice@example.org")
    assert ledger(alice) == withdrawn(declaration.SOURCE_PROVIDER_UNSUBSCRIBE)
    assert declaration.source_label(declaration.SOURCE_PROVIDER_UNSUBSCRIBE) != (
        declaration.SOURCE_PROVIDER_UNSUBSCRIBE
    )


def test_the_provider_refusing_an_address_follows_its_suppression_reason(alice):
    bob = MemberFactory(username="bob")
    carol = MemberFactory(username="carol")
    for member in (bob, carol):
        services.set_mail_choice(member=member, kind=MailKind.PROMOTIONS, wanted=True, source="t")

    send_event(EventType.REJECTED, "alice@example.org", reject_reason=RejectReason.BOUNCED)
    send_event(EventType.REJECTED, bob.email, reject_reason=RejectReason.SPAM)
    send_event(EventType.REJECTED, carol.email, reject_reason=RejectReason.UNSUBSCRIBED)

    assert UndeliverableAddress.objects.get().reason == "rejected"
    assert ledger(alice) == withdrawn(declaration.SOURCE_BOUNCE)
    assert ("promotional_email", False, declaration.SOURCE_COMPLAINT) in ledger(bob)
    assert ("promotional_email", False, declaration.SOURCE_PROVIDER_UNSUBSCRIBE) in ledger(carol)


def test_a_bounce_of_an_address_no_longer_primary_leaves_the_consents_alone(alice):
    """Alice moved to a new address; the old one bouncing stops no mail to the new one."""
    EmailAddress.objects.filter(user=alice).update(primary=False)
    EmailAddress.objects.create(
        user=alice, email="alice@nieuw.example", verified=True, primary=True
    )

    send_event(EventType.BOUNCED, "alice@example.org", reject_reason=RejectReason.BOUNCED)

    assert UndeliverableAddress.objects.get().member == alice
    assert ledger(alice) == []
    assert services.may_mail(alice, MailKind.PROMOTIONS)


def test_a_member_who_never_opted_in_gets_no_ledger_record(db):
    bob = MemberFactory(username="bob")
    send_event(EventType.BOUNCED, bob.email, reject_reason=RejectReason.BOUNCED)
    send_event(EventType.COMPLAINED, bob.email)
    assert UndeliverableAddress.objects.filter(member=bob).exists()
    assert ledger(bob) == []


def test_an_event_for_an_unknown_address_is_logged_without_the_address(db, caplog):
    with caplog.at_level(logging.INFO, logger="mailings.signals"):
        send_event(EventType.COMPLAINED, "niemand@example.org")
        send_event(EventType.BOUNCED, "niemand@example.org", reject_reason=RejectReason.BOUNCED)
    assert UndeliverableAddress.objects.get().member is None
    assert not ConsentRecord.objects.exists()
    assert "members=none" in caplog.text
    assert "niemand" not in caplog.text and "@" not in caplog.text


def test_opens_clicks_and_deliveries_are_not_recorded(alice, delivery, caplog):
    with caplog.at_level(logging.INFO, logger="mailings.signals"):
        for event_type in (EventType.OPENED, EventType.CLICKED, EventType.DELIVERED):
            send_event(event_type, "alice@example.org", message_id=MESSAGE_ID)
    assert [r for r in caplog.records if r.name == "mailings.signals"] == []
    assert ledger(alice) == []
    delivery.refresh_from_db()
    assert delivery.status == Delivery.Status.SENT


# --- Sending through anymail -----------------------------------------------------------------


def queue_suggestion_mail(member):
    url = services.unsubscribe_url(member, MailKind.SUGGESTIONS)
    return queue_rendered_mail(
        parts=("Nieuwe suggesties", "Drie leden die bij je passen.", "<p>Drie leden</p>"),
        to=confirmed_address(member),
        kind=services.OUTGOING_KIND[MailKind.SUGGESTIONS],
        member=member,
        headers=services.unsubscribe_headers(url),
    )


def test_a_queued_mail_goes_out_through_anymail_and_after_a_bounce_no_more(
    settings, alice, django_capture_on_commit_callbacks
):
    """With anymail's test backend: the queued mail is sent (the backend records it with its
    unsubscribe headers and a provider status); after a hard bounce the next queued suggestion
    mail is cancelled instead of sent."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    mail.outbox = []
    with django_capture_on_commit_callbacks(execute=True):
        first = queue_suggestion_mail(alice)

    first.refresh_from_db()
    assert first.status == OutgoingMail.Status.SENT
    (sent,) = mail.outbox
    assert sent.to == ["alice@example.org"]
    assert sent.anymail_status.status == {"sent"}
    headers = sent.anymail_test_params["extra_headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert headers["List-Unsubscribe"].startswith("<http")

    send_event(EventType.BOUNCED, "alice@example.org", reject_reason=RejectReason.BOUNCED)
    second = queue_suggestion_mail(alice)  # queued before the bounce was known, say
    send_queued_mail(mail_id=second.pk)

    second.refresh_from_db()
    assert second.status == OutgoingMail.Status.CANCELLED
    assert len(mail.outbox) == 1
