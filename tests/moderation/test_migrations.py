"""Migration 0003 on a database with cases from before it (issue 11): "hate" reports became
"illegal content", priorities follow the categories, and every old notice gets a reference."""

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from moderation.reasons import Priority

BEFORE = [("moderation", "0002_moderator_report_permissions")]


def make_old_cases(old_apps) -> dict:
    message_type = old_apps.get_model("contenttypes", "ContentType").objects.get_or_create(
        app_label="messaging", model="message"
    )[0]
    member = old_apps.get_model("members", "Member").objects.create(
        username="oudlid", email="oudlid@example.org", password="!"
    )
    Report = old_apps.get_model("moderation", "Report")
    Notice = old_apps.get_model("moderation", "Notice")
    reports = {
        reason: Report.objects.create(content_type_id=message_type.pk, reason=reason)
        for reason in ("hate", "minor", "non_consensual", "spam")
    }
    for report in reports.values():
        Notice.objects.create(report=report, reporter=member, reason=report.reason)
    Notice.objects.create(report=reports["spam"], reason="hate")  # a second notice
    return {reason: report.pk for reason, report in reports.items()}


@pytest.mark.django_db(transaction=True)
def test_0003_carries_old_cases_over():
    """Old cases are made at 0002, then every later migration runs (each in its own
    transaction, as `migrate` does on PostgreSQL)."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = make_old_cases(executor.loader.project_state(BEFORE).apps)
    finally:  # always back to the latest state: the test database is reused
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    Report = apps.get_model("moderation", "Report")
    Notice = apps.get_model("moderation", "Notice")
    after = {reason: Report.objects.get(pk=pk) for reason, pk in old.items()}
    assert {reason: (r.reason, r.priority) for reason, r in after.items()} == {
        "hate": ("illegal", Priority.HIGH),
        "minor": ("minor", Priority.URGENT),
        "non_consensual": ("non_consensual", Priority.HIGH),
        "spam": ("spam", Priority.NORMAL),
    }
    assert not Notice.objects.filter(reason="hate").exists()
    references = list(Notice.objects.values_list("public_id", flat=True))
    assert len(references) == 5 and all(references)
    assert len(set(references)) == 5
