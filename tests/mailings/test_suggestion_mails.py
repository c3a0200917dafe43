"""Suggestion mails (R2.3, R5.2, R7.2, issue 9 "Suggestion mails"): a member who opted in gets
now and then up to N members who fit them and were not mailed to them before: username, age,
place and a link; no photos; with the reason, a visible unsubscribe link and the RFC 8058
headers. Nothing when there is no one new, nothing twice, nothing to members who may not be
mailed, and an unsubscribe cancels a mail already queued."""

import re
import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mailings import services
from mailings.models import MailedSuggestion, MailKind, SuggestionMailState
from mailings.suggestions import send_suggestion_mail, send_suggestion_mails
from members.models import Member, OutgoingMail
from members.services import mark_undeliverable, send_queued_mail
from privacy import declaration, registry
from privacy.erasure import close_account
from privacy.models import ConsentRecord
from privacy.services import has_consent, set_consent, set_processing_limit
from profiles.models import Photo
from profiles.services import block_member
from tests.helpers import signup
from tests.profiles.test_suggestions import seeker

pytestmark = pytest.mark.django_db

KIND = "suggestion_mail"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = "https://datingsite.example"
    settings.SUGGESTION_MAIL_INTERVAL_DAYS = 7
    settings.SUGGESTION_MAIL_MAX = 5


def opt_in(member, *, source=declaration.SOURCE_SIGNUP):
    services.set_mail_choice(member=member, kind=MailKind.SUGGESTIONS, wanted=True, source=source)
    return member


@pytest.fixture
def sem(db):
    """Sem looks for women of 25 to 45 within 50 km of Utrecht, and asked for suggestion mail."""
    member = seeker("sem_zoekt", Member.Gender.MAN)
    Member.objects.filter(pk=member.pk).update(language="en")
    member.refresh_from_db()
    return opt_in(member)


@pytest.fixture
def women(db):
    """Two women who fit Sem and whom he fits, and one who does not fit him."""
    return [
        seeker("anna_fiets", Member.Gender.WOMAN, age=34),
        seeker("bea_leest", Member.Gender.WOMAN, age=41, place="Amersfoort"),
        seeker("cor_ver", Member.Gender.WOMAN, place="Gent", max_distance_km=500),
    ]


@pytest.fixture
def run(django_capture_on_commit_callbacks):
    """Runs the beat job as the site does: the queued mails are sent on commit."""

    def run(now=None):
        with django_capture_on_commit_callbacks(execute=True):
            return send_suggestion_mails(now=now)

    return run


