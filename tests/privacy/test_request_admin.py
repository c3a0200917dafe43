"""Privacy requests in admin (R7.5, R7.6, R9.2; issue 7): the Helpdesk lists requests with the
days left, overdue ones in words, filters and searches them, reads the exchange and the
attachments, and takes each action through privacy.request_actions: reply, note, extend,
refuse, complete, record a rectification, restrict, build an export whose link works for that
one export only and expires, close and erase the account. Export and erasure are refused for
an unverified requester. Moderators and Finance cannot see requests at all."""

import re
import time
import zipfile
from datetime import timedelta
from io import BytesIO
from urllib.parse import urlsplit

import pytest
from django.contrib.messages import get_messages
from django.core import mail, signing
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from members.models import Member, OutgoingMail
from privacy import exports
from privacy import request_actions as actions
from privacy.models import (
    DataExport,
    PrivacyRequest,
    ProcessingLimit,
    ProcessingLimitRecord,
    RequestMessage,
)
from privacy.requests import verification_token, verify_request
from tests.factories import MemberFactory, staff_member

from .request_helpers import (
    REQUESTS,
    change_url,
    helpdesk_worker,
    make_request,
    pdf_upload,
    use_request_storage,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path, monkeypatch):
    """Attachments and exports in a temporary private storage."""
    return use_request_storage(tmp_path, settings, monkeypatch)


EXPORT_LINK = re.compile(r"https?://[^\s]+/privacy/help/export/[^\s/]+/")


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def alice(member):
    member.language = Member.Language.ENGLISH
    member.save(update_fields=["language"])
    return member


@pytest.fixture
def helpdesk(client):
    worker = helpdesk_worker(username="hanna")
    client.force_login(worker)
    return worker


