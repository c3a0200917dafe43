""" "Decisions about me" (DSA Art. 17, 20): a member reads the statements of reasons about them
with the ways to contest them and the reports they made with their outcome, and appeals a
decision once, within the deadline, also by the mailed link while suspended; nobody else sees
or appeals it."""

from datetime import timedelta

import pytest
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from moderation import services
from moderation.models import Appeal, Decision, Notice, ReportDecision, Statement
from tests.factories import MemberFactory

from .member_helpers import decide, profile_and_photo

pytestmark = pytest.mark.django_db

MY_DECISIONS = "/account/decisions/"
BODIES = [{"name": "Geschillencommissie Online", "url": "https://geschil.example/"}]


@pytest.fixture(autouse=True)
def dispute_bodies(settings):
    settings.MODERATION_DISPUTE_BODIES = BODIES


@pytest.fixture
def bob_photo(alice, bob):
    # Both read their mail in English (the default is Dutch: see the last tests).
    for member in (alice, bob):
        member.language = "en"
        member.save(update_fields=["language"])
    return profile_and_photo(bob)


@pytest.fixture
def reported(alice, bob, bob_photo):
    """Alice reported Bob's photo as someone else's."""
    return services.submit_notice(
        item=bob_photo,
        category="scam",
        explanation="Die foto is van mijn zus",
        good_faith=True,
        reporter=alice,
    )


@pytest.fixture
def removed(reported, moderator, django_capture_on_commit_callbacks):
    """A moderator removed the photo, with a statement of reasons mailed to Bob."""
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(reported.report, moderator)
    return decision


def statement_of(decision) -> Statement:
    return Statement.objects.get(decision=decision)


def appeal_url(reference: str) -> str:
    return reverse("moderation:appeal", args=[reference])


def test_the_page_shows_the_statement_of_reasons_and_the_ways_to_contest_it(client, bob, removed):
    statement = statement_of(removed)
    client.force_login(bob)

    response = client.get(MY_DECISIONS)

    assert response.status_code == 200
    page = response.content.decode()
    assert "Decisions about me" in page
    assert "Content removed" in page and "Scam or fake profile" in page
    assert "Against the terms of use" in page and "4.2 Geen nepprofielen" in page
    assert "De foto is van een ander persoon dan het lid." in page  # the facts
    assert "Someone reported it. We do not tell you who." in page
    assert "A moderator (a person) took the decision." in page
    assert "Your content is visible again" in page  # a photo can be restored on reversal
    assert statement.public_id in page
    # Redress: the internal appeal with its deadline, the dispute bodies, the courts.
    deadline = timezone.localtime(services.appeal_deadline(removed.created_at))
    with translation.override("en"):
        assert f"You can appeal until {date_format(deadline, 'DATE_FORMAT')}." in page
    assert f'href="{appeal_url(statement.public_id)}"' in page
    assert "Geschillencommissie Online" in page and 'href="https://geschil.example/"' in page
    assert "Go to court" in page
    # Never who reported, nor what they wrote.
    assert "alice" not in page and "zus" not in page


def test_the_statement_mail_holds_the_same_with_a_link_to_appeal(bob, removed):
    (message,) = [m for m in mail.outbox if m.to == ["bob@example.org"]]
    statement = statement_of(removed)

    assert "Content removed" in message.subject
    body = message.body
    assert "4.2 Geen nepprofielen" in body and "De foto is van een ander persoon" in body
    assert statement.public_id in body
    assert "/appeal/" in body and MY_DECISIONS in body
    assert "Geschillencommissie Online: https://geschil.example/" in body
    assert "You can always take the matter to court." in body
    assert "alice" not in body.lower() and "zus" not in body
    assert "https://geschil.example/" in message.alternatives[0][0]


def test_the_reporter_sees_the_outcome_of_their_report_and_nothing_more(
    member_client, reported, removed
):
    page = member_client.get(MY_DECISIONS).content.decode()

    assert reported.public_id in page
    assert "Closed: we acted (Content removed)." in page
    assert "bob" not in page and "4.2 Geen nepprofielen" not in page
    assert "There are no decisions about your account or content." in page


def test_the_reporter_is_told_the_outcome_by_mail(alice, reported, removed):
    (outcome,) = [
        m for m in mail.outbox if m.to == ["alice@example.org"] and "outcome" in m.subject
    ]
    assert reported.public_id in outcome.subject
    assert "Content removed" in outcome.body
    assert "bob" not in outcome.body.lower()


