"""R2.4 in a real browser: a non-paying member sees a premium photo as a locked placeholder
that invites to buy credits; the page passes axe's WCAG 2.2 AA rules in Dutch and English."""

import pytest
from django.core.files.base import ContentFile
from playwright.sync_api import expect

from .conftest import LANGUAGES, log_in, make_member
from .test_accessibility import assert_accessible

pytestmark = pytest.mark.e2e


@pytest.fixture
def performer(transactional_db, settings, tmp_path, monkeypatch):
    from profiles.models import Photo
    from tests.factories import make_profile
    from tests.profiles.images import use_private_storage

    use_private_storage(tmp_path, settings, monkeypatch)
    member = make_member(username="performer", email="performer@example.org")
    make_profile(member, place="Utrecht", birth_date="1990-01-01")
    photo = Photo(member=member, width=10, height=10, status=Photo.Status.APPROVED, is_premium=True)
    photo.image.save("photos/premium.jpg", ContentFile(b"\xff\xd8jpeg"))
    photo.thumbnail.save("photos/premium-t.jpg", ContentFile(b"\xff\xd8t"))
    photo.save()
    return member


@pytest.mark.parametrize("language", LANGUAGES)
def test_premium_photo_is_a_placeholder_with_a_way_to_buy(context_factory, performer, language):
    make_member(username="viewer", email="viewer@example.org")
    page = context_factory(language=language).new_page()
    log_in(page, "viewer")

    page.goto(f"/members/{performer.public_id}/")

    locked = page.locator(".premium-locked")
    expect(locked).to_be_visible()
    expect(locked.locator("a")).to_have_attribute("href", "/credits/")
    assert page.locator('img[src*="/photos/"]').count() == 0
    assert_accessible(page)
