"""The report queue in admin: moderators see reported messages (each view logged) and decide;
helpdesk and finance staff see nothing of it; only superusers read the access log (R10.1,
R9.2, issue 5 "Protection", issue 7: helpdesk cannot see message text)."""

import pytest
from django.core import mail
from django.db import connection

from members.models import Member
from messaging.models import Message
from messaging.services import unread_total
from moderation import services
from moderation.models import ContentAccessLog, Decision, Report, ReportDecision
from tests.factories import PASSWORD, MemberFactory, staff_member

from .conftest import ACCESS_LOG, QUEUE, case_url, give_credits, send

pytestmark = pytest.mark.django_db


def reported(alice, bob, text="Stuur me je bankgegevens", reason="scam"):
    message = send(bob, alice, text)
    report = services.report_content(
        reporter=alice, items=[message], reason=reason, reported_member=bob
    )
    return report, message


def decide(client, report, action, **data):
    return client.post(case_url(report), {"action": action, **data})


def stored_text(message) -> str:
    """The text column as the database holds it (encrypted unless empty)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT text FROM messaging_message WHERE id = %s", [message.pk])
        return cursor.fetchone()[0]


# -- who may see what ---------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["Helpdesk", "Finance"])
def test_helpdesk_and_finance_cannot_open_the_queue_or_a_case(client, alice, bob, role):
    """R9.2, issue 7: staff outside Moderators get a 403 on the queue, a case and a decision,
    and see no message text; nothing is logged as viewed."""
    report, message = reported(alice, bob)
    client.force_login(staff_member(role))

    assert client.get(QUEUE).status_code == 403
    response = client.get(case_url(report))
    assert response.status_code == 403
    assert "bankgegevens" not in response.content.decode()
    assert decide(client, report, "remove", items=[report.items.get().pk]).status_code == 403
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED
    assert not ContentAccessLog.objects.exists()


def test_queue_lists_open_cases_first_oldest_first_without_contact_details(
    moderator_client, alice, bob
):
    """R10.1: open cases first, the oldest at the top; reason, kind, item and reporter counts;
    no member's e-mail address anywhere."""
    older, _m = reported(alice, bob, "Eerste vervelende bericht")
    newer, _m = reported(alice, bob, "Tweede vervelende bericht", reason="harassment")
    decided, _m = reported(alice, bob, "Derde bericht")
    Report.objects.filter(pk=decided.pk).update(status="dismissed", decision="dismissed")
    Report.objects.filter(pk=older.pk).update(created_at=older.created_at.replace(year=2020))

    response = moderator_client.get(QUEUE)

    assert response.status_code == 200
    listed = [r.pk for r in response.context["cl"].result_list]
    assert listed == [older.pk, newer.pk, decided.pk]
    page = response.content.decode()
    assert "Scam or asking for money" in page and "Harassment or threats" in page
    assert "@example.org" not in page
    assert "Add report" not in page
    only_open = moderator_client.get(QUEUE, {"status__exact": "open"})
    assert [r.pk for r in only_open.context["cl"].result_list] == [older.pk, newer.pk]
    by_reason = moderator_client.get(QUEUE, {"reason__exact": "harassment"})
    assert [r.pk for r in by_reason.context["cl"].result_list] == [newer.pk]
    first = response.context["cl"].result_list[0]
    assert (first.item_total, first.reporter_total) == (1, 1)


def test_case_page_shows_the_reported_text_and_logs_each_view(
    moderator_client, moderator, alice, bob
):
    """Every moderator view of message text is logged: who, which item, whose, when."""
    mine = send(alice, bob, "Alice schrijft iets privés")
    one = send(bob, alice, "Eerste lelijke tekst")
    two = send(bob, alice, "Tweede lelijke tekst")
    report = services.report_content(
        reporter=alice, items=[one, two], reason="harassment", reported_member=bob
    )

    response = moderator_client.get(case_url(report))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Eerste lelijke tekst" in page and "Tweede lelijke tekst" in page
    assert "Alice schrijft" not in page  # only the reported messages
    assert mine.text not in page
    assert "bob" in page
    assert "@example.org" not in page
    assert "alice" not in page  # reporters are not named
    rows = ContentAccessLog.objects.order_by("object_id")
    assert [(r.staff, r.object_id, r.author, r.report) for r in rows] == [
        (moderator, one.pk, bob, report),
        (moderator, two.pk, bob, report),
    ]
    moderator_client.get(case_url(report))
    assert ContentAccessLog.objects.count() == 4


def test_a_moderator_cannot_read_the_access_log_and_a_superuser_can(client, alice, bob):
    report, _message = reported(alice, bob)
    moderator = staff_member("Moderators")
    client.force_login(moderator)
    client.get(case_url(report))
    assert ContentAccessLog.objects.count() == 1

    assert client.get(ACCESS_LOG).status_code == 403
    assert client.get(f"{ACCESS_LOG}{ContentAccessLog.objects.get().pk}/change/").status_code == 403
    assert "contentaccesslog" not in client.get("/admin/").content.decode()

    client.force_login(staff_member("superuser"))
    response = client.get(ACCESS_LOG)
    assert response.status_code == 200
    assert [row.staff for row in response.context["cl"].result_list] == [moderator]


