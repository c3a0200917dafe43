"""A member's export of their data (R7.4: access and portability).

The member asks for it on the export page (`request_export`: at most one every
DATA_EXPORT_INTERVAL_HOURS, counted from the last request that did not fail); a Celery task
(`privacy.tasks.build_data_export` -> `build_export`) writes a ZIP to the private storage, the
member gets a mail, and downloads it with their session until DATA_EXPORT_DAYS have passed. The
beat task `sweep_data_exports` (-> `sweep_exports`) retries builds that did not finish and
deletes expired files.

The ZIP holds:
- data/<app_label>.json: every registered piece of the member's data (privacy.registry), one
  file per app: {"app", "exported_at", "models": {"<model label>": [rows...]}};
- index.html: the same, readable, in the member's language, per category (necessary,
  voluntary, special), self-contained (no external resources);
- photos/<public_id>.jpg: the member's photo files as stored (a handler's optional
  `files(member)` yields the archive path and the stored file);
- README.txt and schema.json: what each file and field means (EXPORT_DOCS below, with the
  purposes, bases and holdings of privacy/declaration.py).

Memory stays flat for any history: the archive is streamed to storage by zipstream-ng, each
JSON file is written row by row as the registry yields them (the messages' export is a
generator over a database cursor), the HTML index is written meanwhile into temporary files
that spill to disk, and photos are copied in chunks. Nothing holds the whole archive, a whole
JSON file or the whole message history.
"""

import html
import io
import json
import logging
import re
import secrets
from collections import defaultdict
from datetime import datetime, timedelta
from tempfile import SpooledTemporaryFile

from django.conf import settings
from django.core.files import File
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from zipstream import ZIP_DEFLATED, ZIP_STORED, ZipStream

from members.enqueue import enqueue_on_commit
from members.models import Member
from members.services import mail_language

from . import declaration, registry
from .models import DataExport

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
# A build normally takes seconds; one still pending after this was lost (worker killed, broker
# down) and the sweep enqueues it again.
RETRY_AFTER = timedelta(minutes=10)
CHUNK_BYTES = 64 * 1024
# The HTML index is kept in memory up to this size per category, then in a temporary file.
SPOOL_BYTES = 1024 * 1024
FORMAT_VERSION = 1
ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")

