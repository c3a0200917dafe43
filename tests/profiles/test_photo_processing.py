"""Photos are decoded in a task, never in a web request (SECURITY.md "Input and files"): the
upload is stored as sent and shown as "being processed"; the task makes the clean copies,
deletes the upload and hands the photo to moderation; a lost task is sent again by the sweep;
an undecodable upload fails with a message; a broker that is down loses nothing."""

import io
import logging
import socket
from datetime import timedelta

import pytest
from django.test import TestCase
from django.utils import timezone, translation
from PIL import Image, ImageFile

from moderation.models import ReportedItem
from privacy.registry import erase_member_data
from profiles import photos as services
from profiles import tasks
from profiles.models import Photo
from profiles.personal_data import PhotoData
from tests.members.test_enqueue import broker_at

from . import images

pytestmark = pytest.mark.django_db

PHOTOS_URL = "/profile/photos/"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    return images.use_private_storage(tmp_path / "private", settings, monkeypatch)


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def files(tmp_path):
    return lambda: images.stored_files(tmp_path / "private")


@pytest.fixture
def decoded(monkeypatch):
    """The sizes of the images Pillow decodes."""
    calls = []
    original = ImageFile.ImageFile.load

    def load(self):
        calls.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


def post(client, content, name="photo.jpg", content_type="image/jpeg", **extra):
    return client.post(PHOTOS_URL, {"photo": images.upload(content, name, content_type)}, **extra)


def test_the_web_request_stores_the_upload_and_decodes_nothing(
    member_client, member, files, decoded
):
    """Without the commit (the task has not run), the photo is "being processed", the upload
    is kept privately under a server-made name, and no pixel was decoded."""
    response = post(member_client, images.jpeg_bytes((1200, 900)), name="strand.jpg")
    page = member_client.get(PHOTOS_URL).content.decode()

    assert response.status_code == 302
    photo = Photo.objects.get(member=member)
    assert photo.status == Photo.Status.PROCESSING
    assert photo.original.name.startswith("uploads/") and "strand" not in photo.original.name
    assert not photo.image.name and not photo.thumbnail.name
    assert files() == [photo.original.name]
    assert decoded == []
    assert "Being processed" in page
    # The list polls for itself until the photo is ready; no file URL is offered meanwhile.
    assert 'hx-trigger="every 3s"' in page
    assert f"/photos/{photo.public_id}/thumb.jpg" not in page


def test_a_photo_being_processed_serves_no_file_even_to_its_owner(member_client, member):
    post(member_client, images.jpeg_bytes())
    photo = Photo.objects.get(member=member)

    for size in ("full", "thumb"):
        response = member_client.get(f"/photos/{photo.public_id}/{size}.jpg")
        assert response.status_code == 404


def test_the_polled_list_shows_the_photo_once_it_is_processed(committing_client, member, files):
    """htmx asks for the list (HX-Request) while a photo is processed; once ready, the list
    shows it waiting for review and stops polling."""
    committing_client.force_login(member)
    post(committing_client, images.jpeg_bytes())

    fragment = committing_client.get(PHOTOS_URL, HTTP_HX_REQUEST="true").content.decode()

    photo = Photo.objects.get(member=member)
    assert photo.status == Photo.Status.PENDING
    assert fragment.startswith('<div id="photo-list">')
    assert "Waiting for review" in fragment and "hx-trigger" not in fragment
    assert "<html" not in fragment
    assert len(files()) == 2 and not any(name.startswith("uploads/") for name in files())


def test_the_task_makes_clean_copies_and_queues_the_photo_for_moderation(member, files):
    upload = images.jpeg_bytes((800, 600), exif=images.gps_exif(), xmp=True, comment=True)

    photo = images.add_processed_photo(member=member, upload=images.upload(upload))

    assert photo.status == Photo.Status.PENDING and photo.is_main
    assert (photo.width, photo.height) == (800, 600)
    assert photo.original.name == ""
    assert sorted(files()) == sorted([photo.image.name, photo.thumbnail.name])
    for field in (photo.image, photo.thumbnail):
        with field.storage.open(field.name, "rb") as f:
            raw = f.read()
        assert b"Exif" not in raw and b"GPS" not in raw and images.XMP_MARKER not in raw
        assert Image.open(io.BytesIO(raw)).getexif() == {}
    assert ReportedItem.objects.filter(object_id=photo.pk).count() == 1


def test_the_task_is_idempotent(member, files):
    photo = images.add_processed_photo(member=member, upload=images.upload(images.jpeg_bytes()))
    before = sorted(files())

    assert services.process_photo(photo_id=photo.pk) == Photo.Status.PENDING
    assert tasks.process_photo_task(photo.pk) == Photo.Status.PENDING

    assert sorted(files()) == before
    assert ReportedItem.objects.filter(object_id=photo.pk).count() == 1


