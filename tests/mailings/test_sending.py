"""Sending campaigns (issue 9): only to members who asked for it, never twice, a restart
finishes, and staff can pause, resume and cancel. Mail goes through Django's SMTP backend into
a real SMTP server on 127.0.0.1 (aiosmtpd), which keeps what it accepted."""

import email
import re
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from email import policy
from types import SimpleNamespace

import pytest
from aiosmtpd.controller import Controller
from django.db import connection
from django.utils import timezone

from mailings import sending, services
from mailings.models import Campaign, Delivery, MailKind
from mailings.sending import CampaignError
from mailings.smtp import SMTPSession
from members.models import Member
from members.services import mark_undeliverable
from privacy import declaration
from privacy.models import ConsentPurpose, ProcessingLimit
from privacy.services import set_consent, set_processing_limit
from tests.factories import MemberFactory, make_profile, staff_member

# -- an SMTP server that keeps what it accepts -------------------------------------------------


class Sink:
    """aiosmtpd handler: records every accepted mail; refuses the addresses in `refuse`."""

    def __init__(self):
        self.mails = []
        self.refuse = set()
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.mails.append(
                SimpleNamespace(
                    to=list(envelope.rcpt_tos),
                    message=email.message_from_bytes(envelope.content, policy=policy.default),
                    peer=session.peer,
                )
            )
        return "250 2.0.0 Ok: queued"

    def recipients(self) -> Counter:
        with self.lock:
            return Counter(address for mail in self.mails for address in mail.to)

    def wait_for(self, count: int, seconds: float = 5) -> None:
        deadline = time.monotonic() + seconds
        while len(self.mails) < count and time.monotonic() < deadline:
            time.sleep(0.02)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def sink(settings):
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    try:
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def staff(db):
    return staff_member("superuser")


@pytest.fixture
def no_chain(monkeypatch):
    """Batches are run by the test itself: enqueued batch tasks are only counted."""
    enqueued = []
    monkeypatch.setattr(sending, "_enqueue_batches", lambda pk, count: enqueued.append(count))
    return enqueued


def promo_member(**fields) -> Member:
    """A member who opted in to promotional mail, with a confirmed primary address."""
    member = MemberFactory(**fields)
    set_consent(
        member=member,
        purpose=ConsentPurpose.PROMOTIONAL_EMAIL,
        granted=True,
        source=declaration.SOURCE_SIGNUP,
    )
    return member


def make_campaign(**fields) -> Campaign:
    values = {
        "name": "Lente",
        "subject_nl": "Lenteactie",
        "subject_en": "Spring offer",
        "body_nl": '<p>Hallo!</p><p><a href="https://example.org/actie">Bekijk de actie</a></p>',
        "body_en": '<p>Hello!</p><p><a href="https://example.org/offer">See the offer</a></p>',
    }
    values.update(fields)
    return Campaign.objects.create(**values)


def started(campaign) -> Campaign:
    """Scheduled for now and started (its delivery rows written) by the beat job."""
    campaign.status = Campaign.Status.SCHEDULED
    campaign.send_at = timezone.now()
    campaign.save()
    assert sending.start_campaign(campaign.pk)
    campaign.refresh_from_db()
    return campaign


def run_all(campaign) -> None:
    """Batches until none is left (what the chain of batch tasks does)."""
    for _round in range(100):
        if not Delivery.objects.filter(campaign=campaign, status=Delivery.Status.QUEUED).exists():
            return
        sending.send_batch(campaign_id=campaign.pk)
    raise AssertionError("batches never ended")


def delivered_to(sink) -> Counter:
    return sink.recipients()


def statuses(campaign) -> dict:
    return dict(
        Counter(Delivery.objects.filter(campaign=campaign).values_list("status", flat=True))
    )


class Killed(BaseException):
    """A worker killed with `kill -9`, as far as the code under test can tell."""


def die(session) -> None:
    """What `kill -9` does to a batch: its sockets close at once (the SMTP connection with no
    terminator and no QUIT; the database connection with whatever it had not read yet), and
    no line of it runs again."""
    if session.backend.connection is not None:
        session.backend.connection.close()
    connection.close()
    raise Killed


@pytest.fixture
def sessions(monkeypatch):
    """The SMTP sessions batches open, so a test can kill the one in use."""
    seen = []
    begin = SMTPSession.begin

    def recording_begin(self, *args, **kwargs):
        if not seen or seen[-1] is not self:
            seen.append(self)
        return begin(self, *args, **kwargs)

    monkeypatch.setattr(SMTPSession, "begin", recording_begin)
    return seen


