"""The cookie banner in a real browser (SPEC R6.2, R6.3; issue 10): accessible in nl and en,
usable by keyboard alone and without JavaScript, three choices of one size; and, with every
request intercepted, proof that before consent and after "Refuse all" no page makes the browser
contact any host but the site's own, while after "Accept all" the Google Analytics script is
asked for (answered here with an empty script: nothing leaves the machine)."""

from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import assert_language, axe_report
from .test_keyboard import ACTIVE, assert_focus_visible

pytestmark = pytest.mark.e2e

GA_ID = "G-TEST123"
BANNER = "#cookie-banner"
BUTTONS = f"{BANNER} button[name=choice]"
PUBLIC_PAGES = ["/", "/accounts/login/", "/accounts/signup/", "/privacy/", "/privacy/cookies/"]


def member_pages() -> list[str]:
    return [
        reverse(name)
        for name in [
            "profiles:edit",
            "profiles:search",
            "messaging:inbox",
            "payments:packs",
            "privacy:centre",
            "privacy:consents",
        ]
    ]


class Traffic:
    """Every request the page makes: the site's own go through; Google's tag script is
    answered with an empty script; anything else is recorded and aborted."""

    def __init__(self, site: str):
        self.own_host = urlsplit(site).netloc
        self.foreign: list[str] = []
        self.tag_requests: list[str] = []

    def handle(self, route):
        url = route.request.url
        parts = urlsplit(url)
        if parts.scheme in ("data", "blob") or parts.netloc == self.own_host:
            route.continue_()
        elif parts.netloc == "www.googletagmanager.com" and parts.path == "/gtag/js":
            self.tag_requests.append(url)
            route.fulfill(status=200, content_type="application/javascript", body="")
        else:
            self.foreign.append(url)
            route.abort()


@pytest.fixture
def watched(context_factory, site, settings):
    """A browser whose every request is watched, on a site with a Google Analytics id."""
    settings.GA_MEASUREMENT_ID = GA_ID

    def make(**kwargs):
        context = context_factory(**kwargs)
        traffic = Traffic(site)
        context.route("**/*", traffic.handle)
        return context.new_page(), traffic

    return make


def consent_cookie(page: Page) -> str | None:
    """The consent cookie's value (sent quoted, as "=" is not a plain cookie character)."""
    for cookie in page.context.cookies():
        if cookie["name"] == "cookie_consent":
            return cookie["value"].strip('"')
    return None


def press_choice(page: Page, value: str) -> None:
    with page.expect_navigation():
        page.locator(f"{BANNER} button[value={value}]").click()


def visit(page: Page, paths: list[str]) -> None:
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, f"{path}: HTTP {response.status}"
        page.wait_for_load_state("load")


