"""A member fills in their profile in a real browser, in Dutch and in English: types a place,
picks it from the autocomplete, saves; the special-category screen in both its states; every
page passes axe's WCAG 2.2 AA rules (R2.1, R2.2)."""

import importlib

import pytest
from django.apps import apps
from playwright.sync_api import Page, expect

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import axe_report

pytestmark = pytest.mark.e2e

INTEREST_LABELS = {"nl": ["Fietsen", "Koken", "Muziek"], "en": ["Cycling", "Cooking", "Music"]}


@pytest.fixture
def places_and_interests(transactional_db):
    """The places and interests a data migration loads: browser tests flush the database
    after each test, so they are loaded again when an earlier test took them away."""
    from profiles.models import Interest, Place

    if not Place.objects.exists() or not Interest.objects.exists():
        migration = importlib.import_module("profiles.migrations.0002_places_and_interests")
        migration.load(apps, None)


@pytest.fixture
def sanne(places_and_interests):
    return make_member()


def logged_in_page(context_factory, member, language, **kwargs) -> Page:
    page = context_factory(language=language, **kwargs).new_page()
    log_in(page, member.username)
    expect_logged_in(page)
    return page


def assert_no_violations(page: Page, what: str, problems: list[str]) -> None:
    expect(page.locator("main h1")).to_be_visible()
    report = axe_report(page)
    if report:
        problems.append(f"{what}:\n{report}")


@pytest.mark.parametrize("language", LANGUAGES)
def test_member_fills_in_the_profile_and_picks_a_place(context_factory, sanne, language):
    """R2.1: type a few letters, the list offers both Zwijndrechts, pick the Belgian one, save."""
    from profiles.models import Profile

    page = logged_in_page(context_factory, sanne, language)
    page.goto("/profile/")
    expect(page.locator("html")).to_have_attribute("lang", language)
    page.fill("#id_description", "Ik wandel graag <en> fiets langs de Schelde.")
    page.fill("#id_birth_date", "1990-05-31")
    page.locator("#id_place").press_sequentially("Zwijndr", delay=40)
    options = page.locator("#place-options option")
    expect(options).to_have_count(2)
    picked = options.nth(1).get_attribute("value")
    assert picked == "Zwijndrecht (BE)"
    page.fill("#id_place", picked)  # what choosing a datalist option does
    page.check("#id_seeks_1")
    page.fill("#id_age_min", "30")
    page.fill("#id_age_max", "45")
    page.fill("#id_max_distance_km", "25")
    page.select_option("#id_relationship_type", "dating")
    for label in INTEREST_LABELS[language]:
        page.get_by_label(label, exact=True).check()
    page.fill("#id_free_tags", "koffie, Koffie, vinyl")
    with page.expect_navigation():
        page.locator("form.profile-form [type=submit]").click()

    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("#id_place")).to_have_value("Zwijndrecht (BE)")
    expect(page.locator("#id_description")).to_have_value(
        "Ik wandel graag <en> fiets langs de Schelde."
    )
    profile = Profile.objects.select_related("place").get(member=sanne)
    assert (profile.place.name, profile.place.country) == ("Zwijndrecht", "BE")
    assert profile.free_tags == ["koffie", "vinyl"]
    assert profile.interests.count() == 3
    assert profile.seeks_men and not profile.seeks_women


def test_without_javascript_the_member_picks_between_same_named_places(context_factory, sanne):
    """R2.1: with JavaScript off, the server asks which Zwijndrecht is meant."""
    from profiles.models import Profile

    page = logged_in_page(context_factory, sanne, "en", java_script_enabled=False)
    page.goto("/profile/")
    page.fill("#id_place", "Zwijndrecht")
    with page.expect_navigation():
        page.locator("form.profile-form [type=submit]").click()
    expect(page.locator("#id_place_error")).to_contain_text("choose one below")
    page.get_by_label("Zwijndrecht, Netherlands").check()
    with page.expect_navigation():
        page.locator("form.profile-form [type=submit]").click()
    expect(page.locator(".message-success")).to_be_visible()
    assert Profile.objects.get(member=sanne).place.country == "NL"


@pytest.mark.parametrize("language", LANGUAGES)
def test_profile_pages_are_accessible(context_factory, sanne, language):
    """/profile/ (empty, and with errors and the place question) and /profile/sensitive/
    (before consent, after consent with preferences, after withdrawal): 0 axe violations."""
    page = logged_in_page(context_factory, sanne, language)
    problems: list[str] = []

    page.goto("/profile/")
    assert_no_violations(page, "/profile/", problems)

    form = page.locator("form.profile-form")
    form.evaluate("f => { f.noValidate = true; }")
    page.fill("#id_place", "Zwijndrecht")
    page.fill("#id_max_distance_km", "900")
    page.fill("#id_birth_date", "2020-01-01")
    with page.expect_navigation():
        form.locator("[type=submit]").click()
    expect(page.locator("#id_max_distance_km_error")).to_be_visible()
    expect(page.locator("#id_place_choice_0")).to_be_visible()
    assert_no_violations(page, "/profile/ with errors", problems)

    page.goto("/profile/sensitive/")
    assert_no_violations(page, "/profile/sensitive/ before consent", problems)

    page.locator("form:has(#id_consent)").evaluate("f => { f.noValidate = true; }")
    with page.expect_navigation():
        page.locator("button[value=consent]").click()  # not ticked: an error
    expect(page.locator("#id_consent_error")).to_be_visible()
    assert_no_violations(page, "/profile/sensitive/ consent not ticked", problems)

    page.check("#id_consent")
    with page.expect_navigation():
        page.locator("button[value=consent]").click()
    page.check("#id_preferences_0")
    with page.expect_navigation():
        page.locator("button[value=save]").click()
    expect(page.locator(".message-success")).to_be_visible()
    expect(page.locator("#id_preferences_0")).to_be_checked()
    assert_no_violations(page, "/profile/sensitive/ with consent", problems)

    with page.expect_navigation():
        page.locator("button[value=withdraw]").click()
    expect(page.locator("#id_consent")).to_be_visible()
    expect(page.locator("input[name=preferences]")).to_have_count(0)
    assert_no_violations(page, "/profile/sensitive/ after withdrawal", problems)

    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("width", [320])
def test_profile_page_reflows_without_horizontal_scroll(context_factory, sanne, width):
    page = logged_in_page(context_factory, sanne, "nl", viewport={"width": width, "height": 480})
    for path in ["/profile/", "/profile/sensitive/"]:
        page.goto(path)
        sizes = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert sizes["scroll"] <= sizes["inner"], f"{path} scrolls sideways: {sizes}"
