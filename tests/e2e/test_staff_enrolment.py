"""A new staff member sets up two-factor in a real browser: the password alone meets the page
that asks for an enrolment link; the mailed link, after the password again, opens the set-up;
the code from the app opens the admin. The enrolment pages pass axe's WCAG 2.2 A/AA rules in
nl and en (staff-facing; checked all the same)."""

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect

from .conftest import LANGUAGES, log_in, make_member, reauthenticate_if_asked
from .test_accessibility import assert_language, axe_report
from .test_signup_journey import fresh_totp

pytestmark = pytest.mark.e2e


def new_staff_member(username):
    from django.contrib.auth.models import Group

    from members.staff_two_factor import issue_enrolment_link

    worker = make_member(username=username, email=f"{username}@example.org", is_staff=True)
    worker.groups.add(Group.objects.get(name="Helpdesk"))
    return worker, urlsplit(issue_enrolment_link(member=worker)).path


@pytest.mark.parametrize("language", LANGUAGES)
def test_new_staff_member_enrols_with_the_link(context_factory, language):
    from allauth.mfa.models import Authenticator

    worker, link = new_staff_member(f"nieuw_{language}")
    page = context_factory(language=language).new_page()
    problems = []

    def check(what):
        assert_language(page, language)
        if found := axe_report(page):
            problems.append(f"{language}, {what}:\n{found}")

    log_in(page, worker.username)
    page.goto("/admin/")
    expect(page.locator("#enrolment-needed")).to_be_visible()
    check("set-up without a link")

    page.goto(link)
    check("the enrolment link")
    with page.expect_navigation():
        page.locator("#enrolment-button").click()
    reauthenticate_if_asked(page)
    secret = page.locator("#authenticator_secret").input_value()
    page.fill("#id_code", fresh_totp(secret))
    with page.expect_navigation():
        page.locator("form:has(#id_code) [type=submit]").click()
    assert Authenticator.objects.filter(user=worker, type=Authenticator.Type.TOTP).exists()

    response = page.goto("/admin/")
    assert response.status == 200 and urlsplit(page.url).path == "/admin/"
    page.goto(link)
    expect(page.locator("#enrolment-done")).to_be_visible()
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_invalid_enrolment_link_page_passes_axe(context_factory, language):
    worker, link = new_staff_member(f"oud_{language}")
    page = context_factory(language=language).new_page()
    log_in(page, worker.username)

    page.goto(link.rstrip("/") + "x/")

    expect(page.locator("#enrolment-invalid")).to_be_visible()
    assert_language(page, language)
    assert not (found := axe_report(page)), found
