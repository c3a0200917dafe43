from django.db import migrations

# Frozen copy of members.roles.ROLE_PERMISSIONS as it stood for this migration.
ROLE_PERMISSIONS = {
    "Moderators": [
        "members.view_member",
        "members.suspend_member",
        "profiles.view_photo",
        "profiles.review_photo",
        "moderation.view_report",
        "moderation.change_report",
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

# The map before this migration, to go back to.
PREVIOUS_ROLE_PERMISSIONS = {
    **ROLE_PERMISSIONS,
    "Moderators": [
        code for code in ROLE_PERMISSIONS["Moderators"] if not code.startswith("moderation.")
    ],
}


def sync(apps, schema_editor):
    from members.roles import sync_role_permissions

    sync_role_permissions(apps, ROLE_PERMISSIONS)


def unsync(apps, schema_editor):
    from members.roles import sync_role_permissions

    sync_role_permissions(apps, PREVIOUS_ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [
        ("moderation", "0001_initial"),
        ("payments", "0002_finance_role"),
    ]

    operations = [migrations.RunPython(sync, unsync)]
