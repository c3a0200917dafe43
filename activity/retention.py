"""How long what the site records by itself is kept (SPEC R6.1), each period a setting that
the privacy pages show too (privacy.declaration):

- full IP addresses of log-ins and sessions: ACTIVITY_FULL_IP_DAYS days, then shortened to
  their network (/24 for IPv4, /48 for IPv6; activity.networks.truncate_ip);
- log-in records and sessions: ACTIVITY_LOGIN_RETENTION_MONTHS months (sessions counted from
  when they were last used), then deleted;
- pages visited: ACTIVITY_PAGE_VISIT_DAYS days, then deleted (the anonymous DailyPageCount
  rows stay);
- failed log-ins: ACTIVITY_FAILED_LOGIN_DAYS days, then deleted.

`apply_retention` does it with a few set-based UPDATE and DELETE statements; it is idempotent
and runs on the beat schedule (activity.tasks.apply_retention) several times a day, so nothing
stays more than a few hours past its period."""

import calendar
import logging
from datetime import datetime, timedelta

from allauth.usersessions.models import UserSession
from django.conf import settings
from django.db import connection
from django.db.models import Func, GenericIPAddressField
from django.utils import timezone

from .models import FailedLogin, LoginRecord, PageVisit
from .networks import IPV4_PREFIX, IPV6_PREFIX, truncate_ip

logger = logging.getLogger(__name__)

DB_SESSION_ENGINES = {
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
}


class TruncatedIP(Func):
    """PostgreSQL: the network address of the /24 (IPv4) or /48 (IPv6) an inet value is in,
    as a plain address, the same as activity.networks.truncate_ip."""

    template = (
        "host(network(set_masklen(%(expressions)s, CASE WHEN family(%(expressions)s) = 4 "
        f"THEN {IPV4_PREFIX} ELSE {IPV6_PREFIX} END)))::inet"
    )
    output_field = GenericIPAddressField()


def months_before(moment: datetime, months: int) -> datetime:
    """The same time `months` calendar months earlier; the 31st becomes the month's last day
    (31 March minus one month is 28 or 29 February)."""
    month_index = moment.year * 12 + (moment.month - 1) - months
    year, month = divmod(month_index, 12)
    month += 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def full_ip_cutoff(now=None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.ACTIVITY_FULL_IP_DAYS)


def login_cutoff(now=None) -> datetime:
    return months_before(now or timezone.now(), settings.ACTIVITY_LOGIN_RETENTION_MONTHS)


def page_visit_cutoff(now=None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.ACTIVITY_PAGE_VISIT_DAYS)


def failed_login_cutoff(now=None) -> datetime:
    return (now or timezone.now()) - timedelta(days=settings.ACTIVITY_FAILED_LOGIN_DAYS)


def truncate_old_ips(*, now=None) -> dict[str, int]:
    """Log-ins older than ACTIVITY_FULL_IP_DAYS keep only the network of their address, and
    say so (ip_truncated). A session keeps the address it was last used from: shortened when
    that use is older than the period (a session used again gets the full new address, for
    the same period)."""
    cutoff = full_ip_cutoff(now)
    if connection.vendor != "postgresql":
        return _truncate_old_ips_row_by_row(cutoff)
    logins = LoginRecord.objects.filter(created_at__lt=cutoff, ip_truncated=False).update(
        ip_address=TruncatedIP("ip_address"), ip_truncated=True
    )
    sessions = (
        UserSession.objects.filter(last_seen_at__lt=cutoff)
        .exclude(ip=TruncatedIP("ip"))
        .update(ip=TruncatedIP("ip"))
    )
    return {"login_ips_shortened": logins, "session_ips_shortened": sessions}


def _truncate_old_ips_row_by_row(cutoff) -> dict[str, int]:
    """The same without PostgreSQL's inet functions (SQLite under `make run`)."""
    logins = sessions = 0
    for record in LoginRecord.objects.filter(created_at__lt=cutoff, ip_truncated=False):
        record.ip_address = truncate_ip(record.ip_address) or None
        record.ip_truncated = True
        record.save(update_fields=["ip_address", "ip_truncated"])
        logins += 1
    for session in UserSession.objects.filter(last_seen_at__lt=cutoff):
        shortened = truncate_ip(session.ip) or session.ip
        if shortened != session.ip:
            UserSession.objects.filter(pk=session.pk).update(ip=shortened)
            sessions += 1
    return {"login_ips_shortened": logins, "session_ips_shortened": sessions}


def delete_old_logins(*, now=None) -> dict[str, int]:
    """Log-in records and sessions past ACTIVITY_LOGIN_RETENTION_MONTHS (sessions by when they
    were last used; their Django session, long expired by then, goes with them)."""
    cutoff = login_cutoff(now)
    logins, _ = LoginRecord.objects.filter(created_at__lt=cutoff).delete()
    old_sessions = UserSession.objects.filter(last_seen_at__lt=cutoff)
    if settings.SESSION_ENGINE in DB_SESSION_ENGINES:
        from django.contrib.sessions.models import Session

        Session.objects.filter(session_key__in=old_sessions.values("session_key")).delete()
    sessions, _ = old_sessions.delete()
    return {"logins_deleted": logins, "sessions_deleted": sessions}


def delete_old_page_visits(*, now=None) -> dict[str, int]:
    """Pages visited past ACTIVITY_PAGE_VISIT_DAYS; the anonymous daily counts stay."""
    visits, _ = PageVisit.objects.filter(visited_at__lt=page_visit_cutoff(now)).delete()
    return {"page_visits_deleted": visits}


def delete_old_failed_logins(*, now=None) -> dict[str, int]:
    """Failed log-in records past ACTIVITY_FAILED_LOGIN_DAYS."""
    failed, _ = FailedLogin.objects.filter(created_at__lt=failed_login_cutoff(now)).delete()
    return {"failed_logins_deleted": failed}


def apply_retention(now=None) -> dict[str, int]:
    """Every step; safe to run any number of times. Returns how many rows each step
    changed (counts only: no personal data in the log)."""
    now = now or timezone.now()
    done = {
        # Deleting first spares shortening what goes anyway.
        **delete_old_logins(now=now),
        **delete_old_page_visits(now=now),
        **delete_old_failed_logins(now=now),
        **truncate_old_ips(now=now),
    }
    logger.info("activity.retention %s", " ".join(f"{key}={value}" for key, value in done.items()))
    return done
