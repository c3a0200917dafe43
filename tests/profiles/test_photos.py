"""Members' photos: safe uploads, main photo and order, deletion, and serving files only to
those who may see them (R2.1, R10.1; SECURITY.md "Input and files", "Jack'd")."""

from io import BytesIO

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from PIL import Image

from members.models import Member, OutgoingMail
from moderation.reasons import PhotoRejectionReason
from privacy.registry import erase_member_data
from profiles import photos as services
from profiles.models import Block, Photo, Profile
from tests.factories import MemberFactory, make_profile, staff_member

from . import images

pytestmark = pytest.mark.django_db

PHOTOS_URL = "/profile/photos/"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    return images.use_private_storage(tmp_path / "private", settings, monkeypatch)


@pytest.fixture(autouse=True)
def english(client):
    """Pages and messages in English (the site is Dutch by default; its Dutch texts come
    later), so the assertions hold once they are translated."""
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def files(tmp_path):
    """The files now in the private storage."""
    return lambda: images.stored_files(tmp_path / "private")


@pytest.fixture
def stranger(db):
    return MemberFactory(username="joris", email="joris@example.org")


@pytest.fixture
def moderator(db):
    return staff_member("Moderators")


@pytest.fixture
def uploading_client(committing_client, member):
    """A logged-in member's client whose uploads commit: the processing task runs after."""
    committing_client.force_login(member)
    return committing_client


def add(member, content=None, **kwargs) -> Photo:
    return images.add_processed_photo(
        member=member, upload=images.upload(content or images.jpeg_bytes((200, 150), **kwargs))
    )


def approved(member, **kwargs) -> Photo:
    photo = add(member, **kwargs)
    reviewer, _ = Member.objects.get_or_create(username="reviewer", email="reviewer@example.org")
    services.approve_photos(photos=[photo], moderator=reviewer)
    photo.refresh_from_db()
    return photo


def stored_image(field) -> tuple[Image.Image, bytes]:
    with field.storage.open(field.name, "rb") as f:
        raw = f.read()
    return Image.open(BytesIO(raw)), raw


def post_photo(client, content, name="photo.jpg", content_type="image/jpeg"):
    return client.post(
        PHOTOS_URL, {"photo": images.upload(content, name=name, content_type=content_type)}
    )


def has_photo(member) -> bool:
    return Profile.objects.filter(member=member, has_photo=True).exists()


# --- Uploading -------------------------------------------------------------------------------


def test_photos_page_needs_login(client):
    """R2.1: the photos page is for logged-in members."""
    response = client.get(PHOTOS_URL)

    assert response.status_code == 302
    assert "/accounts/login/" in response.url


def test_upload_keeps_no_gps_camera_or_other_metadata(uploading_client, member, files):
    """SECURITY.md: a photo with GPS EXIF, an ICC profile, XMP and a comment is stored
    re-encoded without any of them, under a name the server made up."""
    original = images.jpeg_bytes(
        (800, 600), exif=images.gps_exif(), icc=True, xmp=True, comment=True
    )
    assert images.CAMERA_MAKE.encode() in original and images.XMP_MARKER in original

    response = post_photo(uploading_client, original, name="vakantie-texel.jpg")

    assert response.status_code == 302
    photo = Photo.objects.get(member=member)
    assert photo.status == Photo.Status.PENDING
    for field in (photo.image, photo.thumbnail):
        image, raw = stored_image(field)
        assert image.format == "JPEG"
        assert dict(image.getexif()) == {}
        assert not {"exif", "xmp", "icc_profile", "comment"} & set(image.info)
        for marker in (
            images.CAMERA_MAKE.encode(),
            images.CAMERA_MODEL.encode(),
            images.XMP_MARKER,
            images.COMMENT_MARKER,
            b"Exif",
            b"GPS",
            b"http://ns.adobe.com/xap",
            b"ICC_PROFILE",
        ):
            assert marker not in raw, marker
        assert field.name.startswith("photos/") and field.name.endswith(".jpg")
        assert "vakantie" not in field.name
    assert len(files()) == 2


