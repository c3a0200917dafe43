"""A member writes a profile text with a phone number in a real browser, in Dutch and in
English: it waits for review, the member sees so on the edit page and on their own profile,
with the approved text others see; both pages pass axe's WCAG 2.2 AA rules and reflow at
200% zoom without scrolling sideways (issue 11)."""

import pytest
from playwright.sync_api import expect

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import axe_report

pytestmark = pytest.mark.e2e

APPROVED = "Ik fiets graag langs de Maas en drink daarna koffie."
HELD = "Bel me gerust: 06-12345678"


@pytest.fixture
def sanne(transactional_db):
    from profiles.models import Profile

    member = make_member()
    Profile.objects.create(member=member, description=APPROVED, free_tags=["koffie"])
    return member


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_held_text_is_shown_as_pending_and_the_pages_are_accessible(
    context_factory, sanne, language
):
    from profiles.models import Profile, ProfileTextRevision

    page = context_factory(language=language).new_page()
    log_in(page, sanne.username)
    expect_logged_in(page)

    page.goto("/profile/")
    page.fill("#id_description", HELD)
    with page.expect_navigation():
        page.locator("form.profile-form [type=submit]").click()

    expect(page.locator(".message-success")).to_be_visible()
    pending = page.locator("#pending-text")
    expect(pending).to_be_visible()
    expect(pending).to_contain_text(APPROVED)
    expect(page.locator("#id_description")).to_have_value(HELD)
    assert Profile.objects.get(member=sanne).description == APPROVED
    assert ProfileTextRevision.objects.get(member=sanne).status == "pending"
    page.reload()  # without the flash message (base.html's list is checked elsewhere)
    problems = []
    if report := axe_report(page):
        problems.append(f"/profile/ with a pending text:\n{report}")

    page.goto(f"/members/{sanne.public_id}/")
    expect(page.locator(".pending-text-note")).to_be_visible()
    expect(page.locator(".profile-description")).to_contain_text(APPROVED)
    if report := axe_report(page):
        problems.append(f"own profile page with a pending text:\n{report}")
    assert not problems, "axe violations:\n" + "\n".join(problems)


@pytest.mark.parametrize("width", [640, 320])
def test_the_pending_note_reflows(context_factory, sanne, width):
    from profiles.models import Profile
    from profiles.services import update_profile

    long_word = "Fietsvakantieplannenmakerij" * 3  # what a long Dutch compound does
    Profile.objects.filter(member=sanne).update(description=f"{APPROVED} {long_word}")
    update_profile(member=sanne, description=HELD)
    page = context_factory(
        language="nl", viewport={"width": width, "height": 480}, device_scale_factor=2
    ).new_page()
    log_in(page, sanne.username)
    for path in ("/profile/", f"/members/{sanne.public_id}/"):
        page.goto(path)
        sizes = page.evaluate(
            "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
        )
        assert sizes["scroll"] <= sizes["inner"], f"{path} at {width}px scrolls: {sizes}"
