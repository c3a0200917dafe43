"""A visitor without an account who reported something can appeal its dismissal (DSA Art.
20(1): those who submitted a notice may complain about the decision taken on it): the outcome
mail carries a link naming the decision and the notice; the appeal is free, once, within the
appeal months, a case in the same queue, decided by another moderator, and the outcome goes
to the address of the notice in its language."""

import re
from datetime import timedelta

import pytest
from django.core import mail

from moderation import services
from moderation.models import Appeal, Decision, Notice, Report
from moderation.personal_data import erase_visitor_notices

from .member_helpers import member_with_photo
from .support import decide, mails

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/appeal/report/[^/\s]+/")


@pytest.fixture
def visitor_notice(db):
    """Vera, a visitor writing in Dutch, reports bob's photo."""
    _bob, photo = member_with_photo("bob")
    return services.submit_notice(
        item=photo,
        category="scam",
        explanation="Dit is mijn foto, niet de hare.",
        good_faith=True,
        name="Vera Visser",
        email="vera@example.org",
        language="nl",
    )


def dismissed(notice, moderator, capture):
    with capture(execute=True):
        return decide(notice.report, moderator, services.DISMISS)


def path_of(link: str) -> str:
    return "/" + link.split("://", 1)[1].split("/", 1)[1]


def outcome_link(notice) -> str:
    sent = [m for m in mail.outbox if m.to == [notice.email] and "/appeal/report/" in m.body]
    assert len(sent) == 1, [m.subject for m in mail.outbox]
    [link] = LINK.findall(sent[0].body)
    return path_of(link)


def test_the_outcome_mail_of_a_dismissal_carries_an_appeal_link_for_the_visitor(
    visitor_notice, moderator, django_capture_on_commit_callbacks
):
    decision = dismissed(visitor_notice, moderator, django_capture_on_commit_callbacks)

    [sent] = [m for m in mail.outbox if m.to == ["vera@example.org"] and "bezwaar" in m.body]
    assert "Hallo Vera Visser," in sent.body
    assert "/account/decisions/" not in sent.body  # a visitor has no such page
    path = outcome_link(visitor_notice)
    token = path.rstrip("/").rsplit("/", 1)[1]
    assert services.read_notice_appeal_token(token) == (decision, visitor_notice)
    assert services.read_notice_appeal_token(token + "x") is None
    # A member's appeal token is not a visitor's, and the other way round.
    assert services.read_appeal_token(token) is None


def test_the_visitor_appeals_through_the_link_and_it_joins_the_queue(
    client, visitor_notice, moderator, django_capture_on_commit_callbacks
):
    decision = dismissed(visitor_notice, moderator, django_capture_on_commit_callbacks)
    path = outcome_link(visitor_notice)

    page = client.get(path)
    empty = client.post(path, {"explanation": "  "})
    response = client.post(path, {"explanation": "Het is echt mijn foto, kijk nog eens."})

    assert page.status_code == 200
    assert visitor_notice.public_id in page.content.decode()
    assert 'name="explanation"' in page.content.decode()
    assert empty.status_code == 200 and "Explain why the decision should change." in (
        empty.content.decode()
    )
    assert response.status_code == 302 and response.url == path
    appeal = Appeal.objects.get()
    assert (appeal.appellant, appeal.notice, appeal.role) == (None, visitor_notice, "reporter")
    assert appeal.decision == decision
    assert appeal.case.appeal_of == decision
    assert appeal.case.status == Report.Status.OPEN
    after = client.get(path).content.decode()
    assert "You appealed on" in after and 'name="explanation"' not in after
    again = client.post(path, {"explanation": "Nog een keer"})
    assert again.status_code == 200 and Appeal.objects.count() == 1


