"""The mail provider's delivery events (django-anymail's tracking signal).

The provider posts its events to /anymail/<provider>/tracking/; anymail checks the webhook's
credentials (ANYMAIL WEBHOOK_SECRET, and the provider's signing key where it has one),
normalises each event and sends the `tracking` signal, received here:

- a hard bounce, or the provider refusing an address it knows bounces or is invalid: the
  address is undeliverable (members.UndeliverableAddress: no more suggestion, promotional or
  message mail to it), and for the member whose primary address it is, suggestion and
  promotional mail are switched off in the consent ledger with source "bounce";
- a complaint (marked as spam), or the provider refusing an address that complained before:
  suggestion and promotional mail off, source "complaint";
- an unsubscribe handled by the provider: the same, source "mail provider unsubscribe";
- for a campaign mail, its Delivery row is marked failed.

Soft bounces (mailbox full, a server down for a while) change nothing: several providers
report them as "bounced" too, told apart below by the provider's own field. Opens, clicks and
deliveries are not recorded: the site does not track them.

Everything is idempotent (providers send an event again when unsure it arrived): an address is
marked once, a consent that is already off gets no new record, a failed delivery stays as it
is. An error makes anymail answer 400, and the provider retries later. Log lines name member
ids and event types, never an address.
"""

import logging

from allauth.account.models import EmailAddress
from anymail.signals import EventType, RejectReason, tracking
from django.conf import settings
from django.db import transaction
from django.dispatch import receiver

from members.models import Member
from members.services import mark_undeliverable
from privacy import declaration

from .models import Delivery
from .services import SOURCES, unsubscribe_from_marketing

logger = logging.getLogger(__name__)

# Why the provider says mail did not arrive, when that is the address's fault: it does not
# exist or bounced before. Not "spam", "blocked" or "other" (the content or a policy,
# possibly ours, was refused) nor "timed_out" (tried for days, maybe a full mailbox).
# A bounce without a normalised reason (SendGrid) counts unless it is a soft one.
ADDRESS_BOUNCED = {None, RejectReason.BOUNCED, RejectReason.INVALID}
ADDRESS_REJECTED = {RejectReason.BOUNCED, RejectReason.INVALID}
# SparkPost bounce classes that are temporary (soft bounce, DNS, mailbox full, too large,
# timeout, transient failure).
SPARKPOST_SOFT_CLASSES = {"20", "21", "22", "23", "24", "70"}


def _sparkpost_bounce_class(msys) -> str | None:
    """SparkPost wraps each event: {"msys": {"message_event": {..., "bounce_class": "21"}}}."""
    for event in msys.values() if isinstance(msys, dict) else ():
        if isinstance(event, dict) and "bounce_class" in event:
            return str(event["bounce_class"])
    return None


def is_soft_bounce(esp_name: str, raw) -> bool:
    """Whether a "bounced" event is, in the provider's own words, a temporary failure
    (anymail reports these as "bounced" for Postmark, Brevo, MailerSend, Amazon SES,
    SendGrid and SparkPost; Mailgun and Postal ones arrive as "deferred")."""
    if not isinstance(raw, dict):
        return False
    if esp_name == "Postmark":
        return raw.get("Type") == "SoftBounce"
    if esp_name in ("Brevo", "SendinBlue"):
        return raw.get("event") == "soft_bounce"
    if esp_name == "MailerSend":
        return (raw.get("data") or {}).get("type") == "soft_bounced"
    if esp_name == "Amazon SES":
        return (raw.get("bounce") or {}).get("bounceType") in ("Transient", "Undetermined")
    if esp_name == "SendGrid":
        return raw.get("type") == "blocked"
    if esp_name == "SparkPost":
        return _sparkpost_bounce_class(raw.get("msys")) in SPARKPOST_SOFT_CLASSES
    return False


def _members_with(address: str):
    """The members who use `address` (compared case-insensitively: allauth keeps addresses
    as typed)."""
    return Member.objects.filter(
        pk__in=EmailAddress.objects.filter(email__iexact=address, verified=True).values("user_id")
    ).order_by("pk")


def _members_with_primary(address: str):
    return Member.objects.filter(
        pk__in=EmailAddress.objects.filter(email__iexact=address, primary=True).values("user_id")
    ).order_by("pk")


def action_for(event, esp_name: str) -> str | None:
    """What an event means for the site: "bounce", "complaint", "unsubscribe" or None."""
    kind, reason = event.event_type, event.reject_reason
    if kind == EventType.BOUNCED:
        if reason in ADDRESS_BOUNCED and not is_soft_bounce(esp_name, event.esp_event):
            return "bounce"
        return None
    if kind == EventType.REJECTED:
        # The provider did not even try: its suppression list says why.
        if reason in ADDRESS_REJECTED:
            return "bounce"
        if reason == RejectReason.SPAM:
            return "complaint"
        if reason == RejectReason.UNSUBSCRIBED:
            return "unsubscribe"
        return None
    if kind == EventType.COMPLAINED:
        return "complaint"
    if kind == EventType.UNSUBSCRIBED:
        return "unsubscribe"
    return None


def _mark_delivery_failed(event) -> int:
    """A campaign mail that did not arrive: its Delivery row (found by the provider's
    message id) is failed, with the event type as the reason."""
    if not event.message_id:
        return 0
    return Delivery.objects.filter(
        message_id=str(event.message_id), status=Delivery.Status.SENT
    ).update(status=Delivery.Status.FAILED, reason=str(event.event_type)[:40])


def _record_bounce(address: str, reason: str) -> list[int]:
    mark_undeliverable(email=address, reason=reason)  # get_or_create: once per address
    members = list(_members_with_primary(address))
    for member in members:
        unsubscribe_from_marketing(member=member, source=SOURCES["bounce"])
    return [member.pk for member in members]


def _record_unsubscribe(address: str, source: str) -> list[int]:
    members = list(_members_with(address))
    for member in members:
        unsubscribe_from_marketing(member=member, source=source)
    return [member.pk for member in members]


def webhooks_are_authenticated() -> bool:
    """Events count only when the webhook needs credentials: without a WEBHOOK_SECRET anymail
    accepts a post from anyone (with a warning), and anyone could then stop a member's mail."""
    return bool((getattr(settings, "ANYMAIL", None) or {}).get("WEBHOOK_SECRET"))


@receiver(tracking, dispatch_uid="mailings.tracking")
def handle_tracking_event(sender, event, esp_name, **kwargs):
    action = action_for(event, esp_name)
    failed = event.event_type in (EventType.BOUNCED, EventType.REJECTED, EventType.FAILED)
    if action is None and not failed:
        return
    if not webhooks_are_authenticated():
        logger.warning(
            "mailings.tracking_ignored event=%s esp=%s reason=no_webhook_secret",
            event.event_type,
            esp_name,
        )
        return
    address = (event.recipient or "").strip()
    with transaction.atomic():
        deliveries = _mark_delivery_failed(event) if failed else 0
        members: list[int] = []
        if address and action == "bounce":
            reason = "bounce" if event.event_type == EventType.BOUNCED else "rejected"
            members = _record_bounce(address, reason)
        elif address and action == "complaint":
            members = _record_unsubscribe(address, SOURCES["complaint"])
        elif address and action == "unsubscribe":
            members = _record_unsubscribe(address, declaration.SOURCE_PROVIDER_UNSUBSCRIBE)
    logger.info(
        "mailings.tracking event=%s reason=%s esp=%s action=%s members=%s deliveries_failed=%s",
        event.event_type,
        event.reject_reason,
        esp_name,
        action or "none",
        ",".join(str(pk) for pk in members) or "none",
        deliveries,
    )
