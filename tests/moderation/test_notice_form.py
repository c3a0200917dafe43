"""A visitor without an account (or a member) reports a profile or photo (DSA Art. 16): from
the item's report link or by pasting its link in the public form; name and e-mail address,
optional only for a suspected minor or a non-consensual image; a statement of good faith; a
receipt with a reference; limits per address and a honeypot against robots."""

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format

from moderation.models import Notice, Report, ReportedItem
from profiles.models import Photo, Profile

from .conftest import send
from .member_helpers import member_with_photo, notice_data, report_url, sent_url

pytestmark = pytest.mark.django_db

NOTICE_URL = "/report/"


@pytest.fixture
def bob_photo(db):
    return member_with_photo("bob")


def post(client, url, data, capture):
    with capture(execute=True):
        return client.post(url, data)


def test_a_visitor_reports_a_photo_from_its_report_link(
    client, bob_photo, django_capture_on_commit_callbacks
):
    """The form says which item it is about without showing it; the notice opens a case about
    the photo and the visitor gets a receipt with the reference."""
    bob, photo = bob_photo
    url = report_url(photo)

    page = client.get(url).content.decode()
    response = post(client, url, notice_data(), django_capture_on_commit_callbacks)

    assert "You are reporting a photo of bob." in page
    assert photo.public_id not in page and "fietsen" not in page
    assert 'value="scam"' in page and 'value="mass_sending"' not in page
    assert "Asks for money, or is not who they say they are." in page  # the category's hint
    assert 'id="id_name"' in page and 'id="id_email"' in page
    assert response.status_code == 302 and response.url == sent_url()
    notice = Notice.objects.get()
    assert (notice.reporter, notice.name, notice.email) == (None, "Vera Visser", "vera@example.org")
    assert notice.good_faith and notice.language == "en" and notice.reason == "scam"
    item = ReportedItem.objects.get()
    assert (item.object_id, item.report.reported_member) == (photo.pk, bob)
    sent = client.get(sent_url()).content.decode()
    assert notice.public_id in sent
    (receipt,) = [m for m in mail.outbox if m.to == ["vera@example.org"]]
    assert notice.public_id in receipt.subject and notice.public_id in receipt.body
    assert "Hello Vera Visser," in receipt.body
    assert "we received your report. Thank you for it." in receipt.body
    assert "Dit is mijn foto" not in receipt.body  # what they wrote is not repeated
    assert notice.public_id in receipt.alternatives[0][0]


def test_the_receipt_is_in_the_visitors_language(
    client, bob_photo, django_capture_on_commit_callbacks
):
    """A Dutch visitor's receipt is rendered in Dutch (dates in Dutch), an English one's in
    English."""
    _bob, photo = bob_photo
    client.cookies["django_language"] = "nl"

    post(client, report_url(photo), notice_data(), django_capture_on_commit_callbacks)

    notice = Notice.objects.get()
    assert notice.language == "nl"
    with translation.override("nl"):
        dutch_date = date_format(timezone.localtime(notice.created_at), "DATETIME_FORMAT")
    with translation.override("en"):
        english_date = date_format(timezone.localtime(notice.created_at), "DATETIME_FORMAT")
    (receipt,) = mail.outbox
    assert dutch_date in receipt.body and english_date not in receipt.body
    assert notice.public_id in receipt.subject


def test_a_visitor_reports_a_profile_by_pasting_its_link(
    client, bob_photo, django_capture_on_commit_callbacks
):
    """The public form ("Report illegal content", in the footer) takes the profile's link as
    the visitor copied it from the address bar."""
    bob, _photo = bob_photo
    link = settings.SITE_URL.rstrip("/") + reverse("profiles:profile", args=[bob.public_id])

    page = client.get(NOTICE_URL).content.decode()
    response = post(
        client,
        NOTICE_URL,
        notice_data(link=link, reason="illegal"),
        django_capture_on_commit_callbacks,
    )

    assert "Report illegal content" in page and 'id="id_link"' in page
    assert response.status_code == 302 and response.url == sent_url()
    report = Report.objects.get()
    assert report.reported_member == bob and report.reason == "illegal"
    assert ReportedItem.objects.get().object_id == Profile.objects.get(member=bob).pk
    assert len(mail.outbox) == 1


def test_a_pasted_photo_link_and_a_path_are_recognised_too(
    client, bob_photo, django_capture_on_commit_callbacks
):
    _bob, photo = bob_photo
    path = reverse("profiles:photo_file", args=[photo.public_id, "full"])

    response = post(client, NOTICE_URL, notice_data(link=path), django_capture_on_commit_callbacks)

    assert response.status_code == 302
    assert ReportedItem.objects.get().object_id == photo.pk


