"""Who sent a helpdesk request (issue 7, GDPR Art. 12(6)): a logged-in member is verified at
once; a request from the form for a member's address waits until the link mailed to the
member's registered address is confirmed (GET shows a button, POST confirms); a non-member's
question needs no identity. Deadlines come from one function, month-aware in Amsterdam time.
The requests are personal data themselves: exported, and reduced when the account is erased."""

import re
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from allauth.account.models import EmailAddress
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone

from privacy import registry, requests
from privacy.models import PrivacyRequest, RequestAttachment, RequestMessage
from tests.factories import MemberFactory
from tests.profiles.images import png_bytes, stored_files, upload

from .helpdesk_helpers import (  # noqa: F401 - fixtures
    DESCRIPTION,
    _attachment_storage,
    _contact_rate_limits,
    mails_to,
    send,
)

pytestmark = pytest.mark.django_db

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
VERIFY_LINK = re.compile(r"https?://[^\s]+(/privacy/help/verify/[^\s/]+/)")


def amsterdam(*args) -> datetime:
    return datetime(*args, tzinfo=AMSTERDAM)


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


@pytest.fixture
def alice(member):
    """alice@example.org is her primary address; she also confirmed a work address."""
    EmailAddress.objects.create(user=member, email="alice.work@example.org", verified=True)
    return member


def verification_path(address: str) -> str:
    [message] = [m for m in mails_to(address) if "Confirm your request" in m.subject]
    return VERIFY_LINK.search(message.body).group(1)


# -- who is it? --------------------------------------------------------------------------------


def test_a_question_from_someone_without_an_account_stays_new(english, committing_client):
    """No member has the address: nothing to verify, staff see no matching member."""
    send(committing_client, email="stranger@example.net", type="question")

    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.status == PrivacyRequest.Status.NEW
    assert privacy_request.member is None and privacy_request.verified_at is None
    assert privacy_request.verification_sent_at is None
    assert requests.member_for_email("stranger@example.net") is None
    assert [m.to for m in mail.outbox] == [["stranger@example.net"]]  # the confirmation only


def test_a_request_for_a_members_address_is_verified_by_the_registered_address(
    english, alice, committing_client
):
    """Typed in other capitals, the work address matches alice: the request waits in the
    identity check and the link goes to her primary registered address, not the typed one."""
    send(committing_client, email="ALICE.Work@example.org", type="erasure")

    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.status == PrivacyRequest.Status.IDENTITY_CHECK
    assert privacy_request.member is None and privacy_request.verified_at is None
    assert privacy_request.verification_sent_at is not None
    [verification] = [m for m in mail.outbox if "Confirm your request" in m.subject]
    assert verification.to == ["alice@example.org"]
    assert privacy_request.reference in verification.body
    assert DESCRIPTION not in verification.body
    [confirmation] = mails_to("ALICE.Work@example.org")
    assert privacy_request.reference in confirmation.body


def test_the_sent_page_does_not_tell_whether_the_address_has_an_account(
    english, alice, committing_client
):
    """The same words for a member's address and a stranger's (no account enumeration)."""
    pages = []
    for address in ("alice@example.org", "stranger@example.net"):
        sent = send(committing_client, email=address)
        text = english.get(sent["Location"]).content.decode()
        text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)
        pages.append(re.sub(r"HD-[0-9A-Z]{6}", "HD-XXXXXX", text))
    assert pages[0] == pages[1]


def test_opening_the_link_does_not_verify_and_the_button_does(english, alice, committing_client):
    """Mail scanners open links: GET only shows the button. POST confirms, links the member
    and moves the request on; a second confirmation changes nothing."""
    send(committing_client, email="alice@example.org", type="erasure")
    path = verification_path("alice@example.org")

    page = english.get(path)
    assert page.status_code == 200
    assert 'id="verify-button"' in page.content.decode()
    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.verified_at is None and privacy_request.member is None

    response = english.post(path)
    assert response.status_code == 302 and response["Location"] == path
    privacy_request.refresh_from_db()
    assert privacy_request.member == alice
    assert privacy_request.verified_at is not None
    assert privacy_request.status == PrivacyRequest.Status.IN_PROGRESS
    confirmed = english.get(path).content.decode()
    assert 'id="request-verified"' in confirmed and 'id="verify-button"' not in confirmed

    verified_at = privacy_request.verified_at
    assert english.post(path).status_code == 302
    privacy_request.refresh_from_db()
    assert privacy_request.verified_at == verified_at


def test_an_expired_link_says_so_and_verifies_nothing(english, alice, committing_client):
    send(committing_client, email="alice@example.org")
    privacy_request = PrivacyRequest.objects.get()

    class SignedLongAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - (requests.VERIFY_DAYS + 1) * 86400)

    token = SignedLongAgo(salt=requests.VERIFY_SALT).sign_object(
        {"r": privacy_request.pk, "m": alice.pk}, compress=True
    )
    path = reverse("privacy:verify_request", args=[token])

    for response in (english.get(path), english.post(path)):
        assert response.status_code == 410
        assert "This link has expired" in response.content.decode()
    privacy_request.refresh_from_db()
    assert privacy_request.verified_at is None


