"""Thin Celery wrappers around moderation's services (idempotent: safe to run twice)."""

from celery import shared_task


@shared_task(acks_late=True)
def end_expired_sanctions() -> None:
    """On the beat schedule (every 5 minutes): account restrictions and suspensions past their
    end date end; suspended members may log in again (moderation.services)."""
    from . import services

    services.end_expired_sanctions()


@shared_task(acks_late=True)
def delete_detached_statements() -> None:
    """On the beat schedule (daily): statements of reasons kept without their erased member
    are deleted once MODERATION_STATEMENT_YEARS have passed (moderation.personal_data)."""
    from .personal_data import delete_detached_statements as delete

    delete()
