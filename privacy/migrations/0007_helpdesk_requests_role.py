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
        "messaging.view_receivingsettings",
        "privacy.view_consentrecord",
        "privacy.view_processinglimitrecord",
        "privacy.view_statementacceptance",
        "privacy.view_privacyrequest",
        "privacy.process_privacyrequest",
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


class Migration(migrations.Migration):
    dependencies = [("privacy", "0006_privacy_request_export")]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
