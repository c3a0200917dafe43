"""The append-only audit log of moderator actions in admin (issue 11 "Misuse": who, what, which
item, when, the statement's id), readable by superusers only; nobody, superusers included, adds,
changes or deletes an entry through admin; the model refuses updates and deletes, and on
PostgreSQL so does the database (migration 0004), except the SET NULL of an erased staff
account. (The service side, what is logged when, is in test_audit_core.py.)"""

import pytest
from django.db import DatabaseError, connection, transaction

from moderation import services
from moderation.models import ContentAccessLog, ModerationAction, Statement
from tests.factories import staff_member

from .admin_helpers import AUDIT_LOG, OTHER_ROLES, grant_moderator_role, reported, statement_input
from .conftest import case_url

pytestmark = pytest.mark.django_db

ACCESS_LOG = "/admin/moderation/contentaccesslog/"


@pytest.fixture(autouse=True)
def moderators_role(db):
    grant_moderator_role()


@pytest.fixture
def logged(moderator, alice, bob):
    """A note, then a removal with its statement: three entries (the note, the item removed,
    the decision; nothing from the site itself: the case is not urgent)."""
    report, _message = reported(alice, bob)
    services.add_case_note(report=report, staff=moderator, text="Eerst even kijken")
    services.decide_case(
        report=report, moderator=moderator, action="remove", statement=statement_input()
    )
    return report


def superuser_client(client):
    client.force_login(staff_member("superuser", username="root"))
    return client


@pytest.mark.parametrize("role", ["Moderators", *OTHER_ROLES])
def test_staff_other_than_superusers_cannot_open_the_logs(client, logged, role):
    client.force_login(staff_member(role))
    entry = ModerationAction.objects.first()

    assert client.get(AUDIT_LOG).status_code == 403
    assert client.get(f"{AUDIT_LOG}{entry.pk}/change/").status_code == 403
    assert client.get(ACCESS_LOG).status_code == 403
    index = client.get("/admin/").content.decode()
    assert "moderationaction" not in index and "contentaccesslog" not in index


def test_a_superuser_reads_filters_and_searches_the_log(client, moderator, logged):
    client = superuser_client(client)
    statement = Statement.objects.get()
    other = staff_member("Moderators", username="mod2")
    services.add_case_note(report=logged, staff=other, text="Overgenomen")

    everything = client.get(AUDIT_LOG)
    notes = client.get(AUDIT_LOG, {"action__exact": "case.note_added"})
    by_other = client.get(AUDIT_LOG, {"staff__id__exact": other.pk})
    found = client.get(AUDIT_LOG, {"q": statement.public_id})

    assert everything.status_code == 200
    assert {e.action for e in everything.context["cl"].result_list} == {
        "case.note_added",
        "item.removed",
        "decision.content_removed",
    }
    assert [e.staff for e in notes.context["cl"].result_list] == [other, moderator]
    assert [e.action for e in by_other.context["cl"].result_list] == ["case.note_added"]
    hits = found.context["cl"].result_list
    assert {e.action for e in hits} <= {"decision.content_removed", "item.removed"}
    assert "decision.content_removed" in {e.action for e in hits}
    assert {(e.staff, e.report_id) for e in hits} == {(moderator, logged.pk)}
    page = found.content.decode()
    assert "Content removed" in page and statement.public_id in page


def test_nobody_changes_or_deletes_an_entry_through_admin(client, logged):
    client = superuser_client(client)
    entry = ModerationAction.objects.get(action="decision.content_removed")
    url = f"{AUDIT_LOG}{entry.pk}/change/"
    before = ModerationAction.objects.count()

    shown = client.get(url)
    changed = client.post(url, {"action": "case.dismissed", "detail": "weg"})
    deleted = client.post(f"{AUDIT_LOG}{entry.pk}/delete/", {"post": "yes"})
    added = client.get(f"{AUDIT_LOG}add/")
    bulk = client.post(AUDIT_LOG, {"action": "delete_selected", "_selected_action": [entry.pk]})

    assert shown.status_code == 200 and 'name="_save"' not in shown.content.decode()
    assert changed.status_code == 403
    assert deleted.status_code == 403
    assert added.status_code == 403
    assert ModerationAction.objects.filter(pk=entry.pk, action="decision.content_removed").exists()
    assert bulk.status_code in (200, 302) and ModerationAction.objects.count() == before
    assert client.get(ACCESS_LOG).status_code == 200
    assert client.get(f"{ACCESS_LOG}add/").status_code == 403
    viewed = ContentAccessLog.objects.create(
        staff=None, content_type=logged.items.get().content_type, object_id=1
    )
    assert client.post(f"{ACCESS_LOG}{viewed.pk}/delete/", {"post": "yes"}).status_code == 403


def test_the_model_refuses_updates_and_deletes(logged):
    entry = ModerationAction.objects.first()

    entry.detail = "anders"
    with pytest.raises(PermissionError):
        entry.save()
    with pytest.raises(PermissionError):
        entry.delete()
    entry.refresh_from_db()
    assert entry.detail != "anders"


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_the_database_refuses_raw_updates_and_deletes_but_not_an_erased_staff_member(
    moderator, logged
):
    entry = ModerationAction.objects.get(action="decision.content_removed")
    table = ModerationAction._meta.db_table
    before = ModerationAction.objects.count()

    for sql in (
        f"UPDATE {table} SET detail = 'anders' WHERE id = %s",  # noqa: S608
        f"UPDATE {table} SET staff_id = NULL, action = 'x' WHERE id = %s",  # noqa: S608
        f"DELETE FROM {table} WHERE id = %s",  # noqa: S608
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [entry.pk])
    with pytest.raises(DatabaseError), transaction.atomic():
        ModerationAction.objects.filter(pk=entry.pk).update(detail="anders")
    entry.refresh_from_db()
    assert (entry.detail, entry.staff) == ("", moderator)

    moderator.delete()  # the staff member's account is erased: the entry stays, without them

    entry.refresh_from_db()
    assert entry.staff is None and entry.action == "decision.content_removed"
    assert ModerationAction.objects.count() == before


def test_the_case_history_is_the_log_of_the_case(moderator_client, logged):
    page = moderator_client.get(case_url(logged)).content.decode()

    statement = Statement.objects.get()
    assert "Note added" in page and "Content removed" in page and "Item removed" in page
    assert statement.public_id in page
