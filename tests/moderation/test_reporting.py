"""A member reports a message or a conversation; the report becomes a case in the moderators'
queue holding the reported messages and nothing else (R10.1, issue 5 "Protection")."""

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.messages import get_messages
from django.urls import reverse

from messaging.models import Message
from moderation import services
from moderation.models import Notice, Report, ReportedItem
from profiles.models import Block
from tests.factories import MemberFactory

from .conftest import give_credits, send

pytestmark = pytest.mark.django_db


def report_message_url(message):
    return reverse("messaging:report_message", args=[message.public_id])


def report_conversation_url(conversation):
    return reverse("messaging:report_conversation", args=[conversation.public_id])


def shown_messages(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def item_ids(report):
    return set(report.items.values_list("object_id", flat=True))


def test_report_page_explains_and_labels_every_field(member_client, alice, bob):
    """The form: reason radios in a fieldset with a legend, a labelled explanation, the block
    option, and what happens next."""
    message = send(bob, alice, "Stuur me geld")

    response = member_client.get(report_message_url(message))

    assert response.status_code == 200
    page = response.content.decode()
    assert "<fieldset" in page and "<legend" in page
    assert 'value="spam"' in page and 'value="minor"' in page
    assert 'value="mass_sending"' not in page  # a system reason, not for members
    assert '<label for="id_explanation"' in page
    assert '<label for="id_block"' in page
    assert "What happens next" in page
    assert "Stuur me geld" in page


def test_reporting_a_message_puts_a_case_in_the_queue(member_client, alice, bob):
    """R10.1: the report lands in the queue as an open case about bob's message."""
    message = send(bob, alice, "Stuur me geld via deze link")
    conversation = message.conversation

    response = member_client.post(
        report_message_url(message),
        {"reason": "scam", "explanation": "Vraagt om geld", "good_faith": "on"},
    )

    assert response.status_code == 302
    assert response.url == reverse("messaging:conversation", args=[conversation.public_id])
    report = Report.objects.get()
    assert report.status == Report.Status.OPEN
    assert report.reason == "scam"
    assert report.reported_member == bob
    assert report.content_type == ContentType.objects.get_for_model(Message)
    assert item_ids(report) == {message.pk}
    notice = Notice.objects.get()
    assert (notice.reporter, notice.reason, notice.explanation) == (alice, "scam", "Vraagt om geld")
    assert "Thank you. A moderator will look at it." in shown_messages(response)


def test_reporting_a_conversation_attaches_only_the_other_members_messages(
    member_client, alice, bob
):
    """Moderators see only reported messages: alice's own messages are not in the case, nor
    are more than the latest 20 of bob's."""
    first = send(bob, alice, "Eerste bericht")
    mine = send(alice, bob, "Mijn antwoord")
    later = [send(bob, alice, f"Bericht nummer {n}") for n in range(21)]

    response = member_client.post(
        report_conversation_url(first.conversation), {"reason": "harassment", "good_faith": "on"}
    )

    assert response.status_code == 302
    report = Report.objects.get()
    assert item_ids(report) == {m.pk for m in later[-20:]}
    assert mine.pk not in item_ids(report) and first.pk not in item_ids(report)


def test_a_second_reporter_joins_the_open_case(alice, bob):
    """Reports of the same item join one case: the second reporter adds a notice, not a case.
    (Through the site only the receiver can report a message; the service is shared with
    content many members can see, such as profiles.)"""
    message = send(bob, alice, "Koop nu goedkope volgers")
    carol = MemberFactory(username="carol")

    first = services.report_content(
        reporter=alice, items=[message], reason="spam", reported_member=bob
    )
    second = services.report_content(
        reporter=carol,
        items=[message],
        reason="scam",
        explanation="Ook bij mij",
        reported_member=bob,
    )

    assert second.pk == first.pk
    assert Report.objects.count() == 1
    assert set(Notice.objects.values_list("reporter__username", flat=True)) == {"alice", "carol"}
    assert ReportedItem.objects.count() == 1
    assert Report.objects.get().reason == "spam"  # the case keeps the first reason


def test_reporting_twice_says_already_reported(member_client, alice, bob):
    message = send(bob, alice, "Hallo daar")
    member_client.post(report_message_url(message), {"reason": "spam", "good_faith": "on"})

    response = member_client.post(
        report_message_url(message), {"reason": "illegal", "good_faith": "on"}, follow=False
    )

    assert response.status_code == 302
    assert "You have already reported this. A moderator will look at it." in (
        shown_messages(response)
    )
    assert Report.objects.count() == 1 and Notice.objects.count() == 1


def test_reporting_the_conversation_after_a_message_adds_to_the_same_case(
    member_client, alice, bob
):
    one = send(bob, alice, "Eén")
    two = send(bob, alice, "Twee")
    member_client.post(report_message_url(one), {"reason": "harassment", "good_faith": "on"})

    member_client.post(
        report_conversation_url(one.conversation), {"reason": "harassment", "good_faith": "on"}
    )

    report = Report.objects.get()
    assert item_ids(report) == {one.pk, two.pk}
    assert report.notices.count() == 1


def test_a_member_cannot_report_their_own_message(member_client, alice, bob):
    mine = send(alice, bob, "Mijn eigen bericht")

    assert member_client.get(report_message_url(mine)).status_code == 404
    assert (
        member_client.post(
            report_message_url(mine), {"reason": "spam", "good_faith": "on"}
        ).status_code
        == 404
    )
    assert not Report.objects.exists()


def test_only_a_participant_can_report(client, alice, bob):
    """Another member's conversation is a 404, for a message and for the conversation."""
    message = send(bob, alice, "Privé")
    outsider = MemberFactory(username="dave")
    client.force_login(outsider)

    assert (
        client.post(report_message_url(message), {"reason": "spam", "good_faith": "on"}).status_code
        == 404
    )
    assert (
        client.post(
            report_conversation_url(message.conversation), {"reason": "spam", "good_faith": "on"}
        ).status_code
        == 404
    )
    assert not Report.objects.exists()


def test_reporting_needs_a_login(client, alice, bob):
    message = send(bob, alice, "Hallo")

    response = client.get(report_message_url(message))

    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_a_removed_message_cannot_be_reported(member_client, alice, bob):
    message = send(bob, alice, "Wordt verwijderd")
    Message.objects.filter(pk=message.pk).update(status=Message.Status.REMOVED, text="")

    assert member_client.get(report_message_url(message)).status_code == 404


def test_a_reason_is_required(member_client, alice, bob):
    message = send(bob, alice, "Hallo")

    response = member_client.post(report_message_url(message), {"explanation": "zomaar"})

    assert response.status_code == 200
    assert "Choose a category." in response.content.decode()
    assert not Report.objects.exists()


def test_also_blocking_the_member(member_client, alice, bob):
    """The report page's "Also block this member" blocks bob as well."""
    message = send(bob, alice, "Vervelend bericht")

    response = member_client.post(
        report_message_url(message), {"reason": "harassment", "block": "on", "good_faith": "on"}
    )

    assert response.status_code == 302
    assert response.url == reverse("messaging:conversation", args=[message.conversation.public_id])
    assert Block.objects.filter(blocker=alice, blocked=bob).exists()
    assert Report.objects.count() == 1


@pytest.mark.rate_limits
def test_reports_are_rate_limited_per_member(member_client, alice, bob, settings):
    """A member can send only so many reports a day; the next one is refused plainly."""
    settings.REPORTS_PER_DAY = 2
    messages = [send(bob, alice, f"Bericht {n}") for n in range(3)]
    for message in messages[:2]:
        assert (
            member_client.post(
                report_message_url(message), {"reason": "spam", "good_faith": "on"}
            ).status_code
            == 302
        )

    response = member_client.post(
        report_message_url(messages[2]), {"reason": "spam", "good_faith": "on"}
    )

    assert response.status_code == 429
    assert "You have sent many reports today." in response.content.decode()
    assert Report.objects.count() == 2


@pytest.mark.rate_limits
def test_a_report_refused_as_already_made_gives_its_quota_back(member_client, alice, bob, settings):
    """The quota is taken first; a report that is then not stored does not use it up."""
    settings.REPORTS_PER_DAY = 2
    first, second = send(bob, alice, "Een"), send(bob, alice, "Twee")
    data = {"reason": "spam", "good_faith": "on"}
    assert member_client.post(report_message_url(first), data).status_code == 302
    for _again in range(3):
        member_client.post(report_message_url(first), data)  # already reported

    assert member_client.post(report_message_url(second), data).status_code == 302
    assert Notice.objects.filter(reporter=alice).count() == 2


def test_a_conversation_without_messages_from_the_other_has_nothing_to_report(
    member_client, alice, bob
):
    mine = send(alice, bob, "Hoi Bob")

    response = member_client.post(
        report_conversation_url(mine.conversation), {"reason": "spam", "good_faith": "on"}
    )

    assert response.status_code == 200
    assert "There are no messages from bob in this conversation to report." in (
        response.content.decode()
    )
    assert not Report.objects.exists()


def test_mass_sending_is_held_and_queued(alice):
    """Issue 5: the 5th identical long text to different members within an hour is held for
    a moderator instead of delivered, and waits in the queue as one case."""
    give_credits(alice)
    text = "Hoi! Kijk eens op mijn website voor leuke aanbiedingen"
    receivers = [MemberFactory(username=f"receiver{n}") for n in range(5)]

    sent = [send(alice, receiver, text) for receiver in receivers]

    assert [m.status for m in sent[:4]] == [Message.Status.DELIVERED] * 4
    assert sent[4].status == Message.Status.HELD
    report = Report.objects.get()
    assert report.reason == "mass_sending"
    assert report.reported_member == alice
    assert item_ids(report) == {sent[4].pk}
    assert not report.notices.exists()


def test_the_report_form_speaks_the_visitors_language():
    """Texts are translated per request, not once when the module was loaded."""
    from django.utils import translation

    from moderation.forms import ReportForm

    with translation.override("en"):
        english = str(ReportForm().fields["explanation"].help_text)
    with translation.override("nl"):
        dutch = str(ReportForm().fields["explanation"].help_text)
    assert english.startswith("Anything the moderator should know")
    assert dutch != english and "1000" in dutch


@pytest.mark.rate_limits
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_reports_store_exactly_the_daily_limit(client, settings):
    """The quota is taken before the report is stored (members.quotas): 50 posts at the same
    moment store 20 reports (REPORTS_PER_DAY), not 22."""
    from tests.concurrency import post_at_once

    assert services.reports_per_day() == 20
    settings.MESSAGE_RATE_LIMITS = []  # bob writes the 50 messages alice reports
    alice = MemberFactory(username="alice", email="alice@example.org")
    bob = MemberFactory(username="bob", email="bob@example.org")
    give_credits(bob, 200)
    messages = [send(bob, alice, f"Bericht {n}") for n in range(50)]
    client.force_login(alice)

    statuses = post_at_once(
        50,
        lambda n: (report_message_url(messages[n]), {"reason": "spam", "good_faith": "on"}, {}),
        cookies=client.cookies,
    )

    assert Notice.objects.filter(reporter=alice).count() == 20
    assert sorted(set(statuses)) == [302, 429]
    assert statuses.count(302) == 20
