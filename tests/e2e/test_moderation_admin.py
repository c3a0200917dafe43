"""The moderation queue in a real browser (issue 11 "Review"): a moderator with two-factor
opens the queue, filters it, opens a case, gets the form back with clear errors when the
statement is incomplete, and decides with a statement of reasons. The queue, the case page
(also with errors), the statements, the export and the yearly summary pass axe's WCAG 2.2 A/AA
rules in nl and en (admin pages are staff-facing; checked all the same)."""

import pytest
from playwright.sync_api import expect

from .conftest import LANGUAGES, log_in, make_member
from .test_accessibility import assert_language, axe_report
from .test_signup_journey import fresh_totp

pytestmark = pytest.mark.e2e

QUEUE = "/admin/moderation/report/"


def moderator_login(context, username):
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.contrib.auth.models import Group

    from tests.moderation.admin_helpers import grant_moderator_role

    grant_moderator_role()
    worker = make_member(username=username, email=f"{username}@example.org", is_staff=True)
    worker.groups.add(Group.objects.get(name="Moderators"))
    secret = generate_totp_secret()
    TOTP.activate(worker, secret)
    page = context.new_page()
    log_in(page, username)
    page.fill("#id_code", fresh_totp(secret))
    with page.expect_navigation():
        page.locator("#id_code").press("Enter")
    return page


def reported_message(suffix=""):
    """bob_<suffix> writes to alice_<suffix>, who reports it as a scam: the case."""
    from messaging.services import send_message
    from moderation import services
    from payments.services import adjust_credits

    staff = make_member(username=f"kas{suffix}", email=f"kas{suffix}@example.org", is_staff=True)
    alice = make_member(username=f"alice{suffix}", email=f"alice{suffix}@example.org")
    bob = make_member(username=f"bob{suffix}", email=f"bob{suffix}@example.org")
    for member in (alice, bob):
        adjust_credits(member=member, credits=50, reason="test", staff=staff)
    message = send_message(sender=bob, receiver=alice, text="Stuur me je bankgegevens")
    return services.report_content(
        reporter=alice, items=[message], reason="scam", reported_member=bob
    )


def test_a_moderator_decides_a_case_from_the_queue(context_factory):
    from moderation.models import Report, Statement

    report = reported_message()
    page = moderator_login(context_factory(language="en"), "mira")

    page.goto(f"{QUEUE}?reason__exact=scam")
    row = page.locator("#result_list tbody tr", has_text=report.public_id)
    expect(row).to_contain_text("Normal")
    with page.expect_navigation():
        row.locator("a", has_text=report.public_id).click()
    expect(page.locator(".reported-text")).to_contain_text("Stuur me je bankgegevens")

    page.get_by_label("Remove the chosen content").check()
    page.get_by_label("Against the terms of use").check()
    page.get_by_label("Clause of the terms").fill("4.2")
    with page.expect_navigation():
        page.locator("#decision-form [type=submit]").click()
    expect(page.locator(".errornote")).to_contain_text("The decision was not taken")
    expect(page.get_by_label("Clause of the terms")).to_have_value("4.2")

    page.get_by_label("Why it is illegal or against the terms").fill("Geld vragen mag niet.")
    page.get_by_label("Facts and circumstances").fill("Een bericht vroeg om bankgegevens.")
    with page.expect_navigation():
        page.locator("#decision-form [type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("The chosen content is removed")
    report.refresh_from_db()
    assert report.status == Report.Status.ACTIONED
    assert Statement.objects.get().decision_facts == "Een bericht vroeg om bankgegevens."


@pytest.mark.parametrize("language", LANGUAGES)
def test_moderation_admin_pages_pass_axe(context_factory, language):
    report = reported_message(language)
    page = moderator_login(context_factory(language=language), f"mira_{language}")
    problems = []

    def check(what):
        assert_language(page, language)
        if found := axe_report(page):
            problems.append(f"{language}, {what}:\n{found}")

    page.goto(QUEUE)
    check("the queue")
    page.goto(f"{QUEUE}{report.pk}/change/")
    check("a case")
    page.locator("#decision-form input[name=action][value=remove]").check()
    with page.expect_navigation():
        page.locator("#decision-form [type=submit]").click()
    expect(page.locator(".errornote")).to_be_visible()
    check("a case with errors in the decision form")
    page.goto(f"{QUEUE}{report.pk}/police/")
    check("the police confirmation")
    page.goto("/admin/moderation/statement/")
    check("the statements")
    page.goto("/admin/moderation/statement/export/")
    check("the export")
    page.goto("/admin/moderation/statement/summary/")
    check("the yearly summary")
    page.goto(QUEUE)
    with page.expect_navigation():
        page.locator("#open-case-link").click()
    check("the form to open a case")
    page.locator("#id_link").fill("niemand-met-deze-naam")
    page.locator("#id_note").fill("Eigen onderzoek")
    with page.expect_navigation():
        page.locator("#open-case-send").click()
    expect(page.locator("#open-case-errors")).to_be_visible()
    expect(page.locator("#id_note")).to_have_value("Eigen onderzoek")
    check("the form to open a case, with errors")
    assert not problems, "\n".join(problems)
