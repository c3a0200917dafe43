"""Appeals (issue 11, DSA Art. 20): the affected member, and a member whose report was
dismissed, can appeal a decision once, within six months, free, with an explanation. The
appeal is a case in the same queue, decided by another moderator; a reversal undoes the
effect (content back where the content app can, suspension lifted, strike removed), and
reversing a dismissal reopens the case."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied

from messaging.services import check_can_send
from moderation import services
from moderation.models import Appeal, Decision, Report, Sanction, Strike
from moderation.reasons import Priority
from tests.factories import staff_member

from .support import actions, decide, mails, reported_message, spy_on_message_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def removal(alice, bob, moderator):
    report, message = reported_message(alice, bob)
    return decide(report, moderator, services.REMOVE)


@pytest.fixture
def dismissal(alice, bob, moderator):
    report, message = reported_message(alice, bob)
    return decide(report, moderator, services.DISMISS)


def appeal(decision, member, explanation="Dit klopt niet"):
    return services.file_appeal(decision=decision, appellant=member, explanation=explanation)


def test_the_affected_member_appeals_and_it_joins_the_queue(removal, bob, moderator):
    filed = appeal(removal, bob)

    assert filed.role == Appeal.Role.AFFECTED
    case = filed.case
    assert case.appeal_of == removal and case.is_open
    assert case.reported_member == bob and case.reason == removal.report.reason
    assert case.priority <= Priority.NORMAL
    assert list(case.items.values_list("object_id", flat=True)) == list(
        removal.report.items.values_list("object_id", flat=True)
    )
    assert case.items.get().removed_at is not None  # shown as removed, to judge
    assert actions(report=case) == ["appeal.filed"]
    shown = services.reported_items_for_review(report=case, staff=moderator)
    assert [item.object_id for item in shown] == [case.items.get().object_id]


def test_an_appeal_needs_an_explanation(removal, bob):
    with pytest.raises(services.AppealRefused) as empty:
        appeal(removal, bob, "  ")
    with pytest.raises(services.AppealRefused) as long:
        appeal(removal, bob, "x" * 1001)

    assert (empty.value.code, long.value.code) == ("no_explanation", "too_long")
    assert not Appeal.objects.exists()


def test_once(removal, bob):
    appeal(removal, bob)

    with pytest.raises(services.AppealRefused) as again:
        appeal(removal, bob)

    assert again.value.code == "already"
    assert Appeal.objects.count() == 1


def test_within_six_months(removal, bob, clock):
    """The deadline is six calendar months after the decision, to the second."""
    deadline = services.appeal_deadline(removal.created_at)
    assert deadline == services.add_months(removal.created_at, 6)
    assert deadline - removal.created_at >= timedelta(days=181)

    assert services.appeal_refusal(decision=removal, member=bob, now=deadline) is None
    late = services.appeal_refusal(
        decision=removal, member=bob, now=deadline + timedelta(seconds=1)
    )
    assert late.code == "too_late"

    clock.set(deadline + timedelta(seconds=1))
    with pytest.raises(services.AppealRefused) as refused:
        appeal(removal, bob)
    assert refused.value.code == "too_late"
    clock.set(deadline)
    assert appeal(removal, bob).pk


@pytest.mark.parametrize(
    ("decided", "deadline"),
    [
        (datetime(2026, 8, 31, 12, tzinfo=UTC), datetime(2027, 2, 28, 12, tzinfo=UTC)),
        (datetime(2027, 8, 31, 12, tzinfo=UTC), datetime(2028, 2, 29, 12, tzinfo=UTC)),
        (datetime(2026, 7, 15, 9, tzinfo=UTC), datetime(2027, 1, 15, 9, tzinfo=UTC)),
    ],
)
def test_six_calendar_months_end_on_the_last_day_of_a_shorter_month(decided, deadline):
    assert services.appeal_deadline(decided) == deadline


def test_the_appeal_months_are_a_setting(removal, bob, settings):
    settings.MODERATION_APPEAL_MONTHS = 12
    later = services.add_months(removal.created_at, 9)

    assert services.appeal_refusal(decision=removal, member=bob, now=later) is None


def test_a_reporter_appeals_a_dismissal_others_cannot(dismissal, alice, bob, carol):
    assert services.appeal_refusal(decision=dismissal, member=bob).code == "not_yours"
    assert services.appeal_refusal(decision=dismissal, member=carol).code == "not_yours"

    filed = appeal(dismissal, alice)

    assert filed.role == Appeal.Role.REPORTER


def test_a_reporter_cannot_appeal_an_action_nor_others_the_members_decision(removal, alice, carol):
    assert services.appeal_refusal(decision=removal, member=alice).code == "not_yours"
    with pytest.raises(services.AppealRefused):
        appeal(removal, carol)


def test_the_moderator_who_decided_cannot_decide_the_appeal(removal, bob, moderator):
    filed = appeal(removal, bob)

    with pytest.raises(services.DecisionRefused) as refused:
        services.decide_appeal(appeal=filed, moderator=moderator, reverse=True, reasons="Oké")

    assert refused.value.code == "same_moderator"
    filed.refresh_from_db()
    assert filed.outcome == "" and filed.case.is_open


def test_deciding_an_appeal_needs_the_permission_and_reasons(removal, bob, second_moderator):
    filed = appeal(removal, bob)

    with pytest.raises(PermissionDenied):
        services.decide_appeal(
            appeal=filed, moderator=staff_member("Helpdesk"), reverse=True, reasons="Oké"
        )
    with pytest.raises(services.DecisionRefused) as no_reasons:
        services.decide_appeal(appeal=filed, moderator=second_moderator, reverse=True, reasons="")
    assert no_reasons.value.code == "no_reasons"


def test_upheld_the_decision_stays_and_the_member_is_told(removal, bob, second_moderator):
    filed = appeal(removal, bob)

    services.decide_appeal(
        appeal=filed, moderator=second_moderator, reverse=False, reasons="Het blijft verboden"
    )

    filed.refresh_from_db()
    assert (filed.outcome, filed.decided_by, filed.reasons) == (
        Appeal.Outcome.UPHELD,
        second_moderator,
        "Het blijft verboden",
    )
    assert filed.case.decision == Decision.APPEAL_UPHELD and not filed.case.is_open
    removal.refresh_from_db()
    assert removal.reversed_at is None
    assert services.strikes_in_force(bob) == 1
    (told,) = mails("moderation_appeal_outcome")
    assert told.to == bob.email
    with pytest.raises(services.DecisionRefused):
        services.decide_appeal(appeal=filed, moderator=second_moderator, reverse=True, reasons="x")


def test_reversing_a_removal_restores_the_content_and_removes_the_strike(
    alice, bob, moderator, second_moderator, monkeypatch
):
    calls = spy_on_message_entry(monkeypatch)
    report, message = reported_message(alice, bob)
    removal = decide(report, moderator, services.REMOVE)
    filed = appeal(removal, bob)

    services.decide_appeal(appeal=filed, moderator=second_moderator, reverse=True, reasons="Oké")

    assert ("restore", message.pk) in calls
    assert report.items.get().removed_at is None
    removal.refresh_from_db()
    assert removal.reversed_at is not None
    assert Strike.objects.get(decision=removal).removed_at is not None
    assert services.strikes_in_force(bob) == 0
    filed.refresh_from_db()
    assert filed.outcome == Appeal.Outcome.REVERSED
    assert "item.restored" in actions(report=report, staff=second_moderator)
    assert "appeal.reversed" in actions(report=filed.case, staff=second_moderator)
    with pytest.raises(services.AppealRefused):
        appeal(removal, bob, "Nog eens")  # reversed (and appealed) already


def test_a_removed_message_stays_removed_where_the_app_cannot_restore(
    alice, bob, moderator, second_moderator
):
    """Messages register without `restore` (the text is wiped): the strike goes, the text
    cannot come back."""
    report, message = reported_message(alice, bob)
    removal = decide(report, moderator, services.REMOVE)

    services.decide_appeal(
        appeal=appeal(removal, bob), moderator=second_moderator, reverse=True, reasons="Oké"
    )

    message.refresh_from_db()
    assert message.status == message.Status.REMOVED
    assert report.items.get().removed_at is not None
    assert services.strikes_in_force(bob) == 0


def test_reversing_a_suspension_lifts_it(alice, bob, moderator, second_moderator, client):
    report, _message = reported_message(alice, bob)
    suspension = decide(report, moderator, services.SUSPEND, days=30)
    bob.refresh_from_db()
    assert not bob.is_active

    services.decide_appeal(
        appeal=appeal(suspension, bob), moderator=second_moderator, reverse=True, reasons="Oké"
    )

    bob.refresh_from_db()
    assert bob.is_active
    assert Sanction.objects.get(decision=suspension).ended_at is not None


def test_reversing_a_restriction_lets_the_member_write_again(
    alice, bob, carol, moderator, second_moderator
):
    report, _message = reported_message(alice, bob)
    restriction = decide(report, moderator, services.RESTRICT, days=30)

    services.decide_appeal(
        appeal=appeal(restriction, bob), moderator=second_moderator, reverse=True, reasons="Oké"
    )

    check_can_send(sender=bob, receiver=carol)  # no SendRefused


def test_reversing_a_dismissal_reopens_the_case(dismissal, alice, bob, moderator, second_moderator):
    """A reporter's appeal upheld: the original case is open again, for a new decision of
    which the reporters are told."""
    original = dismissal.report
    filed = appeal(dismissal, alice)
    assert len(mails("moderation_notice_outcome", to=alice.email)) == 1

    services.decide_appeal(appeal=filed, moderator=second_moderator, reverse=True, reasons="Ja")

    original.refresh_from_db()
    assert (original.status, original.decision, original.decided_by) == (
        Report.Status.OPEN,
        "",
        None,
    )
    assert original.priority <= Priority.HIGH
    dismissal.refresh_from_db()
    assert dismissal.reversed_at is not None
    assert "case.reopened" in actions(report=original, staff=second_moderator)
    (told,) = mails("moderation_appeal_outcome")
    assert told.to == alice.email

    decide(original, moderator, services.REMOVE)

    assert len(mails("moderation_notice_outcome", to=alice.email)) == 2
    assert services.strikes_in_force(bob) == 1


def test_appeal_links_from_mail_name_the_decision_and_the_person(removal, bob):
    token = services.appeal_token(decision=removal, member=bob)

    assert services.read_appeal_token(token) == (removal, bob)
    assert services.read_appeal_token(token + "x") is None
    assert services.read_appeal_token("nonsense") is None
