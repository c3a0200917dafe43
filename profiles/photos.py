"""Members' photos: every write that changes a member's photos (upload, processing, main photo,
order, deletion, moderation). Reading an upload safely is in profiles.photo_images.

An upload is taken in by `add_photo` (a cheap header check; the bytes stored as uploaded,
privately, never served) as a photo "being processed"; a task (`process_photo`) decodes it at a
bounded cost (privacy.images), writes the clean copies, deletes the upload and hands the photo
to moderation; `sweep_processing_photos` re-sends tasks that were lost, and an upload that
cannot be decoded leaves a "failed" photo without files. No web worker decodes a photo.

Moderation decides on photos through profiles/moderated_content.py: a new photo waits in the
moderation queue (`process_photo` holds it there) until it is approved (`release_photo`) or
rejected (`reject_photo`); a rejected photo keeps its file so a decision reversed on appeal
can show it again (`restore_photo`); an urgent report hides a photo pending review
(`hide_photo`) without changing its status. Profiles sends no mail about these decisions:
moderation mails the statement of reasons.

Every upload is decoded and re-encoded as a JPEG without any metadata (no EXIF, so no GPS
position; no XMP, ICC profile or comment), under a name the server makes up, in the private
storage. The original bytes are kept only until then and never served (SECURITY.md "Input
and files").
"""

import logging
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from members.enqueue import enqueue
from moderation import sanctions
from moderation.reasons import Category, PhotoRejectionReason
from moderation.services import hold_for_review

from .models import Block, Photo, Profile

# Reading an upload lives in photo_images; its names are re-exported for the callers.
from .photo_images import (  # noqa: F401
    ACCEPTED_CONTENT_TYPES,
    ACCEPTED_FORMATS,
    JPEG_QUALITY,
    MAIN_MAX_SIZE,
    SIZES,
    THUMB_SIZE,
    CleanImage,
    PhotoRefused,
    _not_an_image_message,
    _too_big_message,
    check_upload,
    clean_image,
)

logger = logging.getLogger(__name__)


def photo_storage():
    """Where photo files live: the Photo fields' storage (settings.STORAGES["private"])."""
    return Photo._meta.get_field("image").storage


def _new_file_name(suffix: str = "") -> str:
    return f"photos/{secrets.token_urlsafe(24)}{suffix}.jpg"


# --- Who may see a photo ------------------------------------------------------------------------


def blocked_between(member_a, member_b) -> bool:
    """Has either of the two blocked the other?"""
    return Block.objects.filter(
        Q(blocker=member_a, blocked=member_b) | Q(blocker=member_b, blocked=member_a)
    ).exists()


def can_view_photo(*, viewer, photo: Photo) -> bool:
    """The owner sees their own photos in any state; reviewers see every photo; other members
    see approved photos, not hidden pending review, of findable members without an account
    restriction in force (moderation.sanctions) and with no block between them. Anonymous:
    nothing."""
    if viewer is None or not viewer.is_authenticated:
        return False
    if photo.member_id == viewer.pk:
        return True
    # Only staff can hold the review permission in practice; skip the permission queries for
    # ordinary members, who fetch many thumbnails.
    if viewer.is_staff and viewer.has_perm("profiles.review_photo"):
        return True
    owner = photo.member
    return (
        photo.status == Photo.Status.APPROVED
        and photo.hidden_at is None
        and owner.is_findable
        and not blocked_between(viewer, owner)
        and not sanctions.is_hidden(owner)
        and (not photo.is_premium or can_see_premium(viewer))
    )


def approved_photos(*, member):
    """The photos others may see of `member` (callers check findability and blocks)."""
    return Photo.objects.filter(
        member=member, status=Photo.Status.APPROVED, hidden_at__isnull=True
    ).order_by("-is_main", "position", "pk")


# --- Writes ------------------------------------------------------------------------------------


def _lock_member(member):
    """Serialises changes to one member's photos (limit, order, main photo)."""
    return get_user_model().objects.select_for_update().get(pk=member.pk)


def _sync_main_and_has_photo(member) -> None:
    """Keeps the invariants: a member with approved photos has a main photo that is not
    rejected, and Profile.has_photo is true exactly when the main photo is approved and not
    hidden pending review (a hidden main photo stays main: hiding is not a decision)."""
    photos = Photo.objects.filter(member=member)
    main = photos.filter(is_main=True).first()
    if main is not None and (
        main.status in (Photo.Status.REJECTED, Photo.Status.FAILED) or main.is_premium
    ):
        Photo.objects.filter(pk=main.pk).update(is_main=False)
        main = None
    if main is None:
        candidate = (
            photos.filter(status=Photo.Status.APPROVED, is_premium=False)
            .order_by("position", "pk")
            .first()
        )
        if candidate is not None:
            Photo.objects.filter(pk=candidate.pk).update(is_main=True)
            main = candidate
            main.is_main = True
    has_photo = main is not None and main.status == Photo.Status.APPROVED and main.hidden_at is None
    updated = Profile.objects.filter(member=member).exclude(has_photo=has_photo)
    if updated.update(has_photo=has_photo) == 0 and has_photo:
        Profile.objects.get_or_create(member=member, defaults={"has_photo": True})
    # The verified badge rests on the photos the selfie was compared with (verification.py).
    from .verification import sync_badge

    sync_badge(member)


