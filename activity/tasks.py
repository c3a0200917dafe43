"""Thin Celery wrappers around activity's services."""

from celery import shared_task


@shared_task(acks_late=True)
def check_partner_click(member_id: int, event: str, reference: str, captured: dict) -> None:
    """Asks 24metrics about a sign-up or purchase that came through a partner's link, with the
    data captured at request time (activity.partners.capture). At most once per (member,
    event, reference): a second run finds the PartnerCheck and sends nothing."""
    from . import partners

    partners.run_check(
        member_id=member_id,
        event=event,
        reference=reference,
        partner=captured["partner"],
        click_id=captured["click_id"],
        referrer=captured.get("referrer", ""),
        ip=captured.get("ip", ""),
        user_agent=captured.get("user_agent", ""),
    )


@shared_task(acks_late=True)
def apply_retention() -> None:
    """On the beat schedule (every 6 hours): shortens full IP addresses and deletes log-ins,
    sessions and pages visited past their periods (activity.retention). Idempotent."""
    from . import retention

    retention.apply_retention()


@shared_task(acks_late=True)
def flush_page_visits() -> None:
    """On the beat schedule (every 30 seconds): writes the buffered page views in bulk
    (activity.page_visits). Runs side by side safely: each record is taken once."""
    from . import page_visits

    page_visits.flush_page_visits()
