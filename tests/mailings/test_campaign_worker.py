"""A campaign sent by a real Celery worker process on Redis, killed with `kill -9` midway and
started again: every member ends up with exactly one mail in the SMTP server."""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection
from django.utils import timezone

from config.celery import app
from mailings import sending
from mailings.models import Campaign, Delivery
from tests.mailings.test_sending import free_port, make_campaign, promo_member
from tests.members.test_celery_worker import reset_connection_pool

ROOT = Path(__file__).resolve().parents[2]
MEMBERS = 40


class SlowSink:
    """Keeps each mail the moment its terminating "." arrives (as a mail server commits it),
    then takes a while to answer, so the worker can be killed in the middle of a campaign."""

    def __init__(self):
        self.recipients = Counter()
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.recipients.update(envelope.rcpt_tos)
        await asyncio.sleep(0.05)
        return "250 OK"

    def count(self) -> int:
        with self.lock:
            return sum(self.recipients.values())


def database_url() -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'])}" if db.get("PASSWORD") else ""
    return (
        f"postgres://{quote(db['USER'])}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )


def start_worker(env, queue):
    # A real worker process; its own tasks (the next batch) go to the test's queue too.
    code = (
        "from config.celery import app; "
        f"app.conf.task_default_queue = {queue!r}; "
        "app.worker_main(['worker', '--pool=solo', '--loglevel=WARNING', '--without-gossip', "
        f"'--without-mingle', '--without-heartbeat', '-Q', {queue!r}])"
    )
    return subprocess.Popen(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


@pytest.fixture
def broker():
    """Tasks of this test go through Redis (a database of their own, a queue of their own)."""
    parts = urlsplit(settings.REDIS_URL or "redis://127.0.0.1:6379/0")
    url = urlunsplit(parts._replace(path="/14"))
    queue = f"test-campaign-{uuid.uuid4().hex}"
    saved = {
        key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")
    }
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    reset_connection_pool()
    forget_default_queue()
    try:
        yield url, queue
    finally:
        app.conf.update(saved)
        reset_connection_pool()
        forget_default_queue()
        forget_queue(url, queue)


def forget_default_queue() -> None:
    """Celery keeps the default queue it first routed to: this test's would outlive it."""
    for name in ("queues", "default_queue", "router", "default_exchange"):
        app.amqp.__dict__.pop(name, None)
    app.amqp._rtable = None


def forget_queue(url: str, queue: str) -> None:
    """Drops the queue and the messages the killed worker held unacknowledged (kombu would
    put them back in the queue after its visibility timeout, for nobody)."""
    import redis

    client = redis.Redis.from_url(url)
    client.delete(queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}")
    for tag, payload in client.hscan_iter("unacked"):
        if queue.encode() in payload:
            client.hdel("unacked", tag)
            client.zrem("unacked_index", tag)


@pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis")
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_midway_and_restarted_sends_each_mail_exactly_once(broker):
    broker_url, queue = broker
    members = [promo_member(username=f"lid{n}") for n in range(MEMBERS)]
    sink = SlowSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_BROKER_URL": broker_url,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "EMAIL_URL": f"smtp://127.0.0.1:{controller.port}",
        "CAMPAIGN_BATCH_SIZE": "5",
        "CACHE_KEY_PREFIX": f"{os.environ.get('CACHE_KEY_PREFIX', '')}-campaign-worker",
        "DEBUG": "1",
    }
    env.pop("PYTEST_XDIST_WORKER", None)
    worker = start_worker(env, queue)
    try:
        campaign = make_campaign()
        campaign.status, campaign.send_at = Campaign.Status.SCHEDULED, timezone.now()
        campaign.save()
        sending.run_campaigns()  # as beat: rows written, batches enqueued on Redis

        wait_until(lambda: sink.count() >= MEMBERS // 3, 30, "the first mails")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        at_kill = sink.count()
        assert at_kill < MEMBERS

        worker = start_worker(env, queue)
        # Beat, once the lease has run out: the dead batch's rows go back to the queue and
        # the chain of batches starts again.
        later = timezone.now() + timedelta(seconds=settings.CAMPAIGN_CLAIM_LEASE_SECONDS + 1)
        sending.run_campaigns(now=later)
        wait_until(
            lambda: (
                not Delivery.objects.filter(
                    campaign=campaign, status__in=[Delivery.Status.QUEUED, Delivery.Status.CLAIMED]
                ).exists()
            ),
            30,
            "the rest of the campaign",
        )
        sending.run_campaigns()
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        controller.stop()

    assert sink.recipients == Counter({member.email: 1 for member in members})
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.FINISHED
    assert set(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True)) == {
        Delivery.Status.SENT
    }
