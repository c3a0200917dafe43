"""Helpdesk intake: questions and privacy requests sent through the contact form (R7.5, R7.6).

- `new_reference()`: the number the requester quotes ("HD-7K3Q9P"): short, readable aloud (no
  0/O, 1/I/L), random, unique.
- `due_date(received_at=, extended_months=)`: THE deadline (GDPR Art. 12(3)): one calendar
  month after receipt in the site's time zone (Europe/Amsterdam), the day clamped to the
  month's end (31 January -> 28/29 February), plus at most two more months when extended.
  Every deadline on a request comes from here (intake, the extend action, the admin).
- `check_attachment(upload)`: an image (JPEG, PNG, WebP, GIF) or a PDF, judged by the content,
  never by the name or the browser's type.
- `create_request(...)`: the request, its first message, its attachments and the mails, in one
  transaction.

Identity (GDPR Art. 12(6)): a logged-in member's request is verified at once. A request from
the form whose address is a verified address of a member waits in "identity check" until the
link mailed to that member's registered (primary) address is followed (`verify_request`). A
request whose address matches no member stays "new": a question from a non-member needs no
identity, and staff see that no member matches. Nothing the visitor sees differs between these
cases, so the form does not tell anyone whether an address has an account.

Mail never repeats what the requester wrote (it may hold special-category data, and the form
must not relay text to any address one types): only the reference, the type and the dates.
"""

import io
import logging
import os
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from members.tokens import dumps_sealed, loads_sealed

from . import images
from .erasure import add_months
from .models import PrivacyRequest, RequestAttachment, RequestMessage, RequestType

logger = logging.getLogger(__name__)

REFERENCE_PREFIX = "HD-"
# Letters and digits that cannot be mistaken for one another when read aloud or typed over.
REFERENCE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
REFERENCE_LENGTH = 6
MAX_EXTENSION_MONTHS = 2
VERIFY_SALT = "privacy.requests.verify"
VERIFY_DAYS = 14
CONFIRMATION_MAIL_KIND = "privacy_request_received"
VERIFICATION_MAIL_KIND = "privacy_request_verify"
ATTACHMENT_FOLDER = "helpdesk"
# What a closed request keeps instead of the address of a member whose account was erased (an
# address that can never receive mail: .invalid is reserved, RFC 2606).
ERASED_REQUESTER_EMAIL = "erased-member@erased.invalid"

# Image formats Pillow must recognise, with the type and extension they are stored under.
IMAGE_FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
    "GIF": ("image/gif", "gif"),
}
PDF_MAGIC = b"%PDF-"
ACCEPT_ATTRIBUTE = "image/jpeg,image/png,image/webp,image/gif,application/pdf"
# An image attachment is stored at most about this many pixels on its longest side (between
# this and twice it): enough to read a screenshot, and it bounds what storing one costs.
ATTACHMENT_MAX_SIDE = 3000


# -- references and deadlines ----------------------------------------------------------------


def new_reference() -> str:
    """A fresh reference such as "HD-7K3Q9P" (31^6, about 890 million possibilities), not in
    use yet. It is a name for the request, not a secret: nothing is shown for a reference."""
    while True:
        code = "".join(secrets.choice(REFERENCE_ALPHABET) for _i in range(REFERENCE_LENGTH))
        reference = REFERENCE_PREFIX + code
        if not PrivacyRequest.objects.filter(reference=reference).exists():
            return reference


def due_date(*, received_at: datetime, extended_months: int = 0) -> datetime:
    """When the answer is due (GDPR Art. 12(3)): one calendar month after receipt, at the same
    wall-clock time in Europe/Amsterdam, the day clamped to the month's last day (31 January ->
    28 or 29 February); an extension adds one or two more months, counted from receipt the
    same way (31 January + 3 months = 30 April)."""
    if not 0 <= extended_months <= MAX_EXTENSION_MONTHS:
        raise ValueError(f"a request can be extended by 0 to {MAX_EXTENSION_MONTHS} months")
    with timezone.override(settings.TIME_ZONE):
        return add_months(received_at, 1 + extended_months)


# -- attachments -----------------------------------------------------------------------------


class AttachmentRefused(Exception):
    """An attachment that is not accepted; `message` says why, for the requester; `code` is
    "too_big" for a file over the size limit."""

    def __init__(self, message: str, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CheckedAttachment:
    upload: object
    name: str
    content_type: str
    extension: str
    size: int
    # An image drawn again without metadata (None for a PDF, stored as sent).
    clean: bytes | None = None


def clean_file_name(name: str) -> str:
    """The uploaded name, for display only: no folders, no control characters, at most 200
    characters. It is never used as a path."""
    name = os.path.basename((name or "").replace("\\", "/"))
    name = "".join(c for c in name if unicodedata.category(c)[0] != "C").strip()
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 190 - len(extension)] + dot + extension) if dot else name[:200]
    return name or "attachment"


