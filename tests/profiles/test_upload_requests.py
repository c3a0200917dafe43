"""Upload requests (SECURITY.md "Input and files"): a body over MAX_REQUEST_BODY_BYTES is a 413
before anything reads it, and Django's temporary upload files are gone when a request ends,
refused or not."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test.client import MULTIPART_CONTENT, encode_multipart
from django.utils import translation

from profiles.models import Photo

from . import images

pytestmark = pytest.mark.django_db

PHOTOS_URL = "/profile/photos/"
BOUNDARY = "BoUnDaRyStRiNg"


@pytest.fixture(autouse=True)
def storage(settings, tmp_path, monkeypatch):
    return images.use_private_storage(tmp_path / "private", settings, monkeypatch)


@pytest.fixture(autouse=True)
def english(client):
    client.cookies["django_language"] = "en"
    with translation.override("en"):
        yield


class CountingInput(io.BytesIO):
    """A request body that counts how much of it was read."""

    bytes_read = 0

    def read(self, size=-1):
        data = super().read(size)
        CountingInput.bytes_read += len(data)
        return data

    def readline(self, size=-1):
        data = super().readline(size)
        CountingInput.bytes_read += len(data)
        return data


def test_settings_bound_what_a_request_holds_in_memory(settings):
    assert settings.MAX_REQUEST_BODY_BYTES == 16 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 2_621_440
    # A photo and a full contact form fit under the cap.
    assert settings.PHOTO_MAX_UPLOAD_BYTES < settings.MAX_REQUEST_BODY_BYTES
    assert (
        settings.CONTACT_ATTACHMENTS_MAX * settings.CONTACT_ATTACHMENT_MAX_BYTES
        < settings.MAX_REQUEST_BODY_BYTES
    )


@pytest.mark.parametrize("url", [PHOTOS_URL, "/help/"])
def test_a_body_over_the_cap_is_a_413_before_it_is_read(member_client, settings, url):
    settings.MAX_REQUEST_BODY_BYTES = 10_000
    body = encode_multipart(
        BOUNDARY, {"photo": SimpleUploadedFile("p.jpg", b"\xff" * 20_000, "image/jpeg")}
    )
    CountingInput.bytes_read = 0

    response = member_client.generic(
        "POST",
        url,
        CONTENT_TYPE=MULTIPART_CONTENT.replace("BoUnDaRy", BOUNDARY),
        CONTENT_LENGTH=str(len(body)),
        **{"wsgi.input": CountingInput(body)},
    )

    assert response.status_code == 413
    assert "What you sent is larger than" in response.content.decode()
    assert response["Connection"] == "close"
    assert CountingInput.bytes_read == 0
    assert not Photo.objects.exists()


def test_a_body_under_the_cap_goes_through(member_client, settings):
    settings.MAX_REQUEST_BODY_BYTES = 1_000_000

    response = member_client.post(PHOTOS_URL, {"photo": images.upload(images.jpeg_bytes())})

    assert response.status_code == 302


@pytest.mark.parametrize(
    "content",
    [images.jpeg_bytes((900, 700)), b"\0" * 50_000],
    ids=["accepted", "refused"],
)
def test_temporary_upload_files_are_deleted_when_the_request_ends(
    member_client, settings, tmp_path, content
):
    """Uploads over FILE_UPLOAD_MAX_MEMORY_SIZE are spooled to a temporary file; Django closes
    (and so deletes) it when the response is closed, whether the upload was taken or not."""
    temp_dir = tmp_path / "upload-tmp"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1000
    seen = []

    from django.core.files import uploadedfile

    original_init = uploadedfile.TemporaryUploadedFile.__init__

    def spy(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        seen.append(self.temporary_file_path())

    uploadedfile.TemporaryUploadedFile.__init__ = spy
    try:
        response = member_client.post(PHOTOS_URL, {"photo": images.upload(content)})
    finally:
        uploadedfile.TemporaryUploadedFile.__init__ = original_init

    assert response.status_code in (302, 400)
    assert seen and all(path.startswith(str(temp_dir)) for path in seen)
    assert list(temp_dir.iterdir()) == []
