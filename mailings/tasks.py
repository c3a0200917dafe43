"""Thin Celery wrappers around mailings.sending and mailings.suggestions (each safe to run twice,
and to run again after a worker was killed: acks_late brings the task back, and a batch picks
up the rows it had claimed under the same task id)."""

from celery import shared_task


@shared_task(acks_late=True)
def run_campaigns() -> None:
    """On the beat schedule every 15 seconds: starts due campaigns, gives stale claims back,
    restarts a broken chain of batches, marks finished campaigns."""
    from . import sending

    sending.run_campaigns()


@shared_task(bind=True, acks_late=True)
def send_campaign_batch(self, campaign_id: int) -> None:
    """One batch of a campaign; it enqueues the next while rows are left."""
    from . import sending

    if self.request.is_eager:
        sending.send_batches_in_process(campaign_id=campaign_id)
    else:
        sending.send_batch(campaign_id=campaign_id, claim=self.request.id)


@shared_task(acks_late=True)
def send_suggestion_mails() -> None:
    """On the beat schedule (hourly): members whose suggestion mail is due get it."""
    from . import suggestions

    suggestions.send_suggestion_mails()
