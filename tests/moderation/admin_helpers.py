"""Shared pieces of the moderation admin tests (queue, transparency, audit log).

The Moderators role in the database gets its moderation permissions from a data migration of
the role map (members/roles.py), which the lead writes. Until then `grant_moderator_role` gives
the group exactly the permissions the case pages need (MODERATOR_PERMISSIONS); it is
idempotent, so the tests keep working once the migration holds them.
"""

from django.contrib.auth.models import Group, Permission

from moderation import services
from moderation.models import Statement

from .conftest import QUEUE, case_url, send

MODERATOR_PERMISSIONS = [
    "moderation.view_report",
    "moderation.change_report",
    "moderation.notify_police",
    "moderation.view_statement",
    "moderation.view_sanction",
    "moderation.view_appeal",
    "moderation.view_reporterstanding",
]
STATEMENTS = "/admin/moderation/statement/"
EXPORT = f"{STATEMENTS}export/"
SUMMARY = f"{STATEMENTS}summary/"
AUDIT_LOG = "/admin/moderation/moderationaction/"
SANCTIONS = "/admin/moderation/sanction/"
APPEALS = "/admin/moderation/appeal/"
STANDINGS = "/admin/moderation/reporterstanding/"
OTHER_ROLES = ["Helpdesk", "Finance", "Marketing", "Management"]

# A statement of reasons as a moderator types it: against the terms, facts without a person.
TERMS = {
    "ground": Statement.Ground.INCOMPATIBLE,
    "terms_clause": "4.2 Geen geld vragen",
    "ground_explanation": "Vragen om geld of bankgegevens is in strijd met de voorwaarden.",
    "facts": "Een bericht vroeg een ander lid om bankgegevens.",
}
ILLEGAL = {
    "ground": Statement.Ground.ILLEGAL,
    "legal_ground": "Artikel 285 Wetboek van Strafrecht (bedreiging)",
    "ground_explanation": "Het bericht bedreigt een ander lid met geweld.",
    "facts": "Een bericht bevatte een bedreiging met geweld.",
}


def permission(code: str) -> Permission:
    app_label, codename = code.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


def grant_moderator_role():
    Group.objects.get(name="Moderators").permissions.add(
        *[permission(code) for code in MODERATOR_PERMISSIONS]
    )


def statement_input(fields=None) -> services.StatementInput:
    fields = dict(fields or TERMS)
    return services.StatementInput(
        ground=fields.pop("ground"),
        facts=fields.pop("facts"),
        legal_ground=fields.pop("legal_ground", ""),
        terms_clause=fields.pop("terms_clause", ""),
        ground_explanation=fields.pop("ground_explanation", ""),
    )


def reported(reporter, author, text="Stuur me je bankgegevens", reason="scam"):
    message = send(author, reporter, text)
    report = services.report_content(
        reporter=reporter, items=[message], reason=reason, reported_member=author
    )
    return report, message


def decide(client, report, action, **data):
    return client.post(case_url(report), {"form": "decision", "action": action, **data})


def listed(response) -> list[int]:
    return [row.pk for row in response.context["cl"].result_list]


__all__ = ["QUEUE", "case_url"]