@pytest.mark.parametrize("language", LANGUAGES)
def test_banner_and_cookie_page_are_accessible(context_factory, language):
    page = context_factory(language=language).new_page()
    problems = []
    for path in ["/", "/accounts/login/"]:
        page.goto(path)
        assert_language(page, language)
        expect(page.locator(BANNER)).to_be_visible()
        if report := axe_report(page):
            problems.append(f"{path} (banner):\n{report}")

    press_choice(page, "choose")
    assert urlsplit(page.url).path == "/privacy/cookies/"
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator("main input[type=checkbox]")).to_have_count(2)
    if report := axe_report(page):
        problems.append(f"/privacy/cookies/:\n{report}")

    # Saved with one box ticked: the page with its message and a ticked box.
    page.locator("#cookie-category-analytics").check()
    with page.expect_navigation():
        page.locator("form.cookie-choice-form [type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    page.goto("/privacy/cookies/")
    expect(page.locator("#cookie-category-analytics")).to_be_checked()
    if report := axe_report(page):
        problems.append(f"/privacy/cookies/ (chosen):\n{report}")
    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("width", [1280, 375])
def test_the_three_choices_have_the_same_size(context_factory, width):
    page = context_factory(viewport={"width": width, "height": 900}).new_page()
    page.goto("/")
    buttons = page.locator(BUTTONS)
    expect(buttons).to_have_count(3)
    boxes = [buttons.nth(i).bounding_box() for i in range(3)]
    widths = {round(box["width"], 1) for box in boxes}
    heights = {round(box["height"], 1) for box in boxes}
    assert len(widths) == 1 and len(heights) == 1, boxes
    looks = buttons.evaluate_all(
        """bs => bs.map(b => { const s = getComputedStyle(b);
             return [s.backgroundColor, s.color, s.borderColor, s.fontSize, s.fontWeight].join();
           })"""
    )
    assert len(set(looks)) == 1, looks


@pytest.mark.parametrize("path", ["/", "/privacy/cookies/"])
def test_banner_and_cookie_page_reflow_at_320_px(context_factory, path):
    """WCAG 1.4.10: at 320 CSS px (400% zoom) nothing needs scrolling sideways."""
    page = context_factory(viewport={"width": 320, "height": 640}).new_page()
    page.goto(path)
    overflow = page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"{path} scrolls {overflow}px sideways at 320 px"


def test_refuse_all_by_keyboard_alone(page: Page):
    page.goto("/")
    for _ in range(8):
        page.keyboard.press("Tab")
        element = page.evaluate(ACTIVE)
        if element["name"] == "choice" and page.evaluate(
            "() => document.activeElement.value === 'refuse'"
        ):
            break
    else:
        pytest.fail("Tab did not reach “Refuse all” within 8 presses")
    assert_focus_visible(element)

    with page.expect_navigation():
        page.keyboard.press("Enter")

    expect(page.locator(BANNER)).to_have_count(0)
    assert consent_cookie(page) == "v=2026-11|analytics=0|affiliate=0"


def test_the_banner_works_without_javascript(context_factory):
    page = context_factory(java_script_enabled=False).new_page()
    page.goto("/terms/")
    expect(page.locator(BANNER)).to_be_visible()

    press_choice(page, "accept")

    assert urlsplit(page.url).path == "/terms/"
    expect(page.locator(BANNER)).to_have_count(0)
    assert consent_cookie(page) == "v=2026-11|analytics=1|affiliate=1"

    # "Choose" and the cookie page, too.
    page.goto("/privacy/cookies/")
    page.locator("#cookie-category-analytics").uncheck()
    with page.expect_navigation():
        page.locator("form.cookie-choice-form [type=submit]").click()
    assert consent_cookie(page) == "v=2026-11|analytics=0|affiliate=1"


def test_nothing_goes_to_another_host_before_consent_or_after_refusing(watched, transactional_db):
    make_member()
    page, traffic = watched()

    visit(page, PUBLIC_PAGES)
    assert traffic.foreign == [] and traffic.tag_requests == []

    page.goto("/")
    press_choice(page, "refuse")
    visit(page, PUBLIC_PAGES)
    log_in(page, "sanne")
    expect_logged_in(page)
    visit(page, member_pages())

    assert traffic.foreign == [], traffic.foreign
    assert traffic.tag_requests == []


def test_a_member_who_has_not_chosen_sends_nothing_either(watched, transactional_db):
    make_member()
    page, traffic = watched()
    log_in(page, "sanne")
    expect_logged_in(page)
    expect(page.locator(BANNER)).to_be_visible()

    visit(page, member_pages())

    assert traffic.foreign == [] and traffic.tag_requests == []


def test_after_accept_all_the_analytics_script_is_requested(watched):
    page, traffic = watched()
    csp_errors = []
    page.on(
        "console",
        lambda message: (
            csp_errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.goto("/privacy/")
    assert traffic.tag_requests == []

    press_choice(page, "accept")
    page.wait_for_load_state("load")

    assert len(traffic.tag_requests) == 1
    assert parse_qs(urlsplit(traffic.tag_requests[0]).query) == {"id": [GA_ID]}
    assert traffic.foreign == []
    assert csp_errors == []
    # The page told the tag its route's name, not its address.
    location = page.evaluate(
        "() => JSON.parse(document.getElementById('google-analytics-settings').textContent)"
        ".config.page_location"
    )
    assert location.endswith("/privacy:statement")

    # Refusing afterwards: the tag is gone from the next page.
    page.goto("/privacy/cookies/")
    page.locator("#cookie-category-analytics").uncheck()
    with page.expect_navigation():
        page.locator("form.cookie-choice-form [type=submit]").click()
    visit(page, ["/", "/accounts/login/"])
    assert len(traffic.tag_requests) == 2  # the cookie page itself still had it
    assert traffic.foreign == []
