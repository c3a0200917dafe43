"""Decisions on a case (issue 11, DSA Art. 17): each one but a dismissal writes a statement of
reasons with the Transparency Database's fields, mailed to the member in their language with
the ways to contest it; reporters are told the outcome (Art. 16(5)), and never more about the
member than the decision."""

from datetime import timedelta

import pytest

from messaging.models import Message
from moderation import services
from moderation.models import Decision, Notice, Report, ReporterStanding, Statement, Strike
from privacy.registry import erase_member_data

from .conftest import send
from .support import ILLEGAL, TERMS, decide, links_in, mails, reported_message

pytestmark = pytest.mark.django_db

EXPECTED = {
    services.REMOVE: {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
        "decision_monetary": "",
        "decision_provision": "",
        "decision_account": "",
    },
    services.RESTRICT: {
        "decision_visibility": ["DECISION_VISIBILITY_CONTENT_DEMOTED"],
        "decision_monetary": "",
        "decision_provision": "DECISION_PROVISION_PARTIAL_SUSPENSION",
        "decision_account": "",
    },
    services.SUSPEND: {
        "decision_visibility": [],
        "decision_monetary": "",
        "decision_provision": "DECISION_PROVISION_TOTAL_SUSPENSION",
        "decision_account": "DECISION_ACCOUNT_SUSPENDED",
    },
    services.CLOSE: {
        "decision_visibility": [],
        "decision_monetary": "",
        "decision_provision": "DECISION_PROVISION_TOTAL_TERMINATION",
        "decision_account": "DECISION_ACCOUNT_TERMINATED",
    },
}


@pytest.mark.parametrize("action", list(EXPECTED))
def test_every_decision_writes_a_statement_with_the_tdb_fields(alice, bob, moderator, action):
    report, message = reported_message(alice, bob, reason="scam")

    decision = decide(report, moderator, action, days=10)

    statement = Statement.objects.get(decision=decision)
    for field, value in EXPECTED[action].items():
        assert getattr(statement, field) == value, field
    assert statement.member == bob
    assert statement.decision_ground == "DECISION_GROUND_INCOMPATIBLE_CONTENT"
    assert statement.terms_clause == TERMS.terms_clause
    assert statement.legal_ground == ""
    assert statement.ground_explanation == TERMS.ground_explanation
    assert statement.decision_facts == TERMS.facts
    assert statement.category == "scam"
    assert statement.content_type == ["CONTENT_TYPE_TEXT"]
    assert statement.content_date == message.created_at
    assert statement.source_type == "SOURCE_ARTICLE_16"
    assert statement.automated_detection is False
    assert statement.automated_decision == "AUTOMATED_DECISION_NOT_AUTOMATED"
    assert statement.application_date == decision.created_at
    assert statement.territorial_scope == ["NL", "BE"]
    assert statement.language == "nl"
    if action in services.PERIOD_ACTIONS:
        assert decision.ends_at == decision.created_at + timedelta(days=10)
        assert statement.end_date == decision.ends_at
    else:
        assert decision.ends_at is None and statement.end_date is None
    report.refresh_from_db()
    assert (report.status, report.decision, report.decided_by) == (
        Report.Status.ACTIONED,
        services.ACTIONS[action],
        moderator,
    )
    assert Strike.objects.filter(member=bob, decision=decision).count() == 1


def test_illegal_content_names_the_law(alice, bob, moderator):
    report, _message = reported_message(alice, bob, reason="threat")

    decision = decide(report, moderator, services.REMOVE, statement=ILLEGAL)

    statement = decision.statement
    assert statement.decision_ground == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert statement.legal_ground == ILLEGAL.legal_ground
    assert statement.category == "threat"


def test_content_the_site_held_itself_is_marked_as_detected_automatically(bob, alice, moderator):
    message = send(bob, alice, "Kijk op mijn website")
    report = services.hold_for_review(item=message, author=bob, reason="mass_sending")

    decision = decide(report, moderator, services.REMOVE)

    statement = decision.statement
    assert statement.automated_detection is True
    assert statement.source_type == "SOURCE_VOLUNTARY"
    assert statement.automated_decision == "AUTOMATED_DECISION_NOT_AUTOMATED"


