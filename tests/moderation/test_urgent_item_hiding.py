"""An urgent notice hides the reported message or profile text itself at once, pending review,
while one reporter never hides the writer's account (moderation.urgent): the writer stays
findable and can chat. A dismissal shows the item again; a removal takes it down as before."""

import pytest
from django.urls import reverse

from messaging.services import check_can_send
from moderation import sanctions, services
from moderation.models import Report
from moderation.reasons import Priority
from profiles import profile_texts
from profiles.models import Profile, ProfileTextRevision
from profiles.selectors import visible_profiles
from profiles.services import update_profile
from tests.factories import make_profile
from tests.profiles.test_search import person

from .conftest import send
from .support import TERMS, decide

pytestmark = pytest.mark.django_db

TEXT = "Ik weet waar je woont"
PLACEHOLDER = "This message is being reviewed."


def anonymous_urgent_notice(item, *, address="192.0.2.7"):
    """A visitor's notice without name or e-mail address (a suspected minor)."""
    return services.submit_notice(
        item=item,
        category="minor",
        explanation="Hij zegt dat hij 15 is",
        good_faith=True,
        rate_key=address,
    )


def conversation_html(client, member, message) -> str:
    client.force_login(member)
    url = reverse("messaging:conversation", args=[message.conversation.public_id])
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def inbox_html(client, member) -> str:
    client.force_login(member)
    return client.get(reverse("messaging:inbox")).content.decode()


# --- Messages -----------------------------------------------------------------------------------


def test_an_anonymous_urgent_notice_hides_the_message_at_once_not_the_sender(client, alice, bob):
    make_profile(bob)
    message = send(bob, alice, TEXT)
    assert TEXT in conversation_html(client, alice, message)

    notice = anonymous_urgent_notice(message)

    report = notice.report
    assert report.priority == Priority.URGENT
    assert report.hidden_at is not None
    message.refresh_from_db()
    assert message.hidden_at is not None and message.text == TEXT  # kept for the review
    for member in (alice, bob):
        html = conversation_html(client, member, message)
        assert TEXT not in html and PLACEHOLDER in html
        assert TEXT not in inbox_html(client, member)
    assert "Message being reviewed" in inbox_html(client, alice)
    # Nothing left to report from the receiver's page: the message is in a case already.
    client.force_login(alice)
    assert (
        client.get(reverse("messaging:report_message", args=[message.public_id])).status_code == 404
    )
    # One reporter: the sender's account stays visible and can chat.
    assert not sanctions.is_hidden(bob)
    assert visible_profiles(alice).filter(member=bob).exists()
    check_can_send(sender=bob, receiver=alice)
    later = send(bob, alice, "Sorry, dat was een grap")
    assert "Sorry, dat was een grap" in conversation_html(client, alice, later)


def test_dismissing_the_case_shows_the_message_again(client, alice, bob, moderator):
    message = send(bob, alice, TEXT)
    report = anonymous_urgent_notice(message).report
    assert TEXT not in conversation_html(client, alice, message)

    decide(report, moderator, services.DISMISS)

    message.refresh_from_db()
    assert message.hidden_at is None
    html = conversation_html(client, alice, message)
    assert TEXT in html and PLACEHOLDER not in html
    assert TEXT in inbox_html(client, alice)


def test_removing_a_hidden_message_wipes_its_text_as_before(client, alice, bob, moderator):
    message = send(bob, alice, TEXT)
    report = anonymous_urgent_notice(message).report

    decide(report, moderator, services.REMOVE, statement=TERMS)

    message.refresh_from_db()
    assert (message.status, message.text) == (message.Status.REMOVED, "")
    html = conversation_html(client, alice, message)
    assert "This message was removed by a moderator." in html and PLACEHOLDER not in html


def test_two_independent_reporters_still_hide_the_senders_account(alice, bob):
    """The message is hidden itself and still stands for its sender's account."""
    message = send(bob, alice, TEXT)
    anonymous_urgent_notice(message, address="192.0.2.7")
    assert not sanctions.is_hidden(bob)

    anonymous_urgent_notice(message, address="198.51.100.9")

    assert sanctions.is_hidden(bob)


# --- Profile texts ------------------------------------------------------------------------------

APPROVED = "Ik fiets graag langs de Maas."
REPORTED = "Bel me gerust: 06-12345678"


@pytest.fixture
def writer(db):
    member = person("writer", place="Utrecht", age=33)
    make_profile(member, description=APPROVED, free_tags=["koffie"])
    return member


@pytest.fixture
def viewer(db):
    return person("viewer", place="Utrecht", age=35)


def approved_revision(writer) -> ProfileTextRevision:
    """A text the check held and a moderator approved: it is on the profile now."""
    revision = update_profile(member=writer, description=REPORTED).held_text
    profile_texts.approve_text(revision=revision)
    revision.refresh_from_db()
    return revision


def profile_html(client, viewer, writer) -> str:
    client.force_login(viewer)
    return client.get(reverse("profiles:profile", args=[writer.public_id])).content.decode()


def test_an_anonymous_urgent_notice_hides_the_profile_text_at_once_not_the_account(
    client, writer, viewer
):
    revision = approved_revision(writer)
    assert REPORTED in profile_html(client, viewer, writer)

    report = anonymous_urgent_notice(revision).report

    assert report.hidden_at is not None
    assert REPORTED not in profile_html(client, viewer, writer)
    assert Profile.objects.get(member=writer).description == ""
    revision.refresh_from_db()
    assert revision.hidden_at is not None and revision.description == REPORTED
    assert not sanctions.is_hidden(writer)
    assert visible_profiles(viewer).filter(member=writer).exists()


def test_dismissing_the_case_puts_the_profile_text_back(client, writer, viewer, moderator):
    revision = approved_revision(writer)
    report = anonymous_urgent_notice(revision).report
    assert REPORTED not in profile_html(client, viewer, writer)

    decide(report, moderator, services.DISMISS)

    assert REPORTED in profile_html(client, viewer, writer)
    revision.refresh_from_db()
    assert revision.hidden_at is None and revision.status == ProfileTextRevision.Status.APPROVED


def test_a_text_written_since_the_hide_is_not_overwritten(writer, moderator):
    revision = approved_revision(writer)
    report = anonymous_urgent_notice(revision).report
    update_profile(member=writer, description="Iets heel anders")

    decide(report, moderator, services.DISMISS)

    assert Profile.objects.get(member=writer).description == "Iets heel anders"


def test_removing_a_hidden_text_keeps_it_off_and_a_reversal_brings_it_back(writer, moderator):
    revision = approved_revision(writer)
    report = anonymous_urgent_notice(revision).report

    decide(report, moderator, services.REMOVE, statement=TERMS)

    assert Profile.objects.get(member=writer).description == ""
    revision.refresh_from_db()
    assert revision.status == ProfileTextRevision.Status.REJECTED
    assert Report.objects.get(pk=report.pk).hidden_at is not None

    profile_texts.restore_text(revision=revision)  # what a reversal on appeal calls

    assert Profile.objects.get(member=writer).description == REPORTED
