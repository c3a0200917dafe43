from django.db import migrations

# Frozen copy of members.roles.ROLE_PERMISSIONS as it stood for this migration: the new
# Management group, which reads the anonymised statistics and nothing else.
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
        "members.view_undeliverableaddress",
        "members.delete_undeliverableaddress",
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
    "Marketing": [
        "mailings.view_campaign",
        "mailings.add_campaign",
        "mailings.change_campaign",
        "mailings.delete_campaign",
        "mailings.send_campaign",
    ],
    "Management": [
        "stats.view_statistic",
    ],
}


def sync(apps, schema_editor):
    from members.roles import sync_role_permissions

    sync_role_permissions(apps, ROLE_PERMISSIONS)


def remove_management(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Group.objects.filter(name="Management").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0001_initial"),
        ("mailings", "0003_delivery_message_id_index"),
        ("members", "0008_mail_cancelled_undeliverable"),
        ("messaging", "0002_helpdesk_receiving_settings"),
        ("moderation", "0002_moderator_report_permissions"),
        ("payments", "0004_standin_payment"),
        ("privacy", "0008_suggestion_email_consent"),
        ("profiles", "0005_photo_premium"),
    ]

    operations = [migrations.RunPython(sync, remove_management)]