# -- who gets a delivery row -------------------------------------------------------------------


@pytest.mark.django_db
def test_only_members_who_may_get_promotional_mail_are_queued(staff):
    eligible = promo_member(username="wil")
    MemberFactory(username="nooitgevraagd")
    withdrawn = promo_member(username="ingetrokken")
    set_consent(
        member=withdrawn,
        purpose=ConsentPurpose.PROMOTIONAL_EMAIL,
        granted=False,
        source=declaration.SOURCE_MAIL_SETTINGS,
    )
    for username, kind in [
        ("beperkt", ProcessingLimit.RESTRICTION),
        ("bezwaardm", ProcessingLimit.OBJECT_DIRECT_MARKETING),
        ("bezwaarprofiel", ProcessingLimit.OBJECT_PROFILING),
    ]:
        limited = promo_member(username=username)
        set_processing_limit(
            member=limited, kind=kind, active=True, source=declaration.SOURCE_LIMITS_PAGE
        )
    promo_member(username="gesloten", status=Member.Status.CLOSED)
    promo_member(username="geschorst", status=Member.Status.SUSPENDED, is_active=False)
    unconfirmed = promo_member(username="onbevestigd", verified_email=False)
    unconfirmed.emailaddress_set.create(email=unconfirmed.email, verified=False, primary=True)
    bouncing = promo_member(username="bounce")
    mark_undeliverable(email=bouncing.email.upper(), reason="hard bounce")

    campaign = make_campaign()
    assert sending.count_audience(campaign) == 1
    campaign = started(campaign)

    assert list(Delivery.objects.filter(campaign=campaign).values_list("member", flat=True)) == [
        eligible.pk
    ]
    # Starting again (a second beat run) adds nothing: one row per member in the database.
    assert sending.populate_deliveries(campaign) == 0
    assert Delivery.objects.filter(campaign=campaign).count() == 1


def paid(member):
    from payments.models import CreditPack, Order

    Order.objects.create(
        member=member,
        pack=CreditPack.objects.order_by("pk").first(),
        credits=50,
        amount_cents=995,
        method="ideal",
        status=Order.Status.PAID,
        mollie_payment_id=f"tr_send{member.pk}",
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "audience",
    ["language", "paying", "not_paying", "genders", "regions", "active", "joined"],
)
def test_each_audience_field_narrows_the_audience(audience):
    now = timezone.now()
    inside = promo_member(
        username="binnen",
        language="en",
        gender=Member.Gender.MAN,
        last_active_at=now - timedelta(days=2),
    )
    outside = promo_member(
        username="buiten",
        language="nl",
        gender=Member.Gender.WOMAN,
        last_active_at=now - timedelta(days=40),
    )
    Member.objects.filter(pk=outside.pk).update(date_joined=now - timedelta(days=400))
    place = make_profile(inside, place="Utrecht").place
    make_profile(outside, place="Groningen")
    fields = {
        "language": {"language": "en"},
        "paying": {"paying": Campaign.Paying.PAYING},
        "not_paying": {"paying": Campaign.Paying.NOT_PAYING},
        "genders": {"genders": [Member.Gender.MAN]},
        "regions": {"regions": [f"{place.country}-{place.region}"]},
        "active": {"active_within_days": 30},
        "joined": {"joined_within_days": 30},
    }[audience]
    if audience == "paying":
        paid(inside)
    if audience == "not_paying":
        paid(outside)

    assert sending.count_audience(make_campaign()) == 2
    assert list(sending.audience(make_campaign(**fields))) == [inside]


# -- what a mail looks like --------------------------------------------------------------------


@pytest.mark.django_db
def test_every_mail_has_both_unsubscribe_headers_and_the_link_in_both_parts(sink, staff):
    dutch = promo_member(username="anna", language="nl")
    english = promo_member(username="bert", language="en")
    campaign = started(make_campaign(body_nl='<p>Hoi <img src="https://x.example/p.gif"></p>'))

    assert sending.send_batch(campaign_id=campaign.pk) == 2

    assert delivered_to(sink) == Counter({dutch.email: 1, english.email: 1})
    by_address = {mail.to[0]: mail.message for mail in sink.mails}
    for member, subject in [(dutch, "Lenteactie"), (english, "Spring offer")]:
        message = by_address[member.email]
        url = services.unsubscribe_url(member, MailKind.PROMOTIONS)
        # (folded: a long header continues on a line of its own)
        assert message["List-Unsubscribe"].strip() == f"<{url}>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert subject in message["Subject"]
        text = message.get_body(("plain",)).get_content()
        html = message.get_body(("html",)).get_content()
        assert url in text
        assert url.replace("&", "&amp;") in html
        assert "<img" not in html.lower()
        delivery = Delivery.objects.get(campaign=campaign, member=member)
        assert message["Message-ID"] == delivery.message_id == sending.message_id(delivery.pk)
        assert delivery.status == Delivery.Status.SENT and delivery.sent_at is not None
    # The other member's link is in neither mail.
    other_url = services.unsubscribe_url(english, MailKind.PROMOTIONS)
    assert other_url not in by_address[dutch.email].get_body(("plain",)).get_content()
    # One connection for the whole batch.
    assert len({mail.peer for mail in sink.mails}) == 1


