"""Trust and safety (issue 11): Moderators work the one case queue (police hand-off,
statements, restrictions, appeals, reporter standing, blocked terms, verification requests);
Finance sees members' spending limits read-only."""

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
        "moderation.notify_police",
        "moderation.view_statement",
        "moderation.view_sanction",
        "moderation.view_appeal",
        "moderation.view_reporterstanding",
        "moderation.view_blockedterm",
        "moderation.add_blockedterm",
        "moderation.change_blockedterm",
        "moderation.delete_blockedterm",
        "profiles.view_verificationrequest",
        "profiles.review_verification",
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
        "payments.view_spendinglimit",
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


class Migration(migrations.Migration):
    dependencies = [
        ("stats", "0002_management_role"),
        ("mailings", "0003_delivery_message_id_index"),
        ("members", "0008_mail_cancelled_undeliverable"),
        ("messaging", "0003_only_verified_senders"),
        ("moderation", "0006_categories_from_before_dsa"),
        ("payments", "0005_spending_limit"),
        ("privacy", "0008_suggestion_email_consent"),
        ("profiles", "0008_queue_pending_photos"),
    ]

    operations = [migrations.RunPython(sync, migrations.RunPython.noop)]
