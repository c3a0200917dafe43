"""The helpdesk contact form (issue 7; R7.5, R7.6, R7.7, R9.4): anyone, logged in or not, sends
a question or privacy request with optional attachments checked by content, gets a reference
by mail, and the page names the data protection officer and the Autoriteit Persoonsgegevens.
Spam protection: a honeypot and rate limits per IP address and per e-mail address."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from privacy.models import PrivacyRequest, RequestAttachment, RequestMessage
from privacy.requests import due_date
from tests.profiles.images import jpeg_bytes, png_bytes, stored_files

from .helpdesk_helpers import (  # noqa: F401 - fixtures
    DESCRIPTION,
    _attachment_storage,
    _contact_rate_limits,
    mails_to,
    send,
)

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
REFERENCE = re.compile(r"HD-[2-9A-HJ-NP-Z]{6}")


@pytest.fixture
def english(client):
    client.cookies["django_language"] = "en"
    return client


def upload(content: bytes, name: str, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


# -- sending -----------------------------------------------------------------------------------


def test_a_logged_out_visitor_sends_a_request_and_gets_a_reference_by_mail(
    english, committing_client
):
    """R7.6: stored with a due date one month ahead, the description as the first message of
    the exchange, and a confirmation with the reference that does not repeat what was written
    (it may hold special-category data)."""
    response = send(committing_client)

    assert response.status_code == 302
    assert response["Location"] == reverse("privacy:contact_sent")
    privacy_request = PrivacyRequest.objects.get()
    assert REFERENCE.fullmatch(privacy_request.reference)
    assert privacy_request.type == "access"
    assert privacy_request.requester_email == "visitor@example.net"
    assert privacy_request.status == PrivacyRequest.Status.NEW
    assert privacy_request.language == "en"
    assert privacy_request.due_at == due_date(received_at=privacy_request.received_at)
    assert (
        timedelta(days=28)
        <= privacy_request.due_at - privacy_request.received_at
        <= timedelta(days=31)
    )
    assert list(privacy_request.messages.values_list("direction", "body")) == [
        (RequestMessage.Direction.IN, DESCRIPTION)
    ]

    [confirmation] = mails_to("visitor@example.net")
    assert privacy_request.reference in confirmation.subject
    assert privacy_request.reference in confirmation.body
    assert "gezondheid" not in confirmation.body and "Mijn gegevens" not in confirmation.body
    assert "Access to my data" in confirmation.body  # in the request's language

    # The reference is shown from the session, not from the URL.
    page = committing_client.get(response["Location"])
    assert page.status_code == 200
    assert privacy_request.reference in page.content.decode()
    assert "within one month" in page.content.decode()


def test_the_sent_page_without_a_request_in_the_session_leads_back_to_the_form(client):
    response = client.get(reverse("privacy:contact_sent"))
    assert response.status_code == 302
    assert response["Location"] == reverse("privacy:contact")


def test_the_confirmation_is_in_the_language_the_page_was_in(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        send(client, type="erasure")  # no language cookie: the site's Dutch

    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.language == "nl"
    [confirmation] = mail.outbox
    assert privacy_request.reference in confirmation.body
    assert "Access to my data" not in confirmation.body


def test_a_logged_in_member_writes_from_their_account_address(english, member, committing_client):
    """A member's answer goes to the account's address: the field is read-only and a posted
    address is ignored; the request is linked and verified at once."""
    english.force_login(member)
    page = english.get(reverse("privacy:contact")).content.decode()
    assert re.search(r'<input[^>]*name="email"[^>]*readonly', page)
    assert 'value="alice@example.org"' in page

    send(committing_client, email="someone-else@example.net")

    privacy_request = PrivacyRequest.objects.get()
    assert privacy_request.requester_email == "alice@example.org"
    assert privacy_request.member == member
    assert privacy_request.verified_at is not None
    assert [m.to for m in mail.outbox] == [["alice@example.org"]]


def test_required_fields_are_asked_for_and_nothing_is_stored(english):
    response = send(english, email="not-an-address", subject="", description="")

    assert response.status_code == 400
    assert PrivacyRequest.objects.count() == 0
    text = response.content.decode()
    assert 'id="contact-errors"' in text
    assert 'aria-invalid="true"' in text
    assert "Enter a valid email address" in text


# -- the page ----------------------------------------------------------------------------------


def test_the_page_names_the_data_protection_officer_and_the_autoriteit_persoonsgegevens(
    english, settings
):
    """R7.7, R9.4: reachable without an account; the officer's name and a mailto link, and the
    complaint page of the Autoriteit Persoonsgegevens; what happens next and the answer time."""
    settings.DPO_NAME = "Mr. Jansen"
    settings.DPO_EMAIL = "fg@example.nl"

    response = english.get(reverse("privacy:contact"))

    assert response.status_code == 200
    text = response.content.decode()
    assert "Mr. Jansen" in text
    assert 'href="mailto:fg@example.nl"' in text
    assert f'href="{settings.AUTORITEIT_PERSOONSGEGEVENS_URL}"' in text
    assert "Autoriteit Persoonsgegevens" in text
    assert "within one month" in text
    # Every type of request can be chosen, as radio buttons in a fieldset with a legend.
    assert "<legend" in text
    for value in ("question", "access", "export", "rectification", "erasure", "restriction"):
        assert f'value="{value}"' in text
    assert 'value="objection"' in text and 'value="complaint"' in text


def test_the_form_is_linked_from_the_footer_the_dpo_page_and_the_privacy_centre(client, member):
    contact_url = reverse("privacy:contact")
    assert f'href="{contact_url}"' in client.get(reverse("home")).content.decode()
    assert f'href="{contact_url}"' in client.get(reverse("privacy:dpo")).content.decode()
    client.force_login(member)
    assert f'href="{contact_url}"' in client.get(reverse("privacy:centre")).content.decode()


# -- attachments -------------------------------------------------------------------------------


def test_a_real_png_is_stored_privately_under_a_random_name(english, tmp_path):
    send(english, files=[upload(png_bytes(), "schermafbeelding mijn profiel.png", "image/png")])

    [attachment] = RequestAttachment.objects.all()
    assert attachment.original_name == "schermafbeelding mijn profiel.png"
    assert attachment.content_type == "image/png"
    assert attachment.size_bytes == len(png_bytes())
    [stored] = stored_files(tmp_path / "private")
    assert stored.startswith("helpdesk/") and stored.endswith(".png")
    assert "profiel" not in stored and "schermafbeelding" not in stored
    assert (tmp_path / "private" / stored).read_bytes() == png_bytes()


def test_a_jpeg_named_pdf_is_accepted_as_the_image_it_is(english):
    """Judged by content, not by name: the type and the stored extension follow the bytes."""
    send(english, files=[upload(jpeg_bytes(), "scan.pdf", "application/pdf")])

    [attachment] = RequestAttachment.objects.all()
    assert attachment.content_type == "image/jpeg"
    assert attachment.file.name.endswith(".jpg")
    assert attachment.original_name == "scan.pdf"


def test_a_pdf_is_accepted_by_its_header(english):
    send(english, files=[upload(PDF, "brief.pdf", "application/pdf")])

    [attachment] = RequestAttachment.objects.all()
    assert attachment.content_type == "application/pdf"
    assert attachment.file.name.endswith(".pdf")


def test_html_named_pdf_is_refused_naming_the_file_and_keeping_the_text(english, tmp_path):
    response = send(
        english,
        files=[
            upload(png_bytes(), "goed.png", "image/png"),
            upload(HTML, "factuur.pdf", "application/pdf"),
        ],
        subject="Mijn factuur",
    )

    assert response.status_code == 400
    assert PrivacyRequest.objects.count() == 0
    assert stored_files(tmp_path / "private") == []
    text = response.content.decode()
    assert "“factuur.pdf” is not an image (JPEG, PNG, WebP or GIF) or a PDF file" in text
    assert "goed.png" not in text  # only the refused file has an error
    assert 'value="Mijn factuur"' in text
    assert DESCRIPTION in text
    assert 'id="choose-files-again"' in text
    assert "choose your attachments again" in text


def test_too_many_files_are_refused_with_the_text_kept(english, settings):
    files = [upload(png_bytes(), f"foto{n}.png", "image/png") for n in range(4)]

    response = send(english, files=files)

    assert response.status_code == 400
    assert PrivacyRequest.objects.count() == 0
    text = response.content.decode()
    assert "You chose 4 files; you can send at most 3." in text
    assert DESCRIPTION in text


def test_a_file_too_large_is_refused_naming_it(english, settings):
    settings.CONTACT_ATTACHMENT_MAX_BYTES = 1000

    response = send(english, files=[upload(jpeg_bytes(), "groot.jpg", "image/jpeg")])

    assert response.status_code == 413
    assert PrivacyRequest.objects.count() == 0
    text = response.content.decode()
    assert "“groot.jpg” is too large" in text
    assert "a file can be at most 1000\xa0bytes" in text
    assert DESCRIPTION in text


def test_an_uploaded_name_with_folders_is_kept_for_display_only(english):
    send(english, files=[upload(PDF, "../../etc/passwd.pdf", "application/pdf")])

    [attachment] = RequestAttachment.objects.all()
    assert attachment.original_name == "passwd.pdf"
    assert ".." not in attachment.file.name and "passwd" not in attachment.file.name


# -- spam --------------------------------------------------------------------------------------


def test_a_filled_honeypot_pretends_success_and_stores_nothing(english, committing_client):
    page = english.get(reverse("privacy:contact")).content.decode()
    assert "Leave this field empty" in page  # the label tells people what to do with it

    response = send(committing_client, website="https://spam.example")

    assert response.status_code == 302
    assert response["Location"] == reverse("privacy:contact_sent")
    assert REFERENCE.search(committing_client.get(response["Location"]).content.decode())
    assert PrivacyRequest.objects.count() == 0
    assert mail.outbox == []


@pytest.mark.rate_limits
def test_at_most_three_messages_an_hour_per_email_address(english):
    """Whatever IP address they come from: the fourth is refused with a clear message (429),
    the text kept, nothing stored."""
    for number in range(3):
        response = send(english, remote_addr=f"10.0.0.{number + 1}")
        assert response.status_code == 302

    response = send(english, remote_addr="10.0.0.9", subject="Nog een keer")

    assert response.status_code == 429
    text = response.content.decode()
    assert "You sent several messages in a short time" in text
    assert 'value="Nog een keer"' in text
    assert PrivacyRequest.objects.count() == 3
    # Another address is not affected.
    assert send(english, email="other@example.net", remote_addr="10.0.0.9").status_code == 302


@pytest.mark.rate_limits
def test_at_most_five_messages_an_hour_per_ip_address(english):
    for number in range(5):
        response = send(english, email=f"person{number}@example.net", remote_addr="10.1.1.1")
        assert response.status_code == 302

    response = send(english, email="person9@example.net", remote_addr="10.1.1.1")
    assert response.status_code == 429
    assert "You sent several messages in a short time" in response.content.decode()
    assert PrivacyRequest.objects.count() == 5
    # Someone else, elsewhere, can still write.
    assert send(english, email="person9@example.net", remote_addr="10.2.2.2").status_code == 302


@pytest.mark.rate_limits
def test_the_honeypot_counts_against_the_ip_address_too(english):
    for _attempt in range(5):
        send(english, website="spam", remote_addr="10.3.3.3")

    response = send(english, remote_addr="10.3.3.3")

    assert response.status_code == 429
    assert PrivacyRequest.objects.count() == 0


def test_the_rate_limits_are_switched_off_here_unless_a_test_asks(english, settings):
    assert settings.CONTACT_RATE_LIMITS is None
    for _attempt in range(6):
        assert send(english).status_code == 302
    assert PrivacyRequest.objects.filter(received_at__lte=timezone.now()).count() == 6


def test_an_image_attachment_is_stored_without_its_metadata(
    client, tmp_path, settings, monkeypatch
):
    """SECURITY.md: a phone photo's GPS position does not reach storage, staff or the export."""
    import io

    from PIL import Image

    from privacy.requests import create_request
    from tests.profiles.images import use_private_storage

    storage = use_private_storage(tmp_path, settings, monkeypatch)
    monkeypatch.setattr(RequestAttachment._meta.get_field("file"), "storage", storage)
    photo = Image.new("RGB", (40, 30), "red")
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {2: (52.0, 22.0, 0.0)}  # GPSInfo: latitude
    raw = io.BytesIO()
    photo.save(raw, "JPEG", exif=exif.tobytes())
    assert b"PhoneMaker" in raw.getvalue()
    upload = SimpleUploadedFile("foto.jpg", raw.getvalue(), content_type="image/jpeg")

    request = create_request(
        email="iemand@example.org",
        subject="Foto",
        description="Zie bijlage",
        type="question",
        attachments=[upload],
        language="nl",
    )

    stored = request.attachments.get()
    data = stored.file.read()
    assert b"PhoneMaker" not in data and b"Exif" not in data
    with Image.open(io.BytesIO(data)) as image:
        assert image.format == "JPEG" and image.size == (40, 30)
    assert stored.size_bytes == len(data)


@pytest.mark.rate_limits
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_messages_store_exactly_three_per_address():
    """The windows are taken before the request is stored (members.quotas): 50 posts from one
    e-mail address at the same moment, from 50 IP addresses, store 3, not 4."""
    from tests.concurrency import post_at_once

    from .helpdesk_helpers import form_data

    statuses = post_at_once(
        50,
        lambda n: (reverse("privacy:contact"), form_data(), {"REMOTE_ADDR": f"10.9.0.{n + 1}"}),
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert PrivacyRequest.objects.count() == 3
    assert statuses.count(302) == 3
    assert statuses.count(429) == 47


@pytest.mark.rate_limits
def test_fifty_concurrent_quota_checks_let_exactly_three_through():
    """The same race without the rest of the request around it (which staggers the threads):
    50 checks at the same moment for one address, three pass."""
    import threading

    from privacy.helpdesk_views import _consume_quota

    barrier = threading.Barrier(50)
    passed = []

    def one(number):
        barrier.wait(timeout=30)
        passed.append(_consume_quota(ip=f"10.8.0.{number}", email="visitor@example.net"))

    threads = [threading.Thread(target=one, args=(n,)) for n in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert passed.count(True) == 3