def notices(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def mails_to(address):
    return [message for message in mail.outbox if message.to == [address]]


def ago(days, now=None):
    return (now or timezone.now()) - timedelta(days=days)


# -- the list --------------------------------------------------------------------------------


def test_helpdesk_lists_requests_with_days_left_and_overdue_in_words(client, helpdesk):
    """Issue 7: the list shows reference, type, status, dates, days left and verified; an
    overdue request says "Overdue by N days" (not colour alone) and open ones come first,
    the earliest due at the top."""
    overdue = make_request(received_at=ago(40))
    soon = make_request(received_at=ago(26), type="erasure")
    fresh = make_request()
    done = make_request(received_at=ago(60), status="done", closed_at=ago(50))

    response = client.get(REQUESTS)

    assert response.status_code == 200
    page = response.content.decode()
    listed = [row.pk for row in response.context["cl"].result_list]
    assert listed == [overdue.pk, soon.pk, fresh.pk, done.pk]
    left = actions.days_left(overdue)
    assert left < 0
    assert f"Overdue by {-left} days" in page
    assert 'class="request-deadline overdue"' in page
    assert f"{actions.days_left(soon)} days left" in page
    assert "request-deadline due-soon" in page
    assert overdue.reference in page and "Erasure of my data" in page
    assert "Add privacy request" not in page
    assert "visitor@example.net" not in page  # the address is searchable, not listed


def test_deadline_filter_shows_overdue_and_due_within_seven_days(client, helpdesk):
    """Issue 7: the list filters on overdue, due within 7 days and not overdue, and on status
    and type."""
    overdue = make_request(received_at=ago(35))
    soon = make_request(received_at=ago(27))
    later = make_request(type="question")
    make_request(received_at=ago(60), status="refused", closed_at=ago(55))

    def listed(**params):
        response = client.get(REQUESTS, params)
        assert response.status_code == 200
        return {row.pk for row in response.context["cl"].result_list}

    assert listed(deadline="overdue") == {overdue.pk}
    assert listed(deadline="soon") == {soon.pk}
    assert listed(deadline="on_time") == {soon.pk, later.pk}
    assert listed(type__exact="question") == {later.pk}
    assert listed(status__exact="new") == {overdue.pk, soon.pk, later.pk}


def test_search_by_reference_and_requester_email(client, helpdesk):
    """Issue 7: staff find a request by its reference or by the requester's address."""
    wanted = make_request(email="zoek.mij@example.net")
    other = make_request()

    by_reference = client.get(REQUESTS, {"q": wanted.reference})
    by_email = client.get(REQUESTS, {"q": "zoek.mij@example"})

    assert [row.pk for row in by_reference.context["cl"].result_list] == [wanted.pk]
    assert [row.pk for row in by_email.context["cl"].result_list] == [wanted.pk]
    assert other.pk not in [row.pk for row in by_email.context["cl"].result_list]


# -- the request page ------------------------------------------------------------------------


def test_request_page_shows_the_exchange_and_downloads_attachments(
    client, helpdesk, private_storage
):
    """R7.6: the page shows what the requester wrote and the attachments; an attachment is
    downloaded through a staff-only view, as an attachment, never cached."""
    privacy_request = make_request(attachments=[pdf_upload("paspoort.pdf")])
    attachment = privacy_request.attachments.get()

    response = client.get(change_url(privacy_request))

    assert response.status_code == 200
    page = response.content.decode()
    assert privacy_request.reference in page
    assert "ik heb migraine" in page  # the requester's own message, in the exchange
    assert "paspoort.pdf" in page
    download_url = f"{REQUESTS}{privacy_request.pk}/attachments/{attachment.pk}/"
    assert download_url in page
    download = client.get(download_url)
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment")
    assert "paspoort.pdf" in download["Content-Disposition"]
    assert "no-store" in download["Cache-Control"]
    assert download["X-Content-Type-Options"] == "nosniff"
    assert b"".join(download.streaming_content).startswith(b"%PDF-")
    assert client.get(f"{REQUESTS}{privacy_request.pk}/attachments/999999/").status_code == 404


@pytest.mark.parametrize("role", ["Moderators", "Finance"])
def test_moderators_and_finance_cannot_see_privacy_requests(client, role, private_storage):
    """R9.2: Moderators and Finance get 403 on the list, a request's page, its attachment and
    its actions; nothing changes."""
    privacy_request = make_request(attachments=[pdf_upload()])
    attachment = privacy_request.attachments.get()
    client.force_login(staff_member(role))

    assert client.get(REQUESTS).status_code == 403
    assert client.get(change_url(privacy_request)).status_code == 403
    url = f"{REQUESTS}{privacy_request.pk}/attachments/{attachment.pk}/"
    assert client.get(url).status_code == 403
    response = client.post(change_url(privacy_request), {"action": "refuse", "refuse-reason": "x"})
    assert response.status_code == 403
    privacy_request.refresh_from_db()
    assert privacy_request.status == PrivacyRequest.Status.NEW
    with pytest.raises(actions.PermissionDenied):
        actions.refuse(request=privacy_request, reason="x", staff=staff_member(role))


def test_nobody_adds_or_deletes_requests_in_admin(client, helpdesk):
    """Requests come from the contact form only, and are erased by their retention."""
    privacy_request = make_request()

    assert client.get(f"{REQUESTS}add/").status_code == 403
    assert client.get(f"{REQUESTS}{privacy_request.pk}/delete/").status_code == 403


def test_staff_who_may_only_view_cannot_act(client):
    """R9.2: acting needs `privacy.process_privacyrequest`; the view permission shows the
    page without any action."""
    from django.contrib.auth.models import Permission

    viewer = staff_member("Helpdesk")
    viewer.user_permissions.add(
        Permission.objects.get(content_type__app_label="privacy", codename="view_privacyrequest")
    )
    viewer.groups.clear()
    client.force_login(viewer)
    privacy_request = make_request()

    page = client.get(change_url(privacy_request))
    assert page.status_code == 200
    assert 'value="reply"' not in page.content.decode()
    response = client.post(change_url(privacy_request), {"action": "note", "note-text": "x"})
    assert response.status_code == 403
    assert not RequestMessage.objects.filter(direction=RequestMessage.Direction.NOTE).exists()


# -- actions ---------------------------------------------------------------------------------


def test_start_processing_puts_the_request_in_progress(client, helpdesk):
    privacy_request = make_request()

    response = client.post(change_url(privacy_request), {"action": "start"})

    assert response.status_code == 302
    privacy_request.refresh_from_db()
    assert privacy_request.status == PrivacyRequest.Status.IN_PROGRESS
    assert privacy_request.handled_by == helpdesk


def test_reply_is_mailed_in_the_requesters_language_and_kept(client, committing_client, helpdesk):
    """R7.6: staff answer by mail from admin; the reply is kept on the request."""
    privacy_request = make_request(language="en")
    mail.outbox.clear()

    response = committing_client.post(
        change_url(privacy_request),
        {"action": "reply", "reply-text": "Which account do you mean? Reply with its username."},
    )

    assert response.status_code == 302
    assert notices(response) == ["The reply is mailed to the requester."]
    [sent] = mails_to("visitor@example.net")
    assert privacy_request.reference in sent.subject
    assert "Which account do you mean?" in sent.body
    assert "To answer, reply to this mail" in sent.body
    assert sent.extra_headers.get("Reply-To") or sent.reply_to
    kept = privacy_request.messages.get(direction=RequestMessage.Direction.OUT)
    assert "Which account do you mean?" in kept.body
    assert kept.staff == helpdesk
    page = client.get(change_url(privacy_request)).content.decode()
    assert "Which account do you mean?" in page


def test_internal_note_is_kept_and_not_mailed(client, committing_client, helpdesk):
    privacy_request = make_request()
    mail.outbox.clear()

    committing_client.post(
        change_url(privacy_request), {"action": "note", "note-text": "Bellen na 14:00."}
    )

    note = privacy_request.messages.get(direction=RequestMessage.Direction.NOTE)
    assert note.body == "Bellen na 14:00."
    assert mail.outbox == []


def test_empty_reply_shows_the_form_error_and_changes_nothing(client, helpdesk):
    privacy_request = make_request()

    response = client.post(change_url(privacy_request), {"action": "reply", "reply-text": ""})

    assert response.status_code == 200
    assert response.context["forms"]["reply"].errors
    assert not privacy_request.messages.filter(direction=RequestMessage.Direction.OUT).exists()


def test_extension_mails_its_reason(client, committing_client, helpdesk):
    """GDPR Art. 12(3): an extension of one or two months, with its reason mailed."""
    privacy_request = make_request(received_at=ago(5))
    mail.outbox.clear()

    response = committing_client.post(
        change_url(privacy_request),
        {
            "action": "extend",
            "extend-months": "2",
            "extend-reason": "We need the payment provider's records.",
        },
    )

    assert response.status_code == 302
    privacy_request.refresh_from_db()
    assert privacy_request.status == PrivacyRequest.Status.EXTENDED
    assert privacy_request.extended_months == 2
    [sent] = mails_to("visitor@example.net")
    assert "We need the payment provider's records." in sent.body
    assert "by 2 months" in sent.body
    page = client.get(change_url(privacy_request)).content.decode()
    assert "cannot be extended further" in page


def test_refusal_mails_the_reason_and_the_right_to_complain(
    client, committing_client, helpdesk, settings
):
    """R7.7, GDPR Art. 12(4): a refusal gives the reason and names the Autoriteit
    Persoonsgegevens; the request is closed."""
    privacy_request = make_request()
    mail.outbox.clear()

    committing_client.post(
        change_url(privacy_request),
        {"action": "refuse", "refuse-reason": "We hold no data about this address."},
    )

    privacy_request.refresh_from_db()
    assert privacy_request.status == PrivacyRequest.Status.REFUSED
    assert privacy_request.refusal_reason == "We hold no data about this address."
    assert privacy_request.closed_at is not None
    [sent] = mails_to("visitor@example.net")
    assert "We hold no data about this address." in sent.body
    assert "Autoriteit Persoonsgegevens" in sent.body
    assert settings.AUTORITEIT_PERSOONSGEGEVENS_URL in sent.body


def test_complete_closes_the_request_and_tells_the_requester(client, committing_client, helpdesk):
    privacy_request = make_request()
    mail.outbox.clear()

    committing_client.post(
        change_url(privacy_request), {"action": "complete", "complete-note": "Answered by phone."}
    )

    privacy_request.refresh_from_db()
    assert privacy_request.status == PrivacyRequest.Status.DONE
    assert privacy_request.closed_at is not None
    [sent] = mails_to("visitor@example.net")
    assert "We have finished handling your request" in sent.body
    assert "Answered by phone." not in sent.body  # the note is internal
    assert privacy_request.messages.filter(body="Answered by phone.").exists()
    # A closed request takes no more actions but replies and notes.
    response = client.post(change_url(privacy_request), {"action": "start"})
    assert notices(response)[-1] == "This request is closed already."


def test_record_rectification(client, helpdesk, alice):
    privacy_request = make_request(email=alice.email, member=alice, type="rectification")

    client.post(
        change_url(privacy_request),
        {"action": "rectification", "rectification-what_changed": "Birth date 1990-05-31."},
    )

    privacy_request.refresh_from_db()
    assert privacy_request.status == PrivacyRequest.Status.IN_PROGRESS
    note = privacy_request.messages.get(direction=RequestMessage.Direction.NOTE)
    assert note.body == "Rectification: Birth date 1990-05-31."


def test_restrict_puts_the_restriction_in_force_for_a_verified_member(client, helpdesk, alice):
    """R7.4 via the helpdesk: privacy.services.set_processing_limit, with the request as the
    source."""
    privacy_request = make_request(email=alice.email, member=alice, type="restriction")

    response = client.post(change_url(privacy_request), {"action": "restrict"})

    assert notices(response) == ["Processing of the member's data is restricted."]
    alice.refresh_from_db()
    assert alice.processing_restricted is True
    record = ProcessingLimitRecord.objects.get(member=alice)
    assert record.kind == ProcessingLimit.RESTRICTION
    assert record.source == f"helpdesk request {privacy_request.reference}"


# -- the export ------------------------------------------------------------------------------


def _export_link(address) -> str:
    [sent] = [m for m in mails_to(address) if EXPORT_LINK.search(m.body)]
    return EXPORT_LINK.search(sent.body)[0]


def test_member_access_request_is_answered_with_an_export_link(
    client, committing_client, helpdesk, alice, private_storage
):
    """Issue 7 done-when: a member's access request is answered with an export link from
    admin. The link works without a session, streams that export, and the member's own
    24-hour limit does not stop staff."""
    exports.request_export(member=alice)  # alice asked for one herself an hour ago
    privacy_request = make_request(email=alice.email, member=alice, type="access")
    mail.outbox.clear()

    response = committing_client.post(change_url(privacy_request), {"action": "export"})

    assert response.status_code == 302
    privacy_request.refresh_from_db()
    export = privacy_request.data_export
    assert export.member == alice
    assert export.status == DataExport.Status.READY
    link = _export_link(alice.email)
    token = link.rstrip("/").rsplit("/", 1)[1]
    # The link is mailed, not kept: staff see that it was sent.
    kept = privacy_request.messages.get(direction=RequestMessage.Direction.OUT)
    assert token not in kept.body and "[the download link]" in kept.body
    assert not OutgoingMail.objects.filter(kind="data_export_ready").exists()

    anonymous = Client()
    download = anonymous.get(urlsplit(link).path)

    assert download.status_code == 200
    assert download["Content-Type"] == "application/zip"
    assert download["Content-Disposition"].startswith("attachment")
    assert "no-store" in download["Cache-Control"]
    archive = zipfile.ZipFile(BytesIO(b"".join(download.streaming_content)))
    assert "data/members.json" in archive.namelist()
    export.refresh_from_db()
    assert export.downloaded_at is not None


def test_export_link_names_one_export_and_expires(client, helpdesk, alice, private_storage):
    """The token names one export kept on one request: another export, a forged token, an
    expired export or a link older than DATA_EXPORT_DAYS do not download anything."""
    privacy_request = make_request(email=alice.email, member=alice, type="export")
    bob = MemberFactory(username="bob")
    actions.send_export(request=privacy_request, staff=helpdesk)
    exports.build_export(export_id=privacy_request.data_export_id)
    bobs_export = exports.request_export(member=bob)
    exports.build_export(export_id=bobs_export.pk)
    privacy_request.refresh_from_db()
    export = privacy_request.data_export
    anonymous = Client()
    url = lambda token: reverse("privacy:request_export", args=[token])  # noqa: E731

    good = actions.export_token(privacy_request, export)
    assert anonymous.get(url(good)).status_code == 200
    # Bob's export under Alice's request: signed by us, but not that request's export.
    assert anonymous.get(url(actions.export_token(privacy_request, bobs_export))).status_code == 404
    assert anonymous.get(url(good[:-2] + "xx")).status_code == 404

    class EightDaysAgo(signing.TimestampSigner):
        def timestamp(self):
            return signing.b62_encode(int(time.time()) - 8 * 24 * 3600)

    old = EightDaysAgo(salt=actions.EXPORT_LINK_SALT).sign_object(
        {"r": privacy_request.pk, "e": export.public_id}
    )
    expired_link = anonymous.get(url(old), HTTP_COOKIE="django_language=en")
    assert expired_link.status_code == 410
    assert "This download link has expired" in expired_link.content.decode()

    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now())
    assert anonymous.get(url(good)).status_code == 410


