"""Sending a campaign (issue 9): nobody gets a mail they did not ask for, nobody gets one twice,
and a restart finishes what was left.

The life of a campaign: staff schedule a draft (`schedule_campaign`); the beat job
(`run_campaigns`, every 15 seconds) starts it once `send_at` has come by writing one Delivery row
per member of the audience (one INSERT ... SELECT, unique per (campaign, member) in the
database) and enqueueing CAMPAIGN_PARALLEL_BATCHES batch tasks. A batch (`send_batch`) claims up
to CAMPAIGN_BATCH_SIZE queued rows in one statement, asks again who may still be mailed (an
unsubscribe is honoured at once, even for a queued mail), renders the campaign once per
language, sends on one reused connection under the throttle, marks each row sent, and enqueues
the next batch. The beat job is the safety net: it gives claims older than
CAMPAIGN_CLAIM_LEASE_SECONDS back to the queue, enqueues a batch for a campaign whose chain of
batches died, and marks finished campaigns.

Never twice: over SMTP a row is committed as sent between the message's last byte and the
terminating "." (mailings.smtp), so a worker killed at any moment leaves either a committed row
and a delivered mail, or an uncommitted row and a message the server discards. Over a provider's
HTTP API (django-anymail) the row is marked right after the API answers; the window left there
is that one response. Logs carry campaign, delivery and member ids and counts, never addresses.
"""

import logging
import select
import smtplib
import time
import uuid
from dataclasses import dataclass
from types import SimpleNamespace
from urllib.parse import urlsplit

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from members.enqueue import enqueue, enqueue_on_commit
from members.models import Member
from members.services import mail_language

from . import services
from .content import clean_body, render_campaign
from .models import Campaign, Delivery, MailKind

logger = logging.getLogger(__name__)

# The campaign's status is asked again every this many mails of a batch (pause, cancel).
STATUS_CHECK_EVERY = 50
# Rows whose claim saw no sign of life for this long get another batch (run_campaigns). A
# working batch renews its claim every claim_renewal_seconds() and marks rows sent as it goes,
# so 30 s of silence means its chain of batches died.
IDLE_SECONDS = 30


def claim_renewal_seconds() -> float:
    """How often a batch renews the lease of the rows it holds, while sending and while it
    waits for the throttle: a quarter of CAMPAIGN_CLAIM_LEASE_SECONDS, so a live batch never
    loses its rows and a dead one's come back after the lease (40 s) plus a beat run (15 s)."""
    return max(1.0, settings.CAMPAIGN_CLAIM_LEASE_SECONDS / 4)


# The clock of the lease renewal (tests put in their own).
renewal_clock = time.monotonic


