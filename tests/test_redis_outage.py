"""The Redis drill: a Redis server of the test's own (cache, rate limits and Celery's broker)
is stopped mid-test. Sign-up, log-in and the inbox keep working, the confirmation mail waits
as a row in the outbox, and once Redis is back the sweep enqueues it and it goes out exactly
once (SECURITY.md, "Degrade, don't fall over")."""

import base64
import json
import shutil
import socket
import subprocess
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

import pytest
from django.conf import settings
from django.core import mail
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from members import cache as resilient_cache
from members import enqueue as enqueueing
from members import services as member_services
from members.models import OutgoingMail
from messaging.services import send_message
from payments.services import adjust_credits
from tests.factories import PASSWORD, MemberFactory
from tests.members.test_celery_worker import reset_connection_pool
from tests.members.test_signup import SIGNUP_URL, signup_data

REDIS_SERVER = shutil.which("redis-server")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.rate_limits,  # allauth's and the site's limits on: they too must survive
    pytest.mark.skipif(REDIS_SERVER is None, reason="needs the redis-server binary"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class DrillRedis:
    """A redis-server on a loopback port, without persistence, that the test stops and starts."""

    def __init__(self, port: int):
        self.port = port
        self.process = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 (a fixed binary, our own arguments)
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
            + ["--appendonly", "no", "--protected-mode", "yes", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2) as conn:
                    conn.sendall(b"PING\r\n")
                    if conn.recv(16).startswith(b"+PONG"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("the drill's redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def client(self, db: int):
        import redis

        return redis.Redis.from_url(self.url(db), socket_timeout=2)


@pytest.fixture
def drill_redis():
    server = DrillRedis(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def site_on(server: DrillRedis, queue: str):
    """The cache, the page-visit buffer and Celery's broker of the site point at the drill's
    Redis; tasks are published to the broker, not run in-process."""
    caches = {
        "default": {
            "BACKEND": "members.cache.ResilientRedisCache",
            "LOCATION": server.url(1),
            "KEY_PREFIX": f"drill-{uuid.uuid4().hex[:8]}",
            "OPTIONS": {"socket_timeout": 0.5, "socket_connect_timeout": 0.5, "RETRY_SECONDS": 1},
        }
    }
    saved = {
        key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")
    }
    app.conf.update(broker_url=server.url(0), task_always_eager=False, task_default_queue=queue)
    reset_connection_pool()
    try:
        with override_settings(
            CACHES=caches,
            REDIS_URL=server.url(1),
            CELERY_TASK_ALWAYS_EAGER=False,
            CELERY_BROKER_URL=server.url(0),
        ):
            yield
    finally:
        app.conf.update(saved)
        reset_connection_pool()
        resilient_cache.forget_failures()
        enqueueing.forget_broker_failures()


def queued_tasks(server: DrillRedis, queue: str) -> list[tuple[str, list]]:
    """Takes every message off the broker's queue (kombu's Redis transport: a list named after
    the queue): (task name, args) each."""
    client = server.client(0)
    tasks = []
    while (raw := client.rpop(queue)) is not None:
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        tasks.append((message["headers"]["task"], args))
    return tasks


def run_like_a_worker(tasks) -> None:
    for name, args in tasks:
        app.tasks[name].run(*args)


def test_sign_up_log_in_and_inbox_work_while_redis_is_down_and_the_mail_follows_once(
    client, drill_redis, monkeypatch, django_capture_on_commit_callbacks
):
    started = time.monotonic()
    monkeypatch.setattr(enqueueing, "BROKER_RETRY_SECONDS", 1.0)
    queue = f"drill-{uuid.uuid4().hex}"
    bob = MemberFactory(username="bob_drill", email="bob-drill@example.org")
    alice = MemberFactory(username="alice_drill", email="alice-drill@example.org")
    adjust_credits(member=alice, credits=10, reason="drill", staff=MemberFactory(is_staff=True))
    adjust_credits(member=bob, credits=10, reason="drill", staff=MemberFactory(is_staff=True))
    with site_on(drill_redis, queue):
        with django_capture_on_commit_callbacks(execute=True):
            send_message(sender=alice, receiver=bob, text="Hoi Bob")  # bob's inbox
        assert client.get("/healthz").json()["status"] == "ok"
        assert [name for name, _args in queued_tasks(drill_redis, queue)] == [
            "messaging.tasks.notify_new_message"
        ]

        drill_redis.stop()

        # Sign-up: the member is stored, the confirmation mail waits as a row.
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                SIGNUP_URL, signup_data(username="nieuw_lid", email="nieuw-lid@example.org")
            )
        assert response.status_code == 302
        assert response.url == reverse("account_email_verification_sent")
        confirmation = OutgoingMail.objects.get(to="nieuw-lid@example.org")
        assert confirmation.status == OutgoingMail.Status.PENDING
        assert mail.outbox == []

        # Log-in (rate limits count in the process's memory) and the inbox.
        client.logout()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                reverse("account_login"), {"login": "bob_drill", "password": PASSWORD}
            )
        assert response.status_code == 302
        for url in (reverse("messaging:inbox"), reverse("home")):
            assert client.get(url).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            send_message(sender=bob, receiver=alice, text="Werkt het nog?")
        assert client.get(reverse("messaging:inbox")).status_code == 200

        # /healthz: still up, and says what is down.
        health = client.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {
            "status": "degraded",
            "checks": {"database": "ok", "cache": "down", "broker": "down"},
        }

        # Redis is back (same port, empty: no persistence). The breakers close after their
        # interval; the beat's sweep finds the mail due and enqueues it.
        drill_redis.start()
        time.sleep(1.1)
        assert client.get("/healthz").json()["status"] == "ok"
        swept = member_services.sweep_outgoing_mail(now=timezone.now() + timedelta(seconds=61))
        assert swept == 1
        tasks = queued_tasks(drill_redis, queue)
        assert tasks == [("members.tasks.send_outgoing_mail", [confirmation.pk])]
        run_like_a_worker(tasks)

        # Exactly once: sent, and neither a second run of the task nor the next sweeps send it
        # again.
        confirmation.refresh_from_db()
        assert confirmation.status == OutgoingMail.Status.SENT
        run_like_a_worker(tasks)
        assert member_services.sweep_outgoing_mail(now=timezone.now() + timedelta(hours=1)) == 0
        assert queued_tasks(drill_redis, queue) == []
        confirmations = [m for m in mail.outbox if m.to == ["nieuw-lid@example.org"]]
        assert len(confirmations) == 1
        assert "/accounts/confirm-email/" in confirmations[0].body

    assert time.monotonic() - started < 30
    assert settings.CELERY_TASK_ALWAYS_EAGER  # the rest of the suite runs tasks in-process
