"""Photo verification (issue 11): a member asks for the "verified" badge by uploading a selfie
making a gesture the site chose at random; a moderator compares it with the member's approved
photos and grants or refuses the badge. The selfie exists only while the request waits: a
decision clears the field in its transaction and deletes the file once that transaction has
committed, so no decided request points at a file and a rolled-back decision keeps it.

The selfie is read like a photo: the request only checks its header and stores it as sent
(private, never served) in a request "being processed"; a task (`process_selfie`) decodes it
at a bounded cost (profiles.photos.clean_image) and re-encodes it as a JPEG without any
metadata, under a server-made name, in the private storage; then it waits for a moderator.
Only staff with `profiles.review_verification` can open a waiting selfie
(verification_views.serve_selfie), and every opening is logged in moderation's
ContentAccessLog.

The badge is Profile.verified_at, derived by `sync_badge` from the latest granted request that
no moderator revoked: it shows while at least one approved photo from before that grant is
still on the profile. Adding photos keeps it (new photos are reviewed like any other); once
every photo the moderator compared the selfie with is deleted or removed, it goes, so a
profile cannot be verified with one face and then show another. A photo restored on appeal
brings it back. A moderator can also revoke it (`revoke_verification`), with a reason mailed to
the member, who can then ask again (README, "Verified badge").

At about 560 lines this module is kept whole for now: the request, its processing, the decision
and the badge are one lifecycle over one model; the planned split of large modules (issue 19)
puts processing and the badge in modules of their own.
"""

import logging
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from members.enqueue import enqueue
from moderation.audit import record_action
from moderation.models import ContentAccessLog

from .models import (
    Photo,
    Profile,
    VerificationGesture,
    VerificationRefusalReason,
    VerificationRequest,
    VerificationRevokeReason,
)
from .photos import PhotoRefused, check_upload, clean_image

logger = logging.getLogger(__name__)

REVIEW_PERMISSION = "profiles.review_verification"
DEFAULT_REQUESTS_PER_DAY = 3


@dataclass(frozen=True)
class Gesture:
    code: str
    # What the member reads (and a screen reader announces) on the upload page.
    instruction: str
    # A simple inline SVG drawing of the gesture, for those who read pictures faster.
    pictogram: str

    @property
    def label(self) -> str:
        return VerificationGesture(self.code).label


GESTURES = {
    gesture.code: gesture
    for gesture in [
        Gesture(
            VerificationGesture.THREE_FINGERS,
            gettext_lazy("Hold up three fingers next to your face."),
            "profiles/verification/gestures/three_fingers.svg",
        ),
        Gesture(
            VerificationGesture.THUMB_UP,
            gettext_lazy("Give a thumbs up next to your face."),
            "profiles/verification/gestures/thumb_up.svg",
        ),
        Gesture(
            VerificationGesture.TOUCH_NOSE,
            gettext_lazy("Touch the tip of your nose with your index finger."),
            "profiles/verification/gestures/touch_nose.svg",
        ),
        Gesture(
            VerificationGesture.HAND_ON_HEAD,
            gettext_lazy("Put one hand flat on top of your head."),
            "profiles/verification/gestures/hand_on_head.svg",
        ),
        Gesture(
            VerificationGesture.V_SIGN,
            gettext_lazy("Make a V sign with two fingers next to your face."),
            "profiles/verification/gestures/v_sign.svg",
        ),
        Gesture(
            VerificationGesture.OPEN_PALM,
            gettext_lazy("Hold up your open hand, fingers spread, next to your face."),
            "profiles/verification/gestures/open_palm.svg",
        ),
    ]
}


class VerificationRefused(Exception):
    """A request or decision that cannot be made; `code` for code and tests, `message` for
    the member or moderator."""

    def __init__(self, code: str, message):
        super().__init__(code)
        self.code = code
        self.message = message


def pick_gesture() -> str:
    """A gesture at random, so a selfie cannot be prepared in advance or taken from elsewhere."""
    return secrets.choice(list(GESTURES))


