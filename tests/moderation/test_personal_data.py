"""Moderation's personal data in the export and in erasure (R7.3, R7.4), and the rule that
moderation plugs content apps in rather than importing them (ARCHITECTURE.md)."""

import ast
from pathlib import Path

import pytest

from moderation import services
from moderation.models import ContentAccessLog, Notice, Report, ReportDecision, Statement
from privacy.registry import entry_for

from .conftest import send

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided_case(alice, bob, moderator):
    message = send(bob, alice, "Geef me je pincode")
    report = services.report_content(
        reporter=alice,
        items=[message],
        reason="scam",
        explanation="Hij wil mijn pincode",
        reported_member=bob,
    )
    services.reported_items_for_review(report=report, staff=moderator)
    services.remove_reported_content(
        report=report,
        moderator=moderator,
        note="privé notitie",
        statement=services.StatementInput(
            ground=Statement.Ground.INCOMPATIBLE,
            terms_clause="Article 4.2",
            ground_explanation="Asking for bank details is against the terms.",
            facts="The message asks for a bank PIN.",
        ),
    )
    return report


def export(model, member):
    return list(entry_for(model).export(member))


def test_export_holds_the_reports_a_member_made(decided_case, alice):
    (row,) = export(Notice, alice)

    assert row["reason"] == "scam"
    assert row["explanation"] == "Hij wil mijn pincode"
    assert row["status"] == "actioned"
    # The reference of the member's receipt (their notice), not the case's.
    assert row["reference"] == Notice.objects.get(reporter=alice).public_id
    assert row["outcome"] == "content_removed" and row["good_faith"] is True


def test_export_holds_decisions_about_the_member_but_not_who_reported_or_the_note(
    decided_case, bob
):
    (row,) = export(Report, bob)

    assert row["decisions"][0]["decision"] == "content_removed"
    flat = str(row)
    assert "alice" not in flat and "pincode" not in flat and "privé" not in flat


def test_export_holds_a_moderators_own_work(decided_case, moderator):
    assert len(export(ContentAccessLog, moderator)) == 1
    assert export(ReportDecision, moderator)[0]["decision"] == "content_removed"


def test_erasing_the_reporter_keeps_the_case_without_them(decided_case, alice):
    for model in (Notice, Report, ReportDecision, ContentAccessLog):
        entry_for(model).erase(alice)
        entry_for(model).erase(alice)  # idempotent

    notice = Notice.objects.get()
    assert notice.reporter is None and notice.explanation == ""
    assert Report.objects.filter(pk=decided_case.pk).exists()


def test_erasing_the_reported_member_cuts_every_link(decided_case, bob):
    for model in (Notice, Report, ReportDecision, ContentAccessLog):
        entry_for(model).erase(bob)

    decided_case.refresh_from_db()
    assert decided_case.reported_member is None
    assert ContentAccessLog.objects.get().author is None


def test_erasing_a_moderator_keeps_their_decisions_and_log_without_them(decided_case, moderator):
    for model in (Notice, Report, ReportDecision, ContentAccessLog):
        entry_for(model).erase(moderator)

    assert ReportDecision.objects.get().moderator is None
    assert ContentAccessLog.objects.get().staff is None
    decided_case.refresh_from_db()
    assert decided_case.decided_by is None


def test_moderation_imports_no_content_app():
    """Moderation is a platform service: content apps register with it, never the reverse."""
    forbidden = {"messaging", "profiles", "payments"}
    root = Path(__file__).resolve().parents[2] / "moderation"
    found = []
    for path in root.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            found += [f"{path.name}: {n}" for n in names if n.split(".")[0] in forbidden]
    assert found == []


def test_a_case_still_opens_after_the_reported_member_is_erased(decided_case, bob, client):
    """Erasure through the whole registry: the case stays, the content and the person go."""
    from privacy.registry import erase_member_data
    from tests.factories import staff_member

    erase_member_data(bob)
    client.force_login(staff_member("Moderators"))

    response = client.get(f"/admin/moderation/report/{decided_case.pk}/change/")

    assert response.status_code == 200
    assert "Geef me je pincode" not in response.content.decode()
    assert response.context["reported_member"] is None


def test_a_trusted_flagger_account_is_exported_and_erased(alice, moderator):
    """A member account registered as a trusted flagger's: in the member's export; erasing
    the member ends it, and erasing the staff member who added one keeps the flagger."""
    from moderation.models import TrustedFlagger

    flagger = TrustedFlagger.objects.create(name="Meldpunt", member=alice, added_by=moderator)
    other = TrustedFlagger.objects.create(
        name="Offlimits", email_domain="offlimits.nl", added_by=moderator
    )

    (row,) = export(TrustedFlagger, alice)
    assert row["organisation"] == "Meldpunt" and row["active"] is True
    entry_for(TrustedFlagger).erase(moderator)
    entry_for(TrustedFlagger).erase(alice)
    entry_for(TrustedFlagger).erase(alice)  # idempotent

    assert not TrustedFlagger.objects.filter(pk=flagger.pk).exists()
    other.refresh_from_db()
    assert other.added_by is None


def test_erasing_a_reporter_also_clears_the_hash_of_their_address(alice, bob):
    from profiles.models import Profile
    from tests.factories import make_profile

    make_profile(bob)
    services.submit_notice(
        item=Profile.objects.get(member=bob),
        category="spam",
        explanation="Reclame",
        good_faith=True,
        reporter=alice,
        rate_key="192.0.2.1",
    )
    assert Notice.objects.get().source_digest

    entry_for(Notice).erase(alice)

    assert Notice.objects.get().source_digest == ""
