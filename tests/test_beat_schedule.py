"""Celery beat keeps its clock in PostgreSQL (config.beat, django-celery-beat): after a restart
(a deploy, a new container) a daily task that last ran 25 hours ago is sent at once, and a
6-hourly one that ran an hour ago is not. CELERY_BEAT_SCHEDULE is what runs."""

from datetime import timedelta

import pytest
from celery import Celery
from celery.beat import Service
from django.conf import settings
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.beat import SettingsDatabaseScheduler

# Beat opens and closes its own connections, as in production: real commits.
pytestmark = pytest.mark.django_db(transaction=True)

DAILY = "statistics-nightly"  # crontab, 03:15 UTC
SIX_HOURLY = "activity-retention"


@pytest.fixture
def beat_app():
    """The site's Celery configuration with an in-memory broker, whose queue the test reads:
    what beat sends is what a worker would get."""
    app = Celery("beat-test", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = "memory://"
    app.conf.task_always_eager = False
    with (
        app.connection_for_write() as connection,
        connection.SimpleQueue(app.conf.task_default_queue) as queue,
    ):
        app.test_queue = queue
        yield app


def start_beat(app):
    """What `celery -A config beat` does at start (celery.apps.beat.Beat): the scheduler
    class of the settings."""
    scheduler = Service(app=app, scheduler_cls=app.conf.beat_scheduler).get_scheduler()
    assert isinstance(scheduler, SettingsDatabaseScheduler)
    return scheduler


def sent_tasks(app, scheduler) -> list[str]:
    for _ in range(len(settings.CELERY_BEAT_SCHEDULE) + 5):
        scheduler.tick()
    names = []
    while True:
        try:
            message = app.test_queue.get(block=False)
        except app.test_queue.Empty:
            return names
        names.append(message.headers["task"])
        message.ack()


def test_a_restarted_beat_runs_what_is_due_and_waits_for_what_ran(beat_app):
    first = start_beat(beat_app)
    assert set(PeriodicTask.objects.values_list("name", flat=True)) == set(
        settings.CELERY_BEAT_SCHEDULE
    )
    first.sync()
    # The clock before the restart, as beat left it in the database: everything ran just now,
    # except the nightly statistics (25 hours ago) and the retention (an hour ago).
    now = timezone.now()
    PeriodicTask.objects.update(last_run_at=now)
    PeriodicTask.objects.filter(name=DAILY).update(last_run_at=now - timedelta(hours=25))
    PeriodicTask.objects.filter(name=SIX_HOURLY).update(last_run_at=now - timedelta(hours=1))
    del first

    second = start_beat(beat_app)  # a new process reading the same database
    sent = sent_tasks(beat_app, second)
    assert settings.CELERY_BEAT_SCHEDULE[DAILY]["task"] in sent
    assert settings.CELERY_BEAT_SCHEDULE[SIX_HOURLY]["task"] not in sent
    assert sent.count(settings.CELERY_BEAT_SCHEDULE[DAILY]["task"]) == 1

    # The new run is written back, so the next restart does not send it again.
    second.sync()
    assert PeriodicTask.objects.get(name=DAILY).last_run_at > now - timedelta(minutes=1)
    third = start_beat(beat_app)
    assert settings.CELERY_BEAT_SCHEDULE[DAILY]["task"] not in sent_tasks(beat_app, third)


def test_the_settings_are_the_schedule_at_every_start(beat_app):
    """An entry no longer in CELERY_BEAT_SCHEDULE goes, a changed or switched-off one is put
    back as the settings say, and each keeps its last run."""
    start_beat(beat_app)
    ran = timezone.now() - timedelta(hours=2)
    every_minute = IntervalSchedule.objects.create(every=60, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="gone", task="old.tasks.gone", interval=every_minute)
    PeriodicTask.objects.filter(name=SIX_HOURLY).update(
        interval=every_minute, enabled=False, last_run_at=ran
    )

    start_beat(beat_app)
    assert not PeriodicTask.objects.filter(name="gone").exists()
    retention = PeriodicTask.objects.get(name=SIX_HOURLY)
    assert retention.enabled
    assert retention.interval.every == 6 * 3600 and retention.interval.period == "seconds"
    assert retention.last_run_at == ran
    # The page-visit flush keeps its expiry: a run not started within 30 s is dropped.
    assert PeriodicTask.objects.get(name="page-visits").expire_seconds == 30