# -- identity ---------------------------------------------------------------------------------


def test_export_and_erasure_are_refused_for_an_unverified_requester(
    client, committing_client, helpdesk, alice, private_storage
):
    """Issue 7: staff cannot run an export or erasure for an unverified requester: the page
    says why and disables the buttons, and the services refuse a forged post too."""
    privacy_request = make_request(email=alice.email, type="erasure")  # from the form
    assert privacy_request.status == PrivacyRequest.Status.IDENTITY_CHECK
    assert privacy_request.verified_at is None

    page = client.get(change_url(privacy_request)).content.decode()
    assert 'id="unverified-reason"' in page
    assert "has not followed the link" in page
    assert re.search(r'value="export"[^>]*disabled', page)
    assert re.search(r'value="erase"[^>]*disabled', page)

    for data in (
        {"action": "export"},
        {"action": "restrict"},
        {"action": "erase", "erase-when": "now", "erase-confirm": "on"},
    ):
        response = committing_client.post(change_url(privacy_request), data)
        assert response.status_code == 302
        assert "The requester's identity is not verified" in notices(response)[0]
    alice.refresh_from_db()
    assert alice.status == Member.Status.ACTIVE
    assert not alice.processing_restricted
    assert not DataExport.objects.exists()
    with pytest.raises(actions.IdentityNotVerified):
        actions.close_and_erase(request=privacy_request, staff=helpdesk, immediately=True)
    with pytest.raises(actions.IdentityNotVerified):
        actions.send_export(request=privacy_request, staff=helpdesk)