def test_a_member_appeals_once(client, bob, removed, django_capture_on_commit_callbacks):
    statement = statement_of(removed)
    client.force_login(bob)

    form = client.get(appeal_url(statement.public_id)).content.decode()
    response = client.post(appeal_url(statement.public_id), {"explanation": "Het is mijn foto"})
    again = client.post(appeal_url(statement.public_id), {"explanation": "Nog een keer"})

    assert 'id="id_explanation"' in form and "4.2 Geen nepprofielen" in form
    assert response.status_code == 302 and response.url == MY_DECISIONS
    appeal = Appeal.objects.get()
    assert (appeal.appellant, appeal.role, appeal.explanation) == (
        bob,
        "affected",
        "Het is mijn foto",
    )
    assert appeal.case.appeal_of == removed
    assert "You appealed on" in again.content.decode()
    assert Appeal.objects.count() == 1
    page = client.get(MY_DECISIONS).content.decode()
    assert "You appealed on" in page and "is looking at it" in page
    assert f'href="{appeal_url(statement.public_id)}"' not in page


def test_an_appeal_needs_an_explanation(client, bob, removed):
    client.force_login(bob)

    response = client.post(appeal_url(statement_of(removed).public_id), {"explanation": " "})

    assert "Explain why the decision should change." in response.content.decode()
    assert not Appeal.objects.exists()


def test_after_the_deadline_there_is_no_appeal(client, bob, removed):
    """Six months (MODERATION_APPEAL_MONTHS): after that the page says the time has passed."""
    ReportDecision.objects.filter(pk=removed.pk).update(
        created_at=timezone.now() - timedelta(days=190)
    )
    statement = statement_of(removed)
    client.force_login(bob)

    page = client.get(MY_DECISIONS).content.decode()
    response = client.post(appeal_url(statement.public_id), {"explanation": "Te laat"})

    assert "That time has passed." in page
    assert f'href="{appeal_url(statement.public_id)}"' not in page
    assert "That time has passed." in response.content.decode()
    assert not Appeal.objects.exists()