# A heading for each exported model and what each of its fields means, by model label
# (privacy.registry.Entry.label). What the model holds, why, on which basis and how long come
# from the one declaration (privacy/declaration.py). README.txt, schema.json and index.html are
# made from these and from the keys the entries actually return; tests/privacy/test_export.py
# fails when an exported field has no description here.
EXPORT_DOCS = {
    "members.member": {
        "title": _("Your account"),
        "fields": {
            "username": _("The username you chose."),
            "email": _("The e-mail address of your account."),
            "gender": _("Your gender."),
            "language": _("The language the site and its mails use for you."),
            "status": _("Whether your account is active, closed or suspended."),
            "date_joined": _("When you signed up."),
            "last_login": _("When you last logged in."),
            "closed_at": _("When you closed your account, if you did."),
            "confirmed_adult_at": _("When you confirmed that you are 18 or older."),
            "terms_version": _("The version of the terms you accepted."),
            "terms_accepted_at": _("When you accepted the terms."),
            "privacy_version": _("The version of the privacy statement you accepted."),
            "privacy_accepted_at": _("When you accepted the privacy statement."),
            "erasure_due_at": _("When your closed account will be erased."),
        },
    },
    "account.emailaddress": {
        "title": _("E-mail addresses"),
        "fields": {
            "email": _("The e-mail address."),
            "verified": _("Whether you confirmed the address."),
            "primary": _("Whether this is the address we write to."),
        },
    },
    "members.outgoingmail": {
        "title": _("E-mails we sent you"),
        "fields": {
            "kind": _("What the mail was about."),
            "to": _("The address it was sent to."),
            "subject": _("The subject of the mail."),
            "status": _("Whether the mail was sent."),
            "created_at": _("When the mail was written."),
            "sent_at": _("When the mail was sent."),
        },
    },
    "usersessions.usersession": {
        "title": _("Log-in sessions"),
        "fields": {
            "ip": _("The IP address of the device."),
            "user_agent": _("The browser and operating system, as the browser described them."),
            "created_at": _("When you logged in."),
            "last_seen_at": _("When this session was last used."),
        },
    },
    "activity.loginrecord": {
        "title": _("Log-ins"),
        "fields": {
            "at": _("When you logged in."),
            "ip_address": _(
                "The IP address you logged in from; after a while only its network (the last "
                "part set to zero)."
            ),
            "ip_shortened": _("Whether the IP address was shortened to its network."),
            "device": _(
                "The kind of device: desktop (a computer), mobile (a phone), tablet or other."
            ),
            "operating_system": _("The device's operating system, such as Android 14."),
            "browser": _("The browser, such as Firefox 133."),
            "provider": _("The internet provider the IP address belongs to, if known."),
            "new_device": _("Whether it was a device we had not seen with your account before."),
            "session": _(
                "A code that tells which log-in and pages visited belong to the same session "
                "(not the session itself: it cannot be used to log in)."
            ),
        },
    },
    "activity.failedlogin": {
        "title": _("Failed log-ins"),
        "fields": {
            "at": _("When someone tried to log in with your username or e-mail address."),
            "reason": _(
                "Why it failed: bad_password (a wrong password) or rate_limited (too many "
                "attempts, refused without checking the password)."
            ),
            "ip_hash": _(
                "A code made from the IP address the attempt came from (not the address "
                "itself): the same address gives the same code."
            ),
        },
    },
    "activity.pagevisit": {
        "title": _("Pages visited"),
        "fields": {
            "page": _("The kind of page, by its name on the site (never its address)."),
            "at": _("When you visited it."),
            "session": _(
                "A code that tells which log-in and pages visited belong to the same session "
                "(not the session itself: it cannot be used to log in)."
            ),
        },
    },
    "mfa.authenticator": {
        "title": _("Two-factor authentication"),
        "fields": {
            "type": _("The kind of method, such as an authenticator app or recovery codes."),
            "created_at": _("When you set it up."),
            "last_used_at": _("When you last used it."),
        },
    },
    "members.staffenrolmentlink": {
        "title": _("Two-factor enrolment links (staff)"),
        "fields": {
            "created_at": _("When the link was made."),
            "expires_at": _("Until when it worked."),
            "used_at": _("When you used it (empty if you did not)."),
        },
    },
    "profiles.profile": {
        "title": _("Your profile"),
        "fields": {
            "description": _("What you wrote about yourself."),
            "birth_date": _("Your date of birth."),
            "place": _("Where you live."),
            "seeks_genders": _("The genders you are looking for."),
            "age_min": _("The youngest age you are looking for."),
            "age_max": _("The oldest age you are looking for."),
            "max_distance_km": _("How far away others may live, in kilometres."),
            "relationship_type": _("The kind of relationship you are looking for."),
            "interests": _("Your hobbies and interests."),
            "free_tags": _("Interests you typed in yourself."),
            "hidden_from_search": _("Whether you hid your profile from search."),
            "verified_at": _(
                "When a moderator gave you the “verified” badge (empty: not verified)."
            ),
            "sexual_preferences": _(
                "Your sexual preferences (special-category data, kept only with your consent)."
            ),
        },
    },
    "profiles.photo": {
        "title": _("Your photos"),
        "fields": {
            "id": _("The photo's reference."),
            "status": _("Whether the photo is waiting for review, approved or rejected."),
            "main": _("Whether it is your main photo."),
            "position": _("Its place in the order of your photos."),
            "uploaded_at": _("When you uploaded it."),
            "file": _("The photo file in this export."),
        },
    },
    "profiles.verificationrequest": {
        "title": _("Your requests for the verified badge"),
        "fields": {
            "id": _("The request's reference."),
            "gesture": _("The gesture we asked you to make in your selfie."),
            "status": _("Whether the request is waiting for review, granted or refused."),
            "refusal_reason": _("Why it was refused (empty when it was not)."),
            "requested_at": _("When you sent the selfie."),
            "decided_at": _("When a moderator decided."),
            "revoked_at": _("When a moderator took a granted badge back (empty if never)."),
            "revoke_reason": _("Why the badge was taken back (empty when it was not)."),
            "selfie": _(
                "Your selfie in this export while it waits for review; it is deleted as soon "
                "as a moderator has decided (then empty)."
            ),
        },
    },
    "profiles.profiletextrevision": {
        "title": _("Profile texts not on your profile"),
        "fields": {
            "description": _("What you wrote about yourself in that version."),
            "free_tags": _("The own tags of that version."),
            "status": _(
                "Waiting for review, approved, not accepted, replaced by a newer text, or taken "
                "down by a moderator."
            ),
            "checks": _(
                "Which of the site's checks the text matched (phone number, e-mail address, web "
                "address, payment terms or a blocked word)."
            ),
            "written_at": _("When you wrote it."),
            "decided_at": _("When a moderator decided, or you replaced it."),
        },
    },
    "profiles.favourite": {
        "title": _("Favourites"),
        "fields": {
            "member": _("The other member's username."),
            "added_at": _("When you added them."),
        },
    },
    "profiles.block": {
        "title": _("Blocked members"),
        "fields": {
            "member": _("The other member's username."),
            "blocked_at": _("When you blocked them."),
        },
    },
    "messaging.conversation": {
        "title": _("Conversations"),
        "fields": {
            "conversation": _("The conversation's reference."),
            "with": _("The other member's username (or “removed member”)."),
            "started_by_you": _("Whether you started the conversation."),
            "started_at": _("When the conversation started."),
            "first_message_at": _("When its first message was sent."),
        },
    },
    "messaging.message": {
        "title": _("Messages"),
        "fields": {
            "conversation": _("The conversation the message belongs to."),
            "message": _("The message's reference."),
            "direction": _("“sent” by you or “received” by you."),
            "other_party": _("The other member's username (or “removed member”)."),
            "status": _("Delivered, held for review, removed by a moderator or erased."),
            "sent_at": _("When the message was sent."),
            "text": _("The text (empty for removed and erased messages)."),
        },
    },
    "messaging.participant": {
        "title": _("Your inbox and what you read"),
        "fields": {
            "conversation": _("The conversation's reference."),
            "with": _("The other member's username (or “removed member”)."),
            "in_inbox": _("Whether the conversation is in your inbox."),
            "deleted_for_you": _("Whether you deleted the conversation for yourself."),
            "unread_count": _("How many messages you had not read yet."),
            "last_read_at": _("When you last read it."),
            "last_message_at": _("When the last message was sent."),
            "notified_at": _("When we last mailed you about a new message in it."),
        },
    },
    "messaging.receivingsettings": {
        "title": _("Message settings"),
        "fields": {
            "accepts_messages": _("Whether you receive messages."),
            "only_matching": _("Whether only members who match your wishes may write to you."),
            "only_verified": _(
                "Whether only members with the “verified” badge may start a conversation with you."
            ),
            "max_new_per_day": _("How many new conversations a day you accept (empty: no limit)."),
            "notify": _("How you hear about new messages."),
            "digest_sent_at": _("When we last sent you a daily summary."),
            "updated_at": _("When you last changed these settings."),
        },
    },
    "moderation.notice": {
        "title": _("Your reports"),
        "fields": {
            "reference": _("The report's reference (the one in your receipt)."),
            "reason": _("The category you chose."),
            "explanation": _("What you wrote with the report."),
            "good_faith": _("Whether you declared that you reported in good faith."),
            "reported_at": _("When you made the report."),
            "status": _("Where the report stands: open, dismissed or actioned."),
            "outcome": _("What was decided (empty while it is open)."),
            "outcome_sent_at": _("When we told you the outcome."),
        },
    },
    "moderation.statement": {
        "title": _("Statements of reasons about you"),
        "fields": {
            "reference": _("The statement's reference."),
            "decision": _("What was decided."),
            "category": _("The category of the problem."),
            "ground": _("Whether the content was found illegal or against the terms of use."),
            "law": _("The law it breaks (for illegal content)."),
            "terms_clause": _("The rule of the terms of use it breaks."),
            "ground_explanation": _("Why it is illegal or against the terms."),
            "facts": _("The facts the decision rests on."),
            "source": _("Whether it followed a report or the site's own initiative."),
            "automated_detection": _("Whether automatic checks found it."),
            "automated_decision": _("Whether the decision was taken automatically."),
            "applies_from": _("When the decision took effect."),
            "applies_until": _("When it ends (empty: no end date)."),
            "reversed_at": _("When it was reversed on appeal (empty: not reversed)."),
            "mailed_at": _("When we e-mailed you the statement."),
        },
    },
    "moderation.sanction": {
        "title": _("Restrictions of your account"),
        "fields": {
            "kind": _(
                "Restricted (no messaging, hidden from search), suspended, or hidden "
                "pending review."
            ),
            "from": _("When it started."),
            "until": _("When it ends by itself (empty: no end date)."),
            "ended_at": _("When it ended."),
        },
    },
    "moderation.strike": {
        "title": _("Violations counted against your account"),
        "fields": {
            "decision": _("The decision that counted."),
            "counted_at": _("When it was counted."),
            "removed_at": _("When it was removed, after a successful appeal."),
        },
    },
    "moderation.reporterstanding": {
        "title": _("How your reports turned out"),
        "fields": {
            "founded": _("How many of your reports led to action."),
            "unfounded": _("How many were dismissed."),
            "handled_last_since": _(
                "Since when your reports are handled last because many were unfounded (empty: "
                "they are not)."
            ),
        },
    },
    "moderation.appeal": {
        "title": _("Your appeals"),
        "fields": {
            "reference": _("The appeal's reference."),
            "decision": _("The decision you appealed."),
            "statement": _("The statement of reasons you appealed (empty for a report of yours)."),
            "appealed_as": _("Whether you appealed as the member concerned or as the reporter."),
            "explanation": _("What you wrote with the appeal."),
            "appealed_at": _("When you appealed."),
            "outcome": _("Upheld or reversed (empty while it is open)."),
            "reasons": _("Our reasons for the outcome."),
            "decided_at": _("When it was decided."),
        },
    },
    "moderation.trustedflagger": {
        "title": _("Organisations you report for as a trusted flagger"),
        "fields": {
            "organisation": _("The organisation."),
            "active": _("Whether its reports are still trusted."),
            "since": _("Since when your account reports for it."),
        },
    },
    "moderation.casenote": {
        "title": _("Your notes as a moderator"),
        "fields": {
            "case": _("The case's reference."),
            "written_at": _("When you wrote the note."),
            "note": _("The note."),
        },
    },
    "moderation.moderationaction": {
        "title": _("Your entries in the moderation audit log"),
        "fields": {
            "action": _("What you did."),
            "case": _("The case's reference."),
            "statement": _("The statement of reasons' reference, if any."),
            "when": _("When you did it."),
        },
    },
    "moderation.report": {
        "title": _("Moderation decisions about you"),
        "fields": {
            "reference": _("The case's reference."),
            "reason": _("What the content was reported for."),
            "decisions": _("The decisions taken, each with its time."),
            "decisions[].decision": _("The decision."),
            "decisions[].decided_at": _("When it was taken."),
        },
    },
    "moderation.reportdecision": {
        "title": _("Your decisions as a moderator"),
        "fields": {
            "reference": _("The case's reference."),
            "decision": _("The decision."),
            "decided_at": _("When you took it."),
        },
    },
    "moderation.contentaccesslog": {
        "title": _("Reported content you viewed"),
        "fields": {
            "kind": _("The kind of content."),
            "item": _("The content's reference."),
            "viewed_at": _("When you viewed it."),
        },
    },
    "privacy.staffaccesslog": {
        "title": _("Staff who looked at your data"),
        "fields": {
            "viewed_at": _("When the page was opened."),
            "staff_role": _("The role of the staff member who opened it (never their name)."),
            "what": _("What was opened: the kind of data and its reference, or a list."),
            "by_you": _("Yes when you opened it yourself, as a staff member."),
        },
    },
    "payments.order": {
        "title": _("Purchases"),
        "fields": {
            "order": _("The order's reference."),
            "credits": _("The credits bought."),
            "amount_cents": _("The price, in euro cents."),
            "method": _("The payment method."),
            "status": _("Whether the payment succeeded."),
            "refunded_cents": _("The amount refunded, in euro cents."),
            "charged_back_cents": _("The amount charged back, in euro cents."),
            "created_at": _("When you started the purchase."),
            "paid_at": _("When the payment came in."),
        },
    },
    "payments.ledgerentry": {
        "title": _("Credit history"),
        "fields": {
            "kind": _("The kind of change: a purchase, a message, a correction."),
            "credits": _("The credits added (positive) or spent (negative)."),
            "reason": _("Why."),
            "reference": _("What it refers to, such as an order or a message."),
            "at": _("When."),
        },
    },
    "payments.wallet": {
        "title": _("Credit balance"),
        "fields": {"balance": _("The credits you have.")},
    },
    "payments.spendinglimit": {
        "title": _("Monthly spending limit"),
        "fields": {
            "limit_cents": _("Your limit in force, in euro cents a month (empty: no limit)."),
            "pending_limit_cents": _(
                "A higher limit waiting to take effect, in euro cents (empty: none)."
            ),
            "pending_removal": _("Whether the removal of your limit is waiting to take effect."),
            "pending_effective_at": _("When the waiting change takes effect."),
            "updated_at": _("When you last changed your limit."),
        },
    },
    "privacy.consentrecord": {
        "title": _("Consents"),
        "fields": {
            "purpose": _("What the consent is for."),
            "granted": _("Whether you gave (true) or withdrew (false) it."),
            "wording_version": _("The version of the wording you were shown."),
            "source": _("Where you gave or withdrew it."),
            "at": _("When."),
        },
    },
    "privacy.processinglimitrecord": {
        "title": _("Restriction and objections"),
        "fields": {
            "kind": _("Restriction, objection to profiling or objection to direct marketing."),
            "in_force": _("Whether you switched it on (true) or off (false)."),
            "source": _("Where you did it."),
            "at": _("When."),
        },
    },
    "privacy.statementacceptance": {
        "title": _("Privacy statement versions you accepted"),
        "fields": {
            "version": _("The version of the statement."),
            "source": _("Where you accepted it."),
            "accepted_at": _("When."),
        },
    },
    "privacy.privacyrequest": {
        "title": _("Your questions and requests to the helpdesk"),
        "fields": {
            "reference": _("The request's reference number."),
            "type": _(
                "The kind of request: a question, access, export, correction, erasure, "
                "restriction, objection or complaint."
            ),
            "status": _("Where the request stands."),
            "received_at": _("When we received it."),
            "due_at": _("When our answer is due."),
            "extended_months": _("By how many months we extended the answer time."),
            "extension_reason": _("Why we extended it."),
            "verified_at": _("When you confirmed that the request is yours."),
            "closed_at": _("When we closed it."),
            "refusal_reason": _("Why we refused it, if we did."),
            "email": _("The e-mail address you gave."),
            "subject": _("The subject you gave."),
            "description": _("What you wrote."),
        },
    },
    "privacy.requestmessage": {
        "title": _("Your exchange with the helpdesk"),
        "fields": {
            "request": _("The request's reference number."),
            "direction": _("“in”: you wrote it; “out”: we answered."),
            "at": _("When."),
            "text": _("The text."),
        },
    },
    "privacy.requestattachment": {
        "title": _("Files you sent to the helpdesk"),
        "fields": {
            "request": _("The request's reference number."),
            "file_name": _("The file's name on your device."),
            "content_type": _("The kind of file, judged by its content."),
            "size_bytes": _("Its size, in bytes."),
            "uploaded_at": _("When you sent it."),
            "file": _("The file in this export."),
        },
    },
    "privacy.dataexport": {
        "title": _("Your export requests"),
        "fields": {
            "requested_at": _("When you asked for the export."),
            "status": _("Being prepared, ready, failed or expired."),
            "ready_at": _("When it was ready."),
            "expires_at": _("When the file is (or was) deleted."),
            "downloaded_at": _("When you last downloaded it."),
            "size_bytes": _("The size of the ZIP file, in bytes."),
        },
    },
    "members.undeliverableaddress": {
        "title": _("Undeliverable addresses"),
        "fields": {
            "email": _("The address that mail to you could not be delivered to."),
            "reason": _("What our mail provider reported: a bounce or a refusal."),
            "reported_at": _("When it was reported."),
        },
    },
    "mailings.delivery": {
        "title": _("Promotional mailings sent to you"),
        "fields": {
            "subject": _("Its subject, in your language."),
            "status": _(
                "Whether it was sent, failed, or skipped (you no longer wanted it, your "
                "address was undeliverable or the mailing was cancelled)."
            ),
            "sent_at": _("When it was sent."),
        },
    },
    "mailings.suggestionmailstate": {
        "title": _("Suggestion e-mails"),
        "fields": {"last_sent_at": _("When we last sent you a suggestion e-mail.")},
    },
    "mailings.mailedsuggestion": {
        "title": _("Members suggested to you by e-mail"),
        "fields": {
            "member": _("The suggested member's username."),
            "mailed_at": _("When we mailed you the suggestion."),
        },
    },
    "activity.partnercheck": {
        "title": _("Affiliate partner checks"),
        "fields": {
            "event": _("What was checked: your sign-up or a purchase."),
            "partner": _("The affiliate partner whose link brought you to the site."),
            "click_id": _("The partner's code for the click on its link."),
            "reference": _("For a purchase: the order's reference."),
            "status": _(
                "Whether 24metrics was asked (sent), could not be reached (failed), or the "
                "check was switched off (skipped)."
            ),
            "verdict": _("What 24metrics answered."),
            "checked_at": _("When."),
        },
    },
}