def test_a_non_member_request_has_no_account_to_export_or_erase(client, helpdesk):
    privacy_request = make_request(email="nobody@example.net", type="erasure")
    PrivacyRequest.objects.filter(pk=privacy_request.pk).update(verified_at=timezone.now())
    privacy_request.refresh_from_db()

    with pytest.raises(actions.IdentityNotVerified, match="not matched to a member"):
        actions.send_export(request=privacy_request, staff=helpdesk)


def test_erasure_request_from_the_form_is_completed_after_verification(
    client, committing_client, helpdesk, alice, private_storage
):
    """Issue 7 done-when: someone asks for erasure through the form, confirms by the mailed
    link, and the helpdesk closes and erases the account, then completes the request before
    its due date; the request stays (detached) as proof until its own retention."""
    privacy_request = make_request(email=alice.email, type="erasure")
    verify_request(verification_token(privacy_request, member=alice))
    mail.outbox.clear()

    response = committing_client.post(
        change_url(privacy_request), {"action": "erase", "erase-when": "now", "erase-confirm": "on"}
    )

    assert notices(response) == ["The account is closed."]
    assert not Member.objects.filter(pk=alice.pk).exists()
    assert any("closed" in m.subject.lower() for m in mail.outbox)
    privacy_request.refresh_from_db()
    assert privacy_request.member is None
    assert privacy_request.is_open

    committing_client.post(change_url(privacy_request), {"action": "complete"})

    privacy_request.refresh_from_db()
    assert privacy_request.status == PrivacyRequest.Status.DONE
    assert privacy_request.closed_at < privacy_request.due_at
    assert mails_to("alice@example.org")[-1].subject.endswith("has been handled")


def test_erasure_after_the_retention_period_closes_the_account(
    client, committing_client, helpdesk, alice
):
    privacy_request = make_request(email=alice.email, member=alice, type="erasure")

    unconfirmed = client.post(
        change_url(privacy_request), {"action": "erase", "erase-when": "later"}
    )
    assert unconfirmed.status_code == 200  # the confirmation box is required
    alice.refresh_from_db()
    assert alice.status == Member.Status.ACTIVE

    committing_client.post(
        change_url(privacy_request),
        {"action": "erase", "erase-when": "later", "erase-confirm": "on"},
    )

    alice.refresh_from_db()
    assert alice.status == Member.Status.CLOSED
    assert alice.erasure_due_at > timezone.now()