def add_photo(*, member, upload) -> Photo:
    """Takes an upload in: checks its size and image header (cheap: nothing is decoded here),
    stores the bytes as uploaded in the private storage (never served) and a photo "being
    processed"; once the transaction commits, a task makes the clean copies (`process_photo`).
    The first photo becomes the main photo. Raises PhotoRefused (too big, not an image, too
    many pixels or photos)."""
    if Photo.objects.filter(member=member).count() >= settings.PHOTO_MAX_PER_MEMBER:
        raise PhotoRefused(_too_many_message())
    check_upload(upload)
    storage = photo_storage()
    upload.seek(0)
    original_name = storage.save(f"uploads/{secrets.token_urlsafe(24)}", upload)
    try:
        with transaction.atomic():
            _lock_member(member)
            photos = Photo.objects.filter(member=member)
            if photos.count() >= settings.PHOTO_MAX_PER_MEMBER:
                raise PhotoRefused(_too_many_message())
            last = photos.aggregate(last=Max("position"))["last"]
            photo = Photo.objects.create(
                member=member,
                original=original_name,
                status=Photo.Status.PROCESSING,
                is_main=not photos.filter(is_main=True).exists(),
                position=0 if last is None else last + 1,
            )
            transaction.on_commit(lambda: enqueue_processing(photo_id=photo.pk))
    except BaseException:
        storage.delete(original_name)
        raise
    logger.info("photo.uploaded member=%s photo=%s", member.pk, photo.pk)
    return photo


def enqueue_processing(*, photo_id: int) -> bool:
    """Sends the processing task; a broker that is down loses nothing: the photo stays "being
    processed" and the sweep (`sweep_processing_photos`) sends it again. Returns whether it
    was sent."""
    from .tasks import process_photo_task  # the tasks module imports this one

    return enqueue(process_photo_task, photo_id)


def process_photo(*, photo_id: int) -> str | None:
    """Makes the clean copies of a photo being processed, from its stored upload: the photo
    and its thumbnail without any metadata, then deletes the upload and hands the photo to
    moderation as a new photo (as an upload did before it was processed in the background).
    An upload that cannot be decoded marks the photo failed, its files gone; the member sees
    why on the photos page. Idempotent: a photo no longer being processed is left alone, and
    of two tasks on the same photo only the first to commit keeps its files. Returns the
    photo's status afterwards (None when it is gone)."""
    claimed = Photo.objects.filter(pk=photo_id, status=Photo.Status.PROCESSING)
    if claimed.update(processing_attempts=F("processing_attempts") + 1) == 0:
        return Photo.objects.filter(pk=photo_id).values_list("status", flat=True).first()
    photo = Photo.objects.get(pk=photo_id)
    storage = photo_storage()
    if photo.processing_attempts > settings.PHOTO_PROCESSING_MAX_ATTEMPTS:
        # Earlier attempts never finished (a worker killed while decoding it): stop trying.
        return _fail_processing(photo, reason="too_many_attempts")
    try:
        with storage.open(photo.original.name, "rb") as original:
            clean = clean_image(original)
    except PhotoRefused:
        return _fail_processing(photo, reason="undecodable")
    except FileNotFoundError:
        return _fail_processing(photo, reason="upload_missing")
    image_name = storage.save(_new_file_name(), ContentFile(clean.full))
    thumb_name = storage.save(_new_file_name("_t"), ContentFile(clean.thumbnail))
    locked = None
    try:
        with transaction.atomic():
            member = get_user_model().objects.select_for_update().filter(pk=photo.member_id)
            member = member.first()
            if member is not None:
                locked = Photo.objects.select_for_update().filter(pk=photo_id).first()
            if locked is None or locked.status != Photo.Status.PROCESSING:
                raise _AlreadyProcessed
            Photo.objects.filter(pk=photo_id).update(
                image=image_name,
                thumbnail=thumb_name,
                original="",
                width=clean.width,
                height=clean.height,
                status=Photo.Status.PENDING,
            )
            locked.refresh_from_db()
            hold_for_review(item=locked, author=member, reason=Category.NEW_PHOTO)
            name = photo.original.name
            transaction.on_commit(lambda: storage.delete(name))
    except _AlreadyProcessed:
        storage.delete(image_name)
        storage.delete(thumb_name)
        return locked.status if locked is not None else None
    except BaseException:
        storage.delete(image_name)
        storage.delete(thumb_name)
        raise
    logger.info("photo.processed photo=%s", photo_id)
    return Photo.Status.PENDING


