"""Pages visited (SPEC R6.1, issue 10): recorded without a database write in the request,
written in bulk afterwards.

What is kept: for a logged-in member, one `PageVisit` per page view (member, the keyed digest
of the session key from activity.logins, the route's name, the time); for everyone, members
and visitors alike, one more view of the route on the day (Europe/Amsterdam) in the anonymous
`DailyPageCount`. Never a path or a query string: routes are names such as
"profiles:profile", so a username, a member id or a search filter never reaches a record.
activity.retention deletes PageVisit rows after ACTIVITY_PAGE_VISIT_DAYS; the counts stay.

Recording (`record_visit`, called by activity.middleware.PageVisitMiddleware) only appends a
short text record to a buffer:

- With REDIS_URL (production, tests): one RPUSH to the Redis list
  `<cache KEY_PREFIX>:activity:page-visits` (so each pytest-xdist worker has its own), through
  one redis-py client per process with short timeouts. If Redis fails, the error is logged
  (its type only) and for PAGE_VISIT_REDIS_RETRY_SECONDS no visit is recorded, so a Redis that
  hangs costs one timeout, not one per page; the page is always served.
- Without Redis (`make run`: SQLite, tasks in-process, no beat): a list in the process's
  memory. The request that finds it holding PAGE_VISIT_BUFFER_RECORDS records, or its oldest
  record PAGE_VISIT_BUFFER_SECONDS old, writes them all (so on a quiet development server the
  last visits wait for the next page; records in memory when the process stops are lost).

Flushing (`flush_page_visits`, beat's `activity.tasks.flush_page_visits` every 30 seconds)
takes PAGE_VISIT_FLUSH_CHUNK records at a time off the head of the list with one LPOP (with a
count: atomic, so two flushes running side by side never take the same record) and writes each
chunk in one transaction: `bulk_create` of the members' PageVisit rows, skipping members
erased since the visit, and one upsert per (day, route) adding to DailyPageCount
(`INSERT ... ON CONFLICT (day, route) DO UPDATE SET views = views + EXCLUDED.views`, on
PostgreSQL and SQLite alike). A flush takes only what was in the list when it started; later
records wait for the next run.

If the write fails (database unreachable, a member erased between the check and the commit),
the chunk is pushed back to the head of the list and the next flush writes it. Only a flush
killed between taking a chunk and committing it (`kill -9`, out of memory), or a connection to
Redis lost while an LPOP's reply was on its way (the flush's client waits 30 s, not the page's
fraction of a second), loses that chunk: at most PAGE_VISIT_FLUSH_CHUNK page views of
statistics, never counted twice. A processing
list (LMOVE) would turn the same kill into counting a chunk twice, or need a lock; for
statistics, losing a rare chunk is the simpler failure.
"""

import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from .models import DailyPageCount, PageVisit

logger = logging.getLogger(__name__)

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
ROUTE_MAX_LENGTH = PageVisit._meta.get_field("route").max_length
REDIS_KEY = "activity:page-visits"
# Rows per upsert statement: 3 parameters each, well within SQLite's 999.
UPSERT_ROWS = 300
# The in-process buffer keeps at most this many times PAGE_VISIT_BUFFER_RECORDS when writing
# fails (the oldest go first).
MEMORY_BACKLOG_FACTOR = 10


# -- records ----------------------------------------------------------------------------------


def encode(*, member_id: int | None, session_digest: str, route: str, at: float) -> str:
    """`<unix time> <member id or -> <session digest or -> <route>`: about 70 bytes."""
    return f"{at:.3f} {member_id or '-'} {session_digest or '-'} {route[:ROUTE_MAX_LENGTH]}"


@dataclass(frozen=True)
class Visit:
    at: float
    member_id: int | None
    session_digest: str
    route: str


