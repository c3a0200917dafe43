"""The strike ladder (issue 11, DSA Art. 23): every restricting decision counts a strike; at 2
strikes the member is warned, at 3 suspended for 7 days, at 5 for 30 days (settings), each
step once, as an automated decision with its own statement. A reversal on appeal removes the
strike and the ladder's steps that no longer have their strikes."""

from datetime import timedelta

import pytest
from django.utils import timezone

from moderation import services
from moderation.models import Decision, ReportDecision, Sanction, Statement, Strike
from tests.factories import MemberFactory

from .conftest import give_credits
from .support import actions, decide, mails, reported_message

pytestmark = pytest.mark.django_db


@pytest.fixture
def reporters(db):
    """Five members who each report one of bob's messages."""
    members = [MemberFactory(username=f"reporter{n}") for n in range(6)]
    for member in members:
        give_credits(member)
    return members


@pytest.fixture
def cases(bob, reporters):
    """Six open cases about bob, made before any decision (a suspended bob cannot write)."""
    return [reported_message(reporter, bob)[0] for reporter in reporters]


def ladder(member):
    return list(
        ReportDecision.objects.filter(automated=True, statement__member=member)
        .order_by("pk")
        .values_list("decision", flat=True)
    )


def test_one_strike_takes_no_step(bob, cases, moderator):
    decide(cases[0], moderator, services.REMOVE)

    assert services.strikes_in_force(bob) == 1
    assert ladder(bob) == []


def test_two_strikes_warn_three_suspend(bob, cases, moderator):
    decide(cases[0], moderator, services.REMOVE)
    decide(cases[1], moderator, services.REMOVE)

    (warning,) = ReportDecision.objects.filter(automated=True)
    assert warning.decision == Decision.MEMBER_WARNED
    assert warning.report == cases[1] and warning.moderator is None
    statement = warning.statement
    assert statement.automated_decision == Statement.Automated.FULLY
    assert statement.decision_visibility == ["DECISION_VISIBILITY_OTHER"]
    assert statement.decision_ground == Statement.Ground.INCOMPATIBLE
    assert statement.terms_clause
    assert "2 decisions against this account within 365 days" in statement.decision_facts
    assert statement.member == bob and statement.territorial_scope == ["NL", "BE"]
    assert len(mails("moderation_statement", to=bob.email)) == 3
    cases[1].refresh_from_db()
    assert cases[1].decision == Decision.CONTENT_REMOVED  # the case shows the moderator's

    decide(cases[2], moderator, services.REMOVE)

    suspension = ReportDecision.objects.filter(automated=True).last()
    assert suspension.decision == Decision.MEMBER_SUSPENDED
    assert suspension.ends_at == suspension.created_at + timedelta(days=7)
    assert suspension.statement.automated_decision == Statement.Automated.FULLY
    assert suspension.statement.end_date == suspension.ends_at
    sanction = Sanction.objects.get(decision=suspension)
    assert (sanction.kind, sanction.ends_at) == (Sanction.Kind.SUSPENDED, suspension.ends_at)
    bob.refresh_from_db()
    assert not bob.is_active
    assert "ladder.member_warned" in actions(report=cases[1], staff=None)
    assert "ladder.member_suspended" in actions(report=cases[2], staff=None)


def test_each_step_once_then_the_next(bob, cases, moderator):
    for case in cases[:5]:
        decide(case, moderator, services.REMOVE)

    assert ladder(bob) == [
        Decision.MEMBER_WARNED,
        Decision.MEMBER_SUSPENDED,
        Decision.MEMBER_SUSPENDED,
    ]
    last = ReportDecision.objects.filter(automated=True).last()
    assert last.ends_at == last.created_at + timedelta(days=30)


