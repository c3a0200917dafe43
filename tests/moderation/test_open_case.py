"""A moderator opens a case on the site's own initiative (issue 11 "Review": every decision,
also one without a report, has its statement of reasons): from the queue's "Open a case",
with the profile's or photo's link or the member's username, a category and a private note.
Decided like any case; its statement says the site acted of its own accord. It is the only
way to suspend without a report: the members admin has no suspend action any more."""

import pytest
from django.core import mail
from django.urls import reverse

from members.models import Member
from moderation import services
from moderation.models import CaseNote, ModerationAction, Report, Statement

from .admin_helpers import OTHER_ROLES, TERMS, decide, grant_moderator_role
from .conftest import QUEUE, case_url
from .member_helpers import member_with_photo

pytestmark = pytest.mark.django_db

OPEN = f"{QUEUE}open/"


@pytest.fixture(autouse=True)
def moderators_role(db):
    grant_moderator_role()


@pytest.fixture
def bob_photo(db):
    return member_with_photo("bob")


def test_the_queue_links_to_the_form_for_moderators(moderator_client):
    queue = moderator_client.get(QUEUE).content.decode()

    assert 'id="open-case-link"' in queue and OPEN in queue
    page = moderator_client.get(OPEN)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="link"' in html and 'name="category"' in html and 'name="note"' in html
    assert 'value="new_photo"' not in html  # the site's own holds are not opened by hand


def test_a_moderator_opens_a_case_by_username_and_suspends_with_a_statement(
    moderator_client, moderator, bob_photo, django_capture_on_commit_callbacks
):
    bob, _photo = bob_photo

    response = moderator_client.post(
        OPEN, {"link": "BOB", "category": "scam", "note": "Vraagt iedereen om geld."}
    )

    report = Report.objects.get()
    assert response.status_code == 302 and response.url == case_url(report)
    assert (report.reported_member, report.reason, report.notices.count()) == (bob, "scam", 0)
    assert report.items.get().content_type.model == "profile"
    assert CaseNote.objects.get(report=report).text == "Vraagt iedereen om geld."
    assert ModerationAction.objects.filter(
        report=report, action="case.opened", staff=moderator
    ).exists()

    with django_capture_on_commit_callbacks(execute=True):
        decided = decide(moderator_client, report, services.SUSPEND, days=7, **TERMS)

    assert decided.status_code == 302
    bob.refresh_from_db()
    assert bob.status == Member.Status.SUSPENDED and not bob.is_active
    statement = Statement.objects.get(member=bob)
    assert statement.source_type == Statement.Source.VOLUNTARY
    assert statement.automated_detection is False
    assert any(m.to == [bob.email] for m in mail.outbox)


def test_a_photo_link_opens_a_case_about_the_photo(moderator_client, bob_photo):
    bob, photo = bob_photo

    moderator_client.post(
        OPEN,
        {
            "link": "https://example.org"
            + reverse("profiles:photo_file", args=[photo.public_id, "full"]),
            "category": "non_consensual",
            "note": "Lijkt een foto van iemand anders.",
        },
    )

    report = Report.objects.get()
    item = report.items.get()
    assert (item.content_type.model, item.object_id) == ("photo", photo.pk)
    assert report.reported_member == bob


def test_a_case_already_open_on_the_item_gets_the_note(moderator, bob_photo, alice):
    bob, photo = bob_photo
    notice = services.submit_notice(
        item=photo, category="scam", explanation="Nep", good_faith=True, reporter=alice
    )

    report = services.open_case(
        staff=moderator, item=photo, category="scam", note="Ik zag het ook."
    )

    assert report == notice.report and Report.objects.count() == 1
    assert CaseNote.objects.get(report=report).author == moderator


def test_an_urgent_category_hides_at_once_as_with_a_report(moderator, bob_photo):
    _bob, photo = bob_photo

    services.open_case(staff=moderator, item=photo, category="minor", note="Ziet er jong uit.")

    photo.refresh_from_db()
    assert photo.hidden_at is not None
    assert Report.objects.get().priority == services.Priority.URGENT


def test_bad_input_comes_back_with_clear_messages_and_nothing_lost(moderator_client, bob_photo):
    response = moderator_client.post(
        OPEN, {"link": "https://example.org/nergens/", "category": "", "note": "Mijn notitie"}
    )

    assert response.status_code == 200
    html = response.content.decode()
    assert "This is not a profile or photo on this site" in html
    assert "This field is required." in html
    assert "Mijn notitie" in html and "https://example.org/nergens/" in html
    assert not Report.objects.exists()
    empty_note = moderator_client.post(OPEN, {"link": "bob", "category": "spam", "note": " "})
    assert "Write down why you open this case." in empty_note.content.decode()
    assert not Report.objects.exists()


def test_a_moderator_cannot_open_a_case_about_themselves(moderator_client, moderator):
    from .member_helpers import profile_and_photo

    profile_and_photo(moderator)

    response = moderator_client.post(
        OPEN, {"link": moderator.username, "category": "spam", "note": "Test"}
    )

    assert "You cannot open a case about yourself." in response.content.decode()
    assert not Report.objects.exists()


@pytest.mark.parametrize("role", OTHER_ROLES)
def test_other_roles_cannot_open_cases(client, role, bob_photo):
    from tests.factories import staff_member

    staff = staff_member(role)
    client.force_login(staff)

    assert client.get(OPEN).status_code == 403
    assert client.post(OPEN, {"link": "bob", "category": "spam", "note": "x"}).status_code == 403
    with pytest.raises(services.PermissionDenied):
        services.open_case(staff=staff, item=bob_photo[1], category="spam", note="x")
    assert not Report.objects.exists()