def check_attachment(upload) -> CheckedAttachment:
    """Accepts an image (JPEG, PNG, WebP or GIF) or a PDF (the "%PDF-" header), at most
    CONTACT_ATTACHMENT_MAX_BYTES; the name and the browser's type do not count. An image is
    drawn again here without metadata, its first frame only, at a cost bounded before it is
    decoded (privacy.images): cheap enough for the web request. Raises AttachmentRefused with
    a message naming the file."""
    name = clean_file_name(getattr(upload, "name", ""))
    size = upload.size or 0
    limit = settings.CONTACT_ATTACHMENT_MAX_BYTES
    if size == 0:
        raise AttachmentRefused(_("“%(name)s” is empty.") % {"name": name})
    if size > limit:
        raise AttachmentRefused(
            _("“%(name)s” is too large (%(size)s): a file can be at most %(limit)s.")
            % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(limit)},
            code="too_big",
        )
    upload.seek(0)
    head = upload.read(len(PDF_MAGIC))
    upload.seek(0)
    if head == PDF_MAGIC:
        return CheckedAttachment(upload, name, "application/pdf", "pdf", size)
    try:
        image_format, clean = _without_metadata(upload)
    except images.ImageRefused as refused:
        logger.info("privacy_request.attachment_refused reason=%s", refused.reason)
        if refused.reason == "too_many_pixels":
            raise AttachmentRefused(
                _("“%(name)s” has too many pixels: an image can have at most %(mp)s megapixels.")
                % {"name": name, "mp": settings.UPLOAD_MAX_PIXELS // 1_000_000}
            ) from None
        raise AttachmentRefused(
            _(
                "“%(name)s” is not an image (JPEG, PNG, WebP or GIF) or a PDF file, judged "
                "by its content."
            )
            % {"name": name}
        ) from None
    finally:
        upload.seek(0)
    content_type, extension = IMAGE_FORMATS[image_format]
    return CheckedAttachment(upload, name, content_type, extension, size, clean)


def too_many_message(count: int) -> str:
    return _("You chose %(count)s files; you can send at most %(max)s.") % {
        "count": count,
        "max": settings.CONTACT_ATTACHMENTS_MAX,
    }


def _store_attachment(privacy_request: PrivacyRequest, checked: CheckedAttachment):
    """Stores the file in the private storage under a random name (never the uploaded one)."""
    attachment = RequestAttachment(
        request=privacy_request,
        original_name=checked.name,
        content_type=checked.content_type,
        size_bytes=checked.size,
        uploaded_at=privacy_request.received_at,
    )
    random_name = f"{ATTACHMENT_FOLDER}/{secrets.token_urlsafe(24)}.{checked.extension}"
    checked.upload.seek(0)
    if checked.clean is None:
        content = checked.upload
    else:
        # SECURITY.md: stored images are re-encoded without metadata (a phone photo's GPS).
        content = ContentFile(checked.clean)
        attachment.size_bytes = content.size
    attachment.file.save(random_name, content, save=False)
    attachment.save()
    return attachment


def _without_metadata(upload) -> tuple[str, bytes]:
    """The image's format and the image drawn again in it, upright, its first frame only,
    with no EXIF, XMP or ICC data. Raises images.ImageRefused."""
    with images.open_image(upload, formats=IMAGE_FORMATS) as opened:
        image_format = opened.format
        image = images.decode_first_frame(opened, fit_within=ATTACHMENT_MAX_SIDE)
        if image_format == "JPEG" and image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
        out = io.BytesIO()
        image.save(out, image_format, **({"quality": 90} if image_format == "JPEG" else {}))
        return image_format, out.getvalue()


# -- matching a requester to a member --------------------------------------------------------


def member_for_email(email: str):
    """The member with `email` as a verified address (case-insensitive), or None; None too
    when, against the unique-address rule, more than one member has it."""
    user_ids = set(
        EmailAddress.objects.filter(email__iexact=(email or "").strip(), verified=True)
        .values_list("user_id", flat=True)
        .distinct()
    )
    if len(user_ids) != 1:
        return None
    return get_user_model().objects.filter(pk=user_ids.pop()).first()


def registered_address(member) -> str:
    """The member's primary registered address (where account mail goes)."""
    primary = (
        EmailAddress.objects.filter(user=member, primary=True, verified=True)
        .values_list("email", flat=True)
        .first()
    )
    return primary or member.email


# -- intake ----------------------------------------------------------------------------------


def create_request(
    *,
    email: str,
    subject: str,
    description: str,
    type: str,  # noqa: A002 - the model's field name
    attachments=(),
    language: str,
    member=None,
) -> PrivacyRequest:
    """Stores a request from the contact form in one transaction: the PrivacyRequest with its
    due date, the requester's first message, the attachments (checked by content, stored
    under random names in the private storage), a confirmation mail with the reference to the
    requester, and the identity step described in the module docstring. Raises
    AttachmentRefused (nothing stored) for an attachment that is not accepted."""
    RequestType(type)  # ValueError for an unknown type
    attachments = list(attachments)
    if len(attachments) > settings.CONTACT_ATTACHMENTS_MAX:
        raise AttachmentRefused(too_many_message(len(attachments)))
    checked = [
        upload if isinstance(upload, CheckedAttachment) else check_attachment(upload)
        for upload in attachments
    ]
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    now = timezone.now()
    stored_files = []
    try:
        with transaction.atomic():
            privacy_request = _insert_request(
                requester_email=email.strip(),
                member=member,
                type=type,
                language=language,
                subject=subject.strip(),
                description=description.strip(),
                received_at=now,
                due_at=due_date(received_at=now),
                verified_at=now if member is not None else None,
            )
            RequestMessage.objects.create(
                request=privacy_request,
                direction=RequestMessage.Direction.IN,
                body=privacy_request.description,
                created_at=now,
            )
            for item in checked:
                stored_files.append(_store_attachment(privacy_request, item).file)
            matched = None
            if member is None:
                matched = member_for_email(privacy_request.requester_email)
                if matched is not None:
                    privacy_request.status = PrivacyRequest.Status.IDENTITY_CHECK
                    privacy_request.save(update_fields=["status"])
                    send_verification(privacy_request, member=matched)
            _send_confirmation(privacy_request, member=member or matched)
    except BaseException:
        for field_file in stored_files:
            field_file.storage.delete(field_file.name)
        raise
    logger.info(
        "privacy_request.created request=%s type=%s member=%s status=%s attachments=%s",
        privacy_request.pk,
        privacy_request.type,
        member.pk if member is not None else None,
        privacy_request.status,
        len(checked),
    )
    return privacy_request


def _insert_request(**fields) -> PrivacyRequest:
    """Inserts the request; a reference taken meanwhile by another request is drawn again."""
    for _attempt in range(5):
        try:
            with transaction.atomic():
                return PrivacyRequest.objects.create(reference=new_reference(), **fields)
        except IntegrityError:
            continue
    raise IntegrityError("no free reference after 5 attempts")


# -- identity verification -------------------------------------------------------------------


class VerificationFailed(Exception):
    """A verification link that is not valid (`expired` says whether it was, once)."""

    def __init__(self, *, expired: bool = False):
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


def verification_token(privacy_request: PrivacyRequest, *, member) -> str:
    """A signed token naming the request and the member whose address it was mailed to, both
    sealed (members.tokens): the link shows no id."""
    return dumps_sealed({"r": privacy_request.pk, "m": member.pk}, salt=VERIFY_SALT)


def verification_url(privacy_request: PrivacyRequest, *, member) -> str:
    token = verification_token(privacy_request, member=member)
    return settings.SITE_URL.rstrip("/") + reverse("privacy:verify_request", args=[token])


def send_verification(privacy_request: PrivacyRequest, *, member) -> None:
    """Mails the link that confirms the request to the member's registered address, in the
    request's language, and notes when (staff may send it again, e.g. after it expired)."""
    privacy_request.verification_sent_at = timezone.now()
    privacy_request.save(update_fields=["verification_sent_at"])
    context = {
        "reference": privacy_request.reference,
        "type_label": privacy_request.get_type_display,
        "received_at": timezone.localtime(privacy_request.received_at),
        "verify_url": verification_url(privacy_request, member=member),
        "days": VERIFY_DAYS,
        "dpo_email": settings.DPO_EMAIL,
    }
    _queue(
        privacy_request,
        to=registered_address(member),
        member=member,
        template="privacy/email/request_verify",
        kind=VERIFICATION_MAIL_KIND,
        context=context,
    )


def request_for_token(token: str) -> tuple[PrivacyRequest, object]:
    """The request and member a verification token names. Raises VerificationFailed when the
    token is forged, older than VERIFY_DAYS, or names a request or member that is gone or
    another member than the request is now linked to."""
    try:
        # legacy: links mailed before tokens were sealed, until they expire.
        data = loads_sealed(token, salt=VERIFY_SALT, max_age=VERIFY_DAYS * 24 * 3600, legacy=True)
    except signing.SignatureExpired:
        raise VerificationFailed(expired=True) from None
    except signing.BadSignature:
        raise VerificationFailed from None
    if not isinstance(data, dict):
        raise VerificationFailed
    privacy_request = PrivacyRequest.objects.filter(pk=data.get("r")).first()
    member = get_user_model().objects.filter(pk=data.get("m")).first()
    if privacy_request is None or member is None:
        raise VerificationFailed
    if privacy_request.member_id not in (None, member.pk):
        raise VerificationFailed
    return privacy_request, member


def verify_request(token: str) -> PrivacyRequest:
    """Confirms the requester's identity from the mailed link: the request is linked to the
    member, `verified_at` set, and a request waiting for this moves on to "in progress".
    Idempotent: a second confirmation changes nothing. Raises VerificationFailed."""
    privacy_request, member = request_for_token(token)
    with transaction.atomic():
        locked = PrivacyRequest.objects.select_for_update().get(pk=privacy_request.pk)
        if locked.verified_at is not None:
            return locked
        if locked.member_id not in (None, member.pk):
            raise VerificationFailed
        locked.member = member
        locked.verified_at = timezone.now()
        fields = ["member", "verified_at"]
        if locked.status == PrivacyRequest.Status.IDENTITY_CHECK:
            locked.status = PrivacyRequest.Status.IN_PROGRESS
            fields.append("status")
        locked.save(update_fields=fields)
    logger.info("privacy_request.verified request=%s member=%s", locked.pk, member.pk)
    return locked


# -- after a member's account is erased ------------------------------------------------------

CLOSED_STATUSES = (PrivacyRequest.Status.DONE, PrivacyRequest.Status.REFUSED)


def scrub_requests(request_ids) -> None:
    """Reduces requests to the bare proof of handling: reference, type, status, dates and our
    own extension or refusal reason stay; the requester's address becomes
    ERASED_REQUESTER_EMAIL, the subject, description and every message's text are cleared, and
    the attachments (files, then rows) deleted. Idempotent."""
    request_ids = list(request_ids)
    attachments = RequestAttachment.objects.filter(request_id__in=request_ids)
    for attachment in attachments:
        if attachment.file.name:
            attachment.file.storage.delete(attachment.file.name)
    attachments.delete()
    RequestMessage.objects.filter(request_id__in=request_ids).update(body="")
    PrivacyRequest.objects.filter(pk__in=request_ids).update(
        requester_email=ERASED_REQUESTER_EMAIL, subject="", description=""
    )


def forget_erased_requesters() -> int:
    """Scrubs closed requests of members whose account was erased while the request was open
    (verified, yet linked to no member: confirming always links one, and only the erasure
    unlinks). Staff needed the address to finish and answer; once closed it goes. For the
    daily task; returns how many requests it scrubbed."""
    ids = list(
        PrivacyRequest.objects.filter(
            status__in=CLOSED_STATUSES, verified_at__isnull=False, member__isnull=True
        )
        .exclude(requester_email=ERASED_REQUESTER_EMAIL)
        .values_list("pk", flat=True)
    )
    if ids:
        scrub_requests(ids)
        logger.info("privacy_request.scrubbed count=%s", len(ids))
    return len(ids)


# -- mail ------------------------------------------------------------------------------------


def _send_confirmation(privacy_request: PrivacyRequest, *, member) -> None:
    """The receipt with the reference, to the address the requester gave. Nothing the
    requester wrote is repeated."""
    context = {
        "reference": privacy_request.reference,
        "type_label": privacy_request.get_type_display,
        "received_at": timezone.localtime(privacy_request.received_at),
        "due_at": timezone.localtime(privacy_request.due_at),
        "identity_check": privacy_request.status == PrivacyRequest.Status.IDENTITY_CHECK,
        "dpo_email": settings.DPO_EMAIL,
        "complaint_url": settings.AUTORITEIT_PERSOONSGEGEVENS_URL,
    }
    _queue(
        privacy_request,
        to=privacy_request.requester_email,
        member=member,
        template="privacy/email/request_received",
        kind=CONFIRMATION_MAIL_KIND,
        context=context,
    )


def _queue(privacy_request, *, to: str, member, template: str, kind: str, context: dict):
    from members.services import queue_rendered_mail, render_mail_parts

    with translation.override(privacy_request.language):
        parts = render_mail_parts(template, {**context, "site_name": settings.SITE_NAME})
    queue_rendered_mail(parts=parts, to=to, kind=kind, member=member)