def decode(raw: bytes | str) -> Visit | None:
    """The visit a record holds, or None for a malformed one (skipped, never retried)."""
    try:
        text = raw.decode() if isinstance(raw, bytes) else raw
        at, member, digest, route = text.split(" ", 3)
        return Visit(
            at=float(at),
            member_id=None if member == "-" else int(member),
            session_digest="" if digest == "-" else digest[:32],
            route=route[:ROUTE_MAX_LENGTH],
        )
    except (UnicodeDecodeError, ValueError):
        return None


# -- writing ----------------------------------------------------------------------------------


def write_records(records: list) -> int:
    """Writes the records in one transaction; returns how many PageVisit rows it made."""
    visits = [visit for visit in map(decode, records) if visit is not None]
    if not visits:
        return 0
    counts: dict[tuple[date, str], int] = {}
    for visit in visits:
        day = datetime.fromtimestamp(visit.at, tz=AMSTERDAM).date()
        counts[day, visit.route] = counts.get((day, visit.route), 0) + 1
    member_ids = {visit.member_id for visit in visits if visit.member_id is not None}
    existing = (
        set(get_user_model().objects.filter(pk__in=member_ids).values_list("pk", flat=True))
        if member_ids
        else set()
    )
    rows = [
        PageVisit(
            member_id=visit.member_id,
            session_digest=visit.session_digest,
            route=visit.route,
            visited_at=datetime.fromtimestamp(visit.at, tz=UTC),
        )
        for visit in visits
        if visit.member_id in existing
    ]
    with transaction.atomic():
        PageVisit.objects.bulk_create(rows, batch_size=1000)
        add_daily_counts(counts)
    return len(rows)


def add_daily_counts(counts: dict[tuple[date, str], int]) -> None:
    """Adds the views to DailyPageCount: one upsert per (day, route), in a fixed order so two
    flushes side by side take their row locks in the same order."""
    meta = DailyPageCount._meta
    quote = connection.ops.quote_name
    table = quote(meta.db_table)
    day, route, views = (quote(meta.get_field(name).column) for name in ("day", "route", "views"))
    items = sorted(counts.items())
    with connection.cursor() as cursor:
        for start in range(0, len(items), UPSERT_ROWS):
            part = items[start : start + UPSERT_ROWS]
            params = []
            for (when, name), added in part:
                params += [connection.ops.adapt_datefield_value(when), name, added]
            cursor.execute(
                f"INSERT INTO {table} ({day}, {route}, {views}) VALUES "  # noqa: S608
                + ", ".join(["(%s, %s, %s)"] * len(part))
                + f" ON CONFLICT ({day}, {route}) DO UPDATE"
                f" SET {views} = {table}.{views} + EXCLUDED.{views}",
                params,
            )


# -- the buffers ------------------------------------------------------------------------------


class RedisBuffer:
    """A Redis list shared by every web process; emptied by `flush`."""

    def __init__(self, client, key: str):
        self.client = client
        self.key = key

    def push(self, record: str) -> None:
        self.client.rpush(self.key, record)

    def flush(self, *, chunk: int) -> int:
        """Writes what the list held when it started, `chunk` records per transaction; returns
        the number of records taken."""
        left = self.client.llen(self.key)
        taken = 0
        while left > 0:
            records = self.client.lpop(self.key, min(chunk, left))
            if not records:
                break
            try:
                write_records(records)
            except Exception:
                # Back to the head, in their order: the next flush writes them.
                self.client.lpush(self.key, *reversed(records))
                raise
            taken += len(records)
            left -= len(records)
        return taken