@pytest.mark.django_db
def test_a_member_who_leaves_after_being_queued_gets_nothing(sink, staff):
    stays = promo_member(username="blijft")
    leaves = promo_member(username="gaat")
    restricted = promo_member(username="beperkt")
    campaign = started(make_campaign())
    assert Delivery.objects.filter(campaign=campaign).count() == 3

    services.unsubscribe(
        public_id=leaves.public_id,
        kinds=[MailKind.PROMOTIONS],
        source=services.SOURCES["one_click"],
    )
    set_processing_limit(
        member=restricted,
        kind=ProcessingLimit.RESTRICTION,
        active=True,
        source=declaration.SOURCE_LIMITS_PAGE,
    )
    run_all(campaign)

    assert delivered_to(sink) == Counter({stays.email: 1})
    reasons = dict(
        Delivery.objects.filter(campaign=campaign, status=Delivery.Status.SKIPPED).values_list(
            "member", "reason"
        )
    )
    assert reasons == {leaves.pk: "unsubscribed", restricted.pk: "not_allowed"}


@pytest.mark.django_db
def test_a_refused_recipient_fails_and_the_others_go_out_on_the_same_connection(sink, staff):
    members = [promo_member(username=f"lid{n}") for n in range(3)]
    sink.refuse.add(members[1].email)
    campaign = started(make_campaign())

    run_all(campaign)

    assert delivered_to(sink) == Counter({members[0].email: 1, members[2].email: 1})
    failed = Delivery.objects.get(campaign=campaign, member=members[1])
    assert (failed.status, failed.reason) == (Delivery.Status.FAILED, "refused_550")
    assert len({mail.peer for mail in sink.mails}) == 1


# -- never twice -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_running_batches_again_sends_nothing_again(sink, staff, no_chain, settings):
    settings.CAMPAIGN_BATCH_SIZE = 2
    members = [promo_member(username=f"lid{n}") for n in range(5)]
    campaign = started(make_campaign())

    run_all(campaign)
    assert sending.send_batch(campaign_id=campaign.pk) == 0
    assert sending.send_batch(campaign_id=campaign.pk, claim="same-task-again") == 0

    assert delivered_to(sink) == Counter({member.email: 1 for member in members})
    assert statuses(campaign) == {"sent": 5}


@pytest.mark.django_db(transaction=True)
def test_two_batches_at_the_same_time_send_each_mail_once(sink, no_chain, settings):
    settings.CAMPAIGN_BATCH_SIZE = 3
    members = [promo_member(username=f"lid{n}") for n in range(24)]
    campaign = started(make_campaign())
    barrier = threading.Barrier(3)
    errors = []
    batches_that_sent = []

    def worker():
        try:
            barrier.wait()
            for _round in range(30):
                sent = sending.send_batch(campaign_id=campaign.pk)
                if sent:
                    batches_that_sent.append(sent)
                queued = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.QUEUED)
                if not sent and not queued.exists():
                    return
        except Exception as error:  # noqa: BLE001  (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert delivered_to(sink) == Counter({member.email: 1 for member in members})
    assert statuses(campaign) == {"sent": 24}
    # Each batch sent on one connection, never one per mail. Racing claims can split the 24
    # mails over more than 8 batches, so the bound is the batches that sent, not 24 // 3.
    assert sum(batches_that_sent) == 24
    assert len({mail.peer for mail in sink.mails}) <= len(batches_that_sent) < 24