CATEGORY_ORDER = [
    registry.Category.NECESSARY,
    registry.Category.VOLUNTARY,
    registry.Category.SPECIAL,
]


class ExportTooSoon(Exception):
    """The member asked for an export within DATA_EXPORT_INTERVAL_HOURS of the last one."""

    def __init__(self, available_at: datetime):
        super().__init__(available_at.isoformat())
        self.available_at = available_at


def export_storage():
    """Where export files live: the DataExport file field's storage (STORAGES["private"])."""
    return DataExport._meta.get_field("file").storage


# -- asking for an export --------------------------------------------------------------------


def next_export_at(member) -> datetime | None:
    """When the member may ask for a new export, or None when they may now. The interval counts
    from the last request that did not fail (a failed one should not make them wait)."""
    last = (
        DataExport.objects.filter(member=member)
        .exclude(status=DataExport.Status.FAILED)
        .order_by("-requested_at")
        .values_list("requested_at", flat=True)
        .first()
    )
    if last is None:
        return None
    available = last + timedelta(hours=settings.DATA_EXPORT_INTERVAL_HOURS)
    return available if available > timezone.now() else None


def request_export(*, member, by_staff: bool = False) -> DataExport:
    """Records the request and has it built once the transaction commits. Raises ExportTooSoon
    within the interval; the member's row lock makes two quick clicks one request. Staff
    answering a helpdesk request (`by_staff`, privacy.request_actions) are not held to the
    interval."""
    from .tasks import build_data_export

    with transaction.atomic():
        Member.objects.select_for_update().filter(pk=member.pk).first()
        available_at = None if by_staff else next_export_at(member)
        if available_at is not None:
            raise ExportTooSoon(available_at)
        export = DataExport.objects.create(member=member)
        enqueue_on_commit(build_data_export, export.pk)
    logger.info("export.requested member=%s export=%s", member.pk, export.pk)
    return export


