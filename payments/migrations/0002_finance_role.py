from django.db import migrations

# Frozen copy of members.roles.ROLE_PERMISSIONS as it stood for this migration.
ROLE_PERMISSIONS = {
    "Moderators": [
        "members.view_member",
        "members.suspend_member",
        "profiles.view_photo",
        "profiles.review_photo",
    ],
    "Helpdesk": [
        "members.view_member",
        "members.view_contact_details",
        "members.view_outgoingmail",
        "members.change_outgoingmail",
    ],
    "Finance": [
        "members.view_member",
        "payments.view_creditpack",
        "payments.add_creditpack",
        "payments.change_creditpack",
        "payments.view_order",
        "payments.refund_order",
        "payments.view_ledgerentry",
        "payments.adjust_credits",
        "payments.view_wallet",
    ],
}


def sync(apps, schema_editor):
    from members.roles import sync_role_permissions

    sync_role_permissions(apps, ROLE_PERMISSIONS)


def remove_finance(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name="Finance").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("payments", "0001_initial"),
        ("profiles", "0003_moderator_photo_permissions"),
    ]

    operations = [migrations.RunPython(sync, remove_finance)]