@pytest.mark.django_db(transaction=True)
def test_killed_before_the_commit_the_mail_is_discarded_and_sent_once_later(
    sink, sessions, monkeypatch, settings
):
    members = [promo_member(username=f"lid{n}") for n in range(3)]
    campaign = started_without_batches(monkeypatch)
    commit_sent = sending.commit_sent
    calls = []

    def killed_at_the_second_commit(*args):
        calls.append(args)
        if len(calls) == 2:
            die(sessions[-1])
        return commit_sent(*args)

    monkeypatch.setattr(sending, "commit_sent", killed_at_the_second_commit)
    with pytest.raises(Killed):
        sending.send_batch(campaign_id=campaign.pk, claim="task-1")

    # The first mail went out; the second's message reached the server unterminated and was
    # discarded; its row is still claimed by the dead batch.
    time.sleep(0.3)
    assert delivered_to(sink) == Counter({members[0].email: 1})
    assert statuses(campaign) == {"sent": 1, "claimed": 2}

    # The beat job, once the lease has run out, gives the rows back and starts batches again.
    restart_after_lease(campaign, settings)

    assert delivered_to(sink) == Counter({member.email: 1 for member in members})
    assert statuses(campaign) == {"sent": 3}


@pytest.mark.django_db(transaction=True)
def test_killed_after_the_commit_the_mail_is_delivered_and_never_sent_again(
    sink, sessions, monkeypatch, settings
):
    members = [promo_member(username=f"lid{n}") for n in range(3)]
    campaign = started_without_batches(monkeypatch)
    terminate = SMTPSession.terminate
    calls = []

    def killed_after_the_second_terminator(self):
        terminate(self)
        calls.append(self)
        if len(calls) == 2:
            # The COMMIT and the terminator were written; neither answer was read.
            die(self)

    monkeypatch.setattr(SMTPSession, "terminate", killed_after_the_second_terminator)
    with pytest.raises(Killed):
        sending.send_batch(campaign_id=campaign.pk, claim="task-1")

    sink.wait_for(2)
    assert delivered_to(sink) == Counter({members[0].email: 1, members[1].email: 1})

    restart_after_lease(campaign, settings)

    assert delivered_to(sink) == Counter({member.email: 1 for member in members})
    assert statuses(campaign) == {"sent": 3}


@pytest.mark.django_db(transaction=True)
def test_a_redelivered_task_resumes_its_own_rows_at_once(sink, sessions, monkeypatch):
    members = [promo_member(username=f"lid{n}") for n in range(4)]
    campaign = started_without_batches(monkeypatch)
    commit_sent = sending.commit_sent
    calls = []

    def killed_at_the_third_commit(*args):
        calls.append(args)
        if len(calls) == 3:
            die(sessions[-1])
        return commit_sent(*args)

    monkeypatch.setattr(sending, "commit_sent", killed_at_the_third_commit)
    with pytest.raises(Killed):
        sending.send_batch(campaign_id=campaign.pk, claim="task-1")

    # acks_late: the broker hands the same task (same id) to the restarted worker, which takes
    # up the rows it held without waiting for the lease.
    assert sending.send_batch(campaign_id=campaign.pk, claim="task-1") == 2

    assert delivered_to(sink) == Counter({member.email: 1 for member in members})
    assert statuses(campaign) == {"sent": 4}


@pytest.mark.django_db(transaction=True)
def test_a_batch_whose_claim_was_taken_away_abandons_the_message_and_stops(
    sink, sessions, monkeypatch, no_chain
):
    members = [promo_member(username=f"lid{n}") for n in range(3)]
    campaign = started(make_campaign())
    commit_sent = sending.commit_sent

    def lease_ran_out_meanwhile(delivery_id, claim, message_id):
        # The sweep gave the row back and another batch holds it now.
        Delivery.objects.filter(pk=delivery_id).update(claim="another-batch")
        return commit_sent(delivery_id, claim, message_id)

    monkeypatch.setattr(sending, "commit_sent", lease_ran_out_meanwhile)
    assert sending.send_batch(campaign_id=campaign.pk, claim="slow-batch") == 0

    time.sleep(0.3)
    # The message was written but never terminated: the server discarded it.
    assert delivered_to(sink) == Counter()
    assert sessions[-1].backend.connection is None
    rows = dict(Delivery.objects.filter(campaign=campaign).values_list("member", "claim"))
    assert rows == {members[0].pk: "another-batch", members[1].pk: "", members[2].pk: ""}
    assert statuses(campaign) == {"claimed": 1, "queued": 2}
    assert no_chain == [2, 1]  # the campaign's batches, then the next one for the rest


