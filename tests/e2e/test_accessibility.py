"""Every member-facing page passes axe's WCAG 2.2 A/AA rules, in Dutch and in English, and
reflows without horizontal scrolling at 200% zoom."""

import json

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, expect_logged_in, log_in

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
    "/accounts/2fa/totp/activate/",
    "/accounts/sessions/",
]

_axe = Axe()


def assert_accessible(page: Page) -> None:
    results = _axe.run(page, options=AXE_OPTIONS)
    violations = results.response["violations"]
    assert not violations, f"axe violations on {page.url}:\n" + "\n".join(
        f"- {v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(
            f"    {json.dumps(n['target'])}: {n['html'][:300]}\n      {n['failureSummary']}"
            for n in v["nodes"]
        )
        for v in violations
    )


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
    form.locator("[type=submit]").click()
    page.wait_for_load_state()
    assert page.url.endswith("/accounts/signup/")
    expect(page.locator(".errorlist").first).to_be_visible()
    assert page.locator(".errorlist").count() >= 4
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_404_page_is_accessible(context_factory, language):
    page = context_factory(language=language).new_page()
    response = page.goto("/dit-bestaat-niet/")
    assert response.status == 404
    assert_language(page, language)
    expect(page.locator("h1")).to_be_visible()
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("path", MEMBER_PAGES)
def test_member_page_is_accessible(context_factory, member, path, language):
    page = context_factory(language=language).new_page()
    log_in(page, member.username)
    expect_logged_in(page)
    response = page.goto(path)
    assert response.status == 200
    assert page.url.endswith(path), f"{path} redirected to {page.url}"
    assert_language(page, language)
    assert_accessible(page)


@pytest.mark.parametrize("width", [640, 320])
@pytest.mark.parametrize("path", ["/", "/accounts/signup/"])
def test_page_reflows_without_horizontal_scroll(context_factory, path, width):
    """640 CSS px is a 1280 px window at 200% zoom; 320 CSS px is WCAG 1.4.10's reflow width
    (400%). Nothing may need scrolling sideways."""
    page = context_factory(viewport={"width": width, "height": 480}, device_scale_factor=2).new_page()
    page.goto(path)
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["inner"] == width
    assert sizes["scroll"] <= sizes["inner"], f"{path} at {width}px scrolls sideways: {sizes}"