def test_another_moderator_decides_and_the_visitor_is_told_in_their_language(
    visitor_notice, moderator, second_moderator, django_capture_on_commit_callbacks
):
    decision = dismissed(visitor_notice, moderator, django_capture_on_commit_callbacks)
    appeal = services.file_visitor_appeal(
        decision=decision, notice=visitor_notice, explanation="Kijk nog eens."
    )
    with pytest.raises(services.AppealRefused):
        services.file_visitor_appeal(
            decision=decision, notice=visitor_notice, explanation="Nog een keer."
        )
    mail.outbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.decide_appeal(
            appeal=appeal,
            moderator=second_moderator,
            reverse=True,
            reasons="De foto is inderdaad van de melder.",
        )

    [outcome] = mails("moderation_appeal_outcome")
    assert outcome.to == "vera@example.org" and outcome.member is None
    [sent] = [m for m in mail.outbox if m.to == ["vera@example.org"]]
    assert "Hallo Vera Visser," in sent.body
    assert "De foto is inderdaad van de melder." in sent.body
    assert "/account/decisions/" not in sent.body
    visitor_notice.report.refresh_from_db()
    assert visitor_notice.report.status == Report.Status.OPEN  # reopened for a new decision


def test_only_a_dismissal_of_the_visitors_own_notice_in_time_can_be_appealed(
    visitor_notice, moderator, django_capture_on_commit_callbacks
):
    decision = dismissed(visitor_notice, moderator, django_capture_on_commit_callbacks)
    _carl, other_photo = member_with_photo("carl")
    other = services.submit_notice(
        item=other_photo,
        category="spam",
        explanation="Reclame.",
        good_faith=True,
        name="Vera Visser",
        email="vera@example.org",
        language="nl",
    )
    late = decision.created_at + timedelta(days=31 * (services.appeal_months() + 1))

    assert services.visitor_appeal_refusal(decision=decision, notice=visitor_notice) is None
    assert services.visitor_appeal_refusal(decision=decision, notice=other).code == "not_yours"
    assert (
        services.visitor_appeal_refusal(decision=decision, notice=visitor_notice, now=late).code
        == "too_late"
    )
    # A token naming another case's notice is no link at all.
    forged = services.notice_appeal_token(decision=decision, notice=other)
    assert services.read_notice_appeal_token(forged) is None


def test_no_appeal_link_when_the_report_was_acted_on(
    visitor_notice, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(visitor_notice.report, moderator, services.REMOVE)

    assert decision.decision == Decision.CONTENT_REMOVED
    sent = [m for m in mail.outbox if m.to == ["vera@example.org"]]
    assert sent and all("/appeal/" not in m.body for m in sent)
    token = services.notice_appeal_token(decision=decision, notice=visitor_notice)
    assert (
        services.visitor_appeal_refusal(decision=decision, notice=visitor_notice).code
        == "not_yours"
    )
    assert services.read_notice_appeal_token(token) == (decision, visitor_notice)


def test_a_bad_link_says_so_and_how_to_reach_the_helpdesk(client, settings):
    response = client.get("/appeal/report/nonsense/")

    assert response.status_code == 400
    assert "This appeal link is not valid or has expired." in response.content.decode()
    assert settings.HELPDESK_EMAIL in response.content.decode()


def test_erasing_the_visitors_details_erases_their_appeal_text_and_ends_the_link(
    client, visitor_notice, moderator, django_capture_on_commit_callbacks
):
    decision = dismissed(visitor_notice, moderator, django_capture_on_commit_callbacks)
    path = outcome_link(visitor_notice)
    services.file_visitor_appeal(
        decision=decision, notice=visitor_notice, explanation="Het is mijn foto, Vera."
    )

    assert erase_visitor_notices(email="VERA@example.org") == 1

    appeal = Appeal.objects.get()
    assert appeal.explanation == "" and appeal.notice == visitor_notice
    notice = Notice.objects.get(pk=visitor_notice.pk)
    assert (notice.name, notice.email, notice.explanation) == ("", "", "")
    assert client.get(path).status_code == 400
    assert appeal.case.appeal_of == decision  # still counted in the transparency figures
