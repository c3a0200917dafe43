"""A search page with twelve member photos shows every one of them: the browser fetches the
thumbnails in parallel, and not one may fail (on SQLite their session writes once locked the
database and left broken images)."""

import io

import pytest
from django.core.files.base import ContentFile
from PIL import Image
from playwright.sync_api import expect

from tests.profiles import images

from .conftest import expect_logged_in, log_in, make_member
from .test_discovery import make_man, with_profile

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path, monkeypatch):
    return images.use_private_storage(tmp_path / "private", settings, monkeypatch)


def jpeg(size: int, shade: int) -> ContentFile:
    buffer = io.BytesIO()
    Image.new("RGB", (size, size), (shade, 90, 160)).save(buffer, "JPEG")
    return ContentFile(buffer.getvalue())


def approved_main_photo(member, shade: int):
    from profiles.models import Photo

    photo = Photo(member=member, width=600, height=600, status=Photo.Status.APPROVED)
    photo.is_main = True
    photo.image.save(f"photos/{photo.public_id}.jpg", jpeg(600, shade), save=False)
    photo.thumbnail.save(f"photos/{photo.public_id}-thumb.jpg", jpeg(320, shade), save=False)
    photo.save()
    return photo


def test_search_page_shows_all_twelve_photos(context_factory):
    sanne = make_member()
    with_profile(sanne, place="Utrecht", age=34, seeks_men=True, age_min=25, age_max=50)
    for number in range(12):
        man = make_man(f"man{number:02}")
        with_profile(man, place="Utrecht", age=30 + number, seeks_women=True)
        approved_main_photo(man, shade=20 * number)

    page = context_factory(viewport={"width": 1280, "height": 4000}).new_page()
    log_in(page, sanne.username)
    expect_logged_in(page)
    page.goto("/search/")
    photos = page.locator("img.member-card-photo")
    expect(photos).to_have_count(12)
    for index in range(12):  # lazy images load once they are near the viewport
        photos.nth(index).scroll_into_view_if_needed()
    page.wait_for_function(
        "() => [...document.querySelectorAll('img.member-card-photo')].every(img => img.complete)",
        timeout=15_000,
    )
    widths = photos.evaluate_all("images => images.map(img => img.naturalWidth)")
    assert widths == [320] * 12, widths
