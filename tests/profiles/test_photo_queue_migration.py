"""Migration profiles 0008 (issue 11): photos that waited for review in the old photo admin
join the moderation queue, one case per member, without doubling photos already queued."""

from datetime import datetime, timedelta

import pytest
from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("profiles", "0007_profile_text_review_photo_hiding")]


def make_old_photos(old_apps) -> dict:
    Member = old_apps.get_model("members", "Member")
    Photo = old_apps.get_model("profiles", "Photo")
    anna = Member.objects.create(username="anna", email="anna@example.org", password="!")
    bart = Member.objects.create(username="bart", email="bart@example.org", password="!")
    start = timezone.make_aware(datetime(2026, 11, 1, 12, 0))

    def photo(member, status, hours):
        return Photo.objects.create(
            member=member,
            image=f"photos/{member.username}{hours}.jpg",
            thumbnail=f"photos/{member.username}{hours}_t.jpg",
            width=100,
            height=100,
            status=status,
            created_at=start + timedelta(hours=hours),
        ).pk

    return {
        "anna": [photo(anna, "pending", 5), photo(anna, "pending", 1)],
        "anna_done": photo(anna, "approved", 0),
        "bart": [photo(bart, "pending", 3)],
        "start": start,
    }


@pytest.mark.django_db(transaction=True)
def test_pending_photos_join_the_queue_once():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    try:
        old = make_old_photos(executor.loader.project_state(BEFORE).apps)
    finally:  # always back to the latest state: the test database is reused
        executor = MigrationExecutor(connection)
        executor.migrate(executor.loader.graph.leaf_nodes())

    Report = apps.get_model("moderation", "Report")
    cases = {
        report.reported_member.username: report
        for report in Report.objects.select_related("reported_member")
    }
    assert set(cases) == {"anna", "bart"}
    anna = cases["anna"]
    assert (anna.reason, anna.priority, anna.status) == ("new_photo", 2, "open")
    assert anna.content_type.model_class()._meta.label == "profiles.Photo"
    assert sorted(anna.items.values_list("object_id", flat=True)) == sorted(old["anna"])
    assert anna.created_at == old["start"] + timedelta(hours=1)  # the oldest waiting photo
    assert list(cases["bart"].items.values_list("object_id", flat=True)) == old["bart"]

    # Run again: nothing is added.
    module = __import__(
        "profiles.migrations.0008_queue_pending_photos", fromlist=["queue_pending_photos"]
    )
    module.queue_pending_photos(apps, None)
    assert Report.objects.count() == 2