# Both ways a row is committed as sent: a plain UPDATE (inside the test's transaction) and
# PostgreSQL's COMMIT written back to back with the SMTP terminator (no transaction around).
BOTH_COMMIT_PATHS = pytest.mark.parametrize(
    "commit_path",
    [
        pytest.param("plain", marks=pytest.mark.django_db),
        pytest.param("libpq", marks=pytest.mark.django_db(transaction=True)),
    ],
)


def at_the_second_message(monkeypatch, event) -> None:
    """`event(to_addr)` happens once the batch has written its second message to the server
    (after its check of who may be mailed, before the row is committed as sent)."""
    begin = SMTPSession.begin
    calls = []

    def begin_then_event(self, from_addr, to_addr, data):
        begin(self, from_addr, to_addr, data)
        calls.append(to_addr)
        if len(calls) == 2:
            event(to_addr)

    monkeypatch.setattr(SMTPSession, "begin", begin_then_event)


@BOTH_COMMIT_PATHS
def test_a_member_who_unsubscribes_while_the_batch_runs_gets_nothing_and_the_rest_go(
    sink, monkeypatch, no_chain, commit_path
):
    members = {m.email: m for m in (promo_member(username=f"lid{n}") for n in range(4))}
    campaign = started(make_campaign())
    leaving = []

    def unsubscribes(to_addr):
        leaving.append(members[to_addr])
        services.unsubscribe(
            public_id=members[to_addr].public_id,
            kinds=[MailKind.PROMOTIONS],
            source=services.SOURCES["one_click"],
        )

    at_the_second_message(monkeypatch, unsubscribes)
    assert sending.send_batch(campaign_id=campaign.pk) == 3

    time.sleep(0.3)
    # Their message was never terminated (the server discarded it); the others went out,
    # after it on a new connection.
    assert delivered_to(sink) == Counter(
        {address: 1 for address, member in members.items() if member not in leaving}
    )
    assert len({mail.peer for mail in sink.mails}) == 2
    assert statuses(campaign) == {"sent": 3, "skipped": 1}
    skipped = Delivery.objects.get(campaign=campaign, status=Delivery.Status.SKIPPED)
    assert (skipped.member, skipped.reason) == (leaving[0], "unsubscribed")


@BOTH_COMMIT_PATHS
@pytest.mark.parametrize(
    "action, rest",
    [(sending.pause_campaign, {"queued": 5}), (sending.cancel_campaign, {"skipped": 5})],
)
def test_a_pause_or_cancel_stops_a_running_batch_at_the_next_mail(
    sink, staff, monkeypatch, no_chain, commit_path, action, rest
):
    """Not at the batch's next look at the campaign (every STATUS_CHECK_EVERY mails): the
    mail being written when staff press the button is not completed, and none after it."""
    for n in range(6):
        promo_member(username=f"lid{n}")
    campaign = started(make_campaign())
    at_the_second_message(monkeypatch, lambda to_addr: action(campaign=campaign, staff=staff))

    assert sending.send_batch(campaign_id=campaign.pk) == 1

    time.sleep(0.3)
    assert len(sink.mails) == 1
    assert statuses(campaign) == {"sent": 1, **rest}


def provider_event(monkeypatch, event) -> None:
    """`event(job)` happens while the batch builds its second mail (before it is sent)."""
    build = sending.Batch._message
    built = []

    def message(self, job):
        built.append(job)
        if len(built) == 2:
            event(self, job)
        return build(self, job)

    monkeypatch.setattr(sending.Batch, "_message", message)


