"""Every member-facing page passes axe's WCAG 2.2 A/AA rules, in Dutch and in English, and
reflows without horizontal scrolling at 200% zoom."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, expect_logged_in, log_in, reauthenticate_if_asked

pytestmark = pytest.mark.e2e

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}}

ANONYMOUS_PAGES = [
    "/",
    "/terms/",
    "/privacy/",
    "/privacy/contact/",
    "/accounts/signup/",
    "/accounts/login/",
    "/accounts/password/reset/",
]
MEMBER_PAGES = [
    "/accounts/email/",
    "/accounts/password/change/",
    "/accounts/2fa/",
    "/accounts/reauthenticate/",
    "/accounts/2fa/totp/activate/",
    "/accounts/sessions/",
]

_axe = Axe()


def axe_report(page: Page) -> str:
    """axe's WCAG 2.2 A/AA violations on the page, readably; empty when there are none."""
    violations = _axe.run(page, options=AXE_OPTIONS).response["violations"]
    return "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(
            f"    {json.dumps(n['target'])}: {n['html'][:300]}\n      {n['failureSummary']}"
            for n in v["nodes"]
        )
        for v in violations
    )


def assert_accessible(page: Page) -> None:
    report = axe_report(page)
    assert not report, f"axe violations on {page.url}:\n{report}"


DESCRIPTIONS = r"""() => [...document.querySelectorAll('main [aria-describedby]')].map(e => ({
  field: e.id,
  parts: e.getAttribute('aria-describedby').trim().split(/\s+/).map(id => {
    const target = document.getElementById(id);
    return {id, text: target ? target.textContent.replace(/\s+/g, ' ').trim() : null};
  }),
}))"""


def field_descriptions(page: Page) -> dict[str, str]:
    """What a screen reader announces as each field's description (help text, errors); fails
    when aria-describedby points at nothing or at an empty element."""
    descriptions = {}
    for field in page.evaluate(DESCRIPTIONS):
        for part in field["parts"]:
            assert part["text"], (
                f"#{field['field']} is described by an empty or missing #{part['id']}"
            )
        descriptions[field["field"]] = " ".join(part["text"] for part in field["parts"])
    return descriptions


def assert_language(page: Page, language: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", ANONYMOUS_PAGES)
def test_public_page_is_accessible(context_factory, path, language):
    page = context_factory(language=language).new_page()
    response = page.goto(path)
    assert response.status == 200
    assert_language(page, language)
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_signup_with_errors_is_accessible(context_factory, language):
    page = context_factory(language=language).new_page()
    page.goto("/accounts/signup/")
    form = page.locator("form:has(#id_username)")
    # Let the server, not the browser, judge the empty form: that is what screen reader users
    # meet when a browser's own validation is off or bypassed.
    form.evaluate("f => { f.noValidate = true; }")
    page.fill("#id_password1", "kort")
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    assert page.url.endswith("/accounts/signup/")
    expect(page.locator(".errorlist").first).to_be_visible()
    assert page.locator(".errorlist").count() >= 4
    assert_accessible(page)
    descriptions = field_descriptions(page)
    # Each field with an error has its message in its description.
    for field in [
        "id_username",
        "id_email",
        "id_gender",
        "id_password1",
        "id_adult",
        "id_accept_terms",
    ]:
        error = page.locator(f"#{field}_error").inner_text().strip()
        assert error and error in descriptions.get(field, ""), (field, descriptions)
    assert "10" in descriptions["id_password1"], "the password rules are not announced"


@pytest.mark.parametrize("language", LANGUAGES)
def test_signup_help_texts_belong_to_their_fields(context_factory, language):
    page = context_factory(language=language).new_page()
    page.goto("/accounts/signup/")
    descriptions = field_descriptions(page)
    assert {"id_username", "id_email", "id_password1"} <= set(descriptions), descriptions
    # Django's password rules (10 characters at least) are read out with the password field.
    assert "10" in descriptions["id_password1"], descriptions["id_password1"]


@pytest.mark.parametrize("language", LANGUAGES)
def test_404_page_is_accessible(context_factory, language):
    page = context_factory(language=language).new_page()
    response = page.goto("/dit-bestaat-niet/")
    assert response.status == 404
    assert_language(page, language)
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_member_pages_are_accessible(context_factory, verified_member, language):
    """All account pages in one test: logging in (Argon2, through the form) is the slow part."""
    page = context_factory(language=language).new_page()
    log_in(page, verified_member.username)
    expect_logged_in(page)
    problems = []
    for path in MEMBER_PAGES:
        response = page.goto(path)
        assert response.status == 200, f"{path}: HTTP {response.status}"
        if path != "/accounts/reauthenticate/":
            reauthenticate_if_asked(page)
        assert page.url.endswith(path), f"{path} ended on {page.url}"
        assert_language(page, language)
        expect(page.locator("main h1")).to_be_visible()
        report = axe_report(page)
        if report:
            problems.append(f"{path}:\n{report}")
    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("width", [640, 320])
@pytest.mark.parametrize("path", ["/", "/accounts/signup/"])
def test_page_reflows_without_horizontal_scroll(context_factory, path, width):
    """640 CSS px is a 1280 px window at 200% zoom; 320 CSS px is WCAG 1.4.10's reflow width
    (400%). Nothing may need scrolling sideways."""
    page = context_factory(
        viewport={"width": width, "height": 480}, device_scale_factor=2
    ).new_page()
    page.goto(path)
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["inner"] == width
    assert sizes["scroll"] <= sizes["inner"], f"{path} at {width}px scrolls sideways: {sizes}"