def gesture(code: str) -> Gesture | None:
    return GESTURES.get(code)


def selfie_storage():
    """Where selfies live: the `private` storage, as photos (settings.STORAGES)."""
    return VerificationRequest._meta.get_field("selfie").storage


def _new_file_name() -> str:
    return f"verification/{secrets.token_urlsafe(24)}.jpg"


def requests_per_day() -> int:
    return getattr(settings, "VERIFICATION_REQUESTS_PER_DAY", DEFAULT_REQUESTS_PER_DAY)


# --- Reads --------------------------------------------------------------------------------------


def is_verified(member) -> bool:
    """Whether `member` has the badge (one query; cards read profile.verified_at instead)."""
    if member is None or not member.is_authenticated:
        return False
    return Profile.objects.filter(member=member, verified_at__isnull=False).exists()


def badge_grant(member) -> VerificationRequest | None:
    """The grant the badge rests on: the latest granted request not revoked."""
    return (
        VerificationRequest.objects.filter(
            member=member, status=VerificationRequest.Status.GRANTED, revoked_at__isnull=True
        )
        .order_by("-decided_at", "-pk")
        .first()
    )


def derived_verified_at(member):
    """When the member's badge was granted, or None when they have none: the badge needs a
    grant nobody revoked and an approved photo uploaded before it (one the moderator could
    compare the selfie with) still on the profile."""
    grant = badge_grant(member)
    if grant is None:
        return None
    compared = Photo.objects.filter(
        member=member, status=Photo.Status.APPROVED, created_at__lte=grant.decided_at
    )
    return grant.decided_at if compared.exists() else None


def sync_badge(member) -> bool:
    """Sets Profile.verified_at to what `derived_verified_at` says; returns True when the badge
    went. Called, under the member's lock, by every change to their photos
    (profiles.photos._sync_main_and_has_photo) and by revoking."""
    verified_at = derived_verified_at(member)
    before = Profile.objects.filter(member=member).values_list("verified_at", flat=True).first()
    if before == verified_at:
        return False
    Profile.objects.filter(member=member).update(verified_at=verified_at)
    lost = before is not None and verified_at is None
    logger.info("verification.badge_%s member=%s", "lost" if lost else "shown", member.pk)
    return lost


def latest_request(member) -> VerificationRequest | None:
    return VerificationRequest.objects.filter(member=member).order_by("-created_at", "-pk").first()


def has_approved_photo(member) -> bool:
    return Photo.objects.filter(member=member, status=Photo.Status.APPROVED).exists()


def check_can_request(*, member) -> None:
    """Raises VerificationRefused when `member` cannot ask for the badge now: already verified,
    a request waiting, no approved photo to compare with, or too many requests today."""
    if is_verified(member):
        raise VerificationRefused("already_verified", _("You are already verified."))
    if VerificationRequest.objects.filter(
        member=member,
        status__in=[VerificationRequest.Status.PROCESSING, VerificationRequest.Status.PENDING],
    ).exists():
        raise VerificationRefused(
            "pending",
            _("Your selfie is waiting for a moderator. You can send a new one after the decision."),
        )
    if not has_approved_photo(member):
        raise VerificationRefused(
            "no_approved_photo",
            _(
                "You need at least one approved photo first: a moderator compares your selfie "
                "with your photos."
            ),
        )
    since = timezone.now() - timedelta(days=1)
    limit = requests_per_day()
    if VerificationRequest.objects.filter(member=member, created_at__gte=since).count() >= limit:
        raise VerificationRefused(
            "daily_limit",
            _("You can ask at most %(limit)s times a day. Please try again tomorrow.")
            % {"limit": limit},
        )


# --- The member's writes ------------------------------------------------------------------------


