"""The data export in a real browser (issue 6, R7.4): a member asks for it, the page shows it
ready without a reload, the ZIP downloads with their session and opens with their messages,
index and photos; the export pages pass axe's WCAG 2.2 A/AA rules in nl and en."""

import json
import zipfile

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.profiles.images import jpeg_bytes, upload, use_private_storage

from .conftest import LANGUAGES, log_in, make_member
from .test_accessibility import assert_language, axe_report

pytestmark = pytest.mark.e2e

SENT = "Zin in een wandeling langs de Amstel?"
RECEIVED = "Ja, zondag om twee uur bij de Magere Brug."


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    from privacy.models import DataExport

    storage = use_private_storage(tmp_path / "private", settings, monkeypatch)
    monkeypatch.setattr(DataExport._meta.get_field("file"), "storage", storage)
    settings.MESSAGE_RATE_LIMITS = []
    return storage


def member_with_history(username="sanne"):
    from messaging.services import send_message
    from payments.services import adjust_credits
    from profiles.photos import add_photo

    sanne = make_member(username=username, email=f"{username}@example.org")
    daan = make_member(username=f"daan_{username}", email=f"daan_{username}@example.org")
    staff = make_member(username=f"staff_{username}", email=f"staff_{username}@example.org")
    for member in (sanne, daan):
        adjust_credits(member=member, credits=10, reason="test credits", staff=staff)
    photo = add_photo(member=sanne, upload=upload(jpeg_bytes()))
    send_message(sender=sanne, receiver=daan, text=SENT)
    send_message(sender=daan, receiver=sanne, text=RECEIVED)
    return sanne, photo


def test_a_member_asks_for_the_export_downloads_and_opens_it(context_factory, tmp_path):
    """R7.4: one click prepares it (the Celery task runs on commit, eager in tests), the
    download button appears, and the ZIP holds the JSON, the readable index and the photo."""
    sanne, photo = member_with_history()
    page = context_factory(language="en").new_page()
    log_in(page, "sanne")
    page.goto(reverse("privacy:exports"))
    expect(page.locator("#export-none")).to_be_visible()

    with page.expect_navigation():
        page.get_by_role("button", name="Prepare my export").click()

    expect(page.locator(".messages")).to_contain_text("We are preparing your export")
    download_link = page.locator("a.export-download")
    expect(download_link).to_be_visible()
    expect(page.locator("#export-next")).to_contain_text("you can ask for a new one.")
    with page.expect_download() as info:
        download_link.click()
    path = tmp_path / "export.zip"
    info.value.save_as(path)

    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        assert {"index.html", "README.txt", "schema.json", "data/messaging.json"} <= names
        assert f"photos/{photo.public_id}.jpg" in names
        messages = json.loads(archive.read("data/messaging.json"))["models"]["messaging.message"]
        assert {(m["direction"], m["text"]) for m in messages} == {
            ("sent", SENT),
            ("received", RECEIVED),
        }
        assert SENT in archive.read("index.html").decode()
    page.reload()
    expect(page.locator("#export-list")).to_contain_text("Downloaded on")


def test_the_list_shows_the_export_ready_without_a_reload(context_factory):
    """While an export is being prepared the list polls; when the task has built it, the
    download button appears and the status region says so."""
    from privacy import exports
    from privacy.models import DataExport

    sanne, _photo = member_with_history()
    export = DataExport.objects.create(member=sanne)  # asked for; the worker has not run yet
    page = context_factory(language="en").new_page()
    log_in(page, "sanne")
    page.goto(reverse("privacy:exports"))
    expect(page.locator("#export-list")).to_contain_text("Being prepared")
    expect(page.locator("a.export-download")).to_have_count(0)

    exports.build_export(export_id=export.pk)

    expect(page.locator("a.export-download")).to_be_visible(timeout=10_000)
    expect(page.locator("#export-announce")).to_have_text("Your export is ready to download.")


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_export_pages_pass_axe(context_factory, language):
    """The page before asking, while being prepared, with a ready export, and the expired
    page: WCAG 2.2 A/AA in both languages."""
    from datetime import timedelta

    from django.utils import timezone

    from privacy import exports
    from privacy.models import DataExport

    sanne, _photo = member_with_history()
    page = context_factory(language=language).new_page()
    log_in(page, "sanne")
    problems = []

    def check(what):
        expect(page.locator("main h1")).to_be_visible()
        assert_language(page, language)
        report = axe_report(page)
        if report:
            problems.append(f"{what}:\n{report}")

    page.goto(reverse("privacy:exports"))
    check("export page, nothing asked yet")
    export = DataExport.objects.create(member=sanne)
    page.goto(reverse("privacy:exports"))
    check("export page, being prepared")
    exports.build_export(export_id=export.pk)
    expect(page.locator("a.export-download")).to_be_visible(timeout=10_000)
    check("export page, ready")
    DataExport.objects.filter(pk=export.pk).update(expires_at=timezone.now() - timedelta(hours=1))
    page.goto(reverse("privacy:export_download", args=[export.public_id]))
    check("expired export")
    assert not problems, "\n".join(problems)