def test_no_group_holds_access_log_or_report_add_delete_permissions():
    """Least privilege: the log is superusers' only; reports are never added or deleted."""
    from django.contrib.auth.models import Permission

    codes = set(
        Permission.objects.filter(content_type__app_label="moderation", group__isnull=False)
        .values_list("codename", flat=True)
        .distinct()
    )
    assert codes == {"view_report", "change_report"}
    assert not Permission.objects.filter(
        content_type__app_label="moderation", codename__in=["add_report", "delete_report"]
    ).exists()


# -- deciding -----------------------------------------------------------------------------------


def test_removing_a_message_leaves_a_placeholder_and_clears_the_text(moderator_client, alice, bob):
    """R10.1: the message is removed for good: status removed, no text left in the database;
    the case is actioned and the decision recorded."""
    report, message = reported(alice, bob)
    assert stored_text(message) not in ("", None)

    response = decide(
        moderator_client, report, "remove", items=[report.items.get().pk], note="Oplichting"
    )

    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == Message.Status.REMOVED
    assert message.text == "" and stored_text(message) == ""
    report.refresh_from_db()
    assert (report.status, report.decision) == ("actioned", Decision.CONTENT_REMOVED)
    recorded = ReportDecision.objects.get()
    assert recorded.note == "Oplichting" and recorded.moderator.username == "mod"
    page = moderator_client.get(case_url(report)).content.decode()
    assert "Removed by a moderator" in page and "bankgegevens" not in page


def test_removing_only_the_chosen_messages(moderator_client, alice, bob):
    one = send(bob, alice, "Een onschuldig bericht")
    two = send(bob, alice, "Een dreigend bericht")
    report = services.report_content(
        reporter=alice, items=[one, two], reason="harassment", reported_member=bob
    )
    chosen = report.items.get(object_id=two.pk)

    assert decide(moderator_client, report, "remove").status_code == 200  # nothing chosen
    decide(moderator_client, report, "remove", items=[chosen.pk])

    one.refresh_from_db()
    two.refresh_from_db()
    assert (one.status, two.status) == (Message.Status.DELIVERED, Message.Status.REMOVED)


def test_dismissing_a_held_message_delivers_it(moderator_client, alice):
    """A held mass-sending message a moderator finds fine reaches its receiver after all."""
    text = "Hoi! Zin om een keer koffie te drinken in Utrecht?"
    receivers = [MemberFactory(username=f"ontvanger{n}") for n in range(5)]
    sent = [send(alice, receiver, text) for receiver in receivers]
    held = sent[-1]
    assert held.status == Message.Status.HELD
    assert unread_total(member=receivers[-1]) == 0
    report = Report.objects.get(reason="mass_sending")

    response = decide(moderator_client, report, "dismiss", note="Gewoon vriendelijk")

    assert response.status_code == 302
    held.refresh_from_db()
    assert held.status == Message.Status.DELIVERED
    assert unread_total(member=receivers[-1]) == 1
    report.refresh_from_db()
    assert (report.status, report.decision) == ("dismissed", Decision.DISMISSED)


def test_removing_a_held_message_never_delivers_it(moderator_client, alice):
    text = "Verdien snel geld met mijn geweldige methode, mail me"
    receivers = [MemberFactory(username=f"ontvanger{n}") for n in range(6)]
    sent = [send(alice, receiver, text) for receiver in receivers]
    report = Report.objects.get(reason="mass_sending")
    assert report.items.count() == 2  # the 5th and 6th joined one case

    decide(
        moderator_client, report, "remove", items=list(report.items.values_list("pk", flat=True))
    )

    for message in sent[4:]:
        message.refresh_from_db()
        assert message.status == Message.Status.REMOVED
    assert unread_total(member=receivers[4]) == 0


def test_warning_mails_the_member_in_their_language_without_the_reporter(
    committing_client, alice, bob
):
    """The warned member is told by mail, in their own language, that a message of theirs broke
    the rules and why; the mail never names the reporter or quotes the message."""
    Member.objects.filter(pk=bob.pk).update(language="en")
    report, _message = reported(alice, bob)
    committing_client.force_login(staff_member("Moderators"))

    response = committing_client.post(
        case_url(report), {"action": "warn", "note": "Eerste waarschuwing"}
    )

    assert response.status_code == 302
    warning = [m for m in mail.outbox if m.to == ["bob@example.org"]]
    assert len(warning) == 1
    sent = warning[0]
    assert "A warning about something you posted" in sent.subject
    assert "Scam or asking for money" in sent.body
    assert "message" in sent.body
    assert "alice" not in sent.body and "bankgegevens" not in sent.body
    assert 'lang="en"' in sent.alternatives[0][0]
    report.refresh_from_db()
    assert report.decision == Decision.MEMBER_WARNED