class CampaignError(Exception):
    """A staff action refused, with a translated message to show."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


# -- the audience ------------------------------------------------------------------------------


def audience(campaign):
    """The members the campaign goes to: those who may get promotional mail now
    (services.marketing_recipients), narrowed by the campaign's audience fields. An empty
    field is no condition."""
    from payments.services import paying_member_ids
    from profiles.places import region_q

    qs = services.marketing_recipients(MailKind.PROMOTIONS)
    if campaign.language:
        qs = qs.filter(language=campaign.language)
    if campaign.paying == Campaign.Paying.PAYING:
        qs = qs.filter(pk__in=paying_member_ids())
    elif campaign.paying == Campaign.Paying.NOT_PAYING:
        qs = qs.exclude(pk__in=paying_member_ids())
    if campaign.genders:
        qs = qs.filter(gender__in=list(campaign.genders))
    if campaign.regions:
        qs = qs.filter(region_q(list(campaign.regions), place_field="profile__place"))
    now = timezone.now()
    if campaign.active_within_days is not None:
        qs = qs.filter(
            last_active_at__gte=now - timezone.timedelta(days=campaign.active_within_days)
        )
    if campaign.joined_within_days is not None:
        qs = qs.filter(date_joined__gte=now - timezone.timedelta(days=campaign.joined_within_days))
    return qs


def count_audience(campaign) -> int:
    return audience(campaign).count()


def audience_too_small(count: int) -> bool:
    """Below CAMPAIGN_MIN_AUDIENCE an audience is shown as "fewer than N" and cannot be
    scheduled: counts of narrow filters would otherwise single out a member."""
    return count < settings.CAMPAIGN_MIN_AUDIENCE


# -- staff actions -----------------------------------------------------------------------------


def _locked(campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _copy_state(target, source) -> None:
    for field in ("status", "send_at", "started_at", "finished_at", "updated_at"):
        setattr(target, field, getattr(source, field))


def missing_content(campaign) -> bool:
    """Whether a subject or a text is missing in Dutch or English."""
    return not all(
        [
            campaign.subject_nl.strip(),
            campaign.subject_en.strip(),
            clean_body(campaign.body_nl),
            clean_body(campaign.body_en),
        ]
    )


def schedule_campaign(*, campaign, staff) -> None:
    """Draft → scheduled: it goes out from `send_at` on (now when empty)."""
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status != Campaign.Status.DRAFT:
            raise CampaignError(_("Only a draft campaign can be scheduled."))
        if missing_content(locked):
            raise CampaignError(
                _("Write the subject and the text in Dutch and in English before sending.")
            )
        if audience_too_small(count_audience(locked)):
            raise CampaignError(
                _(
                    "This audience is too small: a campaign goes to at least %(min)s members, "
                    "so that no one can be singled out."
                )
                % {"min": settings.CAMPAIGN_MIN_AUDIENCE}
            )
        locked.status = Campaign.Status.SCHEDULED
        if locked.send_at is None:
            locked.send_at = timezone.now()
        locked.save(update_fields=["status", "send_at", "updated_at"])
        due = locked.send_at <= timezone.now()
        if due:
            # No need to wait for the next beat run.
            transaction.on_commit(_enqueue_run_campaigns)
    _copy_state(campaign, locked)
    logger.info(
        "mailings.campaign_scheduled campaign=%s staff=%s due=%s", campaign.pk, staff_id(staff), due
    )


def pause_campaign(*, campaign, staff) -> None:
    """Scheduled or sending → paused: batches give their rows back and stop."""
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status not in (Campaign.Status.SCHEDULED, Campaign.Status.SENDING):
            raise CampaignError(_("Only a scheduled campaign or one being sent can be paused."))
        locked.status = Campaign.Status.PAUSED
        locked.save(update_fields=["status", "updated_at"])
    _copy_state(campaign, locked)
    logger.info("mailings.campaign_paused campaign=%s staff=%s", campaign.pk, staff_id(staff))


def resume_campaign(*, campaign, staff) -> None:
    """Paused → sending again (or scheduled, when it had not started yet)."""
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status != Campaign.Status.PAUSED:
            raise CampaignError(_("Only a paused campaign can be resumed."))
        if locked.started_at is None:
            locked.status = Campaign.Status.SCHEDULED
            if locked.send_at <= timezone.now():
                transaction.on_commit(_enqueue_run_campaigns)
        else:
            locked.status = Campaign.Status.SENDING
            _enqueue_batches(locked.pk, settings.CAMPAIGN_PARALLEL_BATCHES)
        locked.save(update_fields=["status", "updated_at"])
    _copy_state(campaign, locked)
    logger.info("mailings.campaign_resumed campaign=%s staff=%s", campaign.pk, staff_id(staff))


def cancel_campaign(*, campaign, staff) -> None:
    """Never sends again: the queued rows are skipped ("cancelled"); a batch sending at this
    moment stops at its next look at the campaign and skips the rows it still holds."""
    with transaction.atomic():
        locked = _locked(campaign)
        if locked.status in (Campaign.Status.CANCELLED, Campaign.Status.FINISHED):
            raise CampaignError(_("This campaign has already ended."))
        now = timezone.now()
        locked.status = Campaign.Status.CANCELLED
        locked.finished_at = now
        locked.save(update_fields=["status", "finished_at", "updated_at"])
        skipped = Delivery.objects.filter(
            campaign_id=locked.pk, status=Delivery.Status.QUEUED
        ).update(status=Delivery.Status.SKIPPED, reason="cancelled", claim="", claimed_at=None)
    _copy_state(campaign, locked)
    logger.info(
        "mailings.campaign_cancelled campaign=%s staff=%s skipped=%s",
        campaign.pk,
        staff_id(staff),
        skipped,
    )


def staff_id(staff):
    return getattr(staff, "pk", None)


def campaign_progress(campaign) -> dict:
    """How many rows are queued, claimed (being sent), sent, failed and skipped: counts only."""
    statuses = ["queued", "claimed", "sent", "failed", "skipped"]
    counts = Delivery.objects.filter(campaign_id=campaign.pk).aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in statuses},
    )
    return {key: counts[key] or 0 for key in [*statuses, "total"]}


# -- enqueueing --------------------------------------------------------------------------------


def _enqueue_run_campaigns() -> None:
    from .tasks import run_campaigns as task

    enqueue(task)


def _enqueue_batches(campaign_id: int, count: int) -> None:
    """`count` batch tasks for the campaign, once the current transaction commits."""
    from .tasks import send_campaign_batch

    for _number in range(count):
        enqueue_on_commit(send_campaign_batch, campaign_id)


# -- the beat job ------------------------------------------------------------------------------


def run_campaigns(now=None) -> dict:
    """Every 15 seconds (beat): starts due campaigns, gives claims older than the lease back,
    enqueues a batch for a sending campaign whose chain of batches died, and marks campaigns
    with nothing left as finished. Returns counts (for logs and tests)."""
    now = now or timezone.now()
    summary = {"started": 0, "released": 0, "restarted": 0, "finished": 0}
    due = Campaign.objects.filter(status=Campaign.Status.SCHEDULED, send_at__lte=now)
    for campaign_id in due.values_list("pk", flat=True):
        if start_campaign(campaign_id, now=now):
            summary["started"] += 1

    lease_cutoff = now - timezone.timedelta(seconds=settings.CAMPAIGN_CLAIM_LEASE_SECONDS)
    idle_cutoff = now - timezone.timedelta(seconds=IDLE_SECONDS)
    live = Campaign.objects.filter(
        Q(status__in=[Campaign.Status.SENDING, Campaign.Status.PAUSED])
        | Q(status=Campaign.Status.CANCELLED, finished_at__gte=now - timezone.timedelta(days=7))
    )
    for campaign_id, status in live.values_list("pk", "status"):
        stale = Delivery.objects.filter(
            campaign_id=campaign_id, status=Delivery.Status.CLAIMED, claimed_at__lt=lease_cutoff
        )
        if status == Campaign.Status.CANCELLED:
            released = stale.update(
                status=Delivery.Status.SKIPPED, reason="cancelled", claim="", claimed_at=None
            )
        else:
            released = stale.update(status=Delivery.Status.QUEUED, claim="", claimed_at=None)
        summary["released"] += released
        if released:
            logger.info("mailings.claims_released campaign=%s rows=%s", campaign_id, released)
        if status != Campaign.Status.SENDING:
            continue
        rows = Delivery.objects.filter(campaign_id=campaign_id)
        left = rows.filter(status__in=[Delivery.Status.QUEUED, Delivery.Status.CLAIMED])
        if not left.exists():
            finished = Campaign.objects.filter(
                pk=campaign_id, status=Campaign.Status.SENDING
            ).update(status=Campaign.Status.FINISHED, finished_at=now)
            if finished:
                summary["finished"] += 1
                logger.info(
                    "mailings.campaign_finished campaign=%s %s",
                    campaign_id,
                    " ".join(f"{k}={v}" for k, v in campaign_progress_by_id(campaign_id).items()),
                )
            continue
        busy = rows.filter(
            Q(status=Delivery.Status.CLAIMED, claimed_at__gte=idle_cutoff)
            | Q(status=Delivery.Status.SENT, sent_at__gte=idle_cutoff)
        ).exists()
        if (
            not busy
            and rows.filter(status=Delivery.Status.QUEUED).exists()
            # Once per IDLE_SECONDS: batches enqueued a minute ago may still wait their turn.
            and cache.add(f"mailings:restarted:{campaign_id}", 1, timeout=IDLE_SECONDS)
        ):
            # The chain of batches died (a lost task, connection trouble): start it again.
            _enqueue_batches(campaign_id, settings.CAMPAIGN_PARALLEL_BATCHES)
            summary["restarted"] += 1
            logger.info("mailings.batches_restarted campaign=%s", campaign_id)
    return summary


def campaign_progress_by_id(campaign_id: int) -> dict:
    return campaign_progress(SimpleNamespace(pk=campaign_id))


def start_campaign(campaign_id: int, *, now=None) -> bool:
    """Scheduled → sending: one Delivery row per member of the audience (one INSERT ...
    SELECT; a second run adds nothing), then the batches. False when someone else did it."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = (
            Campaign.objects.select_for_update()
            .filter(pk=campaign_id, status=Campaign.Status.SCHEDULED, send_at__lte=now)
            .first()
        )
        if campaign is None:
            return False
        if count_audience(campaign) < settings.CAMPAIGN_MIN_AUDIENCE:
            # Members left the audience since it was scheduled: a campaign never goes to fewer
            # than the minimum (its progress counts would single them out). Back to draft.
            campaign.status = Campaign.Status.DRAFT
            campaign.save(update_fields=["status", "updated_at"])
            logger.info("mailings.campaign_too_small campaign=%s", campaign_id)
            return False
        queued = populate_deliveries(campaign, now=now)
        campaign.status = Campaign.Status.SENDING
        campaign.started_at = now
        campaign.save(update_fields=["status", "started_at", "updated_at"])
        _enqueue_batches(campaign.pk, settings.CAMPAIGN_PARALLEL_BATCHES)
    logger.info("mailings.campaign_started campaign=%s queued=%s", campaign_id, queued)
    return True


