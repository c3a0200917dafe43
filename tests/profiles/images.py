"""Test images made in memory with Pillow, and a private storage in a temporary folder."""

import struct
import zlib
from io import BytesIO

from django.core.files.storage import storages
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image, ImageCms

CAMERA_MAKE = "SpyCam-Make-7731"
CAMERA_MODEL = "Secret-Model-X"
XMP_MARKER = b"xmp-marker-4411"
COMMENT_MARKER = b"comment-marker-9920"


def use_private_storage(path, settings, monkeypatch):
    """Points the `private` storage at `path` the way production would configure it (settings
    only), and lets the Photo fields use it: their storage callable was evaluated when the model
    was imported, before this test's settings existed."""
    from privacy.models import DataExport
    from profiles.models import Photo

    settings.STORAGES = {
        **settings.STORAGES,
        "private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(path), "base_url": None},
        },
    }
    storage = storages["private"]  # a fresh instance: setting_changed reset the handler
    for name in ("image", "thumbnail", "original"):
        monkeypatch.setattr(Photo._meta.get_field(name), "storage", storage)
    monkeypatch.setattr(DataExport._meta.get_field("file"), "storage", storage)
    return storage


def stored_files(path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*") if p.is_file())


def gps_exif(orientation: int | None = None) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = CAMERA_MAKE
    exif[ExifTags.Base.Model] = CAMERA_MODEL
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 5.0, 31.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 53.0, 55.0),
    }
    return exif


def srgb_profile() -> bytes:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def jpeg_bytes(
    size=(800, 600), *, color=(200, 80, 120), exif=None, icc=False, xmp=False, comment=False
) -> bytes:
    image = Image.new("RGB", size, color)
    # A darker left half, so a rotation is visible in the pixels too.
    image.paste((20, 20, 20), (0, 0, size[0] // 2, size[1]))
    options = {"quality": 90}
    if exif is not None:
        options["exif"] = exif.tobytes()
    if icc:
        options["icc_profile"] = srgb_profile()
    if xmp:
        options["xmp"] = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">' + XMP_MARKER + b"</x:xmpmeta>"
    if comment:
        options["comment"] = COMMENT_MARKER
    out = BytesIO()
    image.save(out, "JPEG", **options)
    return out.getvalue()


def png_bytes(size=(400, 300), *, mode="RGBA", color=(0, 120, 200, 0)) -> bytes:
    image = Image.new(mode, size, color if mode == "RGBA" else color[:3])
    out = BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def webp_bytes(size=(500, 500)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (10, 150, 60)).save(out, "WEBP", quality=80)
    return out.getvalue()


def gif_bytes(size=(100, 100)) -> bytes:
    out = BytesIO()
    Image.new("RGB", size, (250, 250, 0)).save(out, "GIF")
    return out.getvalue()


SVG = b"""<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">
<script>alert(document.cookie)</script><rect width="100" height="100" fill="red"/></svg>"""


def png_claiming_size(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` x `height` pixels: a decompression bomb that needs
    no memory to make."""
    data = bytearray(png_bytes((1, 1), mode="RGB", color=(0, 0, 0, 0)))
    # Bytes 16..24 are IHDR's width and height, bytes 29..33 its CRC (over type + data).
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])) & 0xFFFFFFFF)
    return bytes(data)


def upload(content: bytes, name="photo.jpg", content_type="image/jpeg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def add_processed_photo(*, member, upload):
    """profiles.photos.add_photo as a committed upload sees it: the processing task (run
    in-process, CELERY_TASK_ALWAYS_EAGER) has made the clean copies after the commit."""
    from django.test import TestCase

    from profiles.photos import add_photo

    with TestCase.captureOnCommitCallbacks(execute=True):
        photo = add_photo(member=member, upload=upload)
    photo.refresh_from_db()
    return photo