def request_verification(*, member, gesture_code: str, upload) -> VerificationRequest:
    """Stores the selfie as sent (private, never served) and a request "being processed" for
    the gesture that was shown; once committed, a task re-encodes it (`process_selfie`) and
    the request waits for a moderator. Only the image header is read here. Raises
    VerificationRefused (see check_can_request, or a file that is not an accepted image)."""
    if gesture_code not in GESTURES:
        raise ValueError(f"unknown gesture {gesture_code!r}")
    check_can_request(member=member)
    try:
        check_upload(upload)
    except PhotoRefused as refused:
        raise VerificationRefused("unreadable", refused.message) from None
    storage = selfie_storage()
    upload.seek(0)
    name = storage.save(f"verification/uploads/{secrets.token_urlsafe(24)}", upload)
    try:
        with transaction.atomic():
            # Serialise with the member's other requests; then check again under the lock.
            get_user_model().objects.select_for_update().get(pk=member.pk)
            check_can_request(member=member)
            verification = VerificationRequest.objects.create(
                member=member,
                gesture=gesture_code,
                selfie=name,
                status=VerificationRequest.Status.PROCESSING,
            )
            transaction.on_commit(lambda: enqueue_selfie_processing(request_id=verification.pk))
    except IntegrityError:  # a pending request arrived meanwhile (the unique constraint)
        storage.delete(name)
        raise VerificationRefused(
            "pending",
            _("Your selfie is waiting for a moderator. You can send a new one after the decision."),
        ) from None
    except BaseException:
        storage.delete(name)
        raise
    logger.info("verification.requested member=%s request=%s", member.pk, verification.pk)
    return verification


def enqueue_selfie_processing(*, request_id: int) -> bool:
    """Sends the processing task; with the broker down the request stays "being processed"
    and the sweep sends it again (as photos.enqueue_processing)."""
    from .tasks import process_selfie_task  # the tasks module imports this one

    return enqueue(process_selfie_task, request_id)


def process_selfie(*, request_id: int) -> str | None:
    """Re-encodes a request's selfie from the upload as sent (as photos.process_photo: bounded
    decoding, no metadata), deletes the upload, and the request waits for a moderator; an
    undecodable upload fails the request, its file deleted, and the member may try again.
    Idempotent. Returns the request's status afterwards (None when it is gone)."""
    statuses = VerificationRequest.objects.filter(pk=request_id).values_list("status", flat=True)
    claimed = VerificationRequest.objects.filter(
        pk=request_id, status=VerificationRequest.Status.PROCESSING
    )
    if claimed.update(processing_attempts=F("processing_attempts") + 1) == 0:
        return statuses.first()
    verification = VerificationRequest.objects.get(pk=request_id)
    upload_name = verification.selfie.name
    storage = selfie_storage()
    if verification.processing_attempts > settings.PHOTO_PROCESSING_MAX_ATTEMPTS:
        return _fail_selfie(verification, reason="too_many_attempts")
    try:
        with storage.open(upload_name, "rb") as original:
            clean = clean_image(original)
    except PhotoRefused:
        return _fail_selfie(verification, reason="undecodable")
    except FileNotFoundError:
        return _fail_selfie(verification, reason="upload_missing")
    name = storage.save(_new_file_name(), ContentFile(clean.full))
    with transaction.atomic():
        get_user_model().objects.select_for_update().filter(pk=verification.member_id).first()
        updated = VerificationRequest.objects.filter(
            pk=request_id, status=VerificationRequest.Status.PROCESSING, selfie=upload_name
        ).update(selfie=name, status=VerificationRequest.Status.PENDING)
        if updated:
            _delete_file_on_commit(upload_name)
    if not updated:  # another task, a withdrawal or an erasure came first
        storage.delete(name)
        return statuses.first()
    logger.info("verification.processed request=%s", request_id)
    return VerificationRequest.Status.PENDING


