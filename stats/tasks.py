"""Thin Celery wrapper around stats.services (idempotent: a second run replaces the same rows)."""

from celery import shared_task


@shared_task(acks_late=True)
def compute_statistics() -> None:
    """On the beat schedule once a night: the anonymised statistics (stats.services)."""
    from . import services

    services.compute_statistics()
