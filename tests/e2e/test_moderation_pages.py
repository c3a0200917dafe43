"""Moderation's member-facing pages in the browser (issue 11): every page passes axe's WCAG 2.2
A/AA rules in Dutch and English, reflows at 200% and 400% zoom, and a visitor without an
account reports a photo with the keyboard only."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import assert_language, axe_report, field_descriptions
from .test_keyboard import ACTIVE, assert_focus_visible

pytestmark = pytest.mark.e2e


@pytest.fixture
def scene(context_factory, transactional_db):
    """Sanne (who logs in) had a photo removed with a statement of reasons after Bob reported
    it, and reported Bob's profile herself; Bob has a photo a visitor can report."""
    from moderation import links, services
    from moderation.models import Statement
    from profiles.models import Profile
    from tests.factories import staff_member
    from tests.moderation.member_helpers import TERMS_STATEMENT, profile_and_photo

    sanne = make_member()
    bob = make_member(username="bob", email="bob@example.org")
    sannes_photo = profile_and_photo(sanne)
    bobs_photo = profile_and_photo(bob)
    moderator = staff_member("Moderators", username="mod")
    notice = services.submit_notice(
        item=sannes_photo, category="scam", explanation="Nep", good_faith=True, reporter=bob
    )
    decision = services.decide_case(
        report=notice.report,
        moderator=moderator,
        action=services.REMOVE,
        statement=services.StatementInput(**TERMS_STATEMENT),
    )
    mine = services.submit_notice(
        item=Profile.objects.get(member=bob),
        category="spam",
        explanation="Reclame",
        good_faith=True,
        reporter=sanne,
    )
    statement = Statement.objects.get(decision=decision)
    carl = make_member(username="carl", email="carl@example.org")
    visitors = services.submit_notice(
        item=profile_and_photo(carl),
        category="scam",
        explanation="Dit is mijn foto",
        good_faith=True,
        name="Vera Visser",
        email="vera@example.org",
        language="nl",
    )
    dismissal = services.decide_case(
        report=visitors.report, moderator=moderator, action=services.DISMISS, statement=None
    )
    return {
        "sanne": sanne,
        "bob": bob,
        "bobs_photo": bobs_photo,
        "bobs_photo_report": links.report_url(bobs_photo),
        "statement": statement,
        "notice": mine,
        "appeal_link": reverse(
            "moderation:appeal_by_link",
            args=[services.appeal_token(decision=decision, member=sanne)],
        ),
        "visitor_appeal_link": reverse(
            "moderation:appeal_by_notice_link",
            args=[services.notice_appeal_token(decision=dismissal, notice=visitors)],
        ),
    }


def check(page, path, problems, *, status=200):
    response = page.goto(path)
    assert response.status == status, f"{path}: HTTP {response.status}"
    expect(page.locator("main h1")).to_be_visible()
    report = axe_report(page)
    if report:
        problems.append(f"{path}:\n{report}")