def test_two_tasks_racing_keep_one_set_of_files(member, files, monkeypatch):
    """The second task decoded too, but the first committed: the second's files go."""
    services.add_photo(member=member, upload=images.upload(images.jpeg_bytes()))
    photo = Photo.objects.get(member=member)
    real_clean = services.clean_image

    def clean_while_another_task_finishes(upload):
        clean = real_clean(upload)
        monkeypatch.setattr(services, "clean_image", real_clean)
        services.process_photo(photo_id=photo.pk)  # the other task, finishing first
        return clean

    monkeypatch.setattr(services, "clean_image", clean_while_another_task_finishes)
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.process_photo(photo_id=photo.pk) == Photo.Status.PENDING

    photo.refresh_from_db()
    assert photo.status == Photo.Status.PENDING
    assert sorted(files()) == sorted([photo.image.name, photo.thumbnail.name])
    assert ReportedItem.objects.filter(object_id=photo.pk).count() == 1


def test_only_the_first_frame_of_an_animated_webp_is_kept(member):
    frames = [Image.new("RGB", (200, 100), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], lossless=True)

    photo = images.add_processed_photo(member=member, upload=images.upload(out.getvalue()))

    with photo.image.storage.open(photo.image.name, "rb") as f:
        stored = Image.open(io.BytesIO(f.read()))
    assert stored.format == "JPEG" and getattr(stored, "n_frames", 1) == 1
    red, green, blue = stored.getpixel((100, 50))
    assert red > 200 and blue < 60


def test_the_big_rgba_png_is_refused_in_the_request_without_decoding(
    member_client, member, files, decoded
):
    """The 6320 x 6320 RGBA PNG (+840 MB before): a 400 with the message, nothing stored."""
    response = post(member_client, images.png_claiming_size(6320, 6320), "b.png", "image/png")

    assert response.status_code == 400
    assert "This image has too many pixels" in response.content.decode()
    assert "at most 24 megapixels" in response.content.decode()
    assert decoded == []
    assert not Photo.objects.exists() and files() == []


def test_a_refused_upload_from_htmx_is_a_4xx_too(member_client):
    response = post(member_client, b"not an image", HTTP_HX_REQUEST="true")

    assert response.status_code == 400
    assert "This file is not a JPEG, PNG or WebP image." in response.content.decode()


def test_a_broker_that_is_down_loses_no_photo(committing_client, member, caplog, files):
    """The upload is answered as usual; the photo waits as "being processed" and the sweep
    sends its task once the broker is back."""
    committing_client.force_login(member)
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    dead_port = probe.getsockname()[1]
    probe.close()
    dead_broker = broker_at(f"redis://127.0.0.1:{dead_port}/0")
    with dead_broker, caplog.at_level(logging.INFO, logger="members.enqueue"):
        response = post(committing_client, images.jpeg_bytes(), name="geheim-naam.jpg")

    assert response.status_code == 302
    photo = Photo.objects.get(member=member)
    assert photo.status == Photo.Status.PROCESSING
    assert "task.not_sent task=profiles.tasks.process_photo_task" in caplog.text
    assert "geheim" not in caplog.text

    assert tasks.sweep_processing_photos() == 0  # not yet: its task may still be on its way
    Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - timedelta(minutes=3))
    assert tasks.sweep_processing_photos() == 1

    photo.refresh_from_db()
    assert photo.status == Photo.Status.PENDING and photo.image.name


def test_the_sweep_is_on_celery_beat(settings):
    schedule = {
        entry["task"]: entry["schedule"] for entry in settings.CELERY_BEAT_SCHEDULE.values()
    }

    assert schedule["profiles.tasks.sweep_processing_photos"] <= 60


def test_an_upload_that_keeps_killing_workers_fails_for_good(member, files, settings):
    services.add_photo(member=member, upload=images.upload(images.jpeg_bytes()))
    photo = Photo.objects.get(member=member)
    Photo.objects.filter(pk=photo.pk).update(
        processing_attempts=settings.PHOTO_PROCESSING_MAX_ATTEMPTS
    )

    assert services.process_photo(photo_id=photo.pk) == Photo.Status.FAILED
    assert files() == []


def test_a_photo_deleted_while_processing_leaves_no_file(member, files):
    services.add_photo(member=member, upload=images.upload(images.jpeg_bytes()))
    photo = Photo.objects.get(member=member)
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.delete_photo(photo=photo)

    assert services.process_photo(photo_id=photo.pk) is None
    assert files() == []


def test_erasure_and_export_cover_the_upload_being_processed(member, files):
    services.add_photo(member=member, upload=images.upload(images.jpeg_bytes()))
    photo = Photo.objects.get(member=member)

    exported = list(PhotoData().files(member))
    assert [(path, field.name) for path, field in exported] == [
        (f"photos/{photo.public_id}.upload", photo.original.name)
    ]
    assert PhotoData().export(member)[0]["status"] == "processing"

    erase_member_data(member)

    assert files() == []
