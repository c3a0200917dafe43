"""The mail task travels through a real Redis broker to a real Celery worker."""

import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import transaction

from config.celery import app
from members.models import OutgoingMail
from members.services import queue_mail


def reset_connection_pool():
    """Drops broker connections made with the previous broker_url, and what Celery remembers
    of the previous task_default_queue (its queue declarations and the task sender built from
    them are cached at the first publish)."""
    if app._pool is not None:
        app._pool.force_close_all()
        app._pool = None
    app.amqp._producer_pool = None
    for cached in ("queues", "send_task_message", "default_exchange"):
        app.amqp.__dict__.pop(cached, None)
    app.amqp._rtable = None
    # Kombu's global producer pools would keep the closed pool for later tests' tasks.
    from kombu import pools

    pools.reset()


@pytest.fixture
def redis_worker():
    # A database of its own: the cache's keys and the broker's queues never meet.
    parts = urlsplit(settings.REDIS_URL or "redis://127.0.0.1:6379/0")
    redis_url = urlunsplit(parts._replace(path="/14"))
    saved = {
        key: app.conf[key] for key in ("broker_url", "task_always_eager", "task_default_queue")
    }
    app.conf.broker_url = redis_url
    app.conf.task_always_eager = False
    app.conf.task_default_queue = f"test-{uuid.uuid4().hex}"  # no other run takes our tasks
    reset_connection_pool()
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            yield
    finally:
        app.conf.update(saved)
        reset_connection_pool()


@pytest.mark.django_db(transaction=True)
def test_queued_mail_is_sent_by_the_worker_after_commit(redis_worker):
    message = EmailMultiAlternatives(
        "Bevestig", "https://example.org/confirm/KEY/", "site@example.org", ["jan@example.org"]
    )
    with transaction.atomic():
        row = queue_mail(message=message, kind="email_confirmation_signup")

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        row.refresh_from_db()
        if row.status == OutgoingMail.Status.SENT:
            break
        time.sleep(0.2)

    assert row.status == OutgoingMail.Status.SENT
    assert [m.to for m in mail.outbox] == [["jan@example.org"]]
