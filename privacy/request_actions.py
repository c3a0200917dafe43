"""What the helpdesk does with a privacy request in admin (R7.5, R7.6; GDPR Art. 12).

Every action is one service, called with keyword arguments by the admin
(privacy/request_admin.py): it checks that the staff member may process requests
(`privacy.process_privacyrequest`), locks the request row, changes it in one transaction and
queues any mail to the requester in the request's language (members.services.queue_mail, on
commit). What the requester is mailed is kept on the request as an outgoing RequestMessage, so
the page shows the whole exchange. Logs name ids only.

The actions on a member's account (an export, restriction, closing and erasing) run only for
a request whose requester's identity is verified and that is matched to a member; otherwise
they are refused with `IdentityNotVerified` (GDPR Art. 12(6): personal data go to the data
subject only). Those actions call the privacy services, never a copy of them:
privacy.exports.request_export / build_export, privacy.services.set_processing_limit,
privacy.erasure.close_account.

The export for a requester: `send_export` has the member's export built (staff are not held to
the member's 24-hour interval) and keeps it on the request; when the build finishes,
privacy.exports calls `mail_request_export` instead of its own mail, which sends the link
`privacy:request_export` with a signed token naming that one export, valid for
DATA_EXPORT_DAYS. Whoever has the link can download that export (no session: the requester may
be unable to log in), and nothing else.

Two scheduled jobs (privacy.tasks.privacy_requests_daily, every 15 minutes):
- `send_due_summary`: once a day after 08:00 Europe/Amsterdam, a mail to HELPDESK_EMAIL listing
  the open requests that are overdue or due within 7 days (reference, type, status, due date,
  days left; never the requester's address or what they wrote). Once a day: the first run
  after 08:00 claims the day with cache.add() on a key with the date (atomic in Redis, kept 36
  hours); should the cache have lost the key (a Redis restart), the summary mail row of that
  day (members.OutgoingMail, kind SUMMARY_KIND) stops a second one.
- `erase_expired_requests`: requests closed more than PRIVACY_REQUEST_RETENTION_DAYS ago are
  deleted with their messages, attachments (and their files) and the bookkeeping rows of the
  mails sent about them to a requester without an account.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext, ngettext, pgettext
from django.utils.translation import gettext_lazy as _

from members.models import Member, OutgoingMail
from members.services import mail_language, site_url
from members.tokens import dumps_sealed, loads_sealed

from .models import DataExport, PrivacyRequest, RequestMessage

logger = logging.getLogger(__name__)

PROCESS_PERMISSION = "privacy.process_privacyrequest"
MAX_EXTENSION_MONTHS = 2
EXPORT_LINK_SALT = "privacy.request_export"
SUMMARY_HOUR = 8
SUMMARY_DAYS = 7
SUMMARY_KIND = "helpdesk_due_summary"
SUMMARY_CACHE_SECONDS = 36 * 3600
ERASE_BATCH = 200
Status = PrivacyRequest.Status


class ActionRefused(ValueError):
    """The action cannot be taken on this request; `message` says why, for staff."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


class IdentityNotVerified(ActionRefused):
    """An export, restriction or erasure for a requester whose identity is not verified, or
    who is not matched to a member."""


# -- who may act, and on what ----------------------------------------------------------------


def may_process(staff) -> bool:
    return bool(
        staff is not None
        and staff.is_active
        and staff.is_staff
        and staff.has_perm(PROCESS_PERMISSION)
    )


def _check_staff(staff) -> None:
    if not may_process(staff):
        raise PermissionDenied(gettext("You may not process privacy requests."))


def unverified_reason(privacy_request) -> str | None:
    """Why actions on the member's account are not possible for this request, or None."""
    if privacy_request.verified_at is None:
        return gettext(
            "The requester's identity is not verified: the requester has not followed the "
            "link we mailed to the member's registered address."
        )
    if privacy_request.member_id is None:
        return gettext("The request is not matched to a member's account.")
    return None