def _table() -> str:
    return connection.ops.quote_name(Delivery._meta.db_table)


def _campaign_table() -> str:
    return connection.ops.quote_name(Campaign._meta.db_table)


def _dt(value):
    return connection.ops.adapt_datetimefield_value(value)


def populate_deliveries(campaign, *, now=None) -> int:
    """INSERT INTO delivery SELECT <audience> ON CONFLICT DO NOTHING, in one statement
    (PostgreSQL and SQLite). Returns the number of rows added."""
    now = now or timezone.now()
    members_sql, params = audience(campaign).order_by().values("id").query.sql_with_params()
    sql = (
        f"INSERT INTO {_table()} "  # noqa: S608 (our table name; the values are parameters)
        "(campaign_id, member_id, status, claim, message_id, reason, created_at) "
        f"SELECT %s, audience.id, %s, '', '', '', %s FROM ({members_sql}) audience "
        # WHERE: SQLite needs it to tell the SELECT from the upsert clause.
        "WHERE true ON CONFLICT (campaign_id, member_id) DO NOTHING"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [campaign.pk, Delivery.Status.QUEUED.value, _dt(now), *params])
        return cursor.rowcount


# -- a batch -----------------------------------------------------------------------------------


@dataclass
class Job:
    delivery_id: int
    member_id: int
    reason: str = ""
    language: str = ""
    public_id: str = ""
    address: str = ""


