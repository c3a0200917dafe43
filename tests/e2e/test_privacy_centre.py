"""The privacy centre in a real browser (issue 6, R7.1, R7.4, R8.2): a member reads what is
held, withdraws and gives a consent again, restricts processing and lifts it, objects to
profiling; a new statement version is asked once; every new page passes axe's WCAG 2.2 A/AA
rules in nl and en."""

from datetime import date

import pytest
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, log_in, make_member
from .test_accessibility import assert_language, axe_report
from .test_discovery import places_and_interests  # noqa: F401  (fixture)

pytestmark = pytest.mark.e2e

CENTRE_PAGES = ["/privacy/me/", "/privacy/me/data/", "/privacy/me/consents/", "/privacy/me/limits/"]


def person(username, gender, **profile):
    """A member with a profile in Utrecht, looking for the other of man/woman, with
    personalised suggestions on."""
    from privacy.services import set_consent
    from tests.factories import make_profile

    member = make_member(username=username, email=f"{username}@example.org", gender=gender)
    make_profile(
        member,
        place="Utrecht",
        birth_date=date(1990, 1, 1),
        age_min=25,
        age_max=50,
        max_distance_km=50,
        seeks_men=gender == "woman",
        seeks_women=gender == "man",
        **profile,
    )
    set_consent(member=member, purpose="suggestions", granted=True, source="signup")
    return member


@pytest.fixture
def couple(places_and_interests):  # noqa: F811
    return person("sanne", "woman"), person("bram", "man")


def check(page: Page, what: str, problems: list[str]) -> None:
    expect(page.locator("main h1")).to_be_visible()
    report = axe_report(page)
    if report:
        problems.append(f"{what}:\n{report}")


def press(page: Page, section: str) -> None:
    """Clicks the one button of a section of the consents or limits page."""
    with page.expect_navigation():
        page.locator(f"#{section} button[type=submit]").click()


def cards(page: Page) -> list[str]:
    return page.locator(".member-card-name").all_inner_texts()