def is_downloadable(export: DataExport) -> bool:
    return (
        export.status == DataExport.Status.READY
        and bool(export.file.name)
        and export.expires_at is not None
        and export.expires_at > timezone.now()
    )


def record_download(*, export: DataExport) -> None:
    now = timezone.now()
    DataExport.objects.filter(pk=export.pk).update(downloaded_at=now)
    export.downloaded_at = now
    logger.info("export.downloaded member=%s export=%s", export.member_id, export.pk)


# -- building it -----------------------------------------------------------------------------


def build_export(*, export_id: int) -> None:
    """Builds a pending export's ZIP, marks it ready and mails the member. Idempotent: an export
    that is no longer pending is left alone, and when two builds of one export race (the sweep
    re-enqueued a slow one) the first to finish wins and the other deletes its own file. A
    failed build leaves the export pending for the sweep; the fifth failure marks it failed."""
    claimed = DataExport.objects.filter(
        pk=export_id, status=DataExport.Status.PENDING, attempts__lt=MAX_ATTEMPTS
    ).update(attempts=F("attempts") + 1)
    if not claimed:
        _fail_exhausted(DataExport.objects.filter(pk=export_id))
        return
    export = DataExport.objects.select_related("member").filter(pk=export_id).first()
    if export is None:  # erased with its member meanwhile
        return
    member = export.member
    storage = export_storage()
    started = timezone.now()
    name = f"exports/{secrets.token_urlsafe(24)}.zip"
    # The name is on the row before a byte is written: a worker killed mid-build leaves a file
    # that erasure and the sweep can still find (the sweep deletes names no row holds any more).
    DataExport.objects.filter(pk=export.pk, status=DataExport.Status.PENDING).update(file=name)
    try:
        with translation.override(mail_language(member.language)):
            name = storage.save(name, File(io.BufferedReader(_ChunkReader(archive(member))), name))
        size = storage.size(name)
    except Exception as error:
        _delete_file(storage, name)
        logger.error(
            "export.build_failed member=%s export=%s attempt=%s error=%s",
            member.pk,
            export.pk,
            export.attempts,
            type(error).__name__,
        )
        if export.attempts >= MAX_ATTEMPTS:
            _fail_exhausted(DataExport.objects.filter(pk=export.pk))
        return
    now = timezone.now()
    try:
        with transaction.atomic():
            finished = DataExport.objects.filter(
                pk=export.pk, status=DataExport.Status.PENDING
            ).update(
                status=DataExport.Status.READY,
                file=name,
                size_bytes=size,
                ready_at=now,
                expires_at=now + timedelta(days=settings.DATA_EXPORT_DAYS),
            )
            if finished:
                export.refresh_from_db()
                _mail_export_ready(export)
    except Exception:
        _delete_file(storage, name)  # the row still says pending: the sweep tries again
        raise
    if not finished:
        _delete_file(storage, name)
        return
    logger.info(
        "export.ready member=%s export=%s bytes=%s seconds=%.1f",
        member.pk,
        export.pk,
        size,
        (now - started).total_seconds(),
    )