class _AlreadyProcessed(Exception):
    pass


def _fail_processing(photo: Photo, *, reason: str) -> str:
    storage = photo_storage()
    with transaction.atomic():
        member = _lock_member(photo.member)
        updated = Photo.objects.filter(pk=photo.pk, status=Photo.Status.PROCESSING).update(
            status=Photo.Status.FAILED, original="", is_main=False
        )
        if updated:
            _sync_main_and_has_photo(member)
    if updated and photo.original.name:
        storage.delete(photo.original.name)
    logger.info("photo.processing_failed photo=%s reason=%s", photo.pk, reason)
    return Photo.objects.filter(pk=photo.pk).values_list("status", flat=True).first()


def sweep_processing_photos() -> int:
    """Sends the processing task again for photos still being processed a while after their
    upload (their task was lost: a broker outage, a worker killed). Returns how many."""
    due = timezone.now() - timedelta(seconds=settings.PHOTO_PROCESSING_RETRY_SECONDS)
    photo_ids = list(
        Photo.objects.filter(status=Photo.Status.PROCESSING, created_at__lt=due)
        .order_by("created_at")
        .values_list("pk", flat=True)[:500]
    )
    for photo_id in photo_ids:
        enqueue_processing(photo_id=photo_id)
    if photo_ids:
        logger.info("photo.processing_resent count=%s", len(photo_ids))
    return len(photo_ids)


def _too_many_message() -> str:
    return _("You already have %(max)s photos. Delete one before you add another.") % {
        "max": settings.PHOTO_MAX_PER_MEMBER
    }


def set_main_photo(*, photo: Photo) -> None:
    """Makes `photo` its owner's main photo (others see it once it is approved)."""
    with transaction.atomic():
        _lock_member(photo.member)
        photo.refresh_from_db()
        if photo.status in (Photo.Status.REJECTED, Photo.Status.FAILED):
            raise PhotoRefused(_("A photo that was not approved cannot be your main photo."))
        if photo.is_premium:
            raise PhotoRefused(_("A premium photo cannot be your main photo: everyone sees that."))
        Photo.objects.filter(member_id=photo.member_id, is_main=True).exclude(pk=photo.pk).update(
            is_main=False
        )
        Photo.objects.filter(pk=photo.pk).update(is_main=True)
        photo.is_main = True
        _sync_main_and_has_photo(photo.member)


def set_photo_premium(*, photo: Photo, premium: bool) -> None:
    """Marks a photo as premium (only paying members see it, R2.4) or as open to all members.
    A premium photo stops being the main photo; another approved one takes its place."""
    with transaction.atomic():
        _lock_member(photo.member)
        Photo.objects.filter(pk=photo.pk).update(is_premium=premium)
        photo.is_premium = premium
        _sync_main_and_has_photo(photo.member)


def can_see_premium(viewer) -> bool:
    """Whether `viewer` may see premium photos: settings.PREMIUM_ACCESS_CHECK names the check
    (the payments app's is_paying_member), so profiles does not import payments."""
    return bool(import_string(settings.PREMIUM_ACCESS_CHECK)(member=viewer))


def move_photo(*, photo: Photo, direction: str) -> None:
    """Moves a photo one place up or down in its owner's list (ends stay where they are)."""
    if direction not in ("up", "down"):
        raise ValueError(f"unknown direction {direction!r}")
    with transaction.atomic():
        _lock_member(photo.member)
        ordered = list(Photo.objects.filter(member_id=photo.member_id).order_by("position", "pk"))
        index = next((i for i, p in enumerate(ordered) if p.pk == photo.pk), None)
        if index is None:  # deleted meanwhile
            return
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(ordered):
            ordered[index], ordered[other] = ordered[other], ordered[index]
        for position, item in enumerate(ordered):
            if item.position != position:
                Photo.objects.filter(pk=item.pk).update(position=position)


def delete_photo(*, photo: Photo) -> None:
    """Deletes the photo and its files; if it was the main photo, the next approved one takes its
    place. The files go once the transaction has committed, so a rollback keeps them."""
    names = [n for n in (photo.image.name, photo.thumbnail.name, photo.original.name) if n]
    storage = photo.image.storage
    member = photo.member
    with transaction.atomic():
        _lock_member(member)
        Photo.objects.filter(pk=photo.pk).delete()
        _sync_main_and_has_photo(member)

        def delete_files():
            for name in names:
                storage.delete(name)

        transaction.on_commit(delete_files)
    logger.info("photo.deleted member=%s", member.pk)


