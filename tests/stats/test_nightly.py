"""R8.3 "a nightly task computes": the beat runs the task once a day, the task computes every
table, and `make run`'s demo data comes with statistics to look at."""

import pytest
from celery.schedules import crontab
from django.core.management import call_command

from config.celery import app
from stats import tasks
from stats.models import Computation, Statistic, Table

pytestmark = pytest.mark.django_db


def test_beat_computes_the_statistics_once_a_night(settings):
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == "stats.tasks.compute_statistics"
    ]

    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert isinstance(schedule, crontab)
    assert schedule.hour == {3} and schedule.minute == {15}
    assert len(schedule.day_of_week) == 7
    assert "stats.tasks.compute_statistics" in app.tasks


def test_the_task_computes_every_table():
    tasks.compute_statistics.delay()

    assert set(Computation.objects.values_list("table", flat=True)) == set(Table.values)
    assert Statistic.objects.filter(table=Table.SIGNUPS).exists()


def test_the_command_computes_at_once():
    call_command("compute_statistics")

    assert Computation.objects.count() == len(Table.values)


def test_demo_data_comes_with_statistics(tmp_path, settings, monkeypatch):
    from tests.profiles import images

    images.use_private_storage(tmp_path / "private", settings, monkeypatch)  # demo photos
    call_command("seed_demo", members=40)

    assert Computation.objects.count() == len(Table.values)
    for table in Table.values:
        assert Statistic.objects.filter(table=table).exists(), table