def html_of(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")


def mails_to(member) -> list:
    return [m for m in mail.outbox if m.to == [member.email]]


def listed(message) -> list[str]:
    """The usernames in a suggestion mail, in order (from the links in the HTML part)."""
    return re.findall(r'<a href="[^"]*/members/[^"]*/"[^>]*>([^<]+)</a>', html_of(message))


# -- what a suggestion mail is -----------------------------------------------------------------


def test_an_opted_in_member_gets_one_mail_listing_who_fits(sem, women, run):
    anna, bea, _cor = women
    Photo.objects.create(
        member=anna,
        image="a.jpg",
        thumbnail="a_t.jpg",
        width=10,
        height=10,
        status=Photo.Status.APPROVED,
        is_main=True,
    )

    assert run() == 1

    [message] = mails_to(sem)
    assert sorted(listed(message)) == ["anna_fiets", "bea_leest"]
    assert message.subject.endswith("2 members who may fit you")
    text, html = message.body, html_of(message)
    for part in (text, html):
        assert "anna_fiets" in part and "34 years" in part and "Utrecht" in part
        assert "bea_leest" in part and "41 years" in part and "Amersfoort" in part
        assert f"https://datingsite.example/members/{anna.public_id}/" in part
        assert f"https://datingsite.example/members/{bea.public_id}/" in part
        assert "cor_ver" not in part
        # No photos, nothing from the profile beyond username, age and place.
        assert "/photos/" not in part and ".jpg" not in part
        assert "Ik fiets graag" not in part
        # The reason, no tracking, and the way out.
        assert "because you asked for suggestion e-mails" in part
        assert "We do not track whether you open it" in part
        url = services.unsubscribe_url(sem, MailKind.SUGGESTIONS)
        assert url.startswith("https://datingsite.example/mail/unsubscribe/suggestions/")
        assert url in part
    assert "<img" not in html.lower()
    assert '<html lang="en">' in html
    assert message.extra_headers["List-Unsubscribe"] == f"<{url}>"
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    outgoing = OutgoingMail.objects.get(member=sem)
    assert (outgoing.kind, outgoing.status) == (KIND, OutgoingMail.Status.SENT)
    assert set(MailedSuggestion.objects.filter(member=sem).values_list("suggested", flat=True)) == {
        anna.pk,
        bea.pk,
    }


def test_at_most_the_configured_number_best_first(sem, women, run, settings):
    settings.SUGGESTION_MAIL_MAX = 1
    run()
    [message] = mails_to(sem)
    # Best first: the same order as the suggestions page (nearest when no interests differ).
    assert listed(message) == ["anna_fiets"]
    assert message.subject.endswith("A member who may fit you")


def test_the_mail_is_in_the_members_language(sem, women, run):
    Member.objects.filter(pk=sem.pk).update(language="nl")
    run()
    [message] = mails_to(sem)
    assert '<html lang="nl">' in html_of(message)


def test_a_second_run_sends_nothing(sem, women, run):
    now = timezone.now()
    assert run(now) == 1
    assert run(now) == 0
    assert run(now + timedelta(hours=1)) == 0
    assert run(now + timedelta(days=6)) == 0
    assert len(mails_to(sem)) == 1


def test_later_only_new_members_are_mailed(sem, women, run):
    now = timezone.now()
    run(now)
    dirk = seeker("dirk_nieuw", Member.Gender.WOMAN, age=38)
    # Not before the interval has passed...
    assert run(now + timedelta(days=3)) == 0

    assert run(now + timedelta(days=7, minutes=1)) == 1

    first, second = mails_to(sem)
    assert listed(second) == ["dirk_nieuw"]
    assert "anna_fiets" not in second.body and "bea_leest" not in second.body
    assert dirk.public_id in second.body


def test_no_mail_when_there_is_no_one_new(sem, women, run):
    """Issue 9: no mail when there is nothing new. The look counts: the next one is an interval
    later (mailings.suggestions explains why)."""
    now = timezone.now()
    run(now)
    mail.outbox.clear()

    assert run(now + timedelta(days=8)) == 0

    assert mails_to(sem) == []
    assert OutgoingMail.objects.filter(member=sem).count() == 1
    state = SuggestionMailState.objects.get(member=sem)
    assert state.last_sent_at == now + timedelta(days=8)


def test_no_mail_when_no_one_fits_or_the_profile_is_incomplete(db, run):
    lonely = opt_in(seeker("alleen", Member.Gender.MAN))
    incomplete = opt_in(seeker("half", Member.Gender.MAN, place=None))

    assert run() == 0
    assert mail.outbox == []
    assert not OutgoingMail.objects.filter(member__in=[lonely, incomplete]).exists()


def test_blocked_members_are_not_mailed_either_way(sem, women, run):
    anna, bea, _cor = women
    block_member(member=anna, target=sem)
    run()
    [message] = mails_to(sem)
    assert listed(message) == ["bea_leest"]


# -- who gets none -----------------------------------------------------------------------------


def _no_mail_for(member, run):
    assert run() == 0
    assert mails_to(member) == []
    assert not OutgoingMail.objects.filter(member=member, kind=KIND).exists()
    assert not MailedSuggestion.objects.filter(member=member).exists()


def test_not_opted_in_gets_nothing(db, women, run):
    sem = seeker("sem_zoekt", Member.Gender.MAN)
    _no_mail_for(sem, run)


def test_opted_out_again_gets_nothing(sem, women, run):
    services.set_mail_choice(
        member=sem, kind=MailKind.SUGGESTIONS, wanted=False, source=services.SOURCES["settings"]
    )
    _no_mail_for(sem, run)


def test_without_personalised_suggestions_gets_nothing(sem, women, run):
    set_consent(member=sem, purpose="suggestions", granted=False, source="test")
    _no_mail_for(sem, run)


@pytest.mark.parametrize("limit", ["restriction", "object_direct_marketing", "object_profiling"])
def test_restricted_or_objecting_members_get_nothing(sem, women, run, limit):
    set_processing_limit(member=sem, kind=limit, active=True, source="test")
    _no_mail_for(sem, run)


def test_a_closed_account_gets_nothing(sem, women, run):
    close_account(member=sem, erase_immediately=False)
    mail.outbox.clear()
    _no_mail_for(sem, run)


def test_an_unconfirmed_address_gets_nothing(sem, women, run):
    EmailAddress.objects.filter(user=sem).update(verified=False)
    _no_mail_for(sem, run)


def test_an_undeliverable_address_gets_nothing(sem, women, run):
    mark_undeliverable(email=sem.email, reason="hard bounce")
    _no_mail_for(sem, run)


# -- once only, and leaving is honoured at once ------------------------------------------------


def test_a_mail_queued_before_an_unsubscribe_is_cancelled_not_sent(
    sem, women, django_capture_on_commit_callbacks
):
    """Issue 9: "Honoured at once: no later mail of that kind goes out, even one already
    queued." The mail is queued; before the worker sends it, the member presses the mail
    program's unsubscribe button (the List-Unsubscribe URL of that very mail)."""
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert send_suggestion_mails() == 1
    outgoing = OutgoingMail.objects.get(member=sem, kind=KIND)
    url = outgoing.headers["List-Unsubscribe"].strip("<>")
    assert outgoing.headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    response = Client(enforce_csrf_checks=True).post(
        url.removeprefix("https://datingsite.example"), {"List-Unsubscribe": "One-Click"}
    )
    assert response.status_code == 200
    for callback in queued:  # the worker gets to the queued mail
        callback()

    outgoing.refresh_from_db()
    assert outgoing.status == OutgoingMail.Status.CANCELLED
    assert outgoing.body_text == "" and outgoing.body_html == ""
    assert mail.outbox == []


def test_running_for_one_member_twice_queues_one_mail(sem, women):
    now = timezone.now()
    assert send_suggestion_mail(sem, now=now) is True
    assert send_suggestion_mail(sem, now=now) is False
    assert OutgoingMail.objects.filter(member=sem, kind=KIND).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_mail_a_member_once():
    """The claim is one conditional UPDATE of SuggestionMailState in the transaction that
    queues the mail: runs at the same moment (a retry, a second beat) cannot both mail."""
    sem = opt_in(seeker("sem_zoekt", Member.Gender.MAN))
    seeker("anna_fiets", Member.Gender.WOMAN, age=34)
    now = timezone.now()
    results = []
    barrier = threading.Barrier(4)

    def run():
        try:
            barrier.wait()
            results.append(send_suggestion_mail(Member.objects.get(pk=sem.pk), now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(results) == [False, False, False, True]
    assert OutgoingMail.objects.filter(member=sem, kind=KIND).count() == 1
    assert MailedSuggestion.objects.filter(member=sem).count() == 1


def test_many_members_are_handled_in_batches(db, run, monkeypatch):
    from mailings import suggestions

    monkeypatch.setattr(suggestions, "BATCH_SIZE", 2)
    seekers = [opt_in(seeker(f"zoeker{n}", Member.Gender.MAN)) for n in range(5)]
    seeker("anna_fiets", Member.Gender.WOMAN, age=34)

    assert run() == 5
    assert sorted(m.to[0] for m in mail.outbox) == sorted(s.email for s in seekers)


# -- opting in at sign-up ----------------------------------------------------------------------


def test_the_sign_up_box_for_suggestion_mail_is_optional_and_unticked(client, db):
    client.cookies["django_language"] = "en"
    html = client.get(reverse("account_signup")).content.decode()
    tag = re.search(r'<input[^>]*name="consent_suggestion_email"[^>]*>', html)[0]
    assert "checked" not in tag and "required" not in tag
    assert "Now and then, send me e-mails with members who fit me (optional)." in html
    # After the promotional e-mail box.
    assert html.index('name="consent_promotional_email"') < html.index(
        'name="consent_suggestion_email"'
    )


def test_ticking_it_at_sign_up_records_the_consent_with_source_signup(client, db):
    member = signup(client, consent_suggestions="on", consent_suggestion_email="on")

    record = ConsentRecord.objects.get(member=member, purpose="suggestion_email")
    assert (record.granted, record.source) == (True, "signup")
    assert record.wording_version == declaration.consent("suggestion_email").wording_version
    assert not has_consent(member=member, purpose="promotional_email")


def test_leaving_it_unticked_records_nothing(client, db):
    member = signup(client)
    assert not ConsentRecord.objects.filter(member=member, purpose="suggestion_email").exists()


# -- demo data (make run) ----------------------------------------------------------------------


def test_demo_members_opted_in_to_mail_at_sign_up_so_make_run_shows_one(db, run):
    """`make run`: one demo member in four asked for suggestion and promotional e-mail at
    "sign-up" (through the ledger); `send_due_mailings` then shows suggestion mails in the
    console. A second seed adds nothing."""
    from django.core.management import call_command

    call_command("seed_demo", members=200)
    call_command("seed_demo", members=200)

    demo = Member.objects.filter(username__startswith="demo_")
    opted = set(
        ConsentRecord.objects.filter(member__in=demo, purpose="suggestion_email").values_list(
            "member__username", flat=True
        )
    )
    assert opted == {f"demo_{n:06d}" for n in range(1, 201, 4)}
    records = ConsentRecord.objects.filter(
        member__in=demo, purpose__in=["suggestion_email", "promotional_email"]
    )
    assert records.count() == 100
    assert set(records.values_list("granted", "source").distinct()) == {(True, "signup")}
    assert services.may_mail(demo.get(username="demo_000001"), MailKind.PROMOTIONS)

    assert run() >= 1
    assert {m.to[0] for m in mail.outbox} <= {f"{name}@demo.invalid" for name in opted}


# -- what a queued suggestion mail may still say (security review) -----------------------------


def test_a_suggestion_mail_not_sent_within_a_day_is_not_sent_at_all(sem, women):
    """A retry after an outage, or helpdesk's "send again", must not name members who may have
    blocked or left since."""
    send_suggestion_mails()  # queued, not sent (no on-commit run)
    queued = OutgoingMail.objects.get(member=sem, kind="suggestion_mail")
    OutgoingMail.objects.filter(pk=queued.pk).update(
        created_at=timezone.now() - timedelta(hours=25)
    )

    assert send_queued_mail(mail_id=queued.pk) is False
    queued.refresh_from_db()
    assert queued.status == OutgoingMail.Status.CANCELLED and not queued.body_text
    assert mails_to(sem) == []


def test_erasing_a_suggested_member_empties_unsent_mails_that_name_them(sem, women):
    send_suggestion_mails()
    queued = OutgoingMail.objects.get(member=sem, kind="suggestion_mail")
    anna = women[0]
    assert anna.username in queued.body_text

    registry.erase_member_data(anna)

    queued.refresh_from_db()
    assert queued.status == OutgoingMail.Status.CANCELLED
    assert anna.username not in queued.body_text + queued.body_html