def approve_photos(*, photos, moderator=None) -> int:
    """Approves the given photos (those not approved yet); returns how many. `moderator` is
    None when moderation approves through the registry (it records who decided)."""
    now = timezone.now()
    photo_ids = [p.pk for p in photos]
    with transaction.atomic():
        # Members first, then photos: the same order as the members' own changes take.
        member_ids = sorted(
            set(Photo.objects.filter(pk__in=photo_ids).values_list("member_id", flat=True))
        )
        for member_id in member_ids:
            get_user_model().objects.select_for_update().get(pk=member_id)
        to_approve = list(
            Photo.objects.select_for_update()
            .filter(pk__in=photo_ids)
            .filter(status__in=[Photo.Status.PENDING, Photo.Status.REJECTED])
            .select_related("member")
        )
        Photo.objects.filter(pk__in=[p.pk for p in to_approve]).update(
            status=Photo.Status.APPROVED,
            rejection_reason="",
            reviewed_at=now,
            reviewed_by=moderator,
        )
        members = {p.member_id: p.member for p in to_approve}
        for member_id in sorted(members):
            _sync_main_and_has_photo(members[member_id])
    moderator_id = moderator.pk if moderator is not None else None
    for photo in to_approve:
        logger.info("photo.approved photo=%s moderator=%s", photo.pk, moderator_id)
    return len(to_approve)


def release_photo(*, photo: Photo) -> None:
    """Moderation found nothing wrong with a new photo: it is approved. Only a photo still
    waiting for review: a rejected one comes back through `restore_photo` (an appeal)."""
    if Photo.objects.filter(pk=photo.pk, status=Photo.Status.PENDING).exists():
        approve_photos(photos=[photo])
    photo.refresh_from_db()


def reject_photo(*, photo: Photo, moderator=None, reason: str = "") -> None:
    """Rejects a photo (moderation's "remove"): nobody but its owner and moderators sees it,
    and it is no longer anyone's main photo. The file is kept, so a decision reversed on
    appeal can show it again (`restore_photo`); the member deletes it or erasure does.
    `reason`, if given, is one of PhotoRejectionReason; moderation's statement of reasons
    tells the member why, so nothing is mailed from here. Idempotent."""
    if reason and reason not in PhotoRejectionReason.values:
        raise ValueError(f"unknown rejection reason {reason!r}")
    with transaction.atomic():
        member = _lock_member(photo.member)
        Photo.objects.filter(pk=photo.pk).update(
            status=Photo.Status.REJECTED,
            rejection_reason=reason,
            reviewed_at=timezone.now(),
            reviewed_by=moderator,
            is_main=False,
        )
        photo.refresh_from_db()
        _sync_main_and_has_photo(member)
    logger.info(
        "photo.rejected photo=%s moderator=%s reason=%s",
        photo.pk,
        moderator.pk if moderator is not None else None,
        reason or "-",
    )


def restore_photo(*, photo: Photo) -> None:
    """Undoes `reject_photo` when the decision is reversed on appeal: the photo is approved
    again (and main again if the member has no other main photo). Idempotent."""
    with transaction.atomic():
        member = _lock_member(photo.member)
        Photo.objects.filter(pk=photo.pk, status=Photo.Status.REJECTED).update(
            status=Photo.Status.APPROVED, rejection_reason="", reviewed_at=timezone.now()
        )
        photo.refresh_from_db()
        _sync_main_and_has_photo(member)
    logger.info("photo.restored photo=%s", photo.pk)


def hide_photo(*, photo: Photo) -> None:
    """Hides a photo pending review of an urgent report: others stop seeing it at once; its
    status (and so the decision still to take) is unchanged. Idempotent."""
    with transaction.atomic():
        member = _lock_member(photo.member)
        Photo.objects.filter(pk=photo.pk, hidden_at__isnull=True).update(hidden_at=timezone.now())
        photo.refresh_from_db()
        _sync_main_and_has_photo(member)
    logger.info("photo.hidden photo=%s", photo.pk)


def unhide_photo(*, photo: Photo) -> None:
    """Shows a hidden photo again (the urgent report was dismissed). Idempotent."""
    with transaction.atomic():
        member = _lock_member(photo.member)
        Photo.objects.filter(pk=photo.pk).update(hidden_at=None)
        photo.refresh_from_db()
        _sync_main_and_has_photo(member)
    logger.info("photo.unhidden photo=%s", photo.pk)
