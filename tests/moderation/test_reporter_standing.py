"""Reporters whose reports are repeatedly unfounded see their reports handled last (issue 11,
DSA Art. 23(2)), recorded with the counts that led to it; never for urgent categories."""

import pytest

from moderation import services
from moderation.models import ModerationAction, ReporterStanding
from moderation.reasons import Priority

from .conftest import send
from .support import decide, reported_message

pytestmark = pytest.mark.django_db


def unfounded_reports(reporter, author, moderator, count):
    for _ in range(count):
        report, _message = reported_message(reporter, author, reason="spam")
        decide(report, moderator, services.DISMISS)


def standing(member):
    return ReporterStanding.objects.get(member=member)


def test_outcomes_are_counted_per_reporter(alice, bob, carol, moderator):
    report, message = reported_message(alice, bob)
    services.report_content(reporter=carol, items=[message], reason="scam", reported_member=bob)
    decide(report, moderator, services.REMOVE)
    unfounded_reports(alice, bob, moderator, 1)

    assert (standing(alice).founded, standing(alice).unfounded) == (1, 1)
    assert (standing(carol).founded, standing(carol).unfounded) == (1, 0)
    assert standing(alice).deprioritised_at is None


def test_five_unfounded_reports_put_a_reporter_last_with_the_counts(alice, bob, moderator):
    unfounded_reports(alice, bob, moderator, 4)
    assert standing(alice).deprioritised_at is None

    unfounded_reports(alice, bob, moderator, 1)

    record = standing(alice)
    assert record.deprioritised_at is not None
    assert (record.deprioritised_founded, record.deprioritised_unfounded) == (0, 5)
    entry = ModerationAction.objects.get(action="reporter.deprioritised")
    assert entry.staff is None and entry.detail == "founded=0 unfounded=5"
    report, _message = reported_message(alice, bob, reason="illegal")
    assert report.priority == Priority.LOW


@pytest.mark.parametrize("category", ["minor", "threat"])
def test_urgent_reports_are_never_put_last(alice, bob, moderator, category):
    unfounded_reports(alice, bob, moderator, 5)

    report, _message = reported_message(alice, bob, reason=category)

    assert report.priority == Priority.URGENT


def test_a_mostly_founded_reporter_is_not_put_last(alice, bob, moderator):
    """Five unfounded among many founded reports: not "repeatedly unfounded"."""
    for _ in range(2):
        report, _message = reported_message(alice, bob)
        decide(report, moderator, services.REMOVE)
    unfounded_reports(alice, bob, moderator, 5)

    assert (standing(alice).founded, standing(alice).unfounded) == (2, 5)
    assert standing(alice).deprioritised_at is None  # 5 of 7 is under 80 %


def test_the_thresholds_are_settings(alice, bob, moderator, settings):
    settings.MODERATION_UNFOUNDED_MIN = 2
    settings.MODERATION_UNFOUNDED_SHARE = 0.5

    unfounded_reports(alice, bob, moderator, 2)

    assert standing(alice).deprioritised_at is not None


def test_a_deprioritised_reporter_does_not_lower_a_case_others_made(alice, bob, carol, moderator):
    unfounded_reports(alice, bob, moderator, 5)
    report, message = reported_message(carol, bob, reason="spam")

    services.report_content(reporter=alice, items=[message], reason="spam", reported_member=bob)

    report.refresh_from_db()
    assert report.priority == Priority.NORMAL


def test_another_reporter_lifts_a_case_a_deprioritised_reporter_opened(
    alice, bob, carol, moderator
):
    unfounded_reports(alice, bob, moderator, 5)
    report, message = reported_message(alice, bob, reason="illegal")
    assert report.priority == Priority.LOW

    services.report_content(reporter=carol, items=[message], reason="spam", reported_member=bob)

    report.refresh_from_db()
    assert report.priority == Priority.NORMAL


def test_founded_reports_bring_a_reporter_back(alice, bob, moderator):
    """Once their unfounded reports are no longer the share that put them last, their
    reports are handled in turn again."""
    unfounded_reports(alice, bob, moderator, 5)
    report, _message = reported_message(alice, bob)
    decide(report, moderator, services.REMOVE)
    assert standing(alice).deprioritised_at is not None  # 5 of 6

    report, _message = reported_message(alice, bob)
    decide(report, moderator, services.REMOVE)

    assert standing(alice).deprioritised_at is None  # 5 of 7
    assert ModerationAction.objects.filter(action="reporter.restored").count() == 1
    report, _message = reported_message(alice, bob, reason="spam")
    assert report.priority == Priority.NORMAL


def test_a_reversed_dismissal_is_taken_back_out_of_the_count(
    alice, bob, moderator, second_moderator
):
    report, _message = reported_message(alice, bob)
    dismissal = decide(report, moderator, services.DISMISS)
    assert standing(alice).unfounded == 1
    filed = services.file_appeal(decision=dismissal, appellant=alice, explanation="Echt spam")

    services.decide_appeal(appeal=filed, moderator=second_moderator, reverse=True, reasons="Ja")
    decide(report, moderator, services.REMOVE)

    assert (standing(alice).founded, standing(alice).unfounded) == (1, 0)


def test_a_reversed_removal_counts_as_unfounded(alice, bob, moderator, second_moderator):
    report, _message = reported_message(alice, bob)
    removal = decide(report, moderator, services.REMOVE)
    filed = services.file_appeal(decision=removal, appellant=bob, explanation="Onterecht")

    services.decide_appeal(appeal=filed, moderator=second_moderator, reverse=True, reasons="Ja")

    assert (standing(alice).founded, standing(alice).unfounded) == (0, 1)


def test_dismissing_a_hold_counts_for_nobody(alice, bob, moderator):
    message = send(bob, alice, "Kijk op mijn website")
    report = services.hold_for_review(item=message, author=bob, reason="mass_sending")

    decide(report, moderator, services.DISMISS)

    assert not ReporterStanding.objects.exists()