@pytest.mark.parametrize(
    ("statement", "code"),
    [
        (None, "no_statement"),
        (services.StatementInput(ground="", facts="Feiten"), "no_ground"),
        (
            services.StatementInput(ground=Statement.Ground.ILLEGAL, facts="Feiten"),
            "no_law",
        ),
        (
            services.StatementInput(ground=Statement.Ground.INCOMPATIBLE, facts="Feiten"),
            "no_clause",
        ),
        (
            services.StatementInput(
                ground=Statement.Ground.INCOMPATIBLE, terms_clause="4.2", facts="Feiten"
            ),
            "no_explanation",
        ),
        (
            services.StatementInput(
                ground=Statement.Ground.INCOMPATIBLE,
                terms_clause="4.2",
                ground_explanation="Tegen de voorwaarden.",
                facts="  ",
            ),
            "no_facts",
        ),
        (
            services.StatementInput(
                ground=Statement.Ground.INCOMPATIBLE,
                terms_clause="4.2",
                ground_explanation="Tegen de voorwaarden.",
                facts="x" * 2001,
            ),
            "facts_too_long",
        ),
    ],
)
def test_a_decision_needs_a_complete_statement(alice, bob, moderator, statement, code):
    report, _message = reported_message(alice, bob)

    with pytest.raises(services.DecisionRefused) as refused:
        services.decide_case(
            report=report, moderator=moderator, action=services.REMOVE, statement=statement
        )

    assert refused.value.code == code
    report.refresh_from_db()
    assert report.is_open


@pytest.mark.parametrize("days", [None, 0, 366])
def test_a_restriction_needs_a_period(alice, bob, moderator, days):
    report, _message = reported_message(alice, bob)

    with pytest.raises(services.DecisionRefused) as refused:
        services.decide_case(
            report=report,
            moderator=moderator,
            action=services.RESTRICT,
            statement=TERMS,
            days=days,
        )

    assert refused.value.code == "no_period"


def test_a_case_is_decided_once(alice, bob, moderator):
    report, _message = reported_message(alice, bob)
    decide(report, moderator, services.DISMISS)

    with pytest.raises(services.DecisionRefused) as refused:
        decide(report, moderator, services.REMOVE)

    assert refused.value.code == "already_decided"


def test_removing_takes_the_message_down(alice, bob, moderator):
    report, message = reported_message(alice, bob)

    decide(report, moderator, services.REMOVE)

    message.refresh_from_db()
    assert message.status == Message.Status.REMOVED and message.text == ""
    assert report.items.get().removed_at is not None


def test_dismissing_delivers_what_the_site_held_and_writes_no_statement(alice, bob, moderator):
    message = send(bob, alice, "Kijk op mijn website")
    Message.objects.filter(pk=message.pk).update(status=Message.Status.HELD)
    report = services.hold_for_review(item=message, author=bob, reason="mass_sending")

    decision = decide(report, moderator, services.DISMISS)

    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert decision.decision == Decision.DISMISSED
    assert not Statement.objects.exists() and not Strike.objects.exists()
    assert not mails("moderation_statement")


@pytest.mark.parametrize(
    ("language", "label", "other"),
    [("nl", "Inhoud verwijderd", "Content removed"), ("en", "Content removed", "Inhoud")],
)
def test_the_statement_is_mailed_in_the_members_language(
    alice, bob, moderator, language, label, other
):
    """The member gets the statement in their language, with the appeal link (which works
    while suspended), the dispute bodies and the courts. (Until the translation pass the
    template's own sentences are English; the decision's label is translated already.)"""
    bob.language = language
    bob.save(update_fields=["language"])
    report, _message = reported_message(alice, bob)

    decision = decide(report, moderator, services.REMOVE)

    (mail,) = mails("moderation_statement")
    assert mail.to == "bob@example.org" and mail.member == bob
    assert label in mail.subject and label in mail.body_text
    assert other not in mail.body_text
    assert decision.statement.public_id in mail.body_text
    assert TERMS.facts in mail.body_text
    assert "digital-strategy.ec.europa.eu" in mail.body_text  # no body configured: the EU list
    appeal_links = [link for link in links_in(mail.body_text) if "/appeal/" in link]
    token = appeal_links[0].rstrip("/").rsplit("/", 1)[-1]
    assert services.read_appeal_token(token) == (decision, bob)
    decision.statement.refresh_from_db()
    assert decision.statement.mailed_at is not None


