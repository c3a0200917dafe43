"""Who may get which mail the member asked for, and leaving it (R5.2, R7.1, R7.2, R7.4).

Suggestion and promotional mail are direct marketing: sent only to a member who opted in (the
latest record of its consent purpose in the privacy ledger is a grant), whose account is
active, whose processing is not restricted, who objects neither to direct marketing nor to
profiling, and whose primary address is confirmed and not undeliverable. Suggestion mail also
needs the personalised-suggestions consent (matching is profiling). This is asked when a mail
is queued and again when it is sent, so an unsubscribe is honoured at once.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from members.models import Member
from members.services import mailable_members
from privacy import crypto, declaration
from privacy import services as privacy_services
from privacy.models import ConsentPurpose, ProcessingLimit

from .models import Delivery, MailKind

logger = logging.getLogger(__name__)

# The consent each kind of mail rests on.
CONSENT_FOR_KIND = {
    MailKind.SUGGESTIONS: ConsentPurpose.SUGGESTION_EMAIL,
    MailKind.PROMOTIONS: ConsentPurpose.PROMOTIONAL_EMAIL,
}
# A suggestion mail not sent within this time is not sent at all (see mail_still_wanted).
SUGGESTION_MAIL_FRESH = timedelta(hours=24)
# OutgoingMail.kind of the mails of each kind sent through the outbox (campaign mails are not:
# their Delivery rows are the record).
OUTGOING_KIND = {
    MailKind.SUGGESTIONS: "suggestion_mail",
}


# -- who may be mailed -------------------------------------------------------------------------


def marketing_recipients(kind: str):
    """Every member who may get mail of `kind` right now (a Member queryset)."""
    kind = MailKind(kind)
    qs = (
        mailable_members()
        .filter(processing_restricted=False)
        .filter(pk__in=privacy_services.members_consenting(CONSENT_FOR_KIND[kind]))
        .exclude(pk__in=privacy_services.members_limited(ProcessingLimit.OBJECT_DIRECT_MARKETING))
        .exclude(pk__in=privacy_services.members_limited(ProcessingLimit.OBJECT_PROFILING))
    )
    if kind == MailKind.SUGGESTIONS:
        qs = qs.filter(pk__in=privacy_services.members_consenting(ConsentPurpose.SUGGESTIONS))
    return qs


def may_mail(member, kind: str) -> bool:
    if member is None or member.pk is None:
        return False
    return marketing_recipients(kind).filter(pk=member.pk).exists()


def mail_still_wanted(mail) -> bool:
    """settings.OUTGOING_MAIL_STILL_WANTED: asked by members.services.send_queued_mail just
    before a queued mail goes out. Suggestion mail is checked again (the member, and its
    age); every other kind (account mail, message mail, helpdesk answers, staff test sends)
    goes."""
    if mail.kind == OUTGOING_KIND[MailKind.SUGGESTIONS]:
        # Who it names was right when it was queued: a day later (a retry after an outage,
        # helpdesk's "send again") they may have blocked, hidden or left. Not sent then.
        if mail.created_at < timezone.now() - SUGGESTION_MAIL_FRESH:
            return False
        return mail.member_id is not None and may_mail(mail.member, MailKind.SUGGESTIONS)
    return True


# -- the unsubscribe link (RFC 8058) -----------------------------------------------------------


def _token_purpose(kind: str) -> str:
    return f"mailings.unsubscribe.{MailKind(kind)}"


def unsubscribe_token(member, kind: str) -> str:
    """An opaque token for one member and one kind of mail (privacy.crypto.seal_token: it
    cannot be forged or used for another member or kind, and carries neither username,
    address nor the public id profile URLs show). No expiry: a mail read a year later must
    still let the member leave."""
    return crypto.seal_token(member.public_id, purpose=_token_purpose(kind))


def public_id_from_token(kind: str, token: str) -> str | None:
    if kind not in MailKind.values:
        return None
    return crypto.open_token(token, purpose=_token_purpose(kind))


def unsubscribe_url(member, kind: str) -> str:
    path = reverse(
        "mailings:unsubscribe",
        kwargs={"kind": str(MailKind(kind)), "token": unsubscribe_token(member, kind)},
    )
    return settings.SITE_URL.rstrip("/") + path


def unsubscribe_headers(url: str) -> dict[str, str]:
    return {
        "List-Unsubscribe": f"<{url}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
    }


def set_mail_choice(*, member, kind: str, wanted: bool, source: str):
    """Opts the member in or out of a kind of mail: a record in the consent ledger (purpose,
    wording version, time, source). Returns the record, or None when nothing changed."""
    with transaction.atomic():
        record = privacy_services.set_consent(
            member=member, purpose=CONSENT_FOR_KIND[MailKind(kind)], granted=wanted, source=source
        )
        if not wanted and MailKind(kind) == MailKind.PROMOTIONS:
            # Honoured at once: campaign mail queued for the member, or in a batch being sent
            # right now (the batch's conditional UPDATE then finds the row skipped and drops
            # that mail), does not go out.
            Delivery.objects.filter(
                member=member, status__in=[Delivery.Status.QUEUED, Delivery.Status.CLAIMED]
            ).update(status=Delivery.Status.SKIPPED, reason="unsubscribed", claim="")
    return record


def unsubscribe(*, public_id: str, kinds, source: str) -> bool:
    """Stops the given kinds of mail for the member with `public_id` at once. "messages" in
    `kinds` also stops mail about new messages. Returns whether a member was found: a closed
    or erased account has nothing left to stop, and the caller shows the same page."""
    member = Member.objects.filter(public_id=public_id).first()
    if member is None:
        return False
    with transaction.atomic():
        for kind in kinds:
            if kind == "messages":
                from messaging.models import Notify
                from messaging.services import update_receiving_settings

                update_receiving_settings(member=member, notify=Notify.NEVER)
            else:
                set_mail_choice(member=member, kind=kind, wanted=False, source=source)
    logger.info("mailings.unsubscribed member=%s kinds=%s", member.pk, ",".join(sorted(kinds)))
    return True


def unsubscribe_from_marketing(*, member, source: str) -> None:
    """A complaint (marked as spam) or the one-click "everything" choice: no more suggestion
    or promotional mail, each recorded in the ledger with `source`."""
    for kind in MailKind:
        set_mail_choice(member=member, kind=kind, wanted=False, source=source)


SOURCES = {
    "settings": declaration.SOURCE_MAIL_SETTINGS,
    "link": declaration.SOURCE_UNSUBSCRIBE_LINK,
    "one_click": declaration.SOURCE_ONE_CLICK,
    "bounce": declaration.SOURCE_BOUNCE,
    "complaint": declaration.SOURCE_COMPLAINT,
}