def test_a_step_is_not_taken_twice_within_the_window(bob, cases, moderator):
    """The first strike expires (older than the window), a new one brings the count back to
    2: the warning given within the window is not given again."""
    decide(cases[0], moderator, services.REMOVE)
    decide(cases[1], moderator, services.REMOVE)
    first = Strike.objects.filter(member=bob).order_by("pk").first()
    Strike.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=400))
    assert services.strikes_in_force(bob) == 1

    decide(cases[2], moderator, services.REMOVE)

    assert services.strikes_in_force(bob) == 2
    assert ladder(bob) == [Decision.MEMBER_WARNED]


def test_the_ladder_is_a_setting(bob, cases, moderator, settings):
    settings.MODERATION_STRIKE_LADDER = [(1, "suspension", 2)]

    decide(cases[0], moderator, services.REMOVE)

    (suspension,) = ReportDecision.objects.filter(automated=True)
    assert suspension.ends_at == suspension.created_at + timedelta(days=2)


def test_strikes_count_within_the_window(bob, cases, moderator, settings):
    settings.MODERATION_STRIKE_WINDOW_DAYS = 30
    decide(cases[0], moderator, services.REMOVE)
    Strike.objects.update(created_at=timezone.now() - timedelta(days=31))

    decide(cases[1], moderator, services.REMOVE)

    assert services.strikes_in_force(bob) == 1
    assert ladder(bob) == []


def test_dismissals_and_closing_take_no_step(bob, cases, moderator):
    decide(cases[0], moderator, services.REMOVE)
    decide(cases[1], moderator, services.DISMISS)
    assert ladder(bob) == []

    decide(cases[2], moderator, services.CLOSE)

    assert services.strikes_in_force(bob) == 2
    assert ladder(bob) == []  # closed already: no warning on top


def test_reversing_the_strike_that_suspended_lifts_the_ladders_suspension(
    bob, cases, moderator, second_moderator
):
    for case in cases[:3]:
        decide(case, moderator, services.REMOVE)
    third = cases[2].decisions.get(automated=False)
    appeal = services.file_appeal(decision=third, appellant=bob, explanation="Niet van mij")

    services.decide_appeal(
        appeal=appeal, moderator=second_moderator, reverse=True, reasons="Klopt, vergissing"
    )

    suspension = cases[2].decisions.get(automated=True)
    assert suspension.reversed_at is not None
    assert Sanction.objects.get(decision=suspension).ended_at is not None
    bob.refresh_from_db()
    assert bob.is_active
    warning = cases[1].decisions.get(automated=True)
    assert warning.reversed_at is None  # 2 strikes remain: the warning stands
    assert services.strikes_in_force(bob) == 2
    assert "ladder.reversed.member_suspended" in actions(staff=second_moderator)


def test_reversing_an_earlier_strike_undoes_a_step_taken_on_another_case(
    bob, cases, moderator, second_moderator
):
    """The warning was given on the second case, but it needed the first case's strike."""
    first = decide(cases[0], moderator, services.REMOVE)
    decide(cases[1], moderator, services.REMOVE)
    appeal = services.file_appeal(decision=first, appellant=bob, explanation="Onterecht")

    services.decide_appeal(appeal=appeal, moderator=second_moderator, reverse=True, reasons="Ja")

    warning = cases[1].decisions.get(automated=True)
    assert warning.reversed_at is not None
    assert services.strikes_in_force(bob) == 1
    # A new strike brings bob back to 2: the (reversed) warning is given again.
    decide(cases[2], moderator, services.REMOVE)
    assert ladder(bob) == [Decision.MEMBER_WARNED, Decision.MEMBER_WARNED]


def test_a_ladder_decision_can_be_appealed_by_the_member(bob, cases, moderator, second_moderator):
    for case in cases[:3]:
        decide(case, moderator, services.REMOVE)
    suspension = cases[2].decisions.get(automated=True)
    assert services.appeal_refusal(decision=suspension, member=bob) is None
    appeal = services.file_appeal(decision=suspension, appellant=bob, explanation="Te streng")

    services.decide_appeal(appeal=appeal, moderator=moderator, reverse=True, reasons="Te streng")

    bob.refresh_from_db()
    assert bob.is_active
    assert services.strikes_in_force(bob) == 3  # the violations themselves stand
