from django.db.models import Q

from .models import (
    ConsentRecord,
    DataExport,
    PrivacyRequest,
    ProcessingLimitRecord,
    RequestAttachment,
    RequestMessage,
    StaffAccessLog,
    StatementAcceptance,
)
from .registry import Basis, Category, register


@register(
    ConsentRecord, category=Category.NECESSARY, purpose="consent", basis=Basis.LEGAL_OBLIGATION
)
class ConsentRecordData:
    def export(self, member):
        return [
            {
                "purpose": r.purpose,
                "granted": r.granted,
                "wording_version": r.wording_version,
                "source": r.source,
                "at": r.created_at.isoformat(),
            }
            for r in ConsentRecord.objects.filter(member=member).order_by("created_at", "pk")
        ]

    def erase(self, member):
        ConsentRecord.objects.filter(member=member).delete()


@register(DataExport, category=Category.NECESSARY, purpose="export", basis=Basis.LEGAL_OBLIGATION)
class DataExportData:
    """The member's export requests (dates and status), not the files' contents."""

    def export(self, member):
        return [
            {
                "requested_at": e.requested_at.isoformat(),
                "status": e.status,
                "ready_at": e.ready_at.isoformat() if e.ready_at else None,
                "expires_at": e.expires_at.isoformat() if e.expires_at else None,
                "downloaded_at": e.downloaded_at.isoformat() if e.downloaded_at else None,
                "size_bytes": e.size_bytes,
            }
            for e in DataExport.objects.filter(member=member).order_by("requested_at", "pk")
        ]

    def erase(self, member):
        """Files first, then rows (privacy.exports.erase_exports); safe to run twice."""
        from .exports import erase_exports

        erase_exports(member=member)


@register(
    ProcessingLimitRecord,
    category=Category.NECESSARY,
    purpose="consent",
    basis=Basis.LEGAL_OBLIGATION,
)
class ProcessingLimitRecordData:
    """Each restriction and objection the member put in force or lifted (R7.4)."""

    def export(self, member):
        return [
            {
                "kind": r.kind,
                "in_force": r.active,
                "source": r.source,
                "at": r.created_at.isoformat(),
            }
            for r in ProcessingLimitRecord.objects.filter(member=member).order_by(
                "created_at", "pk"
            )
        ]

    def erase(self, member):
        ProcessingLimitRecord.objects.filter(member=member).delete()


@register(
    StatementAcceptance,
    category=Category.NECESSARY,
    purpose="consent",
    basis=Basis.LEGAL_OBLIGATION,
)
class StatementAcceptanceData:
    """The privacy statement versions the member accepted, and when."""

    def export(self, member):
        return [
            {"version": a.version, "source": a.source, "accepted_at": a.accepted_at.isoformat()}
            for a in StatementAcceptance.objects.filter(member=member).order_by("accepted_at", "pk")
        ]

    def erase(self, member):
        StatementAcceptance.objects.filter(member=member).delete()


def _staff_role(staff) -> str:
    """A staff member's role, never their name: what a member learns of who looked."""
    if staff is None:
        return "former staff member"
    if staff.is_superuser:
        return "administrator"
    return ", ".join(sorted(group.name for group in staff.groups.all())) or "staff"


@register(
    StaffAccessLog,
    category=Category.NECESSARY,
    purpose="staff_access",
    basis=Basis.LEGITIMATE_INTEREST,
)
class StaffAccessLogData:
    """Who of the staff looked at the member's data (by role, GDPR Art. 15(1)(c) recipients),
    and, for a staff account, what they looked at themselves."""

    def export(self, member):
        rows = (
            StaffAccessLog.objects.filter(Q(member=member) | Q(staff=member))
            .select_related("staff")
            .prefetch_related("staff__groups")
            .order_by("viewed_at", "pk")
        )
        return [
            {
                "viewed_at": row.viewed_at.isoformat(),
                "staff_role": _staff_role(row.staff),
                "what": row.what,
                "by_you": row.staff_id == member.pk,
            }
            for row in rows
        ]

    def erase(self, member):
        StaffAccessLog.objects.filter(member=member).delete()
        StaffAccessLog.objects.filter(staff=member).update(staff=None)


