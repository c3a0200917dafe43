"""Notices become cases (issue 11, DSA Art. 16): reports of the same item join one case, the
category sets the priority, urgent categories hide the item at once and the account when
independent reporters agree (tests/moderation/test_urgent_account_hiding.py), pending review,
and a case can be marked as passed to the police."""

import pytest
from django.core.exceptions import PermissionDenied

from messaging.services import SendRefused, check_can_send
from moderation import sanctions, services
from moderation.models import Notice, Report, Sanction
from moderation.reasons import Priority
from profiles.selectors import visible_profiles
from tests.factories import MemberFactory, make_profile, staff_member

from .conftest import send
from .support import actions, decide, grant, mails, reported_message, spy_on_message_entry

pytestmark = pytest.mark.django_db


def visitor_notice(item, category="illegal", **kwargs):
    fields = {
        "explanation": "Dit is illegaal",
        "good_faith": True,
        "name": "Vera Bezoeker",
        "email": "vera@example.net",
        "language": "nl",
    }
    fields.update(kwargs)
    return services.submit_notice(item=item, category=category, **fields)


def test_reports_of_the_same_item_join_one_case(alice, bob, carol):
    """A member's report and a visitor's notice about the same message are one case with two
    notices; each reporter gets a receipt with their own reference (Art. 16(4))."""
    report, message = reported_message(alice, bob, reason="spam")

    notice = visitor_notice(message, category="scam")

    assert notice.report_id == report.pk
    assert Report.objects.count() == 1
    assert report.items.count() == 1
    assert set(report.notices.values_list("reporter__username", "email")) == {
        ("alice", ""),
        (None, "vera@example.net"),
    }
    receipts = mails("moderation_notice_receipt")
    assert [m.to for m in receipts] == ["alice@example.org", "vera@example.net"]
    assert notice.public_id in receipts[1].subject
    alice_notice = Notice.objects.get(reporter=alice)
    assert alice_notice.public_id in receipts[0].subject
    assert alice_notice.public_id != notice.public_id


def test_a_decided_case_does_not_take_new_reports(alice, bob, carol, moderator):
    """Once decided, a new report of the same item opens a new case."""
    report, message = reported_message(alice, bob, reason="spam")
    decide(report, moderator, services.DISMISS)

    again = services.report_content(
        reporter=carol, items=[message], reason="spam", reported_member=bob
    )

    assert again.pk != report.pk


def test_a_visitor_gives_name_email_and_explanation_except_for_anonymous_categories(alice, bob):
    message = send(bob, alice, "Iets verbodens")

    with pytest.raises(services.ReportRefused) as no_name:
        visitor_notice(message, name="")
    with pytest.raises(services.ReportRefused) as no_email:
        visitor_notice(message, email="")
    with pytest.raises(services.ReportRefused) as no_faith:
        visitor_notice(message, good_faith=False)
    with pytest.raises(services.ReportRefused) as no_category:
        visitor_notice(message, category="mass_sending")
    anonymous = visitor_notice(message, category="non_consensual", name="", email="")

    assert (no_name.value.code, no_name.value.field) == ("no_name", "name")
    assert (no_email.value.code, no_email.value.field) == ("no_email", "email")
    assert no_faith.value.code == "no_good_faith"
    assert no_category.value.code == "invalid_reason"
    assert anonymous.email == "" and anonymous.good_faith
    assert not mails("moderation_notice_receipt")  # nowhere to send it


@pytest.mark.parametrize(
    ("category", "priority"),
    [
        ("minor", Priority.URGENT),
        ("threat", Priority.URGENT),
        ("non_consensual", Priority.HIGH),
        ("illegal", Priority.HIGH),
        ("scam", Priority.NORMAL),
        ("harassment", Priority.NORMAL),
        ("spam", Priority.NORMAL),
        ("other", Priority.NORMAL),
    ],
)
def test_the_category_sets_the_priority(alice, bob, category, priority):
    report, _message = reported_message(alice, bob, reason=category)

    assert report.priority == priority


def test_a_later_urgent_report_raises_the_priority_never_lowers_it(alice, bob, carol):
    report, message = reported_message(alice, bob, reason="spam")

    services.report_content(reporter=carol, items=[message], reason="threat", reported_member=bob)
    report.refresh_from_db()
    assert report.priority == Priority.URGENT
    assert report.reason == "spam"  # the case keeps its first category

    visitor_notice(message, category="other")
    report.refresh_from_db()
    assert report.priority == Priority.URGENT


@pytest.mark.parametrize("category", ["minor", "threat"])
def test_urgent_reports_of_two_members_hide_the_account_at_once(alice, bob, carol, category):
    """Suspected minor, threat, from two independent reporters: the account is hidden pending
    review (a message stands for its sender's account): gone from search, cannot write or be
    written to. One reporter alone hides only the message (test_urgent_item_hiding)."""
    make_profile(bob)
    assert visible_profiles(carol).filter(member=bob).exists()
    dora = MemberFactory(username="dora", email="dora@example.org")

    report, message = reported_message(alice, bob, reason=category)
    assert not sanctions.is_hidden(bob)
    services.report_content(reporter=dora, items=[message], reason=category, reported_member=bob)

    report.refresh_from_db()
    assert report.hidden_at is not None
    sanction = Sanction.objects.get(member=bob)
    assert (sanction.kind, sanction.report, sanction.ends_at) == (
        Sanction.Kind.HIDDEN,
        report,
        None,
    )
    assert sanctions.is_hidden(bob)
    assert not visible_profiles(carol).filter(member=bob).exists()
    with pytest.raises(SendRefused) as sending:
        check_can_send(sender=bob, receiver=carol)
    assert str(sending.value.message) == "Your account is restricted: you cannot send messages."
    with pytest.raises(SendRefused) as receiving:
        check_can_send(sender=carol, receiver=bob)
    assert receiving.value.code == "unavailable"
    # The message at the first report, the account at the second.
    assert actions(report=report) == ["case.hidden_pending_review"] * 2