def _claim_rows(campaign_id: int, claim: str, limit: int, now) -> list[Job]:
    """This claim's own rows (a redelivered task resumes them), then queued rows up to `limit`,
    claimed in one UPDATE. PostgreSQL skips rows another batch is claiming right now."""
    jobs = [
        Job(pk, member_id, reason)
        for pk, member_id, reason in Delivery.objects.filter(
            campaign_id=campaign_id, status=Delivery.Status.CLAIMED, claim=claim
        )
        .order_by("pk")
        .values_list("pk", "member_id", "reason")[:limit]
    ]
    if jobs:
        Delivery.objects.filter(pk__in=[job.delivery_id for job in jobs]).update(claimed_at=now)
    if len(jobs) >= limit:
        return jobs
    lock = (
        " FOR UPDATE SKIP LOCKED" if connection.features.has_select_for_update_skip_locked else ""
    )
    # The rows are picked once (a materialized CTE): a plain `id IN (SELECT ... LIMIT n)` may
    # be evaluated again while the UPDATE runs and claim more than n rows.
    sql = (
        f"WITH picked AS MATERIALIZED (SELECT id FROM {_table()} "  # noqa: S608
        f"WHERE campaign_id = %s AND status = %s ORDER BY id LIMIT %s{lock}) "
        f"UPDATE {_table()} SET status = %s, claim = %s, claimed_at = %s "
        "WHERE id IN (SELECT id FROM picked) AND status = %s "
        "RETURNING id, member_id, reason"
    )
    queued = Delivery.Status.QUEUED.value
    params = [
        campaign_id,
        queued,
        limit - len(jobs),
        Delivery.Status.CLAIMED.value,
        claim,
        _dt(now),
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, queued])
        jobs.extend(Job(pk, member_id, reason) for pk, member_id, reason in cursor.fetchall())
    jobs.sort(key=lambda job: job.delivery_id)
    return jobs


def _mine(job_ids, claim: str):
    return Delivery.objects.filter(pk__in=job_ids, status=Delivery.Status.CLAIMED, claim=claim)


def _mine_while_sending(job_ids, claim: str):
    """This claim's rows, as long as their campaign is still being sent (not paused or
    cancelled meanwhile)."""
    sending = Campaign.objects.filter(pk=OuterRef("campaign_id"), status=Campaign.Status.SENDING)
    return _mine(job_ids, claim).filter(Exists(sending))


def _row_and_campaign_status(delivery_id: int) -> tuple[str | None, str | None]:
    """Why a row is no longer this batch's to send, in one query: the row's status (skipped
    when its member unsubscribed meanwhile) and its campaign's (paused, cancelled)."""
    row = Delivery.objects.filter(pk=delivery_id).values_list("status", "campaign__status").first()
    return row or (None, None)


def _release(job_ids, claim: str, *, cancelled: bool = False) -> int:
    """Gives claimed rows back to the queue (or skips them, for a cancelled campaign)."""
    if not job_ids:
        return 0
    if cancelled:
        return _mine(job_ids, claim).update(
            status=Delivery.Status.SKIPPED, reason="cancelled", claim="", claimed_at=None
        )
    return _mine(job_ids, claim).update(status=Delivery.Status.QUEUED, claim="", claimed_at=None)


def _prepare(campaign_id: int, jobs: list[Job], claim: str) -> list[Job]:
    """Asks again, in one query, who may still get promotional mail (an unsubscribe since
    the row was queued is honoured at once), with each one's language, public id and
    confirmed primary address (one more query). Rows of the others are skipped."""
    from privacy import services as privacy_services

    member_ids = [job.member_id for job in jobs]
    allowed = {
        pk: (language, public_id)
        for pk, language, public_id in services.marketing_recipients(MailKind.PROMOTIONS)
        .filter(pk__in=member_ids)
        .values_list("pk", "language", "public_id")
    }
    addresses = dict(
        EmailAddress.objects.filter(user_id__in=list(allowed), primary=True, verified=True)
        .order_by()
        .values_list("user_id", "email")
    )
    ready, skipped = [], []
    for job in jobs:
        if job.member_id in allowed and addresses.get(job.member_id):
            job.language, job.public_id = allowed[job.member_id]
            job.address = addresses[job.member_id]
            ready.append(job)
        else:
            skipped.append(job)
    if skipped:
        consent = services.CONSENT_FOR_KIND[MailKind.PROMOTIONS]
        consenting = set(
            Member.objects.filter(pk__in=[job.member_id for job in skipped])
            .filter(pk__in=privacy_services.members_consenting(consent))
            .values_list("pk", flat=True)
        )
        for reason in ("unsubscribed", "not_allowed"):
            ids = [
                job.delivery_id
                for job in skipped
                if (job.member_id in consenting) == (reason == "not_allowed")
            ]
            if ids:
                _mine(ids, claim).update(
                    status=Delivery.Status.SKIPPED, reason=reason, claim="", claimed_at=None
                )
        logger.info("mailings.batch_skipped campaign=%s rows=%s", campaign_id, len(skipped))
    return ready


