from celery import shared_task

from . import services


@shared_task(acks_late=True)
def send_outgoing_mail(mail_id: int) -> None:
    services.send_queued_mail(mail_id=mail_id)


@shared_task(acks_late=True)
def sweep_outgoing_mail() -> None:
    services.sweep_outgoing_mail()
