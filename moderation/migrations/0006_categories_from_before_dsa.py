"""Cases from before the DSA categories (0003): "hate or discrimination" became part of
"illegal content", and priorities follow the category (urgent: suspected minor, threat; high:
non-consensual image, illegal content).

Its own migration, not an operation of 0003: on PostgreSQL a migration is one transaction, and
a row updated twice in it queues its foreign-key checks, after which the index creation Django
defers to the end of 0003 fails ("cannot CREATE INDEX ... because it has pending trigger
events"). Here too each row is written once."""

from django.db import migrations
from django.db.models import Case, F, Value, When

URGENT, HIGH = 0, 1


def rename_categories(apps, schema_editor):
    Report = apps.get_model("moderation", "Report")
    Notice = apps.get_model("moderation", "Notice")
    Notice.objects.filter(reason="hate").update(reason="illegal")
    Report.objects.filter(
        reason__in=["hate", "minor", "threat", "non_consensual", "illegal"]
    ).update(
        priority=Case(
            When(reason__in=["minor", "threat"], then=Value(URGENT)), default=Value(HIGH)
        ),
        reason=Case(When(reason="hate", then=Value("illegal")), default=F("reason")),
    )


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0005_blocked_term"),
    ]

    operations = [migrations.RunPython(rename_categories, migrations.RunPython.noop)]