def test_the_appeal_outcome_is_shown_and_mailed(
    client, bob, removed, django_capture_on_commit_callbacks
):
    appeal = services.file_appeal(decision=removed, appellant=bob, explanation="Mijn foto")
    second = __import__("tests.factories", fromlist=["staff_member"]).staff_member(
        "Moderators", username="mod2"
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.decide_appeal(
            appeal=appeal, moderator=second, reverse=True, reasons="De foto is wel van hem."
        )
    client.force_login(bob)

    page = client.get(MY_DECISIONS).content.decode()

    assert "Outcome: we reversed the decision." in page and "De foto is wel van hem." in page
    assert "reversed on" in page
    (mailed,) = [m for m in mail.outbox if "appeal" in m.subject.lower()]
    assert "we reversed the decision" in mailed.subject
    assert "De foto is wel van hem." in mailed.body


def test_a_reporter_appeals_a_dismissed_report(
    member_client, alice, reported, moderator, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(reported.report, moderator, action=services.DISMISS)

    page = member_client.get(MY_DECISIONS).content.decode()
    response = member_client.post(appeal_url(reported.public_id), {"explanation": "Echt nep"})

    assert "Closed: we found no reason to act." in page
    assert f'href="{appeal_url(reported.public_id)}"' in page
    assert response.status_code == 302
    appeal = Appeal.objects.get()
    assert (appeal.appellant, appeal.role) == (alice, "reporter")
    (outcome,) = [m for m in mail.outbox if "outcome" in m.subject]
    assert "/appeal/" in outcome.body  # the dismissal mail says how to appeal


def test_another_member_can_neither_see_nor_appeal(client, bob, reported, removed):
    carol = MemberFactory(username="carol")
    client.force_login(carol)
    statement = statement_of(removed)

    page = client.get(MY_DECISIONS).content.decode()
    looked = client.get(appeal_url(statement.public_id))
    tried = client.post(appeal_url(statement.public_id), {"explanation": "Ik ook"})
    other_notice = client.get(appeal_url(reported.public_id))

    assert statement.public_id not in page and reported.public_id not in page
    assert looked.status_code == 404 and tried.status_code == 404
    assert other_notice.status_code == 404
    assert not Appeal.objects.exists()


def test_the_pages_need_a_login(client, removed):
    assert client.get(MY_DECISIONS).status_code == 302
    assert client.get(appeal_url(statement_of(removed).public_id)).status_code == 302


# --- The appeal link in the mail: works without logging in ----------------------------------------


@pytest.fixture
def suspended(bob, reported, moderator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(reported.report, moderator, action=services.SUSPEND, days=7)
    bob.refresh_from_db()
    assert not bob.is_active
    return decision


def link_from_mail(to: str) -> str:
    (message,) = [m for m in mail.outbox if m.to == [to] and "Account suspended" in m.subject]
    return next(
        line.strip().removeprefix("http://127.0.0.1:8000")
        for line in message.body.splitlines()
        if "/appeal/" in line
    )


def test_a_suspended_member_appeals_by_the_mailed_link_without_logging_in(client, bob, suspended):
    link = link_from_mail("bob@example.org")
    client.cookies["django_language"] = "en"

    page = client.get(link)
    filed = client.post(link, {"explanation": "Ik heb niets verkeerd gedaan"})
    after = client.get(link).content.decode()

    assert page.status_code == 200
    text = page.content.decode()
    assert "Account suspended" in text and "4.2 Geen nepprofielen" in text
    assert 'id="id_explanation"' in text
    assert "The restriction is lifted at once" in text
    assert filed.status_code == 302 and filed.url == link
    appeal = Appeal.objects.get()
    assert appeal.appellant == bob and appeal.decision == suspended
    assert "You appealed on" in after and 'id="id_explanation"' not in after


def test_an_invalid_or_expired_appeal_link_says_so(client, bob, suspended, monkeypatch):
    token = services.appeal_token(decision=suspended, member=bob)
    broken = reverse("moderation:appeal_by_link", args=[token[:-3] + "abc"])
    with monkeypatch.context() as patch:
        patch.setattr(signing.time, "time", lambda: timezone.now().timestamp() - 400 * 86400)
        old = services.appeal_token(decision=suspended, member=bob)
    expired = reverse("moderation:appeal_by_link", args=[old])

    for url in (broken, expired):
        response = client.get(url)
        assert response.status_code == 400
        assert "This appeal link is not valid or has expired." in response.content.decode()
        assert client.post(url, {"explanation": "x"}).status_code == 400
    assert not Appeal.objects.exists()


def test_an_appeal_link_is_for_the_member_it_was_sent_to(client, alice, bob, suspended):
    """A token naming a decision someone cannot appeal (alice's report was actioned, not
    dismissed) is refused."""
    token = services.appeal_token(decision=suspended, member=alice)

    response = client.get(reverse("moderation:appeal_by_link", args=[token]))

    assert response.status_code == 400


def test_the_page_speaks_dutch_to_a_dutch_member(client, bob, removed):
    bob.language = "nl"
    bob.save(update_fields=["language"])
    client.cookies["django_language"] = "nl"
    client.force_login(bob)

    page = client.get(MY_DECISIONS).content.decode()

    assert '<html lang="nl">' in page


def test_notices_show_their_status_while_open(member_client, reported):
    page = member_client.get(MY_DECISIONS).content.decode()

    assert "A moderator is looking at it." in page
    assert Notice.objects.get().report.decision == ""
    assert Decision.DISMISSED not in page


def test_a_dutch_member_gets_the_statement_in_dutch(
    bob, reported, moderator, django_capture_on_commit_callbacks
):
    bob.language = "nl"
    bob.save(update_fields=["language"])

    with django_capture_on_commit_callbacks(execute=True):
        decision = decide(reported.report, moderator)

    (message,) = [m for m in mail.outbox if m.to == ["bob@example.org"]]
    with translation.override("nl"):
        label = str(Decision.CONTENT_REMOVED.label)
        deadline = date_format(
            timezone.localtime(services.appeal_deadline(decision.created_at)), "DATE_FORMAT"
        )
    assert label in message.subject and label in message.body
    assert deadline in message.body


def test_a_member_whose_account_is_hidden_pending_review_reads_why(client, bob, bob_photo, alice):
    """Urgent reports (suspected minor) from two independent reporters about the profile
    hide the account at once; the member sees it on the page, without who reported."""
    from profiles.models import Profile

    services.submit_notice(
        item=Profile.objects.get(member=bob),
        category="minor",
        explanation="Lijkt 15",
        good_faith=True,
        reporter=alice,
    )
    services.submit_notice(
        item=Profile.objects.get(member=bob),
        category="minor",
        explanation="Zegt dat hij in de derde klas zit",
        good_faith=True,
        name="Vera Bezoeker",
        email="vera@example.net",
        rate_key="192.0.2.7",
    )
    client.force_login(bob)

    page = client.get(MY_DECISIONS).content.decode()

    assert "In force now" in page and "Hidden pending review" in page
    assert "while a moderator looks at a report about your account" in page
    assert "alice" not in page and "Lijkt 15" not in page