def test_upload_turns_the_photo_as_the_camera_said(member):
    """SECURITY.md: ImageOps.exif_transpose: orientation 6 (turn right) swaps width and height,
    and the dark left half of the sensor image ends on top."""
    photo = add(member, images.jpeg_bytes((800, 600), exif=images.gps_exif(orientation=6)))

    image, _raw = stored_image(photo.image)
    assert (photo.width, photo.height) == (600, 800) == image.size
    top = image.getpixel((300, 100))
    bottom = image.getpixel((300, 700))
    assert sum(top) < 150 < sum(bottom)


def test_big_photo_is_scaled_down_and_gets_a_square_thumbnail(member):
    """R2.1: the main file is at most 1600 px on its longest side; the thumbnail 320 x 320."""
    photo = add(member, images.jpeg_bytes((3200, 2000)))

    full, _ = stored_image(photo.image)
    thumb, _ = stored_image(photo.thumbnail)
    assert full.size == (1600, 1000) == (photo.width, photo.height)
    assert thumb.size == (320, 320)


def test_png_with_transparency_and_webp_are_accepted(member):
    """R2.1: PNG (with alpha, put on white) and WebP become JPEGs."""
    png = add(member, images.png_bytes((400, 300), color=(0, 120, 200, 0)))
    webp = add(member, images.webp_bytes((500, 500)))

    png_image, _ = stored_image(png.image)
    assert png_image.format == "JPEG" and png_image.mode == "RGB"
    assert all(channel > 240 for channel in png_image.getpixel((200, 150)))
    webp_image, _ = stored_image(webp.image)
    assert webp_image.format == "JPEG" and webp_image.size == (500, 500)


@pytest.mark.parametrize(
    ("content", "name", "content_type"),
    [
        (b"This is not a photo at all, just text.", "photo.jpg", "image/jpeg"),
        (images.gif_bytes(), "photo.jpg", "image/jpeg"),
        (images.gif_bytes(), "animation.gif", "image/gif"),
        (images.SVG, "photo.jpg", "image/jpeg"),
        (images.SVG, "drawing.svg", "image/svg+xml"),
    ],
    ids=["text-named-jpg", "gif-named-jpg", "gif", "svg-named-jpg", "svg"],
)
def test_files_that_are_not_jpeg_png_or_webp_are_refused(
    member_client, member, files, content, name, content_type
):
    """SECURITY.md: the content decides, not the name: other files are refused plainly."""
    response = post_photo(member_client, content, name=name, content_type=content_type)

    assert response.status_code == 400
    assert "This file is not a JPEG, PNG or WebP image." in response.content.decode()
    assert not Photo.objects.filter(member=member).exists()
    assert files() == []


def test_file_over_10_mb_is_refused(member_client, member, files):
    """R2.1: at most PHOTO_MAX_UPLOAD_BYTES (10 MB); an 11 MB file is refused with a message."""
    content = images.jpeg_bytes((100, 100)) + b"\0" * (11 * 1024 * 1024)

    response = post_photo(member_client, content)

    assert response.status_code == 413
    page = response.content.decode()
    assert "This file is too big. A photo may be at most 10 MB." in page
    assert 'aria-invalid="true"' in page
    assert not Photo.objects.exists()
    assert files() == []
    with pytest.raises(services.PhotoRefused):
        images.add_processed_photo(member=member, upload=images.upload(content))


def test_decompression_bomb_is_refused(member_client, member, files):
    """SECURITY.md: a tiny PNG claiming 20000 x 20000 pixels is refused, not decoded."""
    response = post_photo(
        member_client, images.png_claiming_size(20000, 20000), "bom.png", "image/png"
    )

    assert response.status_code == 400
    assert "This image has too many pixels." in response.content.decode()
    assert not Photo.objects.exists()
    assert files() == []


