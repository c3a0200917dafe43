"""Privacy requests in admin, in a real browser (issue 7; R7.5, R7.6): a helpdesk worker with
two-factor finds an overdue request by its words, answers a member's access request with an
export, and the requester downloads it from the mailed link without logging in. The request
page, the list and the expired-link page pass axe's WCAG 2.2 A/AA rules in nl and en."""

import re
import time
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.core import mail, signing
from playwright.sync_api import expect

from privacy.request_actions import EXPORT_LINK_SALT
from tests.privacy.request_helpers import REQUESTS, make_request, use_request_storage

from .conftest import LANGUAGES, log_in, make_member
from .test_accessibility import assert_language, axe_report
from .test_signup_journey import fresh_totp, wait_for_mail

pytestmark = pytest.mark.e2e

EXPORT_LINK = re.compile(r"https?://[^\s]+/privacy/help/export/[^\s/]+/")


@pytest.fixture(autouse=True)
def _storage(settings, tmp_path, monkeypatch):
    use_request_storage(tmp_path, settings, monkeypatch)


class OldSigner(signing.TimestampSigner):
    """Signs as the site did 30 days ago: the link of a mail a month old."""

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - 30 * 24 * 3600)


def helpdesk_login(context):
    """A Helpdesk worker (the request permissions granted directly until the role map has
    them) logged in with password and TOTP code."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group, Permission

    worker = make_member(username="hanna", email="hanna@example.org", is_staff=True)
    worker.groups.add(Group.objects.get(name="Helpdesk"))
    worker.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="privacy",
            codename__in=["view_privacyrequest", "process_privacyrequest"],
        )
    )
    secret = generate_totp_secret()
    TOTP.activate(worker, secret)
    page = context.new_page()
    log_in(page, "hanna")
    page.fill("#id_code", fresh_totp(secret))
    with page.expect_navigation():
        page.locator("#id_code").press("Enter")
    return page


def test_helpdesk_answers_an_access_request_with_an_export_link(context_factory):
    """Issue 7 done-when: the overdue request stands out in words; a member's access request
    is answered with an export link from admin, which the requester opens without a session."""
    from django.utils import timezone

    from privacy.models import DataExport

    late = make_request(received_at=timezone.now() - timedelta(days=35))
    sanne = make_member(username="sanne", email="sanne@example.org", language="en")
    access = make_request(email="sanne@example.org", member=sanne, type="access")
    mail.outbox.clear()
    page = helpdesk_login(context_factory(language="en"))

    page.goto(REQUESTS)
    late_row = page.locator("#result_list tbody tr", has_text=late.reference)
    expect(late_row.locator(".request-deadline.overdue")).to_contain_text("Overdue by")
    with page.expect_navigation():
        page.locator("#result_list a", has_text=access.reference).click()
    expect(page.locator("#request-verified")).to_contain_text("Yes")
    with page.expect_navigation():
        page.locator("button[name=action][value=export]").click()
    expect(page.locator(".messagelist")).to_contain_text("export is being prepared")

    wait_for_mail(1)
    [sent] = [m for m in mail.outbox if m.to == ["sanne@example.org"]]
    link = EXPORT_LINK.search(sent.body)[0]
    access.refresh_from_db()
    assert access.data_export.status == DataExport.Status.READY

    requester = context_factory(language="en")  # no session: a fresh browser
    download = requester.request.get(urlsplit(link).path)
    assert download.status == 200
    assert download.headers["content-type"] == "application/zip"
    assert download.headers["content-disposition"].startswith("attachment")
    assert download.body()[:2] == b"PK"


@pytest.mark.parametrize("language", LANGUAGES)
def test_request_pages_pass_axe(context_factory, language):
    """The list (with an overdue request), an unverified request's page with its disabled
    actions, a verified one's, and the expired-link page."""
    from django.utils import timezone

    late = make_request(received_at=timezone.now() - timedelta(days=35), type="erasure")
    sanne = make_member(username=f"sanne_{language}", email=f"sanne_{language}@example.org")
    verified = make_request(email=sanne.email, member=sanne)
    page = helpdesk_login(context_factory(language=language))
    problems = []

    def check(what):
        assert_language(page, language)
        if report := axe_report(page):
            problems.append(f"{language}, {what}:\n{report}")

    page.goto(REQUESTS)
    check("the list")
    page.goto(f"{REQUESTS}{late.pk}/change/")
    expect(page.locator("#unverified-reason")).to_be_visible()
    check("an unverified request")
    page.goto(f"{REQUESTS}{verified.pk}/change/")
    check("a verified request")
    page.locator("#id_reply-text").evaluate("e => e.removeAttribute('required')")
    with page.expect_navigation():
        page.locator("button[name=action][value=reply]").click()
    expect(page.locator("#action-reply .errorlist")).to_be_visible()
    check("a form with an error")

    visitor = context_factory(language=language).new_page()
    response = visitor.goto("/privacy/help/export/bm90LWEtdG9rZW4:1abcde:Zm9yZ2Vk/")
    assert response.status == 404
    token = OldSigner(salt=EXPORT_LINK_SALT).sign_object({"r": verified.pk, "e": "x"})
    response = visitor.goto(f"/privacy/help/export/{token}/")
    assert response.status == 410
    expect(visitor.locator("main h1")).to_be_visible()
    assert_language(visitor, language)
    if report := axe_report(visitor):
        problems.append(f"{language}, the expired link:\n{report}")

    assert not problems, "\n\n".join(problems)