def test_a_visitors_urgent_notice_counts_as_a_reporter_too(alice, bob):
    message = send(bob, alice, "Ik ben 15")
    services.report_content(reporter=alice, items=[message], reason="minor", reported_member=bob)
    assert not sanctions.is_hidden(bob)

    visitor_notice(message, category="minor", name="", email="", rate_key="192.0.2.7")

    assert sanctions.is_hidden(bob)


def test_a_normal_report_hides_nothing(alice, bob):
    report, _message = reported_message(alice, bob, reason="harassment")

    report.refresh_from_db()
    assert report.hidden_at is None
    assert not sanctions.is_hidden(bob)


def test_content_with_hide_is_hidden_itself_not_the_account(alice, bob, carol, monkeypatch):
    """Where the content app can hide the item (a photo), the item is hidden, not the
    account; items joining the hidden case later are hidden too."""
    calls = spy_on_message_entry(monkeypatch)

    report, message = reported_message(alice, bob, reason="minor")
    later = send(bob, alice, "Nog een")
    services.report_content(reporter=alice, items=[later], reason="minor", reported_member=bob)

    assert calls == [("hide", message.pk), ("hide", later.pk)]
    assert not sanctions.is_hidden(bob)
    report.refresh_from_db()
    assert report.hidden_at is not None


def test_dismissing_an_urgent_case_ends_the_hiding(alice, bob, carol, moderator):
    make_profile(bob)
    report, message = reported_message(alice, bob, reason="minor")
    services.report_content(reporter=carol, items=[message], reason="minor", reported_member=bob)
    assert sanctions.is_hidden(bob)

    decide(report, moderator, services.DISMISS)

    assert not sanctions.is_hidden(bob)
    assert Sanction.objects.get(member=bob).ended_at is not None
    assert visible_profiles(carol).filter(member=bob).exists()
    check_can_send(sender=bob, receiver=carol)  # no SendRefused


def test_dismissing_shows_hidden_items_again(alice, bob, moderator, monkeypatch):
    calls = spy_on_message_entry(monkeypatch)
    report, message = reported_message(alice, bob, reason="threat")

    decide(report, moderator, services.DISMISS)

    assert calls == [("hide", message.pk), ("unhide", message.pk)]


def test_removing_some_items_shows_the_others_again(alice, bob, moderator, monkeypatch):
    """Removing one message of an urgent case does not leave the case's other messages hidden
    for good."""
    calls = spy_on_message_entry(monkeypatch)
    one, two = send(bob, alice, "Een"), send(bob, alice, "Twee")
    report = services.report_content(
        reporter=alice, items=[one, two], reason="threat", reported_member=bob
    )
    first = report.items.get(object_id=one.pk)

    decide(report, moderator, services.REMOVE, item_ids=[first.pk])

    assert ("unhide", two.pk) in calls
    assert ("unhide", one.pk) not in calls
    one.refresh_from_db()
    assert one.status == one.Status.REMOVED


def test_a_case_is_marked_as_passed_to_the_police_once(alice, bob, moderator):
    """Time and staff member recorded; the permission moderation.notify_police is needed."""
    report, _message = reported_message(alice, bob, reason="minor")
    with pytest.raises(PermissionDenied):
        services.mark_passed_to_police(report=report, staff=staff_member("Helpdesk"))
    grant(moderator, "moderation.notify_police")

    services.mark_passed_to_police(report=report, staff=moderator)

    report.refresh_from_db()
    assert report.police_notified_by == moderator
    assert report.police_notified_at is not None
    with pytest.raises(services.DecisionRefused) as again:
        services.mark_passed_to_police(report=report, staff=moderator)
    assert again.value.code == "already_notified"
    assert actions(report=report, staff=moderator) == ["case.passed_to_police"]


def test_deciding_does_not_include_passing_to_the_police(alice, bob):
    """Staff who may decide cases (view and change) still need moderation.notify_police."""
    report, _message = reported_message(alice, bob, reason="minor")
    decider = MemberFactory(is_staff=True)
    grant(decider, "moderation.view_report")
    grant(decider, "moderation.change_report")

    with pytest.raises(PermissionDenied):
        services.mark_passed_to_police(report=report, staff=decider)
    services.add_case_note(report=report, staff=decider, text="Politie bellen?")

    report.refresh_from_db()
    assert report.police_notified_at is None


def test_staff_without_the_permission_cannot_decide_or_note(alice, bob):
    report, _message = reported_message(alice, bob)
    helpdesk = staff_member("Helpdesk")
    inactive = staff_member("Moderators", username="gone", is_active=False)

    for staff in (helpdesk, inactive, None, MemberFactory()):
        with pytest.raises(PermissionDenied):
            decide(report, staff, services.DISMISS)
        with pytest.raises(PermissionDenied):
            services.add_case_note(report=report, staff=staff, text="Kijk hier eens naar")

    report.refresh_from_db()
    assert report.is_open


def test_notes_are_kept_and_logged(alice, bob, moderator):
    report, _message = reported_message(alice, bob)

    services.add_case_note(report=report, staff=moderator, text="  Lijkt op oplichting  ")

    assert list(report.notes.values_list("text", "author")) == [
        ("Lijkt op oplichting", moderator.pk)
    ]
    assert actions(report=report) == ["case.note_added"]
    with pytest.raises(services.DecisionRefused):
        services.add_case_note(report=report, staff=moderator, text="   ")
