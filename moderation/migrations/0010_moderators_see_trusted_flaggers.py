"""Trusted flaggers (DSA Art. 22): Moderators see who is trusted; only superusers add,
change or remove a trusted flagger (it lets one notice hide an account)."""

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
        "moderation.view_trustedflagger",
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

# The map before (0007), restored when this migration is reversed.
PREVIOUS_ROLE_PERMISSIONS = {
    **ROLE_PERMISSIONS,
    "Moderators": [
        code for code in ROLE_PERMISSIONS["Moderators"] if code != "moderation.view_trustedflagger"
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
        ("moderation", "0009_trusted_flaggers_first_look"),
    ]

    operations = [migrations.RunPython(sync, unsync)]