def _fail_exhausted(exports) -> None:
    for export_id, member_id in exports.filter(
        status=DataExport.Status.PENDING, attempts__gte=MAX_ATTEMPTS
    ).values_list("pk", "member_id"):
        name = DataExport.objects.filter(pk=export_id).values_list("file", flat=True).first()
        if DataExport.objects.filter(pk=export_id, status=DataExport.Status.PENDING).update(
            status=DataExport.Status.FAILED, file=""
        ):
            if name:
                _delete_file(export_storage(), name)
            logger.error("export.failed member=%s export=%s", member_id, export_id)


def _delete_file(storage, name: str) -> None:
    try:
        storage.delete(name)
    except OSError:
        logger.warning("export.file_not_deleted name=%s", name)


# -- expiry and retries ----------------------------------------------------------------------


def sweep_exports() -> dict[str, int]:
    """The beat task: deletes the files of expired exports (the row stays, without a file, so
    the member sees it expired), enqueues pending exports that should have been built by now,
    and marks those that used up their attempts as failed."""
    from .tasks import build_data_export

    now = timezone.now()
    expired = 0
    for export in DataExport.objects.filter(
        status__in=[DataExport.Status.READY, DataExport.Status.EXPIRED], expires_at__lte=now
    ).exclude(file=""):
        expire_export(export=export)
        expired += 1
    stale = DataExport.objects.filter(
        status=DataExport.Status.PENDING, requested_at__lte=now - RETRY_AFTER
    )
    _fail_exhausted(stale)
    retried = list(stale.filter(attempts__lt=MAX_ATTEMPTS).values_list("pk", flat=True))
    for export_id in retried:
        enqueue_on_commit(build_data_export, export_id)
    orphans = delete_orphan_files(now=now)
    if expired or retried or orphans:
        logger.info("export.sweep expired=%s retried=%s orphans=%s", expired, len(retried), orphans)
    return {"expired": expired, "retried": len(retried), "orphans": orphans}