def send_empty_form(page, problems):
    """The form sent empty: the server's errors, each in its field's description."""
    form = page.locator("#notice-form")
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    expect(page.locator("#notice-errors")).to_be_visible()
    report = axe_report(page)
    if report:
        problems.append(f"{page.url} with errors:\n{report}")
    return field_descriptions(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_visitors_pages_are_accessible(context_factory, scene, language):
    page = context_factory(language=language).new_page()
    problems = []
    for path in ("/report/", scene["bobs_photo_report"], scene["appeal_link"]):
        check(page, path, problems)
        assert_language(page, language)
    check(page, "/report/niet-geldig/", problems, status=404)
    check(page, "/appeal/niet-geldig/", problems, status=400)
    check(page, "/appeal/report/niet-geldig/", problems, status=400)

    # A visitor appeals the dismissal of their report from the outcome mail's link: the form
    # sent empty keeps its error in the field's description; then the appeal is filed.
    check(page, scene["visitor_appeal_link"], problems)
    with page.expect_navigation():
        page.locator("#appeal-send").click()
    expect(page.locator("#appeal-errors")).to_be_visible()
    assert page.locator("#id_explanation_error").inner_text().strip() in (
        field_descriptions(page).get("id_explanation", "")
    )
    if report := axe_report(page):
        problems.append(f"visitor appeal with errors:\n{report}")
    page.locator("#id_explanation").fill("Het is echt mijn foto.")
    with page.expect_navigation():
        page.locator("#appeal-send").click()
    expect(page.locator(".appeal-state")).to_be_visible()
    if report := axe_report(page):
        problems.append(f"visitor appeal filed:\n{report}")

    page.goto("/report/")
    descriptions = send_empty_form(page, problems)
    for field in ("id_link", "id_explanation", "id_good_faith"):
        error = page.locator(f"#{field}_error").inner_text().strip()
        assert error and error in descriptions.get(field, ""), (field, descriptions)
    # Each category's hint is read out with its radio button.
    assert descriptions["id_reason_1"], descriptions

    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_members_pages_are_accessible(context_factory, scene, language):
    page = context_factory(language=language).new_page()
    log_in(page, scene["sanne"].username)
    expect_logged_in(page)
    problems = []
    statement = scene["statement"].public_id
    for path in (
        "/account/decisions/",
        reverse("moderation:appeal", args=[statement]),
        scene["bobs_photo_report"],
        "/report/",
    ):
        check(page, path, problems)
        assert_language(page, language)
    page.goto("/account/decisions/")
    expect(page.locator(f"#decision-{statement}")).to_be_visible()
    expect(page.locator(f"#notice-{scene['notice'].public_id}")).to_be_visible()

    # An appeal sent empty shows its error, described, and stays accessible.
    page.goto(reverse("moderation:appeal", args=[statement]))
    with page.expect_navigation():
        page.locator("#appeal-send").click()
    expect(page.locator("#appeal-errors")).to_be_visible()
    error = page.locator("#id_explanation_error").inner_text().strip()
    assert error in field_descriptions(page)["id_explanation"]
    report = axe_report(page)
    if report:
        problems.append(f"appeal with errors:\n{report}")

    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("width", [640, 320])
def test_the_report_form_reflows_without_horizontal_scroll(context_factory, scene, width):
    page = context_factory(
        viewport={"width": width, "height": 480}, device_scale_factor=2
    ).new_page()
    for path in ("/report/", scene["appeal_link"]):
        page.goto(path)
        sizes = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert sizes["scroll"] <= sizes["inner"], f"{path} at {width}px scrolls sideways: {sizes}"


def tab_to(page, wanted: str, *, limit: int = 80) -> dict:
    """Presses Tab until the element with id `wanted` (or the footer link to /report/) has the
    focus, checking that the focus is visible on the way."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        element = page.evaluate(ACTIVE)
        assert_focus_visible(element)
        href = page.evaluate("() => document.activeElement.getAttribute('href')")
        if element["id"] == wanted or (wanted == "footer-report" and href == "/report/"):
            return element
    raise AssertionError(f"Tab never reached {wanted}")


def test_a_visitor_reports_a_photo_with_the_keyboard_only(context_factory, scene, site):
    """The done-when story: a visitor without an account finds "Report illegal content" in the
    footer, pastes the photo's link, chooses a category, explains, gives name and address,
    declares good faith and sends, all with the keyboard; the case is in the queue."""
    from moderation.models import Notice, ReportedItem

    page = context_factory(language="en").new_page()
    page.goto("/")
    photo_link = site + reverse("profiles:photo_file", args=[scene["bobs_photo"].public_id, "full"])

    tab_to(page, "footer-report")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith("/report/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Enter")
    tab_to(page, "id_link", limit=5)
    page.keyboard.type(photo_link)
    tab_to(page, "id_reason_0", limit=2)
    page.keyboard.press("ArrowDown")  # the second category: a suspected minor
    assert page.evaluate("() => document.activeElement.id") == "id_reason_1"
    page.keyboard.press("ArrowDown")  # a non-consensual image
    tab_to(page, "id_explanation", limit=2)
    page.keyboard.type("Dit is mijn foto; ik heb nooit toestemming gegeven.")
    tab_to(page, "id_name", limit=2)
    page.keyboard.type("Vera Visser")
    tab_to(page, "id_email", limit=2)
    page.keyboard.type("vera@example.org")
    tab_to(page, "id_good_faith", limit=2)
    page.keyboard.press("Space")
    tab_to(page, "notice-send", limit=2)  # the honeypot is skipped
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert "/report/sent/" in page.url
    notice = Notice.objects.filter(reporter__isnull=True).latest("created_at")
    expect(page.locator("#notice-reference")).to_have_text(notice.public_id)
    assert (notice.reason, notice.name, notice.email) == (
        "non_consensual",
        "Vera Visser",
        "vera@example.org",
    )
    assert ReportedItem.objects.filter(
        report=notice.report, object_id=scene["bobs_photo"].pk
    ).exists()