def _check_verified(privacy_request) -> Member:
    reason = unverified_reason(privacy_request)
    if reason is not None:
        raise IdentityNotVerified(reason)
    return privacy_request.member


def _locked(privacy_request, *, open_only: bool = True) -> PrivacyRequest:
    locked = (
        PrivacyRequest.objects.select_for_update(of=("self",))
        .select_related("member", "data_export")
        .get(pk=privacy_request.pk)
    )
    if open_only and not locked.is_open:
        raise ActionRefused(_("This request is closed already."))
    return locked


def _sync(privacy_request, locked) -> None:
    """Copies the saved state back onto the caller's instance."""
    for field in PrivacyRequest._meta.concrete_fields:
        setattr(privacy_request, field.attname, getattr(locked, field.attname))


def _take_on(locked, staff) -> None:
    """The first action on a new request puts it in progress and names who handles it (one
    waiting for the requester's identity keeps waiting: the link moves it on)."""
    if locked.status == Status.NEW:
        locked.status = Status.IN_PROGRESS
    locked.handled_by = staff


def _note(locked, staff, text: str, direction=RequestMessage.Direction.NOTE) -> RequestMessage:
    return RequestMessage.objects.create(
        request=locked, direction=direction, staff=staff, body=text
    )


# -- deadlines -------------------------------------------------------------------------------


def days_left(privacy_request, *, now: datetime | None = None) -> int:
    """Calendar days (Europe/Amsterdam) from today to the due date; negative when overdue."""
    now = now or timezone.now()
    return (timezone.localdate(privacy_request.due_at) - timezone.localdate(now)).days


