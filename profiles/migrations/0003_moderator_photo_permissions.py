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
}


def sync(apps, schema_editor):
    from members.roles import sync_role_permissions

    sync_role_permissions(apps, ROLE_PERMISSIONS)


class Migration(migrations.Migration):
    dependencies = [("profiles", "0002_places_and_interests"), ("members", "0002_staff_roles")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
