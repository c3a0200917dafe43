"""The moderation audit log (issue 11): every moderator action is written (who, what, which
case and item, when, the statement's id), in the action's own transaction, and nobody can edit
or delete it: the model refuses, and on PostgreSQL a trigger refuses UPDATE and DELETE except
the SET NULL of an erased staff account."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import DatabaseError, connection, transaction

from messaging.models import Message
from moderation import services
from moderation.models import ModerationAction

from .support import decide, grant, reported_message

pytestmark = pytest.mark.django_db


def test_a_decision_is_logged_with_who_what_case_items_and_statement(alice, bob, moderator):
    report, message = reported_message(alice, bob)

    decision = decide(report, moderator, services.REMOVE)

    entries = list(ModerationAction.objects.filter(staff=moderator).order_by("pk"))
    assert [e.action for e in entries] == ["decision.content_removed", "item.removed"]
    for entry in entries:
        assert entry.report_id == report.pk
        assert entry.statement_reference == decision.statement.public_id
        assert entry.created_at is not None
    assert (entries[1].content_type, entries[1].object_id) == (
        ContentType.objects.get_for_model(Message),
        message.pk,
    )


def test_a_period_is_logged_without_personal_data(alice, bob, moderator):
    report, _message = reported_message(alice, bob)

    decide(report, moderator, services.SUSPEND, days=14)

    entry = ModerationAction.objects.get(action="decision.member_suspended")
    assert entry.detail == "days=14"
    assert "bob" not in str(list(ModerationAction.objects.values()))


def test_a_dismissal_is_logged_too(alice, bob, moderator):
    report, _message = reported_message(alice, bob)

    decide(report, moderator, services.DISMISS)

    entry = ModerationAction.objects.get(staff=moderator)
    assert (entry.action, entry.report_id, entry.statement_reference) == (
        "decision.dismissed",
        report.pk,
        "",
    )


def test_a_refused_decision_leaves_no_entry(alice, bob, moderator):
    report, _message = reported_message(alice, bob)

    with pytest.raises(services.DecisionRefused):
        decide(report, moderator, services.RESTRICT, days=0)

    assert not ModerationAction.objects.filter(staff=moderator).exists()


def test_every_kind_of_action_is_in_the_log(alice, bob, carol, moderator, second_moderator):
    grant(moderator, "moderation.notify_police")
    # The first urgent report hides the message; a second reporter agrees: the site hides
    # the account pending review too.
    report, message = reported_message(alice, bob, reason="threat")
    services.report_content(reporter=carol, items=[message], reason="threat", reported_member=bob)
    services.add_case_note(report=report, staff=moderator, text="Ernstig")
    services.mark_passed_to_police(report=report, staff=moderator)
    removal = decide(report, moderator, services.REMOVE)
    appeal = services.file_appeal(decision=removal, appellant=bob, explanation="Nee")
    services.decide_appeal(appeal=appeal, moderator=second_moderator, reverse=False, reasons="Ja")

    assert services.case_history(report=report) == list(
        ModerationAction.objects.filter(report=report).order_by("created_at", "pk")
    )
    assert [entry.action for entry in services.case_history(report=report)] == [
        "case.hidden_pending_review",
        "case.hidden_pending_review",
        "case.note_added",
        "case.passed_to_police",
        "decision.content_removed",
        "item.removed",
    ]
    assert [(e.action, e.staff) for e in services.case_history(report=appeal.case)] == [
        ("appeal.filed", None),
        ("appeal.upheld", second_moderator),
    ]
    upheld = ModerationAction.objects.get(action="appeal.upheld")
    assert upheld.statement_reference == removal.statement.public_id


def test_the_model_refuses_changes_and_deletion(alice, bob, moderator):
    report, _message = reported_message(alice, bob)
    decide(report, moderator, services.DISMISS)
    entry = ModerationAction.objects.get()

    entry.action = "decision.forged"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()

    assert ModerationAction.objects.get().action == "decision.dismissed"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE moderation_moderationaction SET action = 'decision.forged'",
        "UPDATE moderation_moderationaction SET detail = 'x'",
        "UPDATE moderation_moderationaction SET staff_id = NULL, detail = 'x'",
        "DELETE FROM moderation_moderationaction",
    ],
)
def test_the_database_refuses_changes_and_deletion(alice, bob, moderator, sql):
    report, _message = reported_message(alice, bob)
    decide(report, moderator, services.DISMISS)

    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)

    entry = ModerationAction.objects.get()
    assert (entry.action, entry.detail, entry.staff) == ("decision.dismissed", "", moderator)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_querysets_cannot_change_the_log_either(alice, bob, moderator):
    report, _message = reported_message(alice, bob)
    decide(report, moderator, services.DISMISS)

    with pytest.raises(DatabaseError), transaction.atomic():
        ModerationAction.objects.update(action="decision.forged")
    with pytest.raises(DatabaseError), transaction.atomic():
        ModerationAction.objects.all().delete()

    assert ModerationAction.objects.count() == 1


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_erasing_a_staff_account_keeps_the_entries_without_them(alice, bob, moderator):
    """The one change the trigger lets through: the staff member set to NULL, by SQL or by
    the deletion of the account (on_delete=SET_NULL)."""
    first, _message = reported_message(alice, bob)
    second, _message = reported_message(alice, bob)
    decide(first, moderator, services.DISMISS)
    with connection.cursor() as cursor:
        cursor.execute("UPDATE moderation_moderationaction SET staff_id = NULL")
    decide(second, moderator, services.DISMISS)

    moderator.delete()

    assert sorted(ModerationAction.objects.values_list("report_id", "staff", "action")) == [
        (first.pk, None, "decision.dismissed"),
        (second.pk, None, "decision.dismissed"),
    ]