def delete_orphan_files(*, now) -> int:
    """Export files no row names any more (a build killed and retried under a new name), older
    than RETRY_AFTER so a build still writing is never touched. Returns how many went."""
    storage = export_storage()
    try:
        _folders, files = storage.listdir("exports")
    except (OSError, NotImplementedError):  # no folder yet, or a storage that cannot list
        return 0
    named = set(DataExport.objects.exclude(file="").values_list("file", flat=True))
    deleted = 0
    for file_name in files:
        name = f"exports/{file_name}"
        if name in named or storage.get_modified_time(name) > now - RETRY_AFTER:
            continue
        _delete_file(storage, name)
        deleted += 1
    return deleted


def expire_export(*, export: DataExport) -> None:
    """File first, then the row: after a crash in between, the next sweep finds the row with
    its file name and deleting a missing file is no error."""
    if export.file.name:
        _delete_file(export_storage(), export.file.name)
    DataExport.objects.filter(pk=export.pk).update(status=DataExport.Status.EXPIRED, file="")
    logger.info("export.expired member=%s export=%s", export.member_id, export.pk)


def erase_exports(*, member) -> None:
    """For the registry (R7.3): every export file of the member, then the rows. Idempotent."""
    storage = export_storage()
    for name in (
        DataExport.objects.filter(member=member).exclude(file="").values_list("file", flat=True)
    ):
        _delete_file(storage, name)
    DataExport.objects.filter(member=member).delete()


# -- the mail --------------------------------------------------------------------------------


def _mail_export_ready(export: DataExport) -> None:
    """Says that the export is ready and where to download it; nothing of the data itself."""
    from members.services import queue_rendered_mail, render_mail_parts

    from .request_actions import mail_request_export

    if mail_request_export(export=export):  # built for a helpdesk request: its own link
        return
    member = export.member
    if not member.email:
        return
    with translation.override(mail_language(member.language)):
        context = {
            "site_name": settings.SITE_NAME,
            "exports_url": settings.SITE_URL.rstrip("/") + reverse("privacy:exports"),
            "expires_at": timezone.localtime(export.expires_at),
            "days": settings.DATA_EXPORT_DAYS,
        }
        parts = render_mail_parts("privacy/email/export_ready", context)
    queue_rendered_mail(parts=parts, to=member.email, kind="data_export_ready", member=member)


# -- the archive -----------------------------------------------------------------------------


def archive(member) -> ZipStream:
    """The export as a ZipStream: iterating it yields the ZIP's bytes, built as they are asked
    for. Call it with the member's language active (translation.override)."""
    exported_at = timezone.now()
    index = _Index(member, exported_at)
    zip_stream = ZipStream(compress_type=ZIP_DEFLATED)  # zlib's default level
    by_app = defaultdict(list)
    for entry in registry.entries():
        by_app[entry.model._meta.app_label].append(entry)
    for app_label in sorted(by_app):
        zip_stream.add(
            _json_file(member, app_label, by_app[app_label], index, exported_at),
            f"data/{app_label}.json",
        )
    zip_stream.add(index.chunks(), "index.html")
    for arcname, field_file in _photo_files(member):
        # JPEGs do not compress: stored as they are.
        zip_stream.add(
            _file_chunks(field_file), arcname, size=field_file.size, compress_type=ZIP_STORED
        )
    zip_stream.add(_lazy(lambda: _readme(index, by_app)), "README.txt")
    zip_stream.add(_lazy(lambda: _schema(index, by_app)), "schema.json")
    return zip_stream


def _photo_files(member):
    """(archive path, stored file) from every registry handler that has files."""
    for entry in registry.entries():
        files = getattr(entry.handler, "files", None)
        if files is None:
            continue
        for arcname, field_file in files(member):
            if field_file.name and field_file.storage.exists(field_file.name):
                yield arcname, field_file
            else:
                logger.warning("export.file_missing member=%s model=%s", member.pk, entry.label)


def _file_chunks(field_file):
    with field_file.storage.open(field_file.name, "rb") as handle:
        while chunk := handle.read(CHUNK_BYTES):
            yield chunk


def _lazy(make_bytes):
    """A one-chunk iterable made only when the ZIP reaches it (after the data files)."""
    yield make_bytes()


class _Buffer:
    """Collects text and hands it on as UTF-8 bytes in chunks of about CHUNK_BYTES."""

    def __init__(self):
        self.parts: list[str] = []
        self.length = 0

    def write(self, text: str):
        self.parts.append(text)
        self.length += len(text)
        if self.length >= CHUNK_BYTES:
            yield from self.flush()

    def flush(self):
        if self.parts:
            data = "".join(self.parts).encode()
            self.parts, self.length = [], 0
            yield data