@pytest.mark.django_db
def test_a_provider_batch_whose_lease_ran_out_does_not_send_a_mail_twice(
    staff, settings, mailoutbox, monkeypatch, no_chain
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    members = [promo_member(username=f"lid{n}") for n in range(3)]
    campaign = started(make_campaign())

    def lease_runs_out(batch, job):
        # The batch was slow: the sweep gives its rows back and another batch claims them.
        later = timezone.now() + timedelta(seconds=settings.CAMPAIGN_CLAIM_LEASE_SECONDS + 1)
        assert sending.run_campaigns(now=later)["released"] == 2
        assert len(sending._claim_rows(campaign.pk, "another-batch", 10, timezone.now())) == 2

    with monkeypatch.context() as patch:
        provider_event(patch, lease_runs_out)
        assert sending.send_batch(campaign_id=campaign.pk, claim="slow-batch") == 1
    assert len(mailoutbox) == 1
    assert statuses(campaign) == {"sent": 1, "claimed": 2}

    assert sending.send_batch(campaign_id=campaign.pk, claim="another-batch") == 2
    assert Counter(m.to[0] for m in mailoutbox) == Counter({m.email: 1 for m in members})
    assert statuses(campaign) == {"sent": 3}


@pytest.mark.django_db
@pytest.mark.parametrize("event", ["unsubscribed", "paused", "cancelled"])
def test_a_provider_batch_honours_an_unsubscribe_pause_or_cancel_at_once(
    staff, settings, mailoutbox, monkeypatch, no_chain, event
):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    members = [promo_member(username=f"lid{n}") for n in range(4)]
    campaign = started(make_campaign())
    leaving = []

    def happens(batch, job):
        if event == "unsubscribed":
            leaving.append(Member.objects.get(pk=job.member_id))
            services.unsubscribe(
                public_id=leaving[0].public_id,
                kinds=[MailKind.PROMOTIONS],
                source=services.SOURCES["one_click"],
            )
        elif event == "paused":
            sending.pause_campaign(campaign=campaign, staff=staff)
        else:
            sending.cancel_campaign(campaign=campaign, staff=staff)

    provider_event(monkeypatch, happens)
    sent = sending.send_batch(campaign_id=campaign.pk)

    if event == "unsubscribed":
        assert sent == 3
        assert sorted(m.to[0] for m in mailoutbox) == sorted(
            m.email for m in members if m not in leaving
        )
        assert statuses(campaign) == {"sent": 3, "skipped": 1}
    else:
        assert sent == len(mailoutbox) == 1
        left = "queued" if event == "paused" else "skipped"
        assert statuses(campaign) == {"sent": 1, left: 3}


def started_without_batches(monkeypatch) -> Campaign:
    with monkeypatch.context() as patch:
        patch.setattr(sending, "_enqueue_batches", lambda pk, count: None)
        return started(make_campaign())


def restart_after_lease(campaign, settings) -> None:
    """The beat job after the lease: stale claims back to the queue, the chain of batches
    started again (the batch tasks run at once: eager Celery, no transaction around)."""
    later = timezone.now() + timedelta(seconds=settings.CAMPAIGN_CLAIM_LEASE_SECONDS + 1)
    summary = sending.run_campaigns(now=later)
    assert summary["restarted"] == 1
    sending.run_campaigns()
    assert Campaign.objects.get(pk=campaign.pk).status == Campaign.Status.FINISHED


# -- pause, resume, cancel, throttle, progress --------------------------------------------------


def pausing_after(monkeypatch, mails: int, action, campaign, staff):
    """Staff press pause or cancel while the batch builds its `mails`-th mail."""
    monkeypatch.setattr(sending, "STATUS_CHECK_EVERY", 2)
    build = sending.Batch._message
    built = []

    def message(self, job):
        built.append(job)
        if len(built) == mails:
            action(campaign=campaign, staff=staff)
        return build(self, job)

    monkeypatch.setattr(sending.Batch, "_message", message)


@pytest.mark.django_db
def test_pause_stops_a_batch_and_resume_finishes_the_campaign(
    sink, staff, monkeypatch, django_capture_on_commit_callbacks
):
    members = [promo_member(username=f"lid{n}") for n in range(6)]
    campaign = make_campaign()
    sending.schedule_campaign(campaign=campaign, staff=staff)
    pausing_after(monkeypatch, 2, sending.pause_campaign, campaign, staff)

    with django_capture_on_commit_callbacks(execute=True):
        sending.run_campaigns()

    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.PAUSED
    # The second mail, built when staff pressed pause, is not completed.
    time.sleep(0.3)
    assert len(sink.mails) == 1
    assert statuses(campaign) == {"sent": 1, "queued": 5}
    assert sending.send_batch(campaign_id=campaign.pk) == 0

    monkeypatch.undo()
    with django_capture_on_commit_callbacks(execute=True):
        sending.resume_campaign(campaign=campaign, staff=staff)
    sending.run_campaigns()

    assert delivered_to(sink) == Counter({member.email: 1 for member in members})
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.FINISHED and campaign.finished_at is not None


@pytest.mark.django_db
def test_cancel_skips_the_rest_and_the_campaign_never_sends_again(
    sink, staff, monkeypatch, django_capture_on_commit_callbacks
):
    for n in range(6):
        promo_member(username=f"lid{n}")
    campaign = make_campaign()
    sending.schedule_campaign(campaign=campaign, staff=staff)
    pausing_after(monkeypatch, 2, sending.cancel_campaign, campaign, staff)

    with django_capture_on_commit_callbacks(execute=True):
        sending.run_campaigns()
    with django_capture_on_commit_callbacks(execute=True):
        sending.run_campaigns(now=timezone.now() + timedelta(hours=1))
        assert sending.send_batch(campaign_id=campaign.pk) == 0

    time.sleep(0.3)
    assert len(sink.mails) == 1
    assert statuses(campaign) == {"sent": 1, "skipped": 5}
    assert set(
        Delivery.objects.filter(status=Delivery.Status.SKIPPED).values_list("reason", flat=True)
    ) == {"cancelled"}
    with pytest.raises(CampaignError):
        sending.resume_campaign(campaign=campaign, staff=staff)
    with pytest.raises(CampaignError):
        sending.schedule_campaign(campaign=campaign, staff=staff)


@pytest.mark.django_db
def test_the_throttle_sends_no_more_than_the_limit_per_minute(sink, monkeypatch, settings):
    settings.CAMPAIGN_MAILS_PER_MINUTE = 3
    for n in range(7):
        promo_member(username=f"lid{n}")
    campaign = started(make_campaign())
    fake = {"now": 1_900_000_000 // 60 * 60 + 10.0}  # 10 s into a minute
    slept = []

    def fake_sleep(seconds):
        slept.append((len(sink.mails), round(seconds)))
        fake["now"] += seconds

    monkeypatch.setattr(sending, "clock", lambda: fake["now"])
    monkeypatch.setattr(sending, "sleep", fake_sleep)
    sending.send_batch(campaign_id=campaign.pk)

    # Three mails, a wait to the next minute, three more, a minute's wait, the last one; each
    # wait in slices of at most a quarter of the lease, the claim renewed before each.
    waits = Counter()
    for mails, seconds in slept:
        assert seconds <= settings.CAMPAIGN_CLAIM_LEASE_SECONDS / 4
        waits[mails] += seconds
    assert waits == {3: 50, 6: 60}
    assert len(sink.mails) == 7


@pytest.mark.django_db
def test_the_throttle_counts_over_all_batches(monkeypatch):
    fake = {"now": 1_900_000_020.0}
    monkeypatch.setattr(sending, "clock", lambda: fake["now"])
    monkeypatch.setattr(sending, "sleep", lambda seconds: fake.update(now=fake["now"] + seconds))
    first, second = sending.Throttle(25), sending.Throttle(25)
    minutes = Counter()
    for _mail in range(30):
        for throttle in (first, second):
            throttle.take()
            minutes[int(fake["now"] // 60)] += 1

    assert max(minutes.values()) <= 25
    assert sum(minutes.values()) == 60


@pytest.mark.django_db
def test_progress_counts_each_state_in_one_query(
    sink, staff, no_chain, django_assert_num_queries, settings
):
    settings.CAMPAIGN_BATCH_SIZE = 4
    members = [promo_member(username=f"lid{n}") for n in range(6)]
    sink.refuse.add(members[0].email)
    campaign = started(make_campaign())
    services.unsubscribe(
        public_id=members[1].public_id, kinds=[MailKind.PROMOTIONS], source="one_click"
    )
    sending.send_batch(campaign_id=campaign.pk)

    with django_assert_num_queries(1):
        progress = sending.campaign_progress(campaign)

    # The unsubscribe skipped its queued row at once: the batch took the four others.
    assert progress == {
        "queued": 1,
        "claimed": 0,
        "sent": 3,
        "failed": 1,
        "skipped": 1,
        "total": 6,
    }


# -- the beat job and staff actions ------------------------------------------------------------


@pytest.mark.django_db
def test_the_beat_job_starts_only_due_campaigns_and_marks_them_finished(
    sink, staff, django_capture_on_commit_callbacks
):
    member = promo_member(username="wil")
    due = make_campaign(name="nu")
    later = make_campaign(name="morgen", send_at=timezone.now() + timedelta(days=1))
    draft = make_campaign(name="concept", send_at=timezone.now() - timedelta(days=1))
    for campaign in (due, later):
        sending.schedule_campaign(campaign=campaign, staff=staff)

    with django_capture_on_commit_callbacks(execute=True):
        summary = sending.run_campaigns()
    assert summary["started"] == 1
    summary = sending.run_campaigns()

    assert summary["finished"] == 1
    for campaign in (due, later, draft):
        campaign.refresh_from_db()
    assert (due.status, later.status, draft.status) == (
        Campaign.Status.FINISHED,
        Campaign.Status.SCHEDULED,
        Campaign.Status.DRAFT,
    )
    assert due.started_at <= due.finished_at
    assert delivered_to(sink) == Counter({member.email: 1})
    assert not Delivery.objects.filter(campaign__in=[later, draft]).exists()


@pytest.mark.django_db
def test_a_campaign_needs_both_languages_before_it_can_be_scheduled(staff):
    promo_member(username="wil")
    campaign = make_campaign(subject_en="", body_nl="<p> </p>")
    with pytest.raises(CampaignError):
        sending.schedule_campaign(campaign=campaign, staff=staff)
    campaign.refresh_from_db()
    assert campaign.status == Campaign.Status.DRAFT

    campaign.subject_en, campaign.body_nl = "Spring", "<p>Lente</p>"
    campaign.save()
    sending.schedule_campaign(campaign=campaign, staff=staff)
    assert campaign.status == Campaign.Status.SCHEDULED
    assert campaign.send_at is not None


@pytest.mark.django_db
def test_the_console_and_provider_backends_send_through_one_connection(staff, settings, mailoutbox):
    """Any backend but SMTP (anymail's in production, the console in `make run`)."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    members = [promo_member(username=f"lid{n}") for n in range(3)]
    campaign = started(make_campaign())

    run_all(campaign)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(member.email for member in members)
    assert all(m.extra_headers["List-Unsubscribe-Post"] for m in mailoutbox)
    assert statuses(campaign) == {"sent": 3}
    assert all(
        re.fullmatch(r"<[0-9a-f]{32}@[^>]+>", d.message_id)
        for d in Delivery.objects.filter(campaign=campaign)
    )


# -- the lease: a dead batch's rows come back within a minute, a live batch keeps its own ------


@pytest.mark.django_db
def test_a_dead_batchs_rows_go_back_after_the_lease_and_restart_within_a_minute(settings, no_chain):
    """A worker killed mid-batch: its claimed rows return to the queue once the lease (40 s)
    has run out and the same beat run (every 15 s) starts the batches again: under 60 s."""
    lease = settings.CAMPAIGN_CLAIM_LEASE_SECONDS
    assert lease + settings.CELERY_BEAT_SCHEDULE["campaigns"]["schedule"] < 60
    for n in range(3):
        promo_member(username=f"lid{n}")
    campaign = started(make_campaign())
    claimed_at = timezone.now()
    assert len(sending._claim_rows(campaign.pk, "dead-batch", 10, claimed_at)) == 3
    no_chain.clear()

    early = sending.run_campaigns(now=claimed_at + timedelta(seconds=lease - 1))
    assert (early["released"], early["restarted"]) == (0, 0)
    assert statuses(campaign) == {"claimed": 3}

    late = sending.run_campaigns(now=claimed_at + timedelta(seconds=lease + 1))
    assert (late["released"], late["restarted"]) == (3, 1)
    assert statuses(campaign) == {"queued": 3}
    assert no_chain == [settings.CAMPAIGN_PARALLEL_BATCHES]


@pytest.mark.django_db
def test_a_live_batch_renews_its_claim_over_smtp_and_keeps_its_rows(
    sink, settings, monkeypatch, no_chain
):
    """A slow mail server: the batch has been at it longer than the lease, but it renews its
    claim every quarter of the lease, so the beat job gives none of its rows away and every
    mail goes out once, from this batch."""
    members = [promo_member(username=f"lid{n}") for n in range(5)]
    campaign = started(make_campaign())
    fake = {"now": 0.0}
    monkeypatch.setattr(sending, "renewal_clock", lambda: fake["now"])
    build = sending.Batch._message
    built, beat_runs = [], []

    def message(self, job):
        built.append(job)
        if len(built) == 2:
            # Longer than the lease since the rows were claimed or last renewed ...
            Delivery.objects.filter(claim=self.claim).update(
                claimed_at=timezone.now()
                - timedelta(seconds=settings.CAMPAIGN_CLAIM_LEASE_SECONDS + 5)
            )
            # ... and a renewal interval on the batch's clock.
            fake["now"] += sending.claim_renewal_seconds()
        if len(built) == 3:
            beat_runs.append(sending.run_campaigns())
        return build(self, job)

    monkeypatch.setattr(sending.Batch, "_message", message)

    assert sending.send_batch(campaign_id=campaign.pk) == 5

    assert beat_runs[0]["released"] == 0
    assert statuses(campaign) == {"sent": 5}
    assert Counter(rcpt for m in sink.mails for rcpt in m.to) == Counter(
        {m.email: 1 for m in members}
    )
