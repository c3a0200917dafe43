"""Thin Celery wrappers around privacy services (idempotent: safe to run twice)."""

from celery import shared_task


@shared_task(acks_late=True)
def build_data_export(export_id: int) -> None:
    from . import exports

    exports.build_export(export_id=export_id)


@shared_task(acks_late=True)
def sweep_data_exports() -> None:
    from . import exports

    exports.sweep_exports()


@shared_task(acks_late=True)
def erase_member_task(member_id: int) -> None:
    from . import erasure

    erasure.erase_member(member_id=member_id)


@shared_task(acks_late=True)
def erase_due_accounts() -> None:
    from . import erasure

    erasure.erase_due_accounts()


@shared_task(acks_late=True)
def privacy_requests_daily() -> None:
    from . import request_actions

    request_actions.send_due_summary()
    request_actions.erase_expired_requests()