@pytest.mark.parametrize(
    "link", ["https://elders.example/members/abc/", "/terms/", "/members/bestaat-niet/", "hallo"]
)
def test_a_link_not_recognised_says_so_and_keeps_what_was_typed(client, bob_photo, link):
    response = client.post(NOTICE_URL, notice_data(link=link, explanation="Mijn eigen uitleg"))

    assert response.status_code == 200
    page = response.content.decode()
    assert "We do not recognise this link." in page
    assert "Mijn eigen uitleg" in page and "Vera Visser" in page and "vera@example.org" in page
    assert not Notice.objects.exists()


def test_the_public_form_is_linked_from_the_footer_terms_and_privacy_statement(client):
    for path in ("/", reverse("terms"), reverse("privacy:statement")):
        assert f'href="{NOTICE_URL}"' in client.get(path).content.decode(), path


def test_name_and_email_are_needed_for_most_categories(client, bob_photo):
    _bob, photo = bob_photo

    response = client.post(
        report_url(photo), notice_data(name="", email="", explanation="Nep profiel")
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert "Enter your name." in page and "Enter your e-mail address." in page
    assert "Nep profiel" in page
    assert not Notice.objects.exists()


@pytest.mark.parametrize("category", ["minor", "non_consensual"])
def test_a_suspected_minor_or_non_consensual_image_can_be_reported_anonymously(
    client, bob_photo, category, django_capture_on_commit_callbacks
):
    """DSA Art. 16(2)(c) and the issue: no name or address needed; no receipt can be sent, the
    page says so. A suspected minor hides the photo at once."""
    _bob, photo = bob_photo

    response = post(
        client,
        report_url(photo),
        notice_data(reason=category, name="", email=""),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302
    notice = Notice.objects.get()
    assert (notice.name, notice.email, notice.reason) == ("", "", category)
    assert mail.outbox == []
    assert "we cannot send you a receipt" in client.get(sent_url()).content.decode()
    photo.refresh_from_db()
    assert (photo.hidden_at is not None) == (category == "minor")


def test_good_faith_must_be_declared(client, bob_photo):
    _bob, photo = bob_photo

    response = client.post(report_url(photo), notice_data(good_faith=None))

    page = response.content.decode()
    assert "Confirm that you report in good faith" in page
    assert "Dit is mijn foto, niet de hare." in page
    assert not Notice.objects.exists()


def test_a_visitor_must_explain(client, bob_photo):
    _bob, photo = bob_photo

    response = client.post(report_url(photo), notice_data(explanation=""))

    assert "Explain why you think this content is illegal or against the rules." in (
        response.content.decode()
    )
    assert not Notice.objects.exists()


@pytest.mark.rate_limits
def test_visitors_are_limited_per_address(client, bob_photo, settings):
    """NOTICES_PER_DAY_PER_ADDRESS notices a day from one IP address; another address may."""
    settings.NOTICES_PER_DAY_PER_ADDRESS = 2
    _bob, photo = bob_photo
    carol, carols_photo = member_with_photo("carol")
    dave, daves_photo = member_with_photo("dave")
    for item in (photo, carols_photo):
        assert client.post(report_url(item), notice_data()).status_code == 302

    refused = client.post(report_url(daves_photo), notice_data(explanation="Nummer drie"))
    elsewhere = client.post(report_url(daves_photo), notice_data(), REMOTE_ADDR="198.51.100.7")

    assert refused.status_code == 429
    page = refused.content.decode()
    assert "You have sent many reports today." in page and "Nummer drie" in page
    assert elsewhere.status_code == 302
    assert Notice.objects.count() == 3


def test_a_filled_honeypot_gets_a_pretended_receipt_and_nothing_is_stored(
    client, bob_photo, django_capture_on_commit_callbacks
):
    _bob, photo = bob_photo

    response = post(
        client,
        report_url(photo),
        notice_data(website="http://spam.example"),
        django_capture_on_commit_callbacks,
    )

    assert response.status_code == 302 and response.url == sent_url()
    assert not Notice.objects.exists() and not Report.objects.exists()
    assert mail.outbox == []


def test_the_honeypot_is_hidden_from_people(client, bob_photo):
    _bob, photo = bob_photo

    page = client.get(report_url(photo)).content.decode()

    assert '<div class="visually-hidden">' in page and 'tabindex="-1"' in page


def test_a_broken_report_link_says_what_to_do(client):
    response = client.get("/report/niet-geldig/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "This report link does not work" in page and f'href="{NOTICE_URL}"' in page


def test_a_message_is_named_without_its_content_or_sender(client, alice, bob):
    message = send(bob, alice, "Geheim bericht")

    page = client.get(report_url(message)).content.decode()

    assert "You are reporting a message." in page
    assert "Geheim bericht" not in page and "bob" not in page


def test_the_sent_page_without_a_notice_goes_to_the_form(client):
    response = client.get(sent_url())

    assert response.status_code == 302 and response.url == NOTICE_URL


def test_a_removed_photo_cannot_be_reported_by_link_but_the_page_helps(client, bob_photo):
    _bob, photo = bob_photo
    url = report_url(photo)
    Photo.objects.filter(pk=photo.pk).delete()

    response = client.get(url)

    assert response.status_code == 404
    assert "This report link does not work" in response.content.decode()