def _fail_selfie(verification: VerificationRequest, *, reason: str) -> str | None:
    updated = VerificationRequest.objects.filter(
        pk=verification.pk, status=VerificationRequest.Status.PROCESSING
    ).update(status=VerificationRequest.Status.FAILED, selfie="")
    if updated and verification.selfie.name:
        selfie_storage().delete(verification.selfie.name)
    logger.info("verification.processing_failed request=%s reason=%s", verification.pk, reason)
    return (
        VerificationRequest.objects.filter(pk=verification.pk)
        .values_list("status", flat=True)
        .first()
    )


def sweep_processing_selfies() -> int:
    """Sends the processing task again for requests still being processed a while after the
    selfie was sent (their task was lost). Returns how many."""
    due = timezone.now() - timedelta(seconds=settings.PHOTO_PROCESSING_RETRY_SECONDS)
    request_ids = list(
        VerificationRequest.objects.filter(
            status=VerificationRequest.Status.PROCESSING, created_at__lt=due
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for request_id in request_ids:
        enqueue_selfie_processing(request_id=request_id)
    return len(request_ids)


def withdraw_verification_request(*, member) -> bool:
    """Deletes the member's pending request and its selfie (the file once committed). Returns
    whether there was one."""
    with transaction.atomic():
        pending = (
            VerificationRequest.objects.select_for_update()
            .filter(
                member=member,
                status__in=[
                    VerificationRequest.Status.PROCESSING,
                    VerificationRequest.Status.PENDING,
                ],
            )
            .first()
        )
        if pending is None:
            return False
        name = pending.selfie.name
        pending.delete()
        _delete_file_on_commit(name)
    logger.info("verification.withdrawn member=%s", member.pk)
    return True


def _delete_file_on_commit(name: str) -> None:
    if not name:
        return
    storage = selfie_storage()

    def delete_file():
        try:
            storage.delete(name)
        except OSError:
            # The row no longer points at it; an operator can sweep verification/ for orphans.
            logger.exception("verification.selfie_delete_failed")

    transaction.on_commit(delete_file)


# --- Moderators ---------------------------------------------------------------------------------


def _require_reviewer(staff) -> None:
    if staff is None or not staff.is_active or not staff.is_staff:
        raise PermissionDenied
    if not staff.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied


def _decide(*, verification: VerificationRequest, moderator, status: str, reason: str = ""):
    """Locks the request, records the decision, clears the selfie field, updates the badge,
    writes the audit entry and queues the mail, all in one transaction; the file is deleted
    once it commits."""
    _require_reviewer(moderator)
    now = timezone.now()
    with transaction.atomic():
        # The member first, as their photo changes lock it: the badge follows their photos.
        get_user_model().objects.select_for_update().filter(pk=verification.member_id).first()
        locked = (
            VerificationRequest.objects.select_for_update()
            .select_related("member")
            .filter(pk=verification.pk)
            .first()
        )
        if locked is None or not locked.is_pending:
            raise VerificationRefused(
                "already_decided", _("This request was already decided or withdrawn.")
            )
        name = locked.selfie.name
        locked.status = status
        locked.refusal_reason = reason
        locked.decided_at = now
        locked.decided_by = moderator
        locked.selfie = ""
        locked.save(
            update_fields=["status", "refusal_reason", "decided_at", "decided_by", "selfie"]
        )
        if status == VerificationRequest.Status.GRANTED:
            Profile.objects.get_or_create(member=locked.member)
            sync_badge(locked.member)
        record_action(
            staff=moderator,
            action=f"verification.{status}",
            item=locked,
            detail=reason,
        )
        _tell_member(verification=locked)
        _delete_file_on_commit(name)
    verification.refresh_from_db()
    logger.info(
        "verification.%s request=%s member=%s moderator=%s",
        status,
        locked.pk,
        locked.member_id,
        moderator.pk,
    )
    return locked


def grant_verification(*, verification: VerificationRequest, moderator) -> VerificationRequest:
    """The selfie shows the gesture and the person in the photos: the member gets the badge."""
    return _decide(
        verification=verification, moderator=moderator, status=VerificationRequest.Status.GRANTED
    )


def refuse_verification(
    *, verification: VerificationRequest, moderator, reason: str
) -> VerificationRequest:
    """Refuses for one of the listed reasons; the member is told why and may try again."""
    if reason not in VerificationRefusalReason.values:
        raise ValueError(f"unknown refusal reason {reason!r}")
    return _decide(
        verification=verification,
        moderator=moderator,
        status=VerificationRequest.Status.REFUSED,
        reason=reason,
    )


def revoke_verification(*, verification: VerificationRequest, moderator, reason: str):
    """Takes a granted badge back, for one of VerificationRevokeReason: the member is told why
    by mail and may ask again with a new selfie. Raises VerificationRefused when the request
    is not a badge in force."""
    _require_reviewer(moderator)
    if reason not in VerificationRevokeReason.values:
        raise ValueError(f"unknown revoke reason {reason!r}")
    with transaction.atomic():
        get_user_model().objects.select_for_update().get(pk=verification.member_id)
        locked = (
            VerificationRequest.objects.select_for_update()
            .select_related("member")
            .filter(pk=verification.pk)
            .first()
        )
        if (
            locked is None
            or locked.status != VerificationRequest.Status.GRANTED
            or locked.revoked_at is not None
        ):
            raise VerificationRefused(
                "not_granted", _("This request is not a granted badge, or it was revoked already.")
            )
        locked.revoked_at = timezone.now()
        locked.revoked_by = moderator
        locked.revoke_reason = reason
        locked.save(update_fields=["revoked_at", "revoked_by", "revoke_reason"])
        sync_badge(locked.member)
        record_action(staff=moderator, action="verification.revoked", item=locked, detail=reason)
        _tell_member(verification=locked)
    verification.refresh_from_db()
    logger.info(
        "verification.revoked request=%s member=%s moderator=%s",
        locked.pk,
        locked.member_id,
        moderator.pk,
    )
    return locked


def open_selfie_for_review(*, verification: VerificationRequest, staff):
    """The selfie's file, opened for a reviewer; the opening is logged like a view of reported
    content (who saw whose selfie, when). Raises PermissionDenied for anyone else and
    FileNotFoundError when there is no selfie (decided, or the file is gone)."""
    _require_reviewer(staff)
    if not verification.is_pending or not verification.selfie.name:
        raise FileNotFoundError("no selfie")
    file = verification.selfie.storage.open(verification.selfie.name, "rb")
    ContentAccessLog.objects.create(
        staff=staff,
        report=None,
        content_type=ContentType.objects.get_for_model(VerificationRequest),
        object_id=verification.pk,
        author_id=verification.member_id,
    )
    logger.info("verification.selfie_viewed request=%s staff=%s", verification.pk, staff.pk)
    return file


# --- Mail ---------------------------------------------------------------------------------------


def _tell_member(*, verification: VerificationRequest) -> None:
    from members.services import mail_language, queue_rendered_mail, render_mail_parts, site_url

    member = verification.member
    if not member.email:
        return
    if verification.revoked_at is not None:
        template = "revoked"
    elif verification.status == VerificationRequest.Status.GRANTED:
        template = "granted"
    else:
        template = "refused"
    with translation.override(mail_language(member.language)):
        if template == "revoked":
            reason = str(VerificationRevokeReason(verification.revoke_reason).label)
        elif template == "refused":
            reason = str(VerificationRefusalReason(verification.refusal_reason).label)
        else:
            reason = ""
        context = {
            "member": member,
            "requested_at": timezone.localtime(verification.created_at),
            "granted_at": timezone.localtime(verification.decided_at)
            if verification.decided_at
            else None,
            "reason": reason,
            "verification_url": site_url(reverse("profiles:verification")),
            "site_name": settings.SITE_NAME,
            "helpdesk_email": settings.HELPDESK_EMAIL,
        }
        kind = f"verification_{template}"
        parts = render_mail_parts(f"profiles/verification/email/{template}", context)
    queue_rendered_mail(parts=parts, to=member.email, kind=kind, member=member)
