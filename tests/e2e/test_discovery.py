"""Finding each other in a real browser (R2.3): search, open a profile, favourite and block;
and every discovery page passes axe's WCAG 2.2 AA rules, in Dutch and in English."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone, translation
from playwright.sync_api import Page, expect

from profiles.selectors import distance_bucket

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import axe_report

pytestmark = pytest.mark.e2e


@pytest.fixture
def places_and_interests(transactional_db):
    """Browser tests flush the database after each test: load the places and interests of the
    data migration again when an earlier test took them away."""
    from profiles.models import Interest, Place

    if not Place.objects.exists() or not Interest.objects.exists():
        migration = importlib.import_module("profiles.migrations.0002_places_and_interests")
        migration.load(apps, None)


def with_profile(member, *, place, age, **fields):
    from profiles.selectors import years_before
    from tests.factories import make_profile

    birth_date = years_before(timezone.localdate(), age) - timedelta(days=10)
    return make_profile(member, place=place, birth_date=birth_date, **fields)


@pytest.fixture
def people(places_and_interests):
    """Sanne (in Utrecht, looking for men) and two men nearby who look for women, all three
    with personalised suggestions on."""
    from profiles.models import Interest

    cycling = Interest.objects.get(slug="cycling")
    sanne = make_member()
    with_profile(
        sanne,
        place="Utrecht",
        age=34,
        seeks_men=True,
        age_min=30,
        age_max=45,
        interests=[cycling],
    )
    others = {}
    for username, place in [("bram", "Amersfoort"), ("joost", "Utrecht")]:
        member = make_man(username, last_active_at=timezone.now())
        with_profile(
            member,
            place=place,
            age=38,
            seeks_women=True,
            age_min=25,
            age_max=40,
            description=f"Hallo, ik ben {username}.\nIk fiets graag.",
            interests=[cycling],
        )
        others[username] = member
    from privacy.services import set_consent

    for member in [sanne, *others.values()]:  # suggestions need everyone's consent (R7.1)
        set_consent(member=member, purpose="suggestions", granted=True, source="test")
    return sanne, others


def make_man(username, **extra):
    from members.models import Member

    member = make_member(username=username, email=f"{username}@example.org", **extra)
    Member.objects.filter(pk=member.pk).update(gender=Member.Gender.MAN)
    member.gender = Member.Gender.MAN
    return member


def logged_in_page(context_factory, member, language=None) -> Page:
    page = context_factory(language=language).new_page()
    log_in(page, member.username)
    expect_logged_in(page)
    return page


def test_search_open_a_profile_favourite_and_block(context_factory, people):
    """R2.3: Sanne searches near Amersfoort, opens Bram's profile, adds him to her favourites,
    then blocks him: he is gone from her search and listed under blocked members."""
    sanne, others = people
    bram = others["bram"]
    page = logged_in_page(context_factory, sanne)
    page.goto("/search/")
    page.fill("#id_place", "Amersfoort")
    page.fill("#id_distance", "5")
    with page.expect_navigation():
        page.locator("form.search-form [type=submit]").click()
    assert "place=Amersfoort" in page.url and "distance=5" in page.url
    cards = page.locator(".member-card")
    expect(cards).to_have_count(1)
    expect(cards.first).to_contain_text("bram")
    with translation.override("nl"):  # the page is in Dutch, the site's default
        under_five_km = str(distance_bucket(0))
    expect(cards.first).to_contain_text(under_five_km)

    with page.expect_navigation():
        cards.first.locator("a", has_text="bram").click()
    expect(page.locator("main h1")).to_have_text("bram")
    expect(page.locator(".profile-description")).to_contain_text("Ik fiets graag.")

    favourite = page.locator(f"form[action='/members/{bram.public_id}/favourite/'] button")
    with page.expect_navigation():
        favourite.click()
    expect(page.locator(".message-success")).to_be_visible()
    page.goto("/favourites/")
    expect(page.locator(".member-card")).to_contain_text("bram")

    page.goto(f"/members/{bram.public_id}/")
    block = page.locator(f"form[action='/members/{bram.public_id}/block/'] button")
    with page.expect_navigation():
        block.click()
    assert page.url.endswith("/blocks/")
    expect(page.locator(".block-list")).to_contain_text("bram")
    expect(page.locator(".message-success")).to_be_visible()

    page.goto("/search/")
    expect(page.locator(".member-card")).to_have_count(1)  # only Joost
    expect(page.locator(".member-card")).not_to_contain_text("bram")
    response = page.goto(f"/members/{bram.public_id}/")
    assert response.status == 404
    page.goto("/favourites/")
    expect(page.locator(".member-card")).to_have_count(0)

    page.goto("/blocks/")
    with page.expect_navigation():
        page.locator(f"form[action='/members/{bram.public_id}/block/'] button").click()
    expect(page.locator(".block-list")).to_have_count(0)
    assert page.goto(f"/members/{bram.public_id}/").status == 200


def test_pages_hold_no_coordinates(context_factory, people):
    """SECURITY: no coordinates in what the browser receives, wherever it looks."""
    from profiles.models import Place

    sanne, others = people
    page = logged_in_page(context_factory, sanne)
    amersfoort = Place.objects.filter(name="Amersfoort").order_by("-population").first()
    for path in [
        "/search/?sort=distance",
        "/suggestions/",
        f"/members/{others['bram'].public_id}/",
    ]:
        page.goto(path)
        html = page.content()
        assert f"{amersfoort.latitude:.2f}" not in html
        assert f"{amersfoort.longitude:.2f}" not in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_discovery_pages_are_accessible(context_factory, people, language):
    """Search with results and with errors, suggestions, a profile page, favourites, blocked
    members and the home page with suggestions: no axe violations, in nl and en."""
    from profiles.services import add_favourite, block_member

    sanne, others = people
    add_favourite(member=sanne, target=others["bram"])
    nuisance = make_man("lastig")
    block_member(member=sanne, target=nuisance)
    page = logged_in_page(context_factory, sanne, language)
    problems = []
    paths = [
        "/search/",
        "/search/?place=Utrecht&distance=30&sort=distance&interests=cycling",
        "/search/?age_min=12&age_max=200&place=Atlantis&distance=0",
        "/suggestions/",
        f"/members/{others['bram'].public_id}/",
        f"/members/{sanne.public_id}/",
        "/favourites/",
        "/blocks/",
        "/",
    ]
    for path in paths:
        response = page.goto(path)
        assert response.status == 200, f"{path}: HTTP {response.status}"
        expect(page.locator("html")).to_have_attribute("lang", language)
        expect(page.locator("main h1")).to_be_visible()
        if path.startswith("/search/?place"):
            expect(page.locator(".member-card")).to_have_count(2)
        if path == "/suggestions/":
            expect(page.locator(".member-card")).to_have_count(2)
        report = axe_report(page)
        if report:
            problems.append(f"{path}:\n{report}")
    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("width", [320])
def test_search_reflows_without_horizontal_scroll(context_factory, people, width):
    """WCAG 1.4.10: the search page with results fits 320 CSS px."""
    sanne, _others = people
    page = context_factory(viewport={"width": width, "height": 640}).new_page()
    log_in(page, sanne.username)
    for path in ["/search/?place=Utrecht&distance=30", f"/members/{_others['bram'].public_id}/"]:
        page.goto(path)
        sizes = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert sizes["scroll"] <= sizes["inner"], f"{path} scrolls sideways: {sizes}"