def is_overdue(privacy_request, *, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return privacy_request.is_open and privacy_request.due_at <= now


def deadline_text(privacy_request, *, now: datetime | None = None) -> str:
    """The days left as words, so an overdue request stands out without colour."""
    if not privacy_request.is_open:
        return pgettext("privacy request", "Closed")
    left = days_left(privacy_request, now=now)
    if is_overdue(privacy_request, now=now):
        if left >= 0:
            return gettext("Overdue since today")
        return ngettext("Overdue by %(days)d day", "Overdue by %(days)d days", -left) % {
            "days": -left
        }
    if left == 0:
        return gettext("Due today")
    return ngettext("%(days)d day left", "%(days)d days left", left) % {"days": left}


def _due_date(received_at: datetime, extended_months: int) -> datetime:
    from .requests import due_date  # the one function for due dates (the intake's module)

    return due_date(received_at=received_at, extended_months=extended_months)


# -- mail to the requester ---------------------------------------------------------------------


def _render(template: str, context: dict) -> tuple[str, str, str]:
    from members.services import render_mail_parts

    return render_mail_parts(f"privacy/email/{template}", context)


def _mail(
    locked, *, template: str, context: dict, staff=None, to: str | None = None, record=None
) -> None:
    """Queues `privacy/email/<template>_*` to the requester in the request's language and
    keeps what was sent on the request. `record` overrides the kept text (for a mail with a
    secret link)."""
    from members.services import queue_rendered_mail

    with translation.override(mail_language(locked.language)):
        context = {
            "site_name": settings.SITE_NAME,
            "reference": locked.reference,
            "request_type": locked.get_type_display(),
            "helpdesk_email": settings.HELPDESK_EMAIL,
            "contact_url": site_url(reverse("privacy:contact")),
            **context,
        }
        parts = _render(template, context)
        kept = _render(template, {**context, **record})[1] if record else parts[1]
    queue_rendered_mail(
        parts=parts,
        to=to or locked.requester_email,
        kind=f"privacy_request_{template}",
        member=locked.member,
        headers={"Reply-To": settings.HELPDESK_EMAIL},
    )
    _note(locked, staff, kept, direction=RequestMessage.Direction.OUT)


# -- the actions -------------------------------------------------------------------------------


def start_processing(*, request, staff) -> PrivacyRequest:
    """Puts the request in progress, handled by `staff`."""
    _check_staff(staff)
    with transaction.atomic():
        locked = _locked(request)
        if locked.status not in (Status.NEW, Status.IDENTITY_CHECK):
            raise ActionRefused(_("This request is in progress already."))
        locked.status = Status.IN_PROGRESS
        locked.handled_by = staff
        locked.save(update_fields=["status", "handled_by"])
    _sync(request, locked)
    logger.info("privacy_request.started request=%s staff=%s", locked.pk, staff.pk)
    return request


def extend(*, request, months: int, reason: str, staff) -> PrivacyRequest:
    """Extends the deadline by one or two months, at most two in all (GDPR Art. 12(3)), before
    the current due date has passed, and mails the reason and the new due date."""
    _check_staff(staff)
    reason = (reason or "").strip()
    if months not in (1, 2):
        raise ActionRefused(_("An extension is one or two months."))
    if not reason:
        raise ActionRefused(_("Give the reason for the extension: the requester is told."))
    with transaction.atomic():
        locked = _locked(request)
        if locked.extended_months + months > MAX_EXTENSION_MONTHS:
            raise ActionRefused(
                _("A request can be extended by at most two months in all (GDPR Art. 12(3)).")
            )
        if locked.due_at <= timezone.now():
            raise ActionRefused(
                _("The due date has passed: an extension must be announced before it.")
            )
        locked.extended_months += months
        locked.due_at = _due_date(locked.received_at, locked.extended_months)
        locked.extension_reason = (
            f"{locked.extension_reason}\n\n{reason}" if locked.extension_reason else reason
        )
        locked.status = Status.EXTENDED
        locked.handled_by = staff
        locked.save(
            update_fields=["extended_months", "due_at", "extension_reason", "status", "handled_by"]
        )
        _mail(
            locked,
            template="request_extended",
            staff=staff,
            context={
                "months": months,
                "reason": reason,
                "due_at": timezone.localtime(locked.due_at),
            },
        )
    _sync(request, locked)
    logger.info(
        "privacy_request.extended request=%s months=%s staff=%s",
        locked.pk,
        locked.extended_months,
        staff.pk,
    )
    return request


def refuse(*, request, reason: str, staff) -> PrivacyRequest:
    """Refuses the request and closes it; the mail gives the reason and the right to complain
    to the Autoriteit Persoonsgegevens and to go to court (GDPR Art. 12(4))."""
    _check_staff(staff)
    reason = (reason or "").strip()
    if not reason:
        raise ActionRefused(_("Give the reason for the refusal: the requester is told."))
    with transaction.atomic():
        locked = _locked(request)
        locked.status = Status.REFUSED
        locked.refusal_reason = reason
        locked.closed_at = timezone.now()
        locked.handled_by = staff
        locked.save(update_fields=["status", "refusal_reason", "closed_at", "handled_by"])
        _mail(
            locked,
            template="request_refused",
            staff=staff,
            context={
                "reason": reason,
                "authority_url": settings.AUTORITEIT_PERSOONSGEGEVENS_URL,
                "dpo_email": settings.DPO_EMAIL,
            },
        )
    _sync(request, locked)
    logger.info("privacy_request.refused request=%s staff=%s", locked.pk, staff.pk)
    return request


def complete(*, request, staff, note: str = "") -> PrivacyRequest:
    """Marks the request done (an optional internal note) and tells the requester."""
    _check_staff(staff)
    with transaction.atomic():
        locked = _locked(request)
        if note and note.strip():
            _note(locked, staff, note.strip())
        locked.status = Status.DONE
        locked.closed_at = timezone.now()
        locked.handled_by = staff
        locked.save(update_fields=["status", "closed_at", "handled_by"])
        _mail(locked, template="request_done", staff=staff, context={})
    _sync(request, locked)
    logger.info("privacy_request.done request=%s staff=%s", locked.pk, staff.pk)
    return request


def reply(*, request, text: str, staff) -> RequestMessage:
    """Mails `text` to the requester; the reply is kept on the request."""
    _check_staff(staff)
    text = (text or "").strip()
    if not text:
        raise ActionRefused(_("Write the reply first."))
    with transaction.atomic():
        locked = _locked(request, open_only=False)
        if locked.is_open:
            _take_on(locked, staff)
            locked.save(update_fields=["status", "handled_by"])
        _mail(locked, template="request_reply", staff=staff, context={"text": text})
        message = locked.messages.order_by("-pk").first()
    _sync(request, locked)
    logger.info("privacy_request.replied request=%s staff=%s", locked.pk, staff.pk)
    return message


def add_note(*, request, text: str, staff) -> RequestMessage:
    """An internal note on the request (never mailed)."""
    _check_staff(staff)
    text = (text or "").strip()
    if not text:
        raise ActionRefused(_("Write the note first."))
    with transaction.atomic():
        locked = _locked(request, open_only=False)
        message = _note(locked, staff, text)
    logger.info("privacy_request.note request=%s staff=%s", locked.pk, staff.pk)
    return message


def send_export(*, request, staff) -> DataExport:
    """Has the member's export built for a verified requester; when it is ready the requester
    gets a download link by mail (`mail_request_export`)."""
    from . import exports

    _check_staff(staff)
    with transaction.atomic():
        locked = _locked(request)
        member = _check_verified(locked)
        if (
            locked.data_export is not None
            and locked.data_export.status == DataExport.Status.PENDING
        ):
            raise ActionRefused(_("The export is being prepared; the requester gets the link."))
        export = exports.request_export(member=member, by_staff=True)
        locked.data_export = export
        _take_on(locked, staff)
        locked.save(update_fields=["data_export", "status", "handled_by"])
        _note(locked, staff, gettext("Export requested for the requester."))
    _sync(request, locked)
    logger.info(
        "privacy_request.export request=%s export=%s staff=%s", locked.pk, export.pk, staff.pk
    )
    return export


def close_and_erase(*, request, staff, immediately: bool) -> PrivacyRequest:
    """Closes the verified member's account (privacy.erasure.close_account): erased at once,
    or after the retention period with the chance to reopen. The member gets the closing mail
    of the erasure service."""
    from . import erasure

    _check_staff(staff)
    with transaction.atomic():
        locked = _locked(request)
        member = _check_verified(locked)
        try:
            erasure.close_account(member=member, erase_immediately=bool(immediately))
        except erasure.AccountNotClosable:
            raise ActionRefused(
                _("The account is not open (closed already, or suspended): nothing was changed.")
            ) from None
        _take_on(locked, staff)
        locked.save(update_fields=["status", "handled_by"])
        _note(
            locked,
            staff,
            gettext("Account closed and erased at once.")
            if immediately
            else gettext("Account closed; erased after the retention period."),
        )
    _sync(request, locked)
    logger.info(
        "privacy_request.account_closed request=%s member=%s immediate=%s staff=%s",
        locked.pk,
        member.pk,
        bool(immediately),
        staff.pk,
    )
    return request


def restrict(*, request, staff) -> PrivacyRequest:
    """Puts the restriction of processing in force for the verified member (GDPR Art. 18)."""
    from .models import ProcessingLimit
    from .services import set_processing_limit

    _check_staff(staff)
    with transaction.atomic():
        locked = _locked(request)
        member = _check_verified(locked)
        set_processing_limit(
            member=member,
            kind=ProcessingLimit.RESTRICTION,
            active=True,
            source=f"helpdesk request {locked.reference}",
        )
        _take_on(locked, staff)
        locked.save(update_fields=["status", "handled_by"])
        _note(locked, staff, gettext("Processing restricted."))
    _sync(request, locked)
    logger.info(
        "privacy_request.restricted request=%s member=%s staff=%s", locked.pk, member.pk, staff.pk
    )
    return request


def record_rectification(*, request, staff, what_changed: str) -> RequestMessage:
    """Records what staff corrected (in the member's data, elsewhere in admin) on the request,
    which is then in progress."""
    _check_staff(staff)
    what_changed = (what_changed or "").strip()
    if not what_changed:
        raise ActionRefused(_("Describe what was corrected."))
    with transaction.atomic():
        locked = _locked(request)
        _take_on(locked, staff)
        locked.save(update_fields=["status", "handled_by"])
        message = _note(locked, staff, gettext("Rectification: %(what)s") % {"what": what_changed})
    _sync(request, locked)
    logger.info("privacy_request.rectified request=%s staff=%s", locked.pk, staff.pk)
    return message


# -- the export link ---------------------------------------------------------------------------


def export_token(privacy_request, export) -> str:
    """The download link's token: request and export sealed (members.tokens), no id shown."""
    return dumps_sealed({"r": privacy_request.pk, "e": export.public_id}, salt=EXPORT_LINK_SALT)


class ExportLinkInvalid(Exception):
    """Not a link we made, or one for an export no longer kept with its request."""


class ExportLinkExpired(Exception):
    """The link is older than DATA_EXPORT_DAYS, or the export's file is gone."""


def export_for_token(token: str) -> DataExport:
    """The one export the token names, if it may still be downloaded."""
    from . import exports

    try:
        # legacy: links mailed before tokens were sealed, until they expire.
        data = loads_sealed(
            token,
            salt=EXPORT_LINK_SALT,
            max_age=timedelta(days=settings.DATA_EXPORT_DAYS),
            legacy=True,
        )
    except signing.SignatureExpired:
        raise ExportLinkExpired from None
    except signing.BadSignature:
        raise ExportLinkInvalid from None
    if not isinstance(data, dict):
        raise ExportLinkInvalid
    export = (
        DataExport.objects.filter(
            public_id=str(data.get("e", "")), privacy_requests__pk=data.get("r")
        )
        .distinct()
        .first()
    )
    if export is None:
        raise ExportLinkInvalid
    if not exports.is_downloadable(export):
        raise ExportLinkExpired
    return export


def mail_request_export(*, export) -> bool:
    """Called by privacy.exports when an export is ready: if a helpdesk request asked for it,
    mails that request's link (to the member's registered address: the one the requester
    proved to hold) and returns True; otherwise False and the member's own mail goes."""
    privacy_request = (
        PrivacyRequest.objects.select_for_update(of=("self",))
        .select_related("member")
        .filter(data_export=export)
        .order_by("pk")
        .first()
    )
    if privacy_request is None:
        return False
    from .requests import registered_address

    token = export_token(privacy_request, export)
    context = {
        "download_url": site_url(reverse("privacy:request_export", args=[token])),
        "expires_at": timezone.localtime(export.expires_at),
        "days": settings.DATA_EXPORT_DAYS,
    }
    address = registered_address(export.member)
    if address:
        _mail(
            privacy_request,
            template="request_export",
            context=context,
            to=address,
            record={"download_url": _("[the download link]")},
        )
    logger.info("privacy_request.export_mailed request=%s export=%s", privacy_request.pk, export.pk)
    return True


# -- the daily summary -------------------------------------------------------------------------


@dataclass
class DueRow:
    reference: str
    type: str
    status: str
    due_at: datetime
    days_left: int
    deadline: str
    url: str


def due_rows(*, now: datetime | None = None) -> tuple[list[DueRow], list[DueRow]]:
    """(overdue, due within SUMMARY_DAYS days): open requests, the earliest due first."""
    now = now or timezone.now()
    overdue, soon = [], []
    open_requests = PrivacyRequest.objects.exclude(status__in=[Status.DONE, Status.REFUSED])
    for privacy_request in open_requests.filter(
        due_at__lt=now + timedelta(days=SUMMARY_DAYS)
    ).order_by("due_at", "pk"):
        row = DueRow(
            reference=privacy_request.reference,
            type=privacy_request.get_type_display(),
            status=privacy_request.get_status_display(),
            due_at=timezone.localtime(privacy_request.due_at),
            days_left=days_left(privacy_request, now=now),
            deadline=deadline_text(privacy_request, now=now),
            url=site_url(reverse("admin:privacy_privacyrequest_change", args=[privacy_request.pk])),
        )
        (overdue if is_overdue(privacy_request, now=now) else soon).append(row)
    return overdue, soon


def send_due_summary(*, now: datetime | None = None) -> bool:
    """The morning mail to the helpdesk: at most once a day, at the first run after 08:00
    Amsterdam time, and only when something is overdue or due within 7 days. Returns whether
    it queued the mail."""
    from members.services import queue_rendered_mail

    now = now or timezone.now()
    local = timezone.localtime(now)
    if local.hour < SUMMARY_HOUR:
        return False
    day = local.date()
    key = f"privacy:due-summary:{day.isoformat()}"
    if not cache.add(key, now.isoformat(), timeout=SUMMARY_CACHE_SECONDS):
        return False
    try:
        with transaction.atomic():
            day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
            if OutgoingMail.objects.filter(
                kind=SUMMARY_KIND,
                created_at__gte=day_start,
                created_at__lt=day_start + timedelta(days=1),
            ).exists():
                return False
            with translation.override(settings.LANGUAGE_CODE):
                overdue, soon = due_rows(now=now)
                if not overdue and not soon:
                    return False
                context = {
                    "site_name": settings.SITE_NAME,
                    "day": day,
                    "overdue": overdue,
                    "soon": soon,
                    "days": SUMMARY_DAYS,
                    "list_url": site_url(reverse("admin:privacy_privacyrequest_changelist")),
                }
                parts = _render("request_due_summary", context)
            queue_rendered_mail(parts=parts, to=settings.HELPDESK_EMAIL, kind=SUMMARY_KIND)
    except Exception:
        cache.delete(key)  # let the next run try again
        raise
    logger.info("privacy_request.due_summary overdue=%s soon=%s", len(overdue), len(soon))
    return True


# -- retention ---------------------------------------------------------------------------------


def erase_expired_requests(*, now: datetime | None = None) -> int:
    """Deletes requests closed more than PRIVACY_REQUEST_RETENTION_DAYS ago: their attachment
    files first, then the rows (messages and attachments go with the request) and the
    bookkeeping rows of mails about them to an address without an account. Each request in its
    own transaction; returns how many were erased. Safe to run again after a crash: a missing
    file is no error."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.PRIVACY_REQUEST_RETENTION_DAYS)
    expired = PrivacyRequest.objects.filter(closed_at__lt=cutoff).order_by("pk")
    erased = 0
    last = 0
    while batch := list(expired.filter(pk__gt=last).values_list("pk", flat=True)[:ERASE_BATCH]):
        last = batch[-1]
        for request_id in batch:
            if _erase_request(request_id, cutoff):
                erased += 1
    if erased:
        logger.info("privacy_request.erased count=%s", erased)
    return erased


def _erase_request(request_id: int, cutoff: datetime) -> bool:
    with transaction.atomic():
        locked = (
            PrivacyRequest.objects.select_for_update(skip_locked=True)
            .filter(pk=request_id, closed_at__lt=cutoff)
            .first()
        )
        if locked is None:
            return False
        for attachment in locked.attachments.all():
            if attachment.file.name:
                try:
                    attachment.file.storage.delete(attachment.file.name)
                except OSError:
                    logger.warning(
                        "privacy_request.file_not_deleted request=%s attachment=%s",
                        locked.pk,
                        attachment.pk,
                    )
        OutgoingMail.objects.filter(
            member__isnull=True,
            to__iexact=locked.requester_email,
            subject__contains=locked.reference,
        ).delete()
        locked.delete()
    return True