def test_configured_dispute_bodies_are_named(alice, bob, moderator, settings):
    settings.MODERATION_DISPUTE_BODIES = [
        {"name": "Example Dispute Body", "url": "https://disputes.example.eu/"}
    ]
    report, _message = reported_message(alice, bob)

    decide(report, moderator, services.REMOVE)

    (mail,) = mails("moderation_statement")
    assert "Example Dispute Body: https://disputes.example.eu/" in mail.body_text


def test_reporters_are_told_the_outcome_without_the_members_details(alice, bob, moderator):
    report, message = reported_message(alice, bob, reason="scam")
    services.submit_notice(
        item=message,
        category="scam",
        explanation="Oplichter",
        good_faith=True,
        name="Vera",
        email="vera@example.net",
        language="en",
    )

    decide(report, moderator, services.REMOVE)

    told = mails("moderation_notice_outcome")
    assert sorted(m.to for m in told) == ["alice@example.org", "vera@example.net"]
    for mail in told:
        assert "bob" not in mail.body_text
        assert "/appeal/" not in mail.body_text  # reporters appeal dismissals only
    assert all(n.outcome_sent_at for n in report.notices.all())


def test_a_dismissal_can_be_appealed_by_a_member_reporter_and_by_a_visitor(alice, bob, moderator):
    """The member who reported gets their appeal link; a visitor without an account gets one
    naming their notice (DSA Art. 20(1); tests/moderation/test_visitor_appeals.py)."""
    report, message = reported_message(alice, bob, reason="scam")
    services.submit_notice(
        item=message,
        category="scam",
        explanation="Oplichter",
        good_faith=True,
        name="Vera",
        email="vera@example.net",
        language="en",
    )

    decision = decide(report, moderator, services.DISMISS)

    (to_alice,) = mails("moderation_notice_outcome", to="alice@example.org")
    (to_vera,) = mails("moderation_notice_outcome", to="vera@example.net")
    (link,) = [link for link in links_in(to_alice.body_text) if "/appeal/" in link]
    token = link.rstrip("/").rsplit("/", 1)[-1]
    assert services.read_appeal_token(token) == (decision, alice)
    (visitor_link,) = [link for link in links_in(to_vera.body_text) if "/appeal/" in link]
    assert "/appeal/report/" in visitor_link
    visitor_token = visitor_link.rstrip("/").rsplit("/", 1)[-1]
    vera = Notice.objects.get(email="vera@example.net")
    assert services.read_notice_appeal_token(visitor_token) == (decision, vera)
    assert "Hello Vera," in to_vera.body_text


def test_a_case_about_an_erased_member_can_only_be_dismissed(alice, bob, moderator):
    """The member and their content were erased while the case waited: nothing to act on; the
    dismissal does not count against the reporter (nothing was judged)."""
    report, _message = reported_message(alice, bob)
    erase_member_data(bob)
    report.refresh_from_db()
    assert report.reported_member is None

    with pytest.raises(services.DecisionRefused) as refused:
        decide(report, moderator, services.REMOVE)
    decision = decide(report, moderator, services.DISMISS)

    assert refused.value.code == "no_member"
    assert decision.decision == Decision.DISMISSED
    assert not ReporterStanding.objects.filter(member=alice, unfounded__gt=0).exists()
    (shown,) = services.reported_items_for_review(report=report, staff=moderator)
    assert shown.described.text == ""


def test_the_appeal_case_is_not_decided_like_a_first_case(alice, bob, moderator):
    report, _message = reported_message(alice, bob)
    decision = decide(report, moderator, services.REMOVE)
    appeal = services.file_appeal(decision=decision, appellant=bob, explanation="Onterecht")

    with pytest.raises(services.DecisionRefused) as refused:
        decide(appeal.case, moderator, services.DISMISS)

    assert refused.value.code == "is_appeal"
