"""A broker that cannot be reached never turns finished work into a 500 (members.enqueue): the
work is committed, the task is logged as not sent, its row waits for the sweep."""

import logging
import socket
import time
from contextlib import contextmanager

import pytest
from django.core.mail import EmailMultiAlternatives

from config.celery import app
from members import enqueue as enqueueing
from members.models import OutgoingMail
from members.services import queue_mail

from .test_celery_worker import reset_connection_pool
from .test_signup import SIGNUP_URL, signup_data

pytestmark = pytest.mark.django_db


@contextmanager
def broker_at(url: str):
    """Tasks are published to `url` (not run in-process) for the block."""
    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    app.conf.broker_url = url
    app.conf.task_always_eager = False
    reset_connection_pool()
    enqueueing.forget_broker_failures()
    try:
        yield
    finally:
        app.conf.update(saved)
        reset_connection_pool()
        enqueueing.forget_broker_failures()


@pytest.fixture
def dead_broker():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    with broker_at(f"redis://127.0.0.1:{port}/0"):
        yield


def a_mail():
    return EmailMultiAlternatives(
        "Bevestig", "https://example.org/confirm/SECRET-KEY/", "site@example.org", ["jan@x.org"]
    )


def test_sign_up_succeeds_and_its_mail_waits_when_the_broker_is_down(
    client, dead_broker, django_capture_on_commit_callbacks, caplog
):
    with caplog.at_level(logging.INFO), django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            SIGNUP_URL, signup_data(username="nieuw_lid", email="nieuw@example.org")
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    mail = OutgoingMail.objects.get(to="nieuw@example.org")
    assert mail.status == OutgoingMail.Status.PENDING
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "task.not_sent task=members.tasks.send_outgoing_mail" in logged
    assert "nieuw@example.org" not in logged and "nieuw_lid" not in logged


def test_one_failure_opens_the_breaker_so_later_sends_cost_nothing(
    dead_broker, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        queue_mail(message=a_mail(), kind="test")
    assert enqueueing.broker_down()
    started = time.monotonic()
    for _number in range(20):
        with django_capture_on_commit_callbacks(execute=True):
            queue_mail(message=a_mail(), kind="test")
    assert time.monotonic() - started < 1
    assert OutgoingMail.objects.filter(status=OutgoingMail.Status.PENDING).count() == 21


def test_a_failure_is_logged_with_the_task_name_and_error_type_only(dead_broker, caplog):
    from members.tasks import send_outgoing_mail

    with caplog.at_level(logging.WARNING, logger="members.enqueue"):
        assert enqueueing.enqueue(send_outgoing_mail, 12345) is False

    (record,) = caplog.records
    assert record.getMessage() == (
        "task.not_sent task=members.tasks.send_outgoing_mail error=OperationalError"
    )


def test_eager_tasks_still_raise_their_own_errors(django_capture_on_commit_callbacks):
    """Tests (and `make run`) run tasks in-process: a task's failure is not swallowed."""
    assert app.conf.task_always_eager

    @app.task(name="tests.fails_on_purpose", shared=False)
    def _fails_on_purpose(number):
        raise ValueError(f"task failure {number}")

    with (
        pytest.raises(ValueError, match="task failure 7"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        enqueueing.enqueue_on_commit(_fails_on_purpose, 7)