class MemoryBuffer:
    """The buffer of a process without Redis (`make run`): written by the request that finds
    it holding `max_records` records or its oldest record `max_seconds` old."""

    def __init__(self, *, max_records: int, max_seconds: float, clock=time.monotonic):
        self.max_records = max_records
        self.max_seconds = max_seconds
        self.clock = clock
        self._lock = threading.Lock()
        self._records: list[str] = []
        self._oldest: float | None = None

    def __len__(self) -> int:
        return len(self._records)

    def push(self, record: str) -> None:
        now = self.clock()
        with self._lock:
            self._records.append(record)
            if self._oldest is None:
                self._oldest = now
            if len(self._records) < self.max_records and now - self._oldest < self.max_seconds:
                return
            records = self._take()
        self._write(records)

    def flush(self, *, chunk: int | None = None) -> int:
        with self._lock:
            records = self._take()
        if records:
            self._write(records)
        return len(records)

    def _take(self) -> list[str]:
        records, self._records, self._oldest = self._records, [], None
        return records

    def _write(self, records: list[str]) -> None:
        try:
            write_records(records)
        except Exception as error:
            logger.warning("page visits not written yet: %s", type(error).__name__)
            with self._lock:
                self._records[:0] = records
                del self._records[: -self.max_records * MEMORY_BACKLOG_FACTOR]
                if self._oldest is None:
                    self._oldest = self.clock()


_memory_buffer = MemoryBuffer(max_records=100, max_seconds=30)
_redis_clients: dict[tuple[str, float], object] = {}
_redis_down_until = 0.0
# The flush waits longer than a page would: a reply lost to a timeout after LPOP would lose
# the chunk it carried.
FLUSH_REDIS_TIMEOUT_SECONDS = 30.0


def redis_client(url: str, timeout: float | None = None):
    """One redis-py client (and connection pool) per process, URL and timeout; by default the
    short PAGE_VISIT_REDIS_TIMEOUT_SECONDS, as a page waits for it."""
    if timeout is None:
        timeout = settings.PAGE_VISIT_REDIS_TIMEOUT_SECONDS
    client = _redis_clients.get((url, timeout))
    if client is None:
        import redis

        client = redis.Redis.from_url(
            url, socket_timeout=timeout, socket_connect_timeout=timeout, health_check_interval=30
        )
        _redis_clients[url, timeout] = client
    return client


def redis_key() -> str:
    prefix = settings.CACHES["default"].get("KEY_PREFIX") or "site"
    return f"{prefix}:{REDIS_KEY}"


def current_buffer(*, timeout: float | None = None) -> RedisBuffer | MemoryBuffer:
    """The Redis list with REDIS_URL set, the process's memory otherwise."""
    if settings.REDIS_URL:
        return RedisBuffer(redis_client(settings.REDIS_URL, timeout), redis_key())
    _memory_buffer.max_records = settings.PAGE_VISIT_BUFFER_RECORDS
    _memory_buffer.max_seconds = settings.PAGE_VISIT_BUFFER_SECONDS
    return _memory_buffer


# -- the two entry points ---------------------------------------------------------------------


def record_visit(
    *, member_id: int | None, session_digest: str, route: str, at: float | None = None
) -> bool:
    """Buffers one page view; never raises. Returns whether it was buffered."""
    global _redis_down_until
    if settings.REDIS_URL and time.monotonic() < _redis_down_until:
        return False
    record = encode(
        member_id=member_id,
        session_digest=session_digest if member_id else "",
        route=route,
        at=time.time() if at is None else at,
    )
    try:
        current_buffer().push(record)
    except Exception as error:
        retry = settings.PAGE_VISIT_REDIS_RETRY_SECONDS
        _redis_down_until = time.monotonic() + retry
        logger.warning("page visits not recorded for %s s: %s", retry, type(error).__name__)
        return False
    return True


def flush_page_visits() -> int:
    """Writes the buffered page views to the database; returns how many records it took."""
    buffer = current_buffer(timeout=FLUSH_REDIS_TIMEOUT_SECONDS)
    return buffer.flush(chunk=settings.PAGE_VISIT_FLUSH_CHUNK)


def reset_for_tests() -> None:
    """Forgets the process's state (memory buffer, clients, Redis back-off)."""
    global _redis_down_until
    _redis_down_until = 0.0
    with _memory_buffer._lock:
        _memory_buffer._take()
    for client in _redis_clients.values():
        client.close()
    _redis_clients.clear()
