"""The helpdesk contact form in a real browser (issue 7; R7.5 to R7.7): a person who is not
logged in asks for erasure with an attachment, gets a reference, follows the link mailed to the
account's address and confirms; the form (also with errors), the sent page and the
confirmation pages pass axe's WCAG 2.2 A/AA rules in nl and en."""

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from tests.profiles.images import png_bytes, use_private_storage

from .conftest import LANGUAGES, make_member
from .test_accessibility import assert_language, axe_report

pytestmark = pytest.mark.e2e

VERIFY_LINK = re.compile(r"https?://[^\s]+(/privacy/help/verify/[^\s/]+/)")
CONTACT = "/privacy/help/"


@pytest.fixture(autouse=True)
def _helpdesk_settings(settings, tmp_path, monkeypatch):
    from privacy.models import RequestAttachment

    storage = use_private_storage(tmp_path / "private", settings, monkeypatch)
    monkeypatch.setattr(RequestAttachment._meta.get_field("file"), "storage", storage)
    # Many forms from 127.0.0.1: the limits are tested in tests/privacy/test_contact_form.py.
    settings.CONTACT_RATE_LIMITS = None


def fill_form(page, *, email, kind, subject, description, files=()):
    page.goto(CONTACT)
    page.fill("#id_email", email)
    page.locator(f"input[name=type][value={kind}]").check()
    page.fill("#id_subject", subject)
    page.fill("#id_description", description)
    if files:
        page.set_input_files("#id_attachments", list(files))


def submit(page):
    form = page.locator("#contact-form")
    with page.expect_navigation():
        form.locator("#contact-send").click()


def verification_path(address: str) -> str:
    from django.core import mail

    bodies = [m.body for m in mail.outbox if m.to == [address] and VERIFY_LINK.search(m.body)]
    return VERIFY_LINK.search(bodies[-1]).group(1)


def test_a_visitor_asks_for_erasure_and_confirms_from_the_mail(context_factory):
    """The done-when story's start: no account at hand, an erasure request with a screenshot,
    a reference on screen and by mail, then the link in the account's mailbox: opening it
    changes nothing, the button confirms."""
    from privacy.models import PrivacyRequest

    sanne = make_member()
    page = context_factory(language="en").new_page()
    fill_form(
        page,
        email="sanne@example.org",
        kind="erasure",
        subject="Please erase my account",
        description="I cannot log in any more. Please erase everything about me.",
        files=[{"name": "screenshot.png", "mimeType": "image/png", "buffer": png_bytes()}],
    )
    submit(page)

    expect(page.locator("main h1")).to_have_text("Your message has been sent")
    reference = page.locator("#request-reference").inner_text()
    assert re.fullmatch(r"HD-[0-9A-Z]{6}", reference)
    assert reference not in page.url
    privacy_request = PrivacyRequest.objects.get(reference=reference)
    assert privacy_request.type == "erasure"
    assert privacy_request.status == PrivacyRequest.Status.IDENTITY_CHECK
    assert [a.original_name for a in privacy_request.attachments.all()] == ["screenshot.png"]

    path = verification_path("sanne@example.org")
    page.goto(path)
    expect(page.locator("main")).to_contain_text(reference)
    privacy_request.refresh_from_db()
    assert privacy_request.verified_at is None  # opening the link is not confirming

    with page.expect_navigation():
        page.get_by_role("button", name="Yes, I sent this request").click()

    expect(page.locator("#request-verified")).to_contain_text(reference)
    privacy_request.refresh_from_db()
    assert privacy_request.member == sanne
    assert privacy_request.verified_at is not None
    assert privacy_request.status == PrivacyRequest.Status.IN_PROGRESS


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_contact_pages_pass_axe(context_factory, language, tmp_path):
    """The form, the form with errors (a refused file, a missing subject), the sent page, the
    confirmation page before and after the button, and a broken link's page."""
    make_member(username=f"sanne_{language}", email=f"sanne_{language}@example.org")
    page = context_factory(language=language).new_page()
    problems = []

    def check(what):
        expect(page.locator("main h1")).to_be_visible()
        assert_language(page, language)
        if report := axe_report(page):
            problems.append(f"{language}, {what}:\n{report}")

    page.goto(CONTACT)
    check("the form")

    fake = tmp_path / "factuur.pdf"
    fake.write_bytes(b"<html><body>not a pdf</body></html>")
    fill_form(
        page,
        email=f"sanne_{language}@example.org",
        kind="access",
        subject="",
        description="Which data do you hold about me?",
        files=[str(fake)],
    )
    submit(page)
    expect(page.locator("#id_subject")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#id_attachments")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#choose-files-again")).to_be_visible()
    expect(page.locator("#id_description")).to_have_value("Which data do you hold about me?")
    check("the form with errors")

    page.fill("#id_subject", "My data")
    submit(page)
    expect(page.locator("#request-reference")).to_be_visible()
    check("the sent page")

    path = verification_path(f"sanne_{language}@example.org")
    page.goto(path)
    expect(page.locator("#verify-button")).to_be_visible()
    check("the confirmation page")
    with page.expect_navigation():
        page.locator("#verify-button").click()
    expect(page.locator("#request-verified")).to_be_visible()
    check("the confirmed page")

    page.goto(reverse("privacy:verify_request", args=["not-a-valid-token"]))
    expect(page.locator("#verify-invalid")).to_be_visible()
    check("a broken link")
    assert not problems, "\n".join(problems)