# -- the helpdesk (issue 7) ------------------------------------------------------------------
# Requests are kept PRIVACY_REQUEST_RETENTION_DAYS after closing as proof of how they were
# handled (GDPR Art. 5(2), 12), then erased whole (privacy.request_actions). When a member's
# account is erased earlier, `erase_helpdesk_data` below runs (from whichever of the three
# entries comes first; the others find nothing left):
# - every request loses the link to the member, and its attachments (files and rows) go;
# - a closed request is reduced to the bare proof (privacy.requests.scrub_requests): reference,
#   type, status, dates and our own reasons stay; the address becomes ERASED_REQUESTER_EMAIL,
#   the subject, description and every message's text are cleared. That proves that a request
#   of that kind (an erasure request too) was received and answered on time, without the person;
# - an open request (typically the erasure request being carried out) keeps the address and
#   the text, so staff can finish it and tell the requester; once it is closed,
#   privacy.requests.forget_erased_requesters (for the daily task) reduces it the same way.
# Staff who handled requests or wrote their messages are unlinked, their work stays.


def erase_helpdesk_data(member) -> None:
    from .requests import CLOSED_STATUSES, scrub_requests

    own = PrivacyRequest.objects.filter(member=member)
    attachments = RequestAttachment.objects.filter(request__member=member)
    for attachment in attachments:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
    attachments.delete()
    scrub_requests(own.filter(status__in=CLOSED_STATUSES).values_list("pk", flat=True))
    own.update(member=None)
    # Requests sent from the form with the member's address but never confirmed are not linked
    # to the member; their confirmation link dies with the account, so nothing can be done
    # with them any more: reduced to the bare proof too.
    from allauth.account.models import EmailAddress

    addresses = {
        member.email,
        *EmailAddress.objects.filter(user=member).values_list("email", flat=True),
    }
    unconfirmed = PrivacyRequest.objects.none()
    for address in filter(None, addresses):
        unconfirmed = unconfirmed | PrivacyRequest.objects.filter(
            member__isnull=True, verified_at__isnull=True, requester_email__iexact=address
        )
    scrub_requests(unconfirmed.values_list("pk", flat=True))
    PrivacyRequest.objects.filter(handled_by=member).update(handled_by=None)
    RequestMessage.objects.filter(staff=member).update(staff=None)


def _iso(moment):
    return moment.isoformat() if moment else None


@register(
    PrivacyRequest, category=Category.NECESSARY, purpose="helpdesk", basis=Basis.LEGAL_OBLIGATION
)
class PrivacyRequestData:
    """The member's questions and requests to the helpdesk (linked once they were logged in or
    confirmed the request from the mailed link)."""

    def export(self, member):
        return [
            {
                "reference": r.reference,
                "type": r.type,
                "status": r.status,
                "received_at": _iso(r.received_at),
                "due_at": _iso(r.due_at),
                "extended_months": r.extended_months,
                "extension_reason": r.extension_reason,
                "verified_at": _iso(r.verified_at),
                "closed_at": _iso(r.closed_at),
                "refusal_reason": r.refusal_reason,
                "email": r.requester_email,
                "subject": r.subject,
                "description": r.description,
            }
            for r in PrivacyRequest.objects.filter(member=member).order_by("received_at", "pk")
        ]

    def erase(self, member):
        erase_helpdesk_data(member)


@register(
    RequestMessage, category=Category.NECESSARY, purpose="helpdesk", basis=Basis.LEGAL_OBLIGATION
)
class RequestMessageData:
    """What the member wrote to the helpdesk and what we answered. Staff's internal notes are
    working notes about handling the request, not part of the exchange, and are left out."""

    def export(self, member):
        rows = (
            RequestMessage.objects.filter(request__member=member)
            .exclude(direction=RequestMessage.Direction.NOTE)
            .select_related("request")
            .order_by("created_at", "pk")
        )
        return [
            {
                "request": m.request.reference,
                "direction": m.direction,
                "at": _iso(m.created_at),
                "text": m.body,
            }
            for m in rows
        ]

    def erase(self, member):
        erase_helpdesk_data(member)


def _attachment_path(attachment) -> str:
    return f"helpdesk/{attachment.request.reference}-{attachment.pk}-{attachment.original_name}"


@register(
    RequestAttachment,
    category=Category.NECESSARY,
    purpose="helpdesk",
    basis=Basis.LEGAL_OBLIGATION,
)
class RequestAttachmentData:
    """The files the member sent with a request, in the export's helpdesk/ folder."""

    def _rows(self, member):
        return (
            RequestAttachment.objects.filter(request__member=member)
            .select_related("request")
            .order_by("uploaded_at", "pk")
        )

    def export(self, member):
        return [
            {
                "request": a.request.reference,
                "file_name": a.original_name,
                "content_type": a.content_type,
                "size_bytes": a.size_bytes,
                "uploaded_at": _iso(a.uploaded_at),
                "file": _attachment_path(a),
            }
            for a in self._rows(member)
        ]

    def files(self, member):
        for attachment in self._rows(member):
            yield _attachment_path(attachment), attachment.file

    def erase(self, member):
        erase_helpdesk_data(member)
