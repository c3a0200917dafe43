"""Thin Celery wrappers around messaging.notifications (idempotent: safe to run twice)."""

from celery import shared_task


@shared_task(acks_late=True)
def notify_new_message(message_id: int) -> None:
    from . import notifications

    notifications.notify_new_message(message_id=message_id)


@shared_task(acks_late=True)
def send_daily_digests() -> None:
    """On the beat schedule every quarter of an hour: the first run after 08:00
    (Europe/Amsterdam) sends the day's summaries, later runs find nothing left to send."""
    from . import notifications

    notifications.send_daily_digests()


@shared_task(acks_late=True)
def sweep_lost_notifications() -> None:
    """On the beat schedule: re-enqueues immediate notifications whose task was lost."""
    from . import notifications

    notifications.sweep_lost_notifications()
