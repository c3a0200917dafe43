"""Decoding uploads at a bounded cost (privacy.images; SECURITY.md "Input and files"): the GIF
bomb, a too large PNG and a WebP too large for libwebp are refused from their header, before
anything is decoded; only the first frame of an animation is decoded; a large JPEG is decoded
at a reduced libjpeg scale and other formats are shrunk in strips."""

import io
import struct

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation
from PIL import Image, ImageFile

from privacy import images
from privacy.models import PrivacyRequest
from privacy.requests import AttachmentRefused, check_attachment
from tests.profiles.images import png_claiming_size

from .helpdesk_helpers import (  # noqa: F401 - fixtures
    _attachment_storage,
    _contact_rate_limits,
    send,
)

ALL = ["JPEG", "PNG", "WEBP", "GIF"]


def gif_bomb(canvas=(6000, 6000), frames=11) -> bytes:
    """The GIF from the attack: a 6000 x 6000 canvas with eleven 1 x 1 frames, a few hundred
    bytes. Decoding every frame on the full canvas took a worker to 2.3 GB."""
    out = bytearray(b"GIF89a")
    out += struct.pack("<HHBBB", canvas[0], canvas[1], 0x80, 0, 0)  # 2-colour global table
    out += b"\x00\x00\x00\xff\xff\xff"
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for _ in range(frames):
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00"  # 100 ms
        out += b"\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        out += b"\x02\x02\x44\x01\x00"  # LZW: one pixel of colour 0
    out += b"\x3b"
    return bytes(out)


def encoded(image: Image.Image, image_format: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, image_format, **options)
    return out.getvalue()


@pytest.fixture
def decoded(monkeypatch):
    """Counts the images Pillow decodes (ImageFile.load), so a test can prove none was."""
    calls = []
    original = ImageFile.ImageFile.load

    def load(self):
        calls.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return calls


def test_the_gif_bomb_is_refused_from_its_header_without_decoding(decoded, settings):
    settings.UPLOAD_MAX_PIXELS = 24_000_000
    bomb = gif_bomb()
    assert len(bomb) < 1000

    with pytest.raises(images.ImageRefused) as refused:
        images.image_format(io.BytesIO(bomb), formats=ALL)

    assert refused.value.reason == "too_many_pixels"
    assert decoded == []


@pytest.mark.django_db
def test_the_gif_bomb_on_the_contact_form_is_a_400_naming_the_file(client, decoded):
    client.cookies["django_language"] = "en"

    response = send(client, files=[SimpleUploadedFile("kat.gif", gif_bomb(), "image/gif")])

    assert response.status_code == 400
    assert "“kat.gif” has too many pixels" in response.content.decode()
    assert not PrivacyRequest.objects.exists()
    assert decoded == []


def test_the_big_rgba_png_is_refused_without_decoding(decoded, settings):
    """The 6320 x 6320 RGBA PNG that cost +840 MB: 40 megapixels, over the 24 MP cap."""
    settings.UPLOAD_MAX_PIXELS = 24_000_000

    with pytest.raises(images.ImageRefused, match="too_many_pixels"):
        images.image_format(io.BytesIO(png_claiming_size(6320, 6320)), formats=ALL)
    assert decoded == []


def test_a_webp_is_refused_from_its_first_bytes_before_pillow_opens_it(monkeypatch, settings):
    """Pillow's WebP decoder allocates its canvases as it opens the file: the size is read
    from the first 30 bytes, and a WebP gets a quarter of the cap."""
    settings.UPLOAD_MAX_PIXELS = 400 * 400 * 4
    opened = []
    monkeypatch.setattr(Image, "open", lambda *a, **k: opened.append(a) or 1 / 0)
    small = encoded(Image.new("RGB", (401, 400)), "WEBP")

    with pytest.raises(images.ImageRefused, match="too_many_pixels"):
        images.image_format(io.BytesIO(small), formats=ALL)
    assert opened == []


@pytest.mark.parametrize(
    ("mode", "options"),
    [("RGB", {"quality": 50}), ("RGB", {"lossless": True}), ("RGBA", {"quality": 50})],
    ids=["lossy-vp8", "lossless-vp8l", "alpha-vp8x"],
)
def test_the_webp_canvas_is_read_from_every_kind_of_header(mode, options):
    data = encoded(Image.new(mode, (321, 123)), "WEBP", **options)

    assert images.webp_canvas_size(data[:30]) == (321, 123)


def test_only_the_first_frame_of_an_animation_is_decoded():
    frames = [Image.new("RGB", (60, 40), colour) for colour in ("red", "blue", "green")]
    gif = encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)

    with images.open_image(io.BytesIO(gif), formats=ALL) as opened:
        assert opened.n_frames == 3
        first = images.decode_first_frame(opened)

    assert first.convert("RGB").getpixel((10, 10)) == (255, 0, 0)


def test_an_animated_gif_attachment_is_stored_as_its_first_frame_without_a_comment():
    frames = [Image.new("RGB", (60, 40), colour) for colour in ("red", "blue")]
    gif = encoded(
        frames[0], "GIF", save_all=True, append_images=frames[1:], comment=b"secret-comment-77"
    )

    checked = check_attachment(SimpleUploadedFile("a.gif", gif, "image/gif"))

    assert b"secret-comment-77" not in checked.clean
    with Image.open(io.BytesIO(checked.clean)) as stored:
        assert stored.format == "GIF" and getattr(stored, "n_frames", 1) == 1
        assert stored.convert("RGB").getpixel((10, 10)) == (255, 0, 0)


def test_a_damaged_attachment_is_refused_not_a_500():
    whole = encoded(Image.new("RGB", (300, 200), "red"), "PNG")

    with translation.override("en"), pytest.raises(AttachmentRefused, match="is not an image"):
        check_attachment(SimpleUploadedFile("half.png", whole[: len(whole) // 2], "image/png"))


def test_a_large_jpeg_is_decoded_at_a_reduced_scale(decoded):
    """Image.draft: libjpeg decodes 4000 x 3000 at half scale (a quarter would be smaller than
    the 1600 px the photo needs), so the full-size pixels never exist."""
    jpeg = encoded(Image.new("RGB", (4000, 3000), "red"), "JPEG")

    with images.open_image(io.BytesIO(jpeg), formats=ALL) as opened:
        image = images.decode_first_frame(opened, fit_within=1600)

    assert set(decoded) == {(2000, 1500)}
    assert image.size == (2000, 1500)


def test_a_large_png_is_shrunk_in_strips_keeping_transparent_edges_clean():
    big = Image.new("RGBA", (3300, 1000), (0, 0, 0, 0))
    big.paste((200, 10, 10, 255), (0, 0, 1650, 1000))

    with images.open_image(io.BytesIO(encoded(big, "PNG")), formats=ALL) as opened:
        image = images.decode_first_frame(opened, fit_within=1600)

    assert image.size == (1650, 500) and image.mode == "RGBA"
    assert image.getpixel((10, 400)) == (200, 10, 10, 255)
    assert image.getpixel((1640, 400))[3] == 0


@pytest.mark.parametrize(
    "content",
    [b"", b"GIF89a", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"RIFF\0\0\0\0WEBPVP8 " + b"\xff" * 30],
    ids=["empty", "gif-header-only", "png-header-only", "webp-garbage"],
)
def test_hostile_bytes_become_a_refusal(content):
    with (
        pytest.raises(images.ImageRefused),
        images.open_image(io.BytesIO(content), formats=ALL) as opened,
    ):
        images.decode_first_frame(opened)
