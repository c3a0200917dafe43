"""Background work of the profiles app."""

from celery import shared_task


@shared_task(acks_late=True)
def recheck_profile_texts(terms: list[str]) -> int:
    """Holds the profile texts shown now that hold one of the new blocked `terms` for review
    (idempotent: see profile_texts.hold_shown_texts_with)."""
    from .profile_texts import hold_shown_texts_with

    return hold_shown_texts_with(terms)


@shared_task(acks_late=True)
def process_photo_task(photo_id: int) -> str | None:
    """Makes the clean copies of an uploaded photo (idempotent: see photos.process_photo)."""
    from .photos import process_photo

    return process_photo(photo_id=photo_id)


@shared_task(acks_late=True)
def process_selfie_task(request_id: int) -> str | None:
    """Re-encodes a verification selfie (idempotent: see verification.process_selfie)."""
    from .verification import process_selfie

    return process_selfie(request_id=request_id)


@shared_task(acks_late=True)
def sweep_processing_photos() -> int:
    """Sends the processing task again for photos and selfies whose task was lost."""
    from .photos import sweep_processing_photos as sweep_photos
    from .verification import sweep_processing_selfies

    return sweep_photos() + sweep_processing_selfies()