def _json_file(member, app_label: str, entries, index, exported_at):
    """data/<app_label>.json, written row by row: valid JSON, never whole in memory."""
    buffer = _Buffer()
    app, at = json.dumps(app_label), json.dumps(exported_at.isoformat())
    yield from buffer.write(f'{{\n  "app": {app},\n  "exported_at": {at},\n  "models": {{')
    for number, entry in enumerate(entries):
        yield from buffer.write(("," if number else "") + f"\n    {json.dumps(entry.label)}: [")
        index.start_model(entry)
        count = 0
        for row in entry.export(member):
            text = json.dumps(row, ensure_ascii=False, default=str)
            yield from buffer.write(("," if count else "") + "\n      " + text)
            index.add_row(entry, row)
            count += 1
        index.end_model(entry)
        yield from buffer.write("\n    ]" if count else "]")
    yield from buffer.write("\n  }\n}\n")
    yield from buffer.flush()


class _Index:
    """index.html, written while the JSON files are: each category's part into its own
    temporary file (in memory up to SPOOL_BYTES, then on disk), joined with the heading and
    table of contents at the end. Also keeps the keys each model's rows had and their number,
    for the README and schema."""

    ROWS_PER_WRITE = 200

    def __init__(self, member, exported_at):
        self.member = member
        self.exported_at = exported_at
        self.parts = {
            category: SpooledTemporaryFile(max_size=SPOOL_BYTES, mode="w+b")  # noqa: SIM115
            for category in CATEGORY_ORDER
        }
        self.keys: dict[str, list[str]] = {}
        self.counts: dict[str, int] = {}
        self.entries: list = []
        self._columns: list[str] = []
        self._pending: list[str] = []

    def _write(self, entry, text: str) -> None:
        self.parts[entry.category].write(text.encode())

    def _model_start(self, entry, *, layout: str, single=None) -> str:
        """The model's heading and text, and: `table` the head of a table with a row per item
        (the rows follow), `single` the one item as a table of fields, `empty` a line."""
        fields = [(key, field_description(entry.label, key)) for key in self._columns]
        return render_to_string(
            "privacy/export/_model.html",
            {
                "anchor": _anchor(entry),
                "name": model_title(entry),
                "about": model_about(entry.label),
                "basis": registry.BASIS_LABELS.get(entry.basis, entry.basis),
                **_purpose_context(entry),
                "file": _data_file(entry),
                "columns": fields,
                "layout": layout,
                "single": [
                    (key, description, mark_safe(_cell(key, single.get(key))))  # noqa: S308
                    for key, description in fields
                ]
                if single is not None
                else None,
            },
        )

    def start_model(self, entry) -> None:
        self.entries.append(entry)
        self.keys[entry.label] = []
        self.counts[entry.label] = 0
        self._columns = []
        self._pending = []
        self._first = None

    def _row_html(self, row: dict) -> str:
        cells = "".join(f"<td>{_cell(key, row.get(key))}</td>" for key in self._columns)
        return f"<tr>{cells}</tr>\n"

    def add_row(self, entry, row: dict) -> None:
        """The first row waits: a model with one item (the account, the profile) reads better
        as a list of fields than as a one-row table, and that is known at the second row."""
        seen = self.keys[entry.label]
        for key in _keys_of(row):
            if key not in seen:
                seen.append(key)
        self.counts[entry.label] += 1
        if self.counts[entry.label] == 1:
            self._columns = list(row)
            self._first = row
            return
        if self._first is not None:
            self._write(entry, self._model_start(entry, layout="table"))
            self._pending.append(self._row_html(self._first))
            self._first = None
        self._pending.append(self._row_html(row))
        if len(self._pending) >= self.ROWS_PER_WRITE:
            self._write(entry, "".join(self._pending))
            self._pending = []

    def end_model(self, entry) -> None:
        count = self.counts[entry.label]
        if count == 0:
            self._write(entry, self._model_start(entry, layout="empty"))
        elif count == 1:
            self._write(entry, self._model_start(entry, layout="single", single=self._first))
        else:
            self._write(entry, "".join(self._pending) + "</tbody></table></div></section>\n")
        self._pending = []
        self._first = None

    def chunks(self):
        """The page: its head and table of contents (now that the counts are known), then each
        category's part as it was written."""
        try:
            categories = []
            for category in CATEGORY_ORDER:
                declared = declaration.CATEGORIES.get(category)
                models = [
                    {
                        "anchor": _anchor(entry),
                        "name": model_title(entry),
                        "count": self.counts.get(entry.label, 0),
                    }
                    for entry in self.entries
                    if entry.category == category
                ]
                # Special-category data kept inside a model of another category (the sexual
                # preferences in the profile): pointed at from the special section.
                inside = [
                    {
                        "what": str(special.what),
                        "anchor": special.model_label.replace(".", "-"),
                        "field": special.export_key,
                    }
                    for special in declaration.SPECIAL_HOLDINGS
                    if category == registry.Category.SPECIAL and special.model_label in self.counts
                ]
                if models or inside:
                    categories.append(
                        {
                            "key": category,
                            "label": registry.CATEGORY_LABELS[category],
                            "heading": declared.heading if declared else "",
                            "description": declared.description if declared else "",
                            "models": models,
                            "inside": inside,
                        }
                    )
            context = {
                "member": self.member,
                "exported_at": timezone.localtime(self.exported_at),
                "categories": categories,
                "site_name": settings.SITE_NAME,
            }
            yield render_to_string("privacy/export/index_start.html", context).encode()
            for category in categories:
                yield render_to_string(
                    "privacy/export/_category.html", {"category": category}
                ).encode()
                part = self.parts[category["key"]]
                part.seek(0)
                while chunk := part.read(CHUNK_BYTES):
                    yield chunk
                yield b"</section>\n"
            yield render_to_string("privacy/export/index_end.html", context).encode()
        finally:
            for part in self.parts.values():
                part.close()