def test_a_bad_or_tampered_link_says_so(english, alice, committing_client):
    send(committing_client, email="alice@example.org")
    privacy_request = PrivacyRequest.objects.get()
    good = requests.verification_token(privacy_request, member=alice)
    mallory = MemberFactory(username="mallory")
    forged = signing.dumps({"r": privacy_request.pk, "m": mallory.pk}, salt="another-salt")

    for token in ("not-a-token", good[:-2] + "xx", forged):
        response = english.post(reverse("privacy:verify_request", args=[token]))
        assert response.status_code == 400
        assert "This link is not valid" in response.content.decode()
    privacy_request.refresh_from_db()
    assert privacy_request.verified_at is None and privacy_request.member is None


def test_a_link_for_another_member_than_the_request_is_linked_to_is_refused(english, alice):
    """Once a request belongs to a member, a link naming someone else cannot take it over."""
    privacy_request = requests.create_request(
        email="alice@example.org",
        subject="Wissen",
        description="Wis alles",
        type="erasure",
        language="en",
        member=alice,
    )
    mallory = MemberFactory(username="mallory")
    token = requests.verification_token(privacy_request, member=mallory)

    assert english.post(reverse("privacy:verify_request", args=[token])).status_code == 400
    privacy_request.refresh_from_db()
    assert privacy_request.member == alice


def test_a_logged_in_member_is_verified_at_once_without_a_link(alice, client, committing_client):
    client.force_login(alice)

    send(committing_client, type="export")

    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.member == alice
    assert privacy_request.verified_at == privacy_request.received_at
    assert privacy_request.status == PrivacyRequest.Status.NEW  # waiting for the helpdesk
    assert [m.subject for m in mail.outbox if "Confirm your request" in m.subject] == []


# -- the deadline ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("received", "extended", "due"),
    [
        (amsterdam(2027, 3, 10, 9, 0), 0, amsterdam(2027, 4, 10, 9, 0)),
        # Month ends are clamped: 31 January -> 28 February, or 29 in a leap year.
        (amsterdam(2027, 1, 31, 14, 30), 0, amsterdam(2027, 2, 28, 14, 30)),
        (amsterdam(2028, 1, 31, 14, 30), 0, amsterdam(2028, 2, 29, 14, 30)),
        # Extensions count from receipt: 31 January + 2 and + 3 months.
        (amsterdam(2027, 1, 31, 14, 30), 1, amsterdam(2027, 3, 31, 14, 30)),
        (amsterdam(2027, 1, 31, 14, 30), 2, amsterdam(2027, 4, 30, 14, 30)),
        # Over the change to summer time the wall-clock time stays.
        (amsterdam(2027, 3, 15, 10, 0), 0, amsterdam(2027, 4, 15, 10, 0)),
        # Over the year's end.
        (amsterdam(2027, 12, 31, 8, 0), 2, amsterdam(2028, 3, 31, 8, 0)),
    ],
)
def test_the_answer_is_due_one_calendar_month_after_receipt_plus_extensions(
    received, extended, due
):
    """GDPR Art. 12(3): one month, extendable by at most two more."""
    assert requests.due_date(received_at=received, extended_months=extended) == due