def test_a_dutch_member_is_warned_in_dutch(
    alice, bob, moderator, django_capture_on_commit_callbacks
):
    report, _message = reported(alice, bob)

    with django_capture_on_commit_callbacks(execute=True):
        services.warn_member(report=report, moderator=moderator, note="Waarschuwing")

    (sent,) = mail.outbox
    assert 'lang="nl"' in sent.alternatives[0][0]


def test_warning_and_suspending_need_a_note(moderator_client, alice, bob):
    report, _message = reported(alice, bob)

    response = decide(moderator_client, report, "warn", note="  ")

    assert response.status_code == 200
    assert "Write a note" in response.content.decode()
    assert not ReportDecision.objects.exists()


def test_suspending_ends_the_members_sessions_and_status(
    moderator_client, alice, bob, django_capture_on_commit_callbacks
):
    """The suspended member is logged out everywhere, cannot log in, and is told by mail."""
    from django.test import Client

    bob_browser = Client()
    bob_browser.post("/accounts/login/", {"login": "bob", "password": PASSWORD})
    assert bob_browser.session.get("_auth_user_id") == str(bob.pk)
    report, _message = reported(alice, bob)

    with django_capture_on_commit_callbacks(execute=True):
        response = decide(moderator_client, report, "suspend", note="Herhaaldelijk oplichting")

    assert response.status_code == 302
    bob.refresh_from_db()
    assert bob.status == Member.Status.SUSPENDED and not bob.is_active
    page = bob_browser.get("/profile/")
    assert page.status_code == 302 and "/accounts/login/" in page.url
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    assert "geschorst" in mail.outbox[0].subject  # Bob's language: Dutch, the default


def test_decisions_follow_one_another_and_are_each_recorded(moderator_client, alice, bob):
    """Remove, then warn: both recorded; dismissing after an action is refused."""
    report, message = reported(alice, bob)

    decide(moderator_client, report, "remove", items=[report.items.get().pk], note="weg")
    decide(moderator_client, report, "warn", note="eerste keer")
    refused = decide(moderator_client, report, "dismiss")
    again = decide(moderator_client, report, "warn", note="nog eens")

    assert refused.status_code == 302 and again.status_code == 302
    assert list(ReportDecision.objects.values_list("decision", flat=True)) == [
        Decision.CONTENT_REMOVED,
        Decision.MEMBER_WARNED,
    ]
    report.refresh_from_db()
    assert (report.status, report.decision) == ("actioned", Decision.MEMBER_WARNED)


def test_case_page_shows_the_members_earlier_decisions(moderator_client, moderator, alice, bob):
    earlier, _m = reported(alice, bob, "Oud bericht")
    services.warn_member(report=earlier, moderator=moderator, note="eerder")
    current, _m = reported(alice, bob, "Nieuw bericht")

    response = moderator_client.get(case_url(current))

    assert [r.pk for r in response.context["earlier"]] == [earlier.pk]
    page = response.content.decode()
    assert "1 earlier decided report." in page and "Member warned" in page


def test_a_moderator_without_the_decide_permission_only_looks(client, alice, bob):
    """view_report alone shows a case but cannot decide."""
    from django.contrib.auth.models import Permission

    report, message = reported(alice, bob)
    looker = staff_member("Helpdesk")
    looker.user_permissions.add(Permission.objects.get(codename="view_report"))
    client.force_login(looker)

    assert client.get(case_url(report)).status_code == 200
    assert decide(client, report, "remove", items=[report.items.get().pk]).status_code == 403
    message.refresh_from_db()
    assert message.status == Message.Status.DELIVERED


def test_services_refuse_staff_without_the_permission(alice, bob):
    from django.core.exceptions import PermissionDenied

    report, _message = reported(alice, bob)
    helpdesk = staff_member("Helpdesk")

    with pytest.raises(PermissionDenied):
        services.reported_items_for_review(report=report, staff=helpdesk)
    with pytest.raises(PermissionDenied):
        services.dismiss_report(report=report, moderator=helpdesk)
    assert not ContentAccessLog.objects.exists()


def test_content_decided_signal_tells_content_apps(alice, bob, moderator):
    from moderation.signals import content_decided

    heard = []

    def listener(sender, report, decision, **kwargs):
        heard.append((sender, report.pk, decision))

    report, _message = reported(alice, bob)
    content_decided.connect(listener)
    try:
        services.dismiss_report(report=report, moderator=moderator)
    finally:
        content_decided.disconnect(listener)

    assert heard == [(Report, report.pk, Decision.DISMISSED)]


def test_hold_for_review_runs_inside_the_send(alice):
    """Holding is part of sending: the held message and its case exist together."""
    give_credits(alice)
    text = "Dit is precies dezelfde tekst voor iedereen"
    for n in range(5):
        send(alice, MemberFactory(username=f"lid{n}"), text)
    held = Message.objects.get(status=Message.Status.HELD)
    assert Report.objects.filter(items__object_id=held.pk, status="open").exists()
