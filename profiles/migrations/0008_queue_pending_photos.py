"""Photos waiting for review from before issue 11 join the moderation queue: from now on new
photos are decided there (profiles.photos.add_photo holds each one as a case of category "new
photo"), and the old approve/reject actions in the photo admin are gone. One open case per
member, as add_photo's holds make, dated from the member's oldest waiting photo so the queue
shows how long it waited. Photos already in a case are left alone (running it again adds
nothing)."""

from django.db import migrations

NEW_PHOTO = "new_photo"
NORMAL = 2  # moderation.reasons.Priority.NORMAL: priority_for(NEW_PHOTO)


def queue_pending_photos(apps, schema_editor):
    Photo = apps.get_model("profiles", "Photo")
    Report = apps.get_model("moderation", "Report")
    ReportedItem = apps.get_model("moderation", "ReportedItem")
    ContentType = apps.get_model("contenttypes", "ContentType")
    photo_type, _created = ContentType.objects.get_or_create(app_label="profiles", model="photo")
    queued = ReportedItem.objects.filter(content_type=photo_type).values("object_id")
    waiting = (
        Photo.objects.filter(status="pending")
        .exclude(pk__in=queued)
        .order_by("member_id", "created_at", "pk")
        .values_list("pk", "member_id", "created_at")
    )
    by_member: dict[int, list[tuple[int, object]]] = {}
    for photo_id, member_id, created_at in waiting:
        by_member.setdefault(member_id, []).append((photo_id, created_at))
    for member_id, photos in by_member.items():
        report = Report.objects.create(
            content_type=photo_type,
            reason=NEW_PHOTO,
            priority=NORMAL,
            reported_member_id=member_id,
            created_at=photos[0][1],
        )
        ReportedItem.objects.bulk_create(
            ReportedItem(report=report, content_type=photo_type, object_id=photo_id)
            for photo_id, _created_at in photos
        )


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("moderation", "0003_dsa_cases_statements_appeals"),
        ("profiles", "0007_profile_text_review_photo_hiding"),
    ]

    operations = [migrations.RunPython(queue_pending_photos, migrations.RunPython.noop)]