def test_the_month_is_counted_in_amsterdam_not_in_utc():
    """31 January 23:30 UTC is already 1 February in Amsterdam: due 1 March, not 28 February."""
    received = datetime(2027, 1, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert requests.due_date(received_at=received) == amsterdam(2027, 3, 1, 0, 30)


def test_more_than_two_extra_months_is_refused():
    with pytest.raises(ValueError):
        requests.due_date(received_at=amsterdam(2027, 1, 1), extended_months=3)
    with pytest.raises(ValueError):
        requests.due_date(received_at=amsterdam(2027, 1, 1), extended_months=-1)


def test_a_request_received_on_31_january_is_due_on_the_last_day_of_february(english, monkeypatch):
    """With the clock stopped at 31 January 2028 (a leap year), the stored due date is
    29 February."""
    stopped = amsterdam(2028, 1, 31, 11, 15)
    monkeypatch.setattr(timezone, "now", lambda: stopped)

    send(english)

    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.received_at == stopped
    assert privacy_request.due_at == amsterdam(2028, 2, 29, 11, 15)


def test_references_are_short_readable_and_unique():
    references = {requests.new_reference() for _n in range(200)}
    assert len(references) == 200
    for reference in references:
        assert re.fullmatch(r"HD-[23456789ABCDEFGHJKMNPQRSTUVWXYZ]{6}", reference)


# -- the requests as personal data -------------------------------------------------------------


def linked_request(member, *, status=PrivacyRequest.Status.NEW, type="access", files=()):
    privacy_request = requests.create_request(
        email=member.email,
        subject=f"Over mijn gegevens ({type})",
        description=DESCRIPTION,
        type=type,
        attachments=files,
        language="nl",
        member=member,
    )
    if status != privacy_request.status:
        privacy_request.status = status
        privacy_request.closed_at = timezone.now()
        privacy_request.save(update_fields=["status", "closed_at"])
    return privacy_request


def test_the_members_requests_are_in_their_export(alice):
    privacy_request = linked_request(alice, files=[upload(png_bytes(), "scherm.png", "image/png")])
    RequestMessage.objects.create(
        request=privacy_request, direction=RequestMessage.Direction.OUT, body="Hier is het."
    )
    RequestMessage.objects.create(
        request=privacy_request, direction=RequestMessage.Direction.NOTE, body="Intern."
    )
    linked_request(MemberFactory(username="bob"))  # someone else's

    exported = registry.export_member(alice)

    [row] = exported["privacy.privacyrequest"]
    assert row["reference"] == privacy_request.reference
    assert row["type"] == "access" and row["status"] == "new"
    assert row["description"] == DESCRIPTION and row["email"] == "alice@example.org"
    assert [(m["direction"], m["text"]) for m in exported["privacy.requestmessage"]] == [
        ("in", DESCRIPTION),
        ("out", "Hier is het."),
    ]
    [attachment] = exported["privacy.requestattachment"]
    assert attachment["file_name"] == "scherm.png"
    files = list(registry.entry_for(RequestAttachment).handler.files(alice))
    assert [path for path, _file in files] == [attachment["file"]]


def test_erasing_a_member_keeps_closed_requests_as_bare_proof_and_open_ones_to_finish(
    alice, tmp_path
):
    """Closed: reference, type, status and dates stay, without the person (address replaced,
    texts cleared). Open (the erasure request being carried out): the address and text stay so
    staff can finish and answer it. All lose the member link; attachments are deleted."""
    staff = MemberFactory(username="helpdesk")
    closed = linked_request(
        alice,
        status=PrivacyRequest.Status.DONE,
        type="access",
        files=[upload(png_bytes(), "scherm.png", "image/png")],
    )
    RequestMessage.objects.create(
        request=closed, direction=RequestMessage.Direction.OUT, body="Uw gegevens.", staff=staff
    )
    open_erasure = linked_request(alice, type="erasure")
    handled = linked_request(MemberFactory(username="bob"))
    handled.handled_by = alice  # alice also worked at the helpdesk
    handled.save(update_fields=["handled_by"])
    assert len(stored_files(tmp_path / "private")) == 1

    for entry in registry.entries():
        if entry.model in {PrivacyRequest, RequestMessage, RequestAttachment}:
            entry.erase(alice)
            entry.erase(alice)  # idempotent

    closed.refresh_from_db()
    assert closed.member is None
    assert closed.requester_email == requests.ERASED_REQUESTER_EMAIL
    assert closed.subject == "" and closed.description == ""
    assert (closed.reference, closed.type, closed.status) == (closed.reference, "access", "done")
    assert set(closed.messages.values_list("body", flat=True)) == {""}
    assert closed.messages.get(direction="out").staff == staff
    assert not RequestAttachment.objects.exists()
    assert stored_files(tmp_path / "private") == []

    open_erasure.refresh_from_db()
    assert open_erasure.member is None
    assert open_erasure.requester_email == "alice@example.org"
    assert open_erasure.description == DESCRIPTION

    handled.refresh_from_db()
    assert handled.handled_by is None and handled.member is not None


def test_an_erased_members_open_request_loses_the_address_once_it_is_closed(alice):
    """The erasure request being carried out keeps the address until it is answered and
    closed; then the daily task reduces it like the others. A non-member's closed question
    (never verified) keeps its address until its retention ends."""
    erasure_request = linked_request(alice, type="erasure")
    stranger = requests.create_request(
        email="stranger@example.net",
        subject="Vraag",
        description="Een vraag",
        type="question",
        language="nl",
    )
    PrivacyRequest.objects.filter(pk=stranger.pk).update(status=PrivacyRequest.Status.DONE)
    registry.entry_for(PrivacyRequest).erase(alice)
    assert requests.forget_erased_requesters() == 0  # still open: staff must answer it

    PrivacyRequest.objects.filter(pk=erasure_request.pk).update(
        status=PrivacyRequest.Status.DONE, closed_at=timezone.now()
    )
    assert requests.forget_erased_requesters() == 1
    assert requests.forget_erased_requesters() == 0

    erasure_request.refresh_from_db()
    assert erasure_request.requester_email == requests.ERASED_REQUESTER_EMAIL
    assert erasure_request.description == "" and erasure_request.type == "erasure"
    assert set(erasure_request.messages.values_list("body", flat=True)) == {""}
    stranger.refresh_from_db()
    assert stranger.requester_email == "stranger@example.net"
