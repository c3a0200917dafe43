"""Reading a photo upload safely: the cheap header check a web request makes, and the bounded
decoding and re-encoding (privacy.images) that a task does into clean JPEG copies without any
metadata. profiles.photos re-exports these names; the writes that change photos are there."""

import logging
from dataclasses import dataclass
from io import BytesIO

from django.conf import settings
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from privacy import images

logger = logging.getLogger("profiles.photos")  # one logger name for the photo lifecycle

ACCEPTED_FORMATS = ["JPEG", "PNG", "WEBP"]
ACCEPTED_CONTENT_TYPES = "image/jpeg,image/png,image/webp"
MAIN_MAX_SIZE = 1600
THUMB_SIZE = 320
JPEG_QUALITY = 85
SIZES = {"full", "thumb"}


class PhotoRefused(Exception):
    """An upload or a change the member cannot make; `message` says why, for the member;
    `code` is "too_big" for a file over the size limit."""

    def __init__(self, message, code: str = "refused"):
        super().__init__(message)
        self.message = message
        self.code = code


@dataclass(frozen=True)
class CleanImage:
    full: bytes
    thumbnail: bytes
    width: int
    height: int


# --- Reading an upload --------------------------------------------------------------------------


def check_upload(upload) -> None:
    """The cheap check a web request makes: the size and the image header (format and pixel
    count; no pixel is decoded). Raises PhotoRefused with a message for the member."""
    size = getattr(upload, "size", None)
    if size is not None and size > settings.PHOTO_MAX_UPLOAD_BYTES:
        raise PhotoRefused(_too_big_message(), code="too_big")
    try:
        images.image_format(upload, formats=ACCEPTED_FORMATS)
    except images.ImageRefused as refused:
        raise _refusal(refused) from None
    finally:
        upload.seek(0)


def clean_image(upload) -> CleanImage:
    """Decodes an uploaded file (JPEG, PNG or WebP, judged by its content, not its name; only
    its first frame) at a bounded cost (privacy.images) and returns clean JPEG copies: the
    photo at most MAIN_MAX_SIZE px on its longest side and a square thumbnail. Raises
    PhotoRefused with a message for the member on anything else."""
    size = getattr(upload, "size", None)
    if size is not None and size > settings.PHOTO_MAX_UPLOAD_BYTES:
        raise PhotoRefused(_too_big_message(), code="too_big")
    try:
        with images.open_image(upload, formats=ACCEPTED_FORMATS) as opened:
            return _re_encode(images.decode_first_frame(opened, fit_within=MAIN_MAX_SIZE))
    except images.ImageRefused as refused:
        raise _refusal(refused) from None


def _refusal(refused: "images.ImageRefused") -> PhotoRefused:
    logger.info("photo.refused reason=%s", refused.reason)
    if refused.reason == "too_many_pixels":
        return PhotoRefused(
            _("This image has too many pixels. Please upload a photo of at most %(mp)s megapixels.")
            % {"mp": settings.UPLOAD_MAX_PIXELS // 1_000_000}
        )
    if refused.reason == "not_an_image":
        return PhotoRefused(_not_an_image_message())
    return PhotoRefused(
        _(
            "This image could not be read. The file may be damaged or incomplete. "
            "Please try another photo."
        )
    )


def _re_encode(image: Image.Image) -> CleanImage:
    """`image` is decoded, upright, without metadata in `info` and at most about twice
    MAIN_MAX_SIZE (decode_first_frame). Each step makes one new image and lets the previous go:
    no copy is made only to be thrown away."""
    if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image if image.mode == "RGBA" else image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        image = flat
        del rgba
    elif image.mode != "RGB":
        image = image.convert("RGB")
    # New images from the pixels (resize), with `info` emptied again in _jpeg_bytes: nothing
    # of the original's metadata can come along.
    full = image
    if max(image.size) > MAIN_MAX_SIZE:  # only ever smaller: `contain` would also enlarge
        full = ImageOps.contain(image, (MAIN_MAX_SIZE, MAIN_MAX_SIZE), Image.Resampling.LANCZOS)
    thumb = ImageOps.fit(image, (THUMB_SIZE, THUMB_SIZE), Image.Resampling.LANCZOS)
    return CleanImage(
        full=_jpeg_bytes(full), thumbnail=_jpeg_bytes(thumb), width=full.width, height=full.height
    )


def _jpeg_bytes(image: Image.Image) -> bytes:
    image.info.clear()
    out = BytesIO()
    image.save(out, format="JPEG", quality=JPEG_QUALITY, optimize=True)
    return out.getvalue()


def _too_big_message() -> str:
    return _("This file is too big. A photo may be at most %(mb)s MB.") % {
        "mb": settings.PHOTO_MAX_UPLOAD_BYTES // (1024 * 1024)
    }


def _not_an_image_message() -> str:
    return _("This file is not a JPEG, PNG or WebP image. Please upload a photo in one of those.")