def test_a_member_uses_the_privacy_centre(context_factory, couple):
    sanne, bram = couple
    page = context_factory(language="en").new_page()
    log_in(page, "sanne")

    # From the menu to the centre, and what is held.
    page.locator(".site-nav a[href='/privacy/me/']").click()
    expect(page.locator("main h1")).to_have_text("Your privacy")
    page.locator("main a[href='/privacy/me/data/']").first.click()
    expect(page.locator("#category-necessary")).to_contain_text("s***@example.org")
    expect(page.locator("#category-special")).to_contain_text("Nothing stored")

    page.goto("/suggestions/")
    assert cards(page) == ["bram"]

    # Withdraw suggestions: off at once; give again: back at once.
    page.goto("/privacy/me/consents/")
    expect(page.locator("#consent-suggestions-state")).to_contain_text("On")
    press(page, "consent-suggestions")
    expect(page.locator("#consent-suggestions-state")).to_contain_text("Off")
    expect(page.locator("#consent-suggestions")).to_contain_text("on your consents page")
    page.goto("/suggestions/")
    assert cards(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Turn on personalised suggestions").click()
    assert cards(page) == ["bram"]
    page.goto("/privacy/me/consents/")
    expect(page.locator("#consent-suggestions")).to_contain_text("on the suggestions page")

    # Restrict and lift: out of Bram's search meanwhile.
    page.goto("/privacy/me/limits/")
    press(page, "limit-restriction")
    expect(page.locator("#limit-restriction-state")).to_contain_text("On")
    bram_page = context_factory(language="en").new_page()
    log_in(bram_page, "bram")
    bram_page.goto("/search/")
    expect(bram_page.locator(".member-card-name")).to_have_count(0)
    press(page, "limit-restriction")
    expect(page.locator("#limit-restriction-state")).to_contain_text("Off")
    bram_page.goto("/search/")
    assert cards(bram_page) == ["sanne"]

    # Object to profiling: no suggestions either way.
    press(page, "limit-object_profiling")
    expect(page.locator("#limit-object_profiling-state")).to_contain_text("On")
    page.goto("/suggestions/")
    expect(page.locator("main")).to_contain_text("You object to profiling")
    assert cards(page) == []
    bram_page.goto("/suggestions/")
    assert cards(bram_page) == []


def test_a_new_statement_version_is_asked_once(context_factory, couple):
    from privacy.models import PrivacyStatement, StatementAcceptance
    from privacy.services import publish_statement

    sanne, _bram = couple
    type(sanne).objects.filter(pk=sanne.pk).update(privacy_version="2026-11")
    page = context_factory(language="en").new_page()
    log_in(page, "sanne")
    statement = PrivacyStatement.objects.create(
        version="2027-01",
        text_nl="<p>Nieuw.</p>",
        text_en="<p>New.</p>",
        changes_nl="Minder bewaard.",
        changes_en="We keep less.",
    )
    publish_statement(statement=statement)

    page.goto("/favourites/")
    expect(page.locator("main h1")).to_have_text("Our privacy statement has changed")
    expect(page.locator("main")).to_contain_text("We keep less.")
    with page.expect_navigation():
        page.get_by_role("button", name="I have read it").click()
    assert page.url.endswith("/favourites/")
    assert StatementAcceptance.objects.filter(member=sanne, version="2027-01").exists()
    page.goto("/search/")
    assert page.url.endswith("/search/")


@pytest.mark.parametrize("language", LANGUAGES)
def test_privacy_centre_pages_are_accessible(context_factory, couple, language):
    """The centre, what is held, consents, restriction and objection (also with everything
    on), the suggestions page asking for consent, and the accept page: no axe violations."""
    from privacy.models import PrivacyStatement
    from privacy.services import publish_statement, set_consent, set_processing_limit

    sanne, _bram = couple
    page = context_factory(language=language).new_page()
    log_in(page, "sanne")
    problems: list[str] = []
    for path in CENTRE_PAGES:
        response = page.goto(path)
        assert response.status == 200, path
        assert_language(page, language)
        check(page, path, problems)

    set_consent(member=sanne, purpose="promotional_email", granted=True, source="test")
    for kind in ["restriction", "object_profiling", "object_direct_marketing"]:
        set_processing_limit(member=sanne, kind=kind, active=True, source="test")
    for path in ["/privacy/me/", "/privacy/me/consents/", "/privacy/me/limits/", "/suggestions/"]:
        page.goto(path)
        check(page, f"{path} (all on)", problems)
    set_processing_limit(member=sanne, kind="restriction", active=False, source="test")
    set_processing_limit(member=sanne, kind="object_profiling", active=False, source="test")
    set_consent(member=sanne, purpose="suggestions", granted=False, source="test")
    page.goto("/suggestions/")
    expect(page.locator(".suggestions-consent")).to_be_visible()
    check(page, "/suggestions/ (asking consent)", problems)

    type(sanne).objects.filter(pk=sanne.pk).update(privacy_version="2026-11")
    statement = PrivacyStatement.objects.create(
        version="2027-01",
        text_nl="<p>Nieuw.</p>",
        text_en="<p>New.</p>",
        changes_nl="Minder bewaard.\n\nEn korter.",
        changes_en="We keep less.\n\nAnd shorter.",
    )
    publish_statement(statement=statement)
    page.goto("/")
    assert "/privacy/accept/" in page.url
    assert_language(page, language)
    check(page, "/privacy/accept/", problems)
    page.goto("/privacy/")
    check(page, "/privacy/ (version from the database)", problems)

    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("width", [320])
def test_privacy_centre_reflows_without_horizontal_scroll(context_factory, couple, width):
    """WCAG 1.4.10: the centre's pages fit 320 CSS px."""
    page = context_factory(viewport={"width": width, "height": 640}).new_page()
    log_in(page, "sanne")
    for path in CENTRE_PAGES:
        page.goto(path)
        sizes = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert sizes["scroll"] <= sizes["inner"], f"{path} scrolls sideways: {sizes}"
