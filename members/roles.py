"""Staff roles and the permissions each needs for its work, and no more (SPEC R9.2).

Later issues add their permissions here and a data migration that calls
`sync_role_permissions` with a frozen copy of this map (a migration must not change when this
file does). A test checks that the groups in the database match this map.
"""

ROLE_PERMISSIONS = {
    # Moderators judge content and members' conduct; they never see contact details.
    "Moderators": [
        "members.view_member",
        "members.suspend_member",
        "profiles.view_photo",
        "profiles.review_photo",
        # The report queue: see reported content (each view logged) and decide on it.
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
        # Whose notices are trusted (DSA Art. 22): they see the list; superusers keep it.
        "moderation.view_trustedflagger",
        "profiles.view_verificationrequest",
        "profiles.review_verification",
    ],
    # Helpdesk answers members' questions and privacy requests: contact details and mail.
    "Helpdesk": [
        "members.view_member",
        "members.view_contact_details",
        "members.view_outgoingmail",
        "members.change_outgoingmail",
        # Why a member does or does not get mail about new messages (never message text).
        "messaging.view_receivingsettings",
        # Answer questions about consents, limits and which statement version was accepted
        # (read-only: nobody can change these ledgers in admin).
        "privacy.view_consentrecord",
        "privacy.view_processinglimitrecord",
        "privacy.view_statementacceptance",
        # Questions and privacy requests from the contact form: read, answer and process them.
        # No add/delete: requests come from the form and go by their retention.
        "privacy.view_privacyrequest",
        "privacy.process_privacyrequest",
        # Bounced addresses: remove the flag when a member says the mailbox works again.
        "members.view_undeliverableaddress",
        "members.delete_undeliverableaddress",
    ],
    # Finance handles money: credit packs, orders, refunds and credit corrections.
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
    # Marketing writes and sends promotional campaigns: campaigns only, never a member's name,
    # address, profile or messages (it sees counts). Delete is for drafts only (CampaignAdmin).
    "Marketing": [
        "mailings.view_campaign",
        "mailings.add_campaign",
        "mailings.change_campaign",
        "mailings.delete_campaign",
        "mailings.send_campaign",
    ],
    # Management reads the anonymised statistics (R8.3): aggregate tables with small numbers
    # suppressed, never a member, an order or a message.
    "Management": [
        "stats.view_statistic",
    ],
}


def sync_role_permissions(apps, role_permissions):
    """Makes each role group hold exactly the given permissions. Usable from a data migration: the
    permissions of freshly migrated apps are created first (Django would only do that after
    all migrations have run)."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        if getattr(app_config, "models_module", None) is None:  # historical apps (migrations)
            app_config.models_module = True
            create_permissions(app_config, apps=apps, verbosity=0)
            app_config.models_module = None
        else:
            create_permissions(app_config, apps=apps, verbosity=0)

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for group_name, codes in role_permissions.items():
        group, _created = Group.objects.get_or_create(name=group_name)
        permissions = []
        for code in codes:
            app_label, codename = code.split(".")
            permissions.append(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
            )
        group.permissions.set(permissions)
