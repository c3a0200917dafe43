"""Photo verification in the browser (issue 11): the verification page passes axe's WCAG 2.2
A/AA rules in Dutch and English in each state (can ask, waiting, verified), reflows at 200%
zoom, a member sends a selfie with the keyboard only, and the verified badge shows on the
profile page and a member card."""

import pytest
from playwright.sync_api import expect

from tests.profiles import images

from .conftest import LANGUAGES, expect_logged_in, log_in, make_member
from .test_accessibility import assert_accessible, assert_language

pytestmark = pytest.mark.e2e

PAGE = "/profile/verification/"


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path, monkeypatch):
    from profiles.models import VerificationRequest

    storage = images.use_private_storage(tmp_path / "private", settings, monkeypatch)
    monkeypatch.setattr(VerificationRequest._meta.get_field("selfie"), "storage", storage)
    return storage


def member_with_approved_photo(username):
    from profiles import photos

    member = make_member(username=username, email=f"{username}@example.org")
    photo = photos.add_photo(member=member, upload=images.upload(images.jpeg_bytes((300, 400))))
    reviewer = make_member(username=f"r_{username}", email=f"r_{username}@example.org")
    photos.approve_photos(photos=[photo], moderator=reviewer)
    return member


def press_tab_until(page, selector, limit=60):
    """Tabs through the page until `selector` has the focus (fails after `limit` presses)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"{selector} never got the focus")


@pytest.mark.parametrize("language", LANGUAGES)
def test_member_sends_a_selfie_with_the_keyboard_only(context_factory, language, tmp_path):
    """The gesture is shown as text and as a labelled picture; the file field and the button
    are reached with Tab and used with the keyboard; the page then says the selfie waits,
    and each state passes axe."""
    from profiles.models import VerificationRequest

    member = member_with_approved_photo(f"selfie_{language}")
    page = context_factory(language=language).new_page()
    log_in(page, member.username)
    expect_logged_in(page)

    response = page.goto(PAGE)
    assert response.status == 200
    assert_language(page, language)
    picture = page.locator("svg.verification-gesture-picture")
    expect(picture).to_have_attribute("role", "img")
    instruction = page.locator("#gesture-instruction")
    expect(instruction).not_to_be_empty()
    assert_accessible(page)

    selfie = tmp_path / "selfie.jpg"
    selfie.write_bytes(images.jpeg_bytes((900, 1200), exif=images.gps_exif()))
    press_tab_until(page, "#id_selfie")
    with page.expect_file_chooser() as chooser:
        page.keyboard.press("Space")
    chooser.value.set_files(str(selfie))
    press_tab_until(page, "form.verification-upload [type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    verification = VerificationRequest.objects.get(member=member)
    assert verification.is_pending
    expect(page.locator("form[action='/profile/verification/withdraw/']")).to_be_visible()
    if language == "en":
        expect(page.locator(".verification-status")).to_contain_text("Waiting for review")
    expect(page.locator("#id_selfie")).to_have_count(0)
    # The flash message list in base.html breaks axe's listitem rule (see test_photos.py):
    # check the waiting state without it.
    page.reload()
    assert_accessible(page)


@pytest.mark.parametrize("language", LANGUAGES)
def test_verified_member_badge_pages_are_accessible(context_factory, language):
    """The verified state of the page, the badge on the profile page and on a favourite's
    card pass axe; the badge has its word, not only a colour or an icon."""
    from profiles import verification
    from profiles.models import Profile, VerificationGesture
    from profiles.services import add_favourite
    from tests.factories import make_profile

    member = member_with_approved_photo(f"badge_{language}")
    make_profile(member, place="Utrecht")
    asked = verification.request_verification(
        member=member,
        gesture_code=VerificationGesture.OPEN_PALM,
        upload=images.upload(images.jpeg_bytes()),
    )
    Profile.objects.filter(member=member).update(verified_at=asked.created_at)
    viewer = make_member(username=f"kijker_{language}", email=f"kijker_{language}@example.org")
    add_favourite(member=viewer, target=member)

    page = context_factory(language=language).new_page()
    log_in(page, member.username)
    page.goto(PAGE)
    expect(page.locator(".verification-status .verified-badge")).to_be_visible()
    assert_accessible(page)

    page = context_factory(language=language).new_page()
    log_in(page, viewer.username)
    page.goto(f"/members/{member.public_id}/")
    badge = page.locator(".profile-verified .verified-badge")
    expect(badge).to_be_visible()
    if language == "en":
        expect(badge).to_have_text("Verified")
    assert_accessible(page)
    page.goto("/favourites/")
    expect(page.locator(".member-card .verified-badge")).to_have_count(1)
    assert_accessible(page)


@pytest.mark.parametrize("width", [640, 320])
def test_the_verification_page_reflows_at_200_and_400_percent(context_factory, width):
    member = member_with_approved_photo(f"zoom{width}")
    page = context_factory(viewport={"width": width, "height": 480}).new_page()
    log_in(page, member.username)
    page.goto(PAGE)
    sizes = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert sizes["scroll"] <= sizes["inner"], sizes


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_moderator_revokes_a_badge_and_the_member_reads_why(context_factory, language):
    """The review page of a granted request, with its revoke form, passes axe; revoking with a
    reason takes the badge away, and the member's page saying why passes axe too."""
    from profiles import verification
    from profiles.models import Profile, VerificationGesture

    from .test_moderation_admin import moderator_login

    member = member_with_approved_photo(f"revoke_{language}")
    asked = verification.request_verification(
        member=member,
        gesture_code=VerificationGesture.V_SIGN,
        upload=images.upload(images.jpeg_bytes()),
    )
    review = f"/admin/profiles/verificationrequest/{asked.pk}/change/"
    page = moderator_login(context_factory(language=language), f"revoker_{language}")
    page.goto(review)
    with page.expect_navigation():
        page.locator("#decision-form button[value=grant]").click()
    page.goto(review)
    expect(page.locator("#verification-badge")).to_be_visible()
    assert_accessible(page)

    # Without a reason the browser does not send the form (the server refuses it too:
    # tests/profiles/test_verification.py).
    expect(page.locator("#id_revoke_reason")).to_have_attribute("required", "")
    page.locator("#revoke-form button[name=revoke]").click()
    expect(page.locator("#revoke-form")).to_be_visible()
    assert Profile.objects.get(member=member).verified_at is not None
    page.select_option("#id_revoke_reason", "photos_changed")
    with page.expect_navigation():
        page.locator("#revoke-form button[name=revoke]").click()
    expect(page.locator(".messagelist")).to_be_visible()
    expect(page.locator("#revoke-form")).to_have_count(0)
    assert Profile.objects.get(member=member).verified_at is None

    page = context_factory(language=language).new_page()
    log_in(page, member.username)
    page.goto(PAGE)
    expect(page.locator(".verification-status .verified-badge")).to_have_count(0)
    expect(page.locator("input[name=selfie]")).to_have_count(1)
    assert_language(page, language)
    assert_accessible(page)
