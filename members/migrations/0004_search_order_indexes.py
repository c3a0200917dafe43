"""Indexes in the orders of search results. SQLite (make run) cannot declare NULLS LAST in an
index, but its DESC order already puts NULLs last, so there the same index is made without it."""

from django.db import migrations, models

ACTIVE_ORDER = models.Index(
    models.OrderBy(models.F("last_active_at"), descending=True, nulls_last=True),
    models.OrderBy(models.F("date_joined"), descending=True),
    models.OrderBy(models.F("id"), descending=True),
    name="member_active_order",
)
ACTIVE_ORDER_SQLITE = models.Index(
    models.OrderBy(models.F("last_active_at"), descending=True),
    models.OrderBy(models.F("date_joined"), descending=True),
    models.OrderBy(models.F("id"), descending=True),
    name="member_active_order",
)
JOINED_ORDER = models.Index(
    models.OrderBy(models.F("date_joined"), descending=True),
    models.OrderBy(models.F("id"), descending=True),
    name="member_joined_order",
)


def create_indexes(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    sqlite = schema_editor.connection.vendor == "sqlite"
    schema_editor.add_index(Member, ACTIVE_ORDER_SQLITE if sqlite else ACTIVE_ORDER)
    schema_editor.add_index(Member, JOINED_ORDER)


def drop_indexes(apps, schema_editor):
    Member = apps.get_model("members", "Member")
    schema_editor.remove_index(Member, ACTIVE_ORDER)
    schema_editor.remove_index(Member, JOINED_ORDER)


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("members", "0003_activity_and_restriction"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddIndex(model_name="member", index=ACTIVE_ORDER),
                migrations.AddIndex(model_name="member", index=JOINED_ORDER),
            ],
            database_operations=[migrations.RunPython(create_indexes, drop_indexes)],
        ),
    ]
