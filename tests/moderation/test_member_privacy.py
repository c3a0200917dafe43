"""Moderation's personal data after issue 11 (R7.3, R7.4, DSA Art. 16, 17, 20, 23): the
member's export holds the decisions about them and the reports they made, never who reported
them; erasure removes their reports, appeals, strikes, restrictions and standing, and keeps
statements of reasons without the person for a stated time; staff's work is kept without them."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from moderation import services
from moderation.models import (
    Appeal,
    CaseNote,
    ModerationAction,
    Notice,
    Report,
    ReportDecision,
    ReporterStanding,
    Sanction,
    Statement,
    Strike,
)
from moderation.personal_data import delete_detached_statements, erase_visitor_notices
from privacy import declaration, registry
from tests.factories import staff_member

from .member_helpers import decide, member_with_photo, profile_and_photo

pytestmark = pytest.mark.django_db

MODERATION_MODELS = [
    Notice,
    Report,
    ReportDecision,
    Statement,
    Sanction,
    Strike,
    ReporterStanding,
    Appeal,
    CaseNote,
    ModerationAction,
]
ALICE_WROTE = "Zijn foto is van mijn zus"


@pytest.fixture
def history(alice, bob, moderator):
    """Alice reported Bob's photo; a moderator restricted Bob's account with a statement and
    a note naming him; Bob appealed; another moderator upheld it."""
    photo = profile_and_photo(bob)
    notice = services.submit_notice(
        item=photo, category="scam", explanation=ALICE_WROTE, good_faith=True, reporter=alice
    )
    report = notice.report
    services.add_case_note(report=report, staff=moderator, text="bob gebruikt andermans foto")
    decision = decide(report, moderator, action=services.RESTRICT, days=30)
    appeal = services.file_appeal(decision=decision, appellant=bob, explanation="Mijn eigen foto")
    second = staff_member("Moderators", username="mod_two")
    services.decide_appeal(appeal=appeal, moderator=second, reverse=False, reasons="Blijft staan.")
    return {
        "notice": notice,
        "report": report,
        "decision": decision,
        "appeal": appeal,
        "second": second,
    }


def export_of(member) -> dict:
    return {
        model._meta.label_lower: list(registry.entry_for(model).export(member))
        for model in MODERATION_MODELS
    }


def erase(member):
    for model in MODERATION_MODELS:
        registry.entry_for(model).erase(member)
        registry.entry_for(model).erase(member)  # idempotent


def test_every_moderation_model_is_registered_with_a_declared_holding():
    for model in MODERATION_MODELS:
        entry = registry.entry_for(model)
        assert entry is not None, model
        assert entry.label in declaration.HOLDINGS, entry.label
    purpose = declaration.PURPOSES["moderation_decisions"]
    assert purpose.basis == registry.Basis.LEGAL_OBLIGATION
    assert "5 years" in purpose.retention_text()


def test_the_reported_members_export_holds_the_decisions_but_never_the_reporter(bob, history):
    exported = export_of(bob)

    (statement,) = exported["moderation.statement"]
    assert statement["decision"] == "account_restricted"
    assert statement["terms_clause"] == "4.2 Geen nepprofielen"
    assert statement["applies_until"]
    (sanction,) = exported["moderation.sanction"]
    assert sanction["kind"] == "restricted"
    assert exported["moderation.strike"][0]["decision"] == "account_restricted"
    (appeal,) = exported["moderation.appeal"]
    assert appeal["explanation"] == "Mijn eigen foto" and appeal["outcome"] == "upheld"
    assert appeal["statement"] == statement["reference"]
    flat = str(exported)
    for secret in ("alice", ALICE_WROTE, history["notice"].public_id, "andermans foto"):
        assert secret not in flat, secret


def test_the_reporters_export_holds_their_reports_and_how_they_turned_out(alice, history):
    exported = export_of(alice)

    (notice,) = exported["moderation.notice"]
    assert notice["reference"] == history["notice"].public_id
    assert notice["explanation"] == ALICE_WROTE and notice["outcome"] == "account_restricted"
    assert exported["moderation.reporterstanding"] == [
        {"founded": 1, "unfounded": 0, "handled_last_since": None}
    ]
    assert exported["moderation.statement"] == [] and exported["moderation.appeal"] == []


def test_a_moderators_export_holds_their_notes_and_audit_log(moderator, history):
    exported = export_of(moderator)

    assert exported["moderation.casenote"][0]["note"] == "bob gebruikt andermans foto"
    actions = {row["action"] for row in exported["moderation.moderationaction"]}
    assert {"case.note_added", "decision.account_restricted"} <= actions


def test_erasing_the_reported_member_keeps_the_statement_without_them(bob, alice, history):
    erase(bob)

    statement = Statement.objects.get(decision=history["decision"])
    assert statement.member is None and statement.language == ""
    assert not Sanction.objects.exists() and not Strike.objects.exists()
    appeal = Appeal.objects.get()
    assert appeal.appellant is None and appeal.explanation == "" and appeal.reasons == ""
    # What others wrote about him goes too; the cases stay without him.
    assert not CaseNote.objects.exists()
    assert not ReportDecision.objects.exclude(note="").exists()
    notice = Notice.objects.get()
    assert notice.reporter == alice and notice.explanation == ""
    assert not Report.objects.filter(reported_member=bob).exists()
    assert Report.objects.count() == 2  # the case and the appeal case


def test_erasing_the_reporter_removes_their_report_and_standing(alice, history):
    erase(alice)

    notice = Notice.objects.get()
    assert notice.reporter is None and notice.explanation == ""
    assert not ReporterStanding.objects.exists()
    assert Report.objects.filter(pk=history["report"].pk).exists()


def test_erasing_moderators_keeps_their_work_without_them(moderator, history):
    """The audit log is append-only: its trigger allows only setting the staff member to
    NULL, which erasure does."""
    second = history["second"]
    services.mark_passed_to_police(report=history["report"], staff=staff_member("superuser"))
    for staff in (moderator, second):
        erase(staff)

    assert not ModerationAction.objects.filter(staff__in=[moderator, second]).exists()
    assert ModerationAction.objects.filter(staff__isnull=True).count() >= 3
    assert CaseNote.objects.get().author is None
    assert Appeal.objects.get().decided_by is None
    assert not ReportDecision.objects.filter(moderator__in=[moderator, second]).exists()


def test_the_helpdesk_erases_a_visitors_notices_by_their_address(db):
    _bob, photo = member_with_photo("bob")
    services.submit_notice(
        item=photo,
        category="scam",
        explanation="Ik ben Vera",
        good_faith=True,
        name="Vera Visser",
        email="Vera@Example.org",
    )

    assert erase_visitor_notices(email="vera@example.org") == 1
    notice = Notice.objects.get()
    assert (notice.name, notice.email, notice.explanation) == ("", "", "")
    assert erase_visitor_notices(email="vera@example.org") == 0
    assert erase_visitor_notices(email="") == 0


def test_detached_statements_are_deleted_after_the_stated_years(bob, history, settings):
    settings.MODERATION_STATEMENT_YEARS = 5
    kept = Statement.objects.get()
    erase(bob)

    assert delete_detached_statements() == 0  # recent: kept without him
    later = timezone.now() + timedelta(days=365 * 5 + 2)
    assert delete_detached_statements(now=later) == 1
    assert not Statement.objects.filter(pk=kept.pk).exists()


def test_statements_of_members_still_here_are_never_deleted_by_age(bob, history):
    later = timezone.now() + timedelta(days=365 * 20)

    assert delete_detached_statements(now=later) == 0
    assert Statement.objects.filter(member=bob).exists()


def test_the_my_data_page_lists_the_decisions_about_the_member(client, bob, history):
    client.force_login(bob)

    page = client.get(reverse("privacy:my_data")).content.decode()

    assert "The statements of reasons for decisions about your account or content" in page
    assert "Restrictions and suspensions of your account" in page
    assert "Your appeals against decisions" in page
