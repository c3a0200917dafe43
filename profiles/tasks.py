"""Background work of the profiles app."""

from celery import shared_task


@shared_task(acks_late=True)
def recheck_profile_texts(terms: list[str]) -> int:
    """Holds the profile texts shown now that hold one of the new blocked `terms` for review
    (idempotent: see profile_texts.hold_shown_texts_with)."""
    from .profile_texts import hold_shown_texts_with

    return hold_shown_texts_with(terms)