def test_pixel_limit_follows_the_setting(member, settings):
    """SECURITY.md: Image.MAX_IMAGE_PIXELS comes from UPLOAD_MAX_PIXELS, and Pillow's bomb
    warning (between the limit and twice the limit) counts as a refusal too."""
    settings.UPLOAD_MAX_PIXELS = 100_000

    with pytest.raises(services.PhotoRefused, match="too many pixels"):
        add(member, images.jpeg_bytes((400, 300)))  # 120,000 pixels
    assert add(member, images.jpeg_bytes((300, 300))).width == 300


def test_truncated_jpeg_fails_processing_and_the_member_is_told(uploading_client, member, files):
    """SECURITY.md: an incomplete file (its header is sound, so the web request takes it) is
    never stored half-decoded: the task marks the photo failed, deletes the upload, and the
    photos page says so."""
    whole = images.jpeg_bytes((1200, 900))

    response = post_photo(uploading_client, whole[: len(whole) // 2])
    page = uploading_client.get(PHOTOS_URL).content.decode()

    assert response.status_code == 302
    photo = Photo.objects.get(member=member)
    assert photo.status == Photo.Status.FAILED and not photo.is_main
    assert "This photo could not be processed" in page
    assert files() == []


def test_page_without_a_file_says_what_to_do(member_client):
    """An upload without a file gives the form back with a clear message, not a 500."""
    response = member_client.post(PHOTOS_URL, {})

    assert response.status_code == 400
    assert "Choose a photo to upload." in response.content.decode()


def test_a_member_has_at_most_12_photos(member_client, member, settings):
    """R2.1: up to PHOTO_MAX_PER_MEMBER photos; the 13th is refused."""
    for _ in range(settings.PHOTO_MAX_PER_MEMBER):
        add(member, images.jpeg_bytes((60, 60)))

    with pytest.raises(services.PhotoRefused, match="already have 12 photos"):
        add(member, images.jpeg_bytes((60, 60)))
    response = member_client.post(
        PHOTOS_URL, {"photo": images.upload(images.jpeg_bytes((60, 60)))}, follow=True
    )
    page = member_client.get(PHOTOS_URL).content.decode()

    assert "already have 12 photos" in response.content.decode()
    assert Photo.objects.filter(member=member).count() == 12
    assert "12 of 12 photos" in page
    assert 'type="file"' not in page


# --- The photos page -------------------------------------------------------------------------


def test_page_shows_photos_with_status_in_words_and_the_upload_form(member_client, member):
    """R2.1: thumbnails through the checked file view, status in text, the main marker,
    descriptive buttons and the count."""
    first = approved(member)
    second = add(member)
    third = add(member)
    services.reject_photo(
        photo=third, moderator=staff_member("Moderators"), reason=PhotoRejectionReason.MINOR
    )

    page = member_client.get(PHOTOS_URL).content.decode()

    assert "3 of 12 photos" in page
    assert reverse("profiles:photo_file", args=[first.public_id, "thumb"]) in page
    assert reverse("profiles:photo_file", args=[second.public_id, "thumb"]) in page
    assert "Main photo" in page
    assert "Waiting for review" in page
    assert "Not approved: Appears to show a minor" in page
    assert "Make photo 2 the main photo" in page
    assert "Make photo 1 the main photo" not in page  # already the main photo
    assert "Make photo 3 the main photo" not in page  # rejected
    assert "Move photo 1 up" not in page and "Move photo 1 down" in page
    assert "Move photo 3 down" not in page and "Delete photo 3" in page
    assert 'enctype="multipart/form-data"' in page
    assert 'accept="image/jpeg,image/png,image/webp"' in page
    assert "/media/" not in page


def test_uploaded_photo_waits_for_review_and_is_the_first_main_photo(uploading_client, member):
    """R10.1: a new photo is pending and shown to its owner as "Waiting for review"."""
    response = post_photo(uploading_client, images.jpeg_bytes())
    page = uploading_client.get(PHOTOS_URL).content.decode()

    assert response.status_code == 302
    photo = Photo.objects.get(member=member)
    assert photo.status == Photo.Status.PENDING and photo.is_main
    assert "Waiting for review" in page
    assert "1 of 12 photos" in page
    assert not has_photo(member)


# --- Main photo, order, deletion -------------------------------------------------------------


def test_profile_has_photo_only_with_an_approved_main_photo(member_client, member, moderator):
    """R2.1: Profile.has_photo follows the main photo through approval and a change of main."""
    make_profile(member)
    first = add(member)
    second = add(member)
    assert not has_photo(member)

    services.approve_photos(photos=[first], moderator=moderator)
    assert has_photo(member)

    member_client.post(reverse("profiles:photo_main", args=[second.public_id]))
    second.refresh_from_db()
    first.refresh_from_db()
    assert second.is_main and not first.is_main
    assert not has_photo(member)  # the new main photo still waits for review

    services.approve_photos(photos=Photo.objects.filter(pk=second.pk), moderator=moderator)
    assert has_photo(member)
    assert Photo.objects.filter(member=member, is_main=True).count() == 1


def test_approving_gives_a_member_without_main_photo_one(member, moderator):
    """R2.1: when all earlier photos were rejected, the first approved photo becomes main."""
    first = add(member)
    second = add(member)
    services.reject_photo(photo=first, moderator=moderator, reason=PhotoRejectionReason.OFFENSIVE)
    assert not Photo.objects.filter(member=member, is_main=True).exists()

    services.approve_photos(photos=[second], moderator=moderator)

    second.refresh_from_db()
    assert second.is_main
    assert has_photo(member)


def test_deleting_the_main_photo_promotes_the_next_approved_one(
    member_client, member, files, django_capture_on_commit_callbacks
):
    """R2.1: deleting removes row and files; the next approved photo becomes main."""
    main = approved(member)
    add(member)  # pending: not promoted
    next_approved = approved(member)
    assert main.is_main and has_photo(member)
    main_files = {main.image.name, main.thumbnail.name}

    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(reverse("profiles:photo_delete", args=[main.public_id]))

    assert response.status_code == 302
    assert not Photo.objects.filter(pk=main.pk).exists()
    next_approved.refresh_from_db()
    assert next_approved.is_main
    assert has_photo(member)
    assert not main_files & set(files())
    assert len(files()) == 4


def test_deleting_the_last_approved_photo_clears_has_photo(member_client, member):
    """R2.1: no approved photo left, no has_photo."""
    only = approved(member)
    assert has_photo(member)

    member_client.post(reverse("profiles:photo_delete", args=[only.public_id]))

    assert not has_photo(member)


def test_photos_move_up_and_down(member_client, member):
    """R2.1: the member decides the order of their photos."""
    a, b, c = add(member), add(member), add(member)

    def order():
        return list(
            Photo.objects.filter(member=member)
            .order_by("position", "pk")
            .values_list("pk", flat=True)
        )

    member_client.post(reverse("profiles:photo_move", args=[c.public_id]), {"direction": "up"})
    assert order() == [a.pk, c.pk, b.pk]
    member_client.post(reverse("profiles:photo_move", args=[a.public_id]), {"direction": "down"})
    assert order() == [c.pk, a.pk, b.pk]
    member_client.post(reverse("profiles:photo_move", args=[c.public_id]), {"direction": "up"})
    assert order() == [c.pk, a.pk, b.pk]  # the first stays first
    member_client.post(
        reverse("profiles:photo_move", args=[b.public_id]), {"direction": "sideways"}
    )
    assert order() == [c.pk, a.pk, b.pk]


@pytest.mark.parametrize(
    ("url_name", "data"),
    [("photo_main", {}), ("photo_move", {"direction": "up"}), ("photo_delete", {})],
)
def test_another_members_photo_gives_404_and_changes_nothing(
    member_client, member, stranger, files, url_name, data
):
    """SECURITY.md: another member's photo id in a URL is a 404, and nothing changes."""
    add(member)
    theirs_main = approved(stranger)
    theirs = approved(stranger)
    before = list(Photo.objects.order_by("pk").values_list("pk", "is_main", "position", "status"))
    files_before = files()

    response = member_client.post(reverse(f"profiles:{url_name}", args=[theirs.public_id]), data)

    assert response.status_code == 404
    assert theirs_main.is_main
    after = list(Photo.objects.order_by("pk").values_list("pk", "is_main", "position", "status"))
    assert after == before
    assert files() == files_before


def test_changes_need_a_post(member_client, member):
    """A GET (a link, a prefetch) never changes photos."""
    photo = add(member)

    for url_name in ("photo_main", "photo_move", "photo_delete"):
        response = member_client.get(reverse(f"profiles:{url_name}", args=[photo.public_id]))
        assert response.status_code == 405
    assert Photo.objects.filter(pk=photo.pk).exists()


def test_rejected_photo_cannot_become_main(member_client, member, moderator):
    """R10.1: a photo moderators refused is not shown as anyone's main photo."""
    main = approved(member)
    other = add(member)
    services.reject_photo(photo=other, moderator=moderator, reason=PhotoRejectionReason.NUDITY)

    member_client.post(reverse("profiles:photo_main", args=[other.public_id]))

    other.refresh_from_db()
    main.refresh_from_db()
    assert not other.is_main and main.is_main


def test_rejecting_the_main_photo_promotes_the_next_approved_one(member, moderator):
    """R10.1, R2.1: a rejected main photo gives way to the next approved one."""
    main = approved(member)
    second = approved(member)
    assert has_photo(member)

    services.reject_photo(photo=main, moderator=moderator, reason=PhotoRejectionReason.COPYRIGHT)

    main.refresh_from_db()
    second.refresh_from_db()
    assert main.status == Photo.Status.REJECTED and not main.is_main
    assert main.rejection_reason == "copyright" and main.reviewed_by == moderator
    assert second.is_main
    assert has_photo(member)


# --- Serving files ---------------------------------------------------------------------------


def photo_url(photo, size="full"):
    return reverse("profiles:photo_file", args=[photo.public_id, size])


def test_anonymous_visitors_get_404_for_any_photo(client, member):
    """SECURITY.md (Jack'd): no photo without a logged-in, permitted viewer."""
    photo = approved(member)

    for size in ("full", "thumb"):
        assert client.get(photo_url(photo, size)).status_code == 404


def test_owner_gets_own_pending_photo_with_safe_headers(member_client, member):
    """SECURITY.md: fixed Content-Type, nosniff, not cached, inline with a neutral name."""
    photo = add(member)

    response = member_client.get(photo_url(photo))

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    cache_control = response["Cache-Control"]
    assert "private" in cache_control and "no-store" in cache_control
    assert response["Content-Disposition"] == 'inline; filename="photo-full.jpg"'
    body = b"".join(response.streaming_content)
    with photo.image.storage.open(photo.image.name, "rb") as f:
        assert body == f.read()
    thumb = member_client.get(photo_url(photo, "thumb"))
    assert Image.open(BytesIO(b"".join(thumb.streaming_content))).size == (320, 320)


def test_unknown_size_or_id_is_404(member_client, member):
    photo = add(member)

    assert member_client.get(f"/photos/{photo.public_id}/original.jpg").status_code == 404
    assert member_client.get("/photos/does-not-exist/full.jpg").status_code == 404


def test_other_members_see_only_approved_photos(client, member, stranger):
    """R10.1: until a moderator approved it, only the owner sees a photo."""
    pending = add(member)
    visible = approved(member)
    rejected = add(member)
    Photo.objects.filter(pk=rejected.pk).update(status=Photo.Status.REJECTED)
    client.force_login(stranger)

    assert client.get(photo_url(pending)).status_code == 404
    assert client.get(photo_url(rejected, "thumb")).status_code == 404
    assert client.get(photo_url(visible)).status_code == 200
    assert client.get(photo_url(visible, "thumb")).status_code == 200


@pytest.mark.parametrize("direction", ["owner blocked viewer", "viewer blocked owner"])
def test_a_block_either_way_hides_photos(client, member, stranger, direction):
    """SECURITY.md: members with a block between them do not see each other's photos."""
    photo = approved(member)
    if direction == "owner blocked viewer":
        Block.objects.create(blocker=member, blocked=stranger)
    else:
        Block.objects.create(blocker=stranger, blocked=member)
    client.force_login(stranger)

    assert client.get(photo_url(photo)).status_code == 404


@pytest.mark.parametrize(
    "change",
    [
        {"status": Member.Status.SUSPENDED},
        {"status": Member.Status.CLOSED},
        {"is_active": False},
        {"processing_restricted": True},
    ],
    ids=["suspended", "closed", "inactive", "restricted"],
)
def test_photos_of_members_who_are_not_findable_are_hidden(client, member, stranger, change):
    """Only findable members' photos are shown to others (status active, active, unrestricted)."""
    photo = approved(member)
    Member.objects.filter(pk=member.pk).update(**change)
    client.force_login(stranger)

    assert client.get(photo_url(photo)).status_code == 404


def test_moderators_see_pending_photos_and_helpdesk_does_not(client, member):
    """R9.2, R10.1: reviewers (profiles.review_photo) see any photo; other staff do not."""
    photo = add(member)

    client.force_login(staff_member("Moderators"))
    assert client.get(photo_url(photo, "thumb")).status_code == 200
    client.force_login(staff_member("Helpdesk"))
    assert client.get(photo_url(photo, "thumb")).status_code == 404


def test_no_public_path_serves_photo_files(client, member):
    """SECURITY.md (Jack'd): the stored file name under /media/ is nothing."""
    photo = approved(member)

    assert client.get(f"/media/{photo.image.name}").status_code == 404
    assert client.get(f"/media/private/{photo.image.name}").status_code == 404


# --- Telling the member ---------------------------------------------------------------------


def test_a_rejection_is_not_mailed_by_profiles(
    member, moderator, django_capture_on_commit_callbacks
):
    """Issue 11: moderation mails the statement of reasons for a rejected photo; profiles sends
    no mail of its own (the member would get two)."""
    photo = add(member)

    with django_capture_on_commit_callbacks(execute=True):
        services.reject_photo(photo=photo, moderator=moderator, reason=PhotoRejectionReason.NUDITY)

    photo.refresh_from_db()
    assert photo.status == Photo.Status.REJECTED
    assert not OutgoingMail.objects.filter(member=member).exists()
    assert mail.outbox == []


def test_unknown_reason_is_refused(member, moderator):
    photo = add(member)

    with pytest.raises(ValueError):
        services.reject_photo(photo=photo, moderator=moderator, reason="because")
    photo.refresh_from_db()
    assert photo.status == Photo.Status.PENDING


# --- Erasure ---------------------------------------------------------------------------------


def test_erasing_a_member_leaves_no_photo_file(member, stranger, files):
    """R7 (erasure), SECURITY.md: erasing a member deletes their photo files from the private
    storage, not only the rows; another member's files stay."""
    approved(member)
    add(member)
    kept = add(stranger)
    assert len(files()) == 6

    erase_member_data(member)

    assert not Photo.objects.filter(member_id=member.pk).exists()
    assert files() == sorted([kept.image.name, kept.thumbnail.name])