# -- the throttle ------------------------------------------------------------------------------

# The throttle's clock and sleep (tests put in their own).
clock = time.time
sleep = time.sleep


class Throttle:
    """CAMPAIGN_MAILS_PER_MINUTE over all workers: a counter per clock minute in the shared
    cache. A batch takes permits a few at a time (one cache round trip per few mails) and,
    when the minute's are gone, sleeps until the next minute. Permits left at the turn of a
    minute are dropped, so no minute ever carries more than the limit."""

    CHUNK = 10

    def __init__(self, per_minute: int, on_wait=None, max_sleep: float = 60.0):
        self.per_minute = per_minute
        self.on_wait = on_wait
        # A batch sleeps in slices and renews its claim before each (on_wait).
        self.max_sleep = max_sleep
        self.minute = None
        self.permits = 0

    def take(self) -> None:
        if self.per_minute <= 0:
            return
        while True:
            now = clock()
            minute = int(now // 60)
            if self.permits > 0 and minute == self.minute:
                self.permits -= 1
                return
            want = min(self.CHUNK, self.per_minute)
            key = f"mailings:throttle:{minute}"
            cache.add(key, 0, timeout=180)
            try:
                total = cache.incr(key, want)
            except ValueError:  # expired between add and incr
                continue
            granted = min(want, self.per_minute - (total - want))
            if granted > 0:
                self.minute, self.permits = minute, granted - 1
                return
            next_minute = (minute + 1) * 60
            while True:
                if self.on_wait is not None:
                    self.on_wait()
                sleep(max(0.05, min(next_minute - clock(), self.max_sleep)))
                if clock() >= next_minute:
                    break


# -- sending -----------------------------------------------------------------------------------


def message_id(delivery_id: int) -> str:
    """Our Message-ID for a delivery row: the same on every attempt, unguessable, and
    revealing neither the member nor how many rows the campaign has."""
    domain = urlsplit(settings.SITE_URL).hostname or "localhost"
    digest = salted_hmac("mailings.message-id", str(delivery_id)).hexdigest()[:32]
    return f"<{digest}@{domain}>"


class _Committed:
    """A commit that already happened (the plain path)."""

    def confirm(self) -> bool:
        return True


class _PendingCommit:
    """A COMMIT written to PostgreSQL whose answer is read after the SMTP terminator went out."""

    def __init__(self, pgconn):
        self.pgconn = pgconn

    def confirm(self) -> bool:
        import psycopg
        from psycopg.pq import ExecStatus

        pgconn = self.pgconn
        try:
            while True:
                pgconn.consume_input()
                if not pgconn.is_busy():
                    break
                select.select([pgconn.socket], [], [], 30)
            committed = False
            while (result := pgconn.get_result()) is not None:
                if result.status == ExecStatus.COMMAND_OK and result.command_status == b"COMMIT":
                    committed = True
            return committed
        except psycopg.Error:
            _drop_db_connection()
            return False


def _drop_db_connection() -> None:
    try:
        connection.close()
    except Exception:  # noqa: BLE001  (a broken connection: forget it, Django reconnects)
        connection.connection = None


def _sent_values(message_id_value: str) -> dict:
    return {
        "status": Delivery.Status.SENT.value,
        "sent_at": timezone.now(),
        "message_id": message_id_value[:255],
    }


def commit_sent(delivery_id: int, claim: str, message_id_value: str):
    """Marks a claimed row sent if this claim still holds it. Returns None when it does not
    (the sweep gave the row to another batch), otherwise an object whose `confirm()` says
    whether the commit went through.

    On PostgreSQL outside a transaction the conditional UPDATE runs in a transaction of its
    own whose COMMIT is written without waiting for its answer: the caller writes the SMTP
    terminator right after and only then calls `confirm()` (mailings.smtp explains why).
    Elsewhere (SQLite, or inside the caller's transaction) it is a plain UPDATE.

    Either way the row matches only while its campaign is still being sent: after a pause or
    a cancel no further mail of a running batch is completed."""
    values = _sent_values(message_id_value)
    if (
        connection.vendor != "postgresql"
        or connection.in_atomic_block
        or not connection.get_autocommit()
    ):
        matched = _mine_while_sending([delivery_id], claim).update(**values)
        return _Committed() if matched == 1 else None
    connection.ensure_connection()
    pg = connection.connection
    if not hasattr(pg, "pgconn"):  # psycopg2: no libpq-level calls, the plain UPDATE
        matched = _mine_while_sending([delivery_id], claim).update(**values)
        return _Committed() if matched == 1 else None
    try:
        with pg.cursor() as cursor:
            cursor.execute("BEGIN")
            cursor.execute(
                f"UPDATE {_table()} SET status = %s, sent_at = %s, message_id = %s "  # noqa: S608
                "WHERE id = %s AND status = %s AND claim = %s AND EXISTS "
                f"(SELECT 1 FROM {_campaign_table()} "
                f"WHERE id = {_table()}.campaign_id AND status = %s)",
                [
                    values["status"],
                    values["sent_at"],
                    values["message_id"],
                    delivery_id,
                    Delivery.Status.CLAIMED.value,
                    claim,
                    Campaign.Status.SENDING.value,
                ],
            )
            if cursor.rowcount != 1:
                cursor.execute("ROLLBACK")
                return None
        pgconn = pg.pgconn
        pgconn.send_query(b"COMMIT")
        while pgconn.flush():
            select.select([], [pgconn.socket], [], 30)
    except BaseException:
        _drop_db_connection()
        raise
    return _PendingCommit(pgconn)


def _boundary() -> str:
    """A MIME boundary for a batch (no member's link can contain it: links are base64)."""
    return f"=_campaign_{uuid.uuid4().hex}"


@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    released: int = 0
    lost: int = 0
    carry_on: bool = True


class Batch:
    """Sends the prepared rows of one batch on one connection."""

    def __init__(self, campaign, claim: str, jobs: list[Job], result: BatchResult):
        self.campaign = campaign
        self.claim = claim
        self.jobs = jobs
        self.result = result
        self.rendered = {}
        self.from_email = settings.DEFAULT_FROM_EMAIL
        self.check_now = False
        self.boundary = _boundary()
        self.renewal_every = claim_renewal_seconds()
        self.renewed_at = renewal_clock()  # the rows were claimed just now
        self.throttle = Throttle(
            settings.CAMPAIGN_MAILS_PER_MINUTE, on_wait=self._waiting, max_sleep=self.renewal_every
        )

    # -- helpers

    def _renew_claim(self) -> None:
        """The lease of the rows this batch still holds runs from now on."""
        Delivery.objects.filter(
            campaign_id=self.campaign.pk, status=Delivery.Status.CLAIMED, claim=self.claim
        ).update(claimed_at=timezone.now())
        self.renewed_at = renewal_clock()

    def _waiting(self) -> None:
        """Before each slice of a throttle sleep: the claim is renewed, and the campaign's
        status is asked again after the sleep."""
        self._renew_claim()
        self.check_now = True

    def _message(self, job: Job) -> tuple[EmailMultiAlternatives, str]:
        language = mail_language(job.language)
        if language not in self.rendered:
            rendered = render_campaign(self.campaign, language)
            while self.boundary in rendered.text or self.boundary in rendered.html:
                self.boundary = _boundary()
            self.rendered[language] = rendered
        url = services.unsubscribe_url(
            SimpleNamespace(public_id=job.public_id), MailKind.PROMOTIONS
        )
        mail = self.rendered[language].for_member(url)
        own_id = message_id(job.delivery_id)
        message = EmailMultiAlternatives(
            subject=mail.subject,
            body=mail.text,
            from_email=self.from_email,
            to=[job.address],
            headers={**services.unsubscribe_headers(url), "Message-ID": own_id},
        )
        message.attach_alternative(mail.html, "text/html")
        return message, own_id

    def _stop_here(self, index: int) -> bool:
        """Before each mail: the throttle's permit, then every STATUS_CHECK_EVERY mails (and
        after a throttle sleep) the question whether the campaign is still sending. A paused
        campaign gets the rest back in the queue, a cancelled one skips it."""
        if index and index % STATUS_CHECK_EVERY == 0 and self._stopped(index):
            return True
        if renewal_clock() - self.renewed_at >= self.renewal_every:
            # A slow mail server must not let the lease run out under a live batch.
            self._renew_claim()
        self.throttle.take()
        return self.check_now and self._stopped(index)

    def _stopped(self, index: int) -> bool:
        self.check_now = False
        status = (
            Campaign.objects.filter(pk=self.campaign.pk).values_list("status", flat=True).first()
        )
        if status == Campaign.Status.SENDING:
            return False
        self._halt(index, status)
        return True

    def _halt(self, index: int, status) -> None:
        """The campaign is no longer being sent: the rows from `index` on go back to the queue
        (paused) or are skipped (cancelled), and the batch stops."""
        rest = [job.delivery_id for job in self.jobs[index:]]
        count = _release(rest, self.claim, cancelled=status == Campaign.Status.CANCELLED)
        if status == Campaign.Status.CANCELLED:
            self.result.skipped += count
        else:
            self.result.released += count
        self.result.carry_on = False
        logger.info(
            "mailings.batch_stopped campaign=%s status=%s rows=%s",
            self.campaign.pk,
            status,
            count,
        )

    def _not_mine(self, index: int, job: Job) -> bool:
        """The row could not be marked sent (SMTP) or renewed before sending (a provider):
        finds out why. Its member unsubscribed meanwhile (the row is skipped): this message is
        dropped and the batch goes on (True). The campaign was paused or cancelled: the batch
        stops. Otherwise the claim was lost (the lease ran out): the batch stops."""
        row_status, campaign_status = _row_and_campaign_status(job.delivery_id)
        if campaign_status is not None and campaign_status != Campaign.Status.SENDING:
            self._halt(index, campaign_status)
            return False
        if row_status == Delivery.Status.SKIPPED:
            self.result.skipped += 1
            logger.info(
                "mailings.skipped_in_batch campaign=%s delivery=%s",
                self.campaign.pk,
                job.delivery_id,
            )
            return True
        self._claim_lost(index)
        return False

    def _trouble(self, index: int, error: BaseException) -> None:
        """Connection trouble: the rest goes back to the queue for a later batch (the beat
        job restarts the chain once the rows sit idle)."""
        rest = [job.delivery_id for job in self.jobs[index:]]
        self.result.released += _release(rest, self.claim)
        self.result.carry_on = False
        logger.warning(
            "mailings.batch_interrupted campaign=%s error=%s released=%s",
            self.campaign.pk,
            type(error).__name__,
            len(rest),
        )

    def _address(self, job: Job) -> str | None:
        """The recipient as SMTP takes it; an address that cannot be (never seen: allauth
        checks them) fails its row instead of stopping the campaign."""
        from django.core.mail.message import sanitize_address

        try:
            return sanitize_address(job.address, settings.DEFAULT_CHARSET)
        except (ValueError, UnicodeError):
            _mine([job.delivery_id], self.claim).update(
                status=Delivery.Status.FAILED, reason="invalid_address"
            )
            self.result.failed += 1
            return None

    def _claim_lost(self, index: int) -> None:
        """The batch outlived its lease: it gives back the rows it still holds and stops
        (another batch has the others)."""
        self.result.lost += 1
        rest = [job.delivery_id for job in self.jobs[index + 1 :]]
        self.result.released += _release(rest, self.claim)
        logger.warning(
            "mailings.claim_lost campaign=%s delivery=%s",
            self.campaign.pk,
            self.jobs[min(index, len(self.jobs) - 1)].delivery_id,
        )

    def _refused(self, job: Job, code: int, *, permanent: bool, committed: bool) -> None:
        """A refusal of one recipient: failed when permanent; queued again when temporary,
        failed at the second temporary refusal."""
        rows = Delivery.objects.filter(
            pk=job.delivery_id,
            status=Delivery.Status.SENT if committed else Delivery.Status.CLAIMED,
            claim=self.claim,
        )
        if permanent or job.reason == "deferred":
            rows.update(
                status=Delivery.Status.FAILED,
                reason=f"refused_{code}" if permanent else "deferred",
                sent_at=None,
            )
            self.result.failed += 1
        else:
            rows.update(
                status=Delivery.Status.QUEUED,
                reason="deferred",
                claim="",
                claimed_at=None,
                sent_at=None,
                message_id="",
            )
            self.result.released += 1

    def _record_again(self, job: Job, own_id: str) -> None:
        """The server took the mail but the COMMIT's answer never came (the database
        connection broke): record it as sent on a new connection."""
        matched = 0
        try:
            matched = _mine([job.delivery_id], self.claim).update(**_sent_values(own_id))
        finally:
            if not matched:
                logger.error(
                    "mailings.sent_not_recorded campaign=%s delivery=%s",
                    self.campaign.pk,
                    job.delivery_id,
                )

    # -- the two ways of sending

    def send(self) -> None:
        backend = get_connection(fail_silently=False)
        if isinstance(backend, SMTPBackend):
            self._send_smtp(backend)
        else:
            self._send_with_backend(backend)

    def _send_smtp(self, backend) -> None:
        from django.core.mail.message import sanitize_address

        from .smtp import MessageRefused, RecipientRefused, SMTPSession

        session = SMTPSession(backend)
        from_addr = None
        try:
            for index, job in enumerate(self.jobs):
                if self._stop_here(index):
                    return
                to_addr = self._address(job)
                if to_addr is None:
                    continue
                message, own_id = self._message(job)
                if from_addr is None:
                    from_addr = sanitize_address(self.from_email, settings.DEFAULT_CHARSET)
                mime = message.message()
                # A boundary of our own: the email package would otherwise make one per mail
                # and compile a regular expression to check it (a fifth of the build time).
                mime.set_boundary(self.boundary)
                data = mime.as_bytes(linesep="\r\n")
                try:
                    session.begin(from_addr, to_addr, data)
                except RecipientRefused as refusal:
                    self._refused(job, refusal.code, permanent=refusal.permanent, committed=False)
                    continue
                except (smtplib.SMTPException, OSError) as error:
                    session.abandon()
                    self._trouble(index, error)
                    return
                pending = commit_sent(job.delivery_id, self.claim, own_id)
                if pending is None:
                    # The member unsubscribed, the campaign was paused or cancelled, or the
                    # claim was lost (the lease ran out and the sweep gave the row to another
                    # batch): this message is never terminated. Only after an unsubscribe does
                    # the batch go on, with the next mail on a new connection.
                    session.abandon()
                    if self._not_mine(index, job):
                        continue
                    return
                try:
                    session.terminate()
                except (smtplib.SMTPException, OSError) as error:
                    # The terminator did not leave: the server discards the message, and the
                    # row goes back to the queue.
                    session.abandon()
                    if pending.confirm():
                        Delivery.objects.filter(
                            pk=job.delivery_id, status=Delivery.Status.SENT, claim=self.claim
                        ).update(
                            status=Delivery.Status.QUEUED,
                            claim="",
                            claimed_at=None,
                            sent_at=None,
                            message_id="",
                        )
                    self._trouble(index + 1, error)
                    return
                committed = pending.confirm()
                try:
                    session.read_reply()
                except MessageRefused as refusal:
                    self._refused(job, refusal.code, permanent=refusal.permanent, committed=True)
                    continue
                except (smtplib.SMTPException, OSError) as error:
                    # The whole message and its terminator reached the server: it counts as
                    # sent (at most once), whatever became of the reply.
                    if not committed:
                        self._record_again(job, own_id)
                    self.result.sent += 1
                    session.abandon()
                    self._trouble(index + 1, error)
                    return
                if not committed:
                    self._record_again(job, own_id)
                self.result.sent += 1
        finally:
            session.close()

    def _send_with_backend(self, backend) -> None:
        """Any other backend (a provider's HTTP API through django-anymail; the console in
        `make run`; locmem in tests): one `send_messages` per mail on one open connection, then
        the row is marked sent with the provider's message id. A worker killed between the
        API's answer and that UPDATE would send the mail again: the window is one response."""
        backend.open()
        try:
            for index, job in enumerate(self.jobs):
                if self._stop_here(index):
                    return
                if self._address(job) is None:
                    continue
                message, own_id = self._message(job)
                message.connection = backend
                # Just before sending: the row is still this batch's (its lease renewed) and the
                # campaign still being sent, or the mail is not sent.
                renewed = _mine_while_sending([job.delivery_id], self.claim).update(
                    claimed_at=timezone.now()
                )
                if not renewed:
                    if self._not_mine(index, job):
                        continue
                    return
                try:
                    count = backend.send_messages([message])
                except Exception as error:
                    if type(error).__name__ == "AnymailRecipientsRefused":
                        self._refused(job, 550, permanent=True, committed=False)
                        continue
                    self._trouble(index, error)
                    return
                if not count:
                    self._trouble(index, RuntimeError("not sent"))
                    return
                status = getattr(message, "anymail_status", None)
                provider_id = getattr(status, "message_id", None)
                matched = _mine([job.delivery_id], self.claim).update(
                    **_sent_values(str(provider_id) if provider_id else own_id)
                )
                self.result.sent += 1
                if not matched:
                    # Sent while another batch holds the row: the window this path has.
                    self._claim_lost(index)
                    return
        finally:
            backend.close()


def send_batches_in_process(*, campaign_id: int) -> int:
    """Tasks running in-process (`make run`, CELERY_TASK_ALWAYS_EAGER): batch after batch in a
    loop rather than a chain of tasks each started inside the last (which would nest as deep as
    the campaign has batches). Returns how many mails went out."""
    sent = 0
    queued = Delivery.objects.filter(campaign_id=campaign_id, status=Delivery.Status.QUEUED)
    left = queued.count()
    while left:
        sent += send_batch(campaign_id=campaign_id, enqueue_next=False)
        now_left = queued.count()
        if now_left >= left:  # paused, cancelled or stuck: the beat job takes it from here
            break
        left = now_left
    return sent


def send_batch(*, campaign_id: int, claim: str | None = None, enqueue_next: bool = True) -> int:
    """One batch of a campaign (the body of mailings.tasks.send_campaign_batch): claims up to
    CAMPAIGN_BATCH_SIZE rows (with `claim`, the task's id, a redelivered task first resumes the
    rows it held), skips those who may no longer be mailed, sends the rest, and enqueues the
    next batch while queued rows are left. Returns how many mails went out."""
    claim = str(claim or uuid.uuid4().hex)[:40]
    status = Campaign.objects.filter(pk=campaign_id).values_list("status", flat=True).first()
    if status is None:
        return 0
    if status != Campaign.Status.SENDING:
        # A redelivered task of a paused or cancelled campaign hands back what it held.
        held = Delivery.objects.filter(
            campaign_id=campaign_id, status=Delivery.Status.CLAIMED, claim=claim
        ).values_list("pk", flat=True)
        _release(list(held), claim, cancelled=status == Campaign.Status.CANCELLED)
        return 0
    campaign = Campaign.objects.get(pk=campaign_id)
    jobs = _claim_rows(campaign_id, claim, settings.CAMPAIGN_BATCH_SIZE, timezone.now())
    result = BatchResult(claimed=len(jobs))
    if jobs:
        ready = _prepare(campaign_id, jobs, claim)
        result.skipped = len(jobs) - len(ready)
        Batch(campaign, claim, ready, result).send()
    logger.info(
        "mailings.batch_done campaign=%s claimed=%s sent=%s failed=%s skipped=%s released=%s "
        "lost_claims=%s",
        campaign_id,
        result.claimed,
        result.sent,
        result.failed,
        result.skipped,
        result.released,
        result.lost,
    )
    if (
        enqueue_next
        and jobs
        and result.carry_on
        and Delivery.objects.filter(campaign_id=campaign_id, status=Delivery.Status.QUEUED).exists()
    ):
        _enqueue_batches(campaign_id, 1)
    return result.sent