def _anchor(entry) -> str:
    return entry.label.replace(".", "-")


def _data_file(entry) -> str:
    return f"data/{entry.model._meta.app_label}.json"


def _keys_of(row: dict):
    """The row's keys, and `key[].sub` for the keys of dicts in a list (moderation's
    decisions)."""
    for key, value in row.items():
        yield key
        if isinstance(value, list):
            for item in value:
                if isinstance(item, dict):
                    for sub in item:
                        yield f"{key}[].{sub}"


def _cell(key: str, value) -> str:
    """One value, readable and escaped: yes/no, local times, photo files as links. Called for
    every field of every row (350000 times for 50000 messages), so kept plain: the standard
    library's escape, and times as "2026-05-01 14:00" (Europe/Amsterdam), the same in both
    languages."""
    if value is None or value == "" or value == []:
        return '<span class="none">—</span>'
    if value is True:
        return _html(gettext("yes"))
    if value is False:
        return _html(gettext("no"))
    if isinstance(value, list | dict):
        if isinstance(value, list) and all(isinstance(item, str | int) for item in value):
            return _html(", ".join(str(item) for item in value))
        return f"<code>{_html(json.dumps(value, ensure_ascii=False, default=str))}</code>"
    if isinstance(value, str):
        if key == "file" and value.startswith("photos/"):
            return f'<a href="{_html(value)}">{_html(value)}</a>'
        if ISO_DATETIME.match(value):
            moment = _parse_datetime(value)
            if moment is not None:
                shown = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
                return f'<time datetime="{_html(value)}">{shown}</time>'
        return _html(value).replace("\n", "<br>")
    return _html(str(value))


def _html(text: str) -> str:
    return html.escape(text, quote=True)


def _parse_datetime(value: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if timezone.is_aware(moment) else None


# -- README.txt and schema.json ----------------------------------------------------------------


def model_title(entry) -> str:
    title = EXPORT_DOCS.get(entry.label, {}).get("title")
    return str(title) if title else str(entry.model._meta.verbose_name_plural).capitalize()


def model_about(label: str) -> str:
    """What the model holds, in the member's words: the declaration's holding."""
    holding = declaration.HOLDINGS.get(label)
    return str(holding.what) if holding else ""


def _purpose_context(entry) -> dict:
    purpose = declaration.PURPOSES.get(entry.purpose)
    return {
        "purpose": str(purpose.label) if purpose else entry.purpose,
        "why": str(purpose.why) if purpose else "",
        "retention": purpose.retention_text() if purpose else "",
    }


def field_description(label: str, key: str) -> str:
    return str(EXPORT_DOCS.get(label, {}).get("fields", {}).get(key, ""))


def documented_fields(label: str, seen: list[str]) -> list[tuple[str, str]]:
    """The fields of a model: those documented, then any the rows had that are not (a
    warning in the log: EXPORT_DOCS needs a line)."""
    fields = list(EXPORT_DOCS.get(label, {}).get("fields", {}))
    missing = [key for key in seen if key not in fields]
    if missing:
        logger.warning("export.undocumented_fields model=%s fields=%s", label, ",".join(missing))
    if seen:  # what this member's rows had, in the rows' order
        fields = list(seen)
    return [(key, field_description(label, key)) for key in fields]


def _models_for_docs(index, by_app):
    for app_label in sorted(by_app):
        for entry in by_app[app_label]:
            yield app_label, entry, documented_fields(entry.label, index.keys.get(entry.label, []))


def _readme(index, by_app) -> bytes:
    apps = defaultdict(list)
    for app_label, entry, fields in _models_for_docs(index, by_app):
        apps[app_label].append(
            {
                "label": entry.label,
                "name": model_title(entry),
                "about": model_about(entry.label),
                "category": registry.CATEGORY_LABELS[entry.category],
                "basis": registry.BASIS_LABELS.get(entry.basis, entry.basis),
                **_purpose_context(entry),
                "count": index.counts.get(entry.label, 0),
                "fields": fields,
            }
        )
    context = {
        "site_name": settings.SITE_NAME,
        "exported_at": timezone.localtime(index.exported_at),
        "apps": sorted(apps.items()),
    }
    return render_to_string("privacy/export/README.txt", context).encode()


def _schema(index, by_app) -> bytes:
    models = {}
    for app_label, entry, fields in _models_for_docs(index, by_app):
        models[entry.label] = {
            "file": f"data/{app_label}.json",
            "title": model_title(entry),
            "description": model_about(entry.label),
            "category": str(entry.category),
            "purpose": entry.purpose,
            "legal_basis": str(entry.basis),
            "rows": index.counts.get(entry.label, 0),
            "fields": dict(fields),
        }
    schema = {
        "format_version": FORMAT_VERSION,
        "exported_at": index.exported_at.isoformat(),
        "language": translation.get_language(),
        "files": {
            "data/<app>.json": gettext(
                'Your data, one file per part of the site: {"app", "exported_at", '
                '"models": {"<model>": [rows]}}.'
            ),
            "index.html": gettext("The same data, readable in a web browser."),
            "photos/": gettext("Your photo files."),
            "README.txt": gettext("What the files and fields mean."),
            "schema.json": gettext("This description, for programs."),
        },
        "models": models,
    }
    return (json.dumps(schema, ensure_ascii=False, indent=2) + "\n").encode()


class _ChunkReader(io.RawIOBase):
    """A readable file over an iterable of byte chunks, so storage.save() can stream them: the
    storage reads a buffer at a time and the ZIP is made as it reads."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._current = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        while not self._current:
            try:
                self._current = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        size = min(len(buffer), len(self._current))
        buffer[:size] = self._current[:size]
        self._current = self._current[size:]
        return size
