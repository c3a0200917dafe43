"""Decoding uploaded images at a bounded cost, for every image the site decodes: members'
photos and selfies (profiles.photos) and contact-form attachments (privacy.requests).

SECURITY.md "Input and files": what decoding costs is known before anything is decoded.
`open_image` reads the header only (Pillow's `Image.open` is lazy) and refuses a canvas of more
than settings.UPLOAD_MAX_PIXELS (a WebP less: libwebp holds several full canvases while it
decodes); only the first frame of an animated image is ever decoded (no seek), so a GIF of one
huge frame and many small ones costs one canvas, never one per frame. `decode_first_frame`
decodes a JPEG at the smallest libjpeg scale that still covers the size the caller needs
(`Image.draft`) and shrinks other formats by an integer factor in strips, so the only
full-size buffer is the decoded image itself. Every exception Pillow raises on hostile input
becomes ImageRefused.
"""

import logging
import math
import struct
import warnings
from contextlib import contextmanager

from django.conf import settings
from PIL import Image, ImageFile, ImageOps

logger = logging.getLogger(__name__)

# libwebp's animation decoder (Pillow's only WebP path) keeps the canvas several times over
# (about 20 bytes a pixel, measured by bench/uploads.py): a WebP may have this share of the
# pixel cap.
WEBP_PIXEL_SHARE = 6
# Rows decoded images are shrunk by at a time (times the factor): small copies only.
STRIP_ROWS = 64
# Info keys that are not metadata about the person or the camera, kept when re-encoding.
KEPT_INFO = ("transparency", "duration", "loop")


class ImageRefused(Exception):
    """An upload that is not an image the site decodes; `reason` is one of "not_an_image",
    "too_many_pixels", "unreadable" (for logs and for the caller's message)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def max_pixels(image_format: str) -> int:
    """The most pixels an image of `image_format` may have on its canvas."""
    cap = settings.UPLOAD_MAX_PIXELS
    return cap // WEBP_PIXEL_SHARE if image_format == "WEBP" else cap


def webp_canvas_size(head: bytes) -> tuple[int, int] | None:
    """The canvas size in a WebP file's first 30 bytes (None when it is no WebP). Pillow
    allocates the canvas as it opens a WebP, so this is read before `Image.open`."""
    if len(head) < 30 or head[:4] != b"RIFF" or head[8:12] != b"WEBP":
        return None
    chunk = head[12:16]
    if chunk == b"VP8X":
        return 1 + int.from_bytes(head[24:27], "little"), 1 + int.from_bytes(head[27:30], "little")
    if chunk == b"VP8L":
        bits = struct.unpack("<I", head[21:25])[0]
        return 1 + (bits & 0x3FFF), 1 + ((bits >> 14) & 0x3FFF)
    if chunk == b"VP8 ":
        width, height = struct.unpack("<HH", head[26:30])
        return width & 0x3FFF, height & 0x3FFF
    return None


def _check_pixels(image_format: str, size: tuple[int, int]) -> None:
    if size[0] * size[1] > max_pixels(image_format):
        raise ImageRefused("too_many_pixels")


@contextmanager
def open_image(file, *, formats):
    """Opens `file` lazily as one of `formats` and yields it, its canvas checked against the
    pixel cap before anything is decoded. Every error Pillow raises, here or in the caller's
    block, becomes ImageRefused."""
    # A partly decoded image is never accepted (a process-wide switch in Pillow).
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    Image.MAX_IMAGE_PIXELS = settings.UPLOAD_MAX_PIXELS
    file.seek(0)
    head = file.read(30)
    file.seek(0)
    webp_size = webp_canvas_size(head)
    if webp_size is not None and "WEBP" in formats:
        _check_pixels("WEBP", webp_size)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: refuse those too.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(file, formats=list(formats)) as image:
                _check_pixels(image.format, image.size)
                yield image
    except ImageRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRefused("too_many_pixels") from None
    except Image.UnidentifiedImageError:
        raise ImageRefused("not_an_image") from None
    except Exception as error:  # noqa: BLE001 - Pillow raises many kinds on hostile input
        # OSError (truncated), SyntaxError, ValueError, struct.error, EOFError, MemoryError...
        logger.info("image.unreadable error=%s", type(error).__name__)
        raise ImageRefused("unreadable") from None


def image_format(file, *, formats) -> str:
    """The format of `file`, read from its header only (cheap: no pixel is decoded), after
    the pixel check. Raises ImageRefused."""
    with open_image(file, formats=formats) as image:
        return image.format


def decode_first_frame(image: Image.Image, *, fit_within: int | None = None) -> Image.Image:
    """Decodes the first frame of an image from `open_image`, upright (EXIF orientation
    applied) and with no metadata left in `info`. With `fit_within`, the result may be
    smaller than the original but its longest side stays at least `fit_within` pixels (or the
    original's), so the caller's own resizing keeps its quality."""
    if fit_within and max(image.size) > fit_within:
        scale = fit_within / max(image.size)
        wanted = (max(1, math.ceil(image.width * scale)), max(1, math.ceil(image.height * scale)))
        if image.format == "JPEG":
            # libjpeg decodes at 1/2, 1/4 or 1/8 scale directly: the full size never exists.
            image.draft(image.mode if image.mode in ("RGB", "L") else None, wanted)
    image.load()
    if fit_within and max(image.size) // fit_within > 1:
        decoded = image
        image = _reduced(decoded, max(decoded.size) // fit_within)
        # Frees the full-size pixels now, not when the caller's `with` block ends (Image's
        # close: ImageFile's would also close the caller's file).
        Image.Image.close(decoded)
    ImageOps.exif_transpose(image, in_place=True)
    image.info = {key: image.info[key] for key in KEPT_INFO if key in image.info}
    return image


def _reduced(image: Image.Image, factor: int) -> Image.Image:
    """`image` shrunk `factor` times (box average), a strip at a time: Pillow's own `reduce`
    first copies a whole RGBA image to premultiply it."""
    if image.mode not in ("L", "LA", "RGB", "RGBA", "CMYK"):
        has_alpha = "transparency" in image.info or image.mode in ("PA", "La", "RGBa")
        image = image.convert("RGBA" if has_alpha else "RGB")
    width, height = image.size
    out = Image.new(image.mode, (math.ceil(width / factor), math.ceil(height / factor)))
    out.info = dict(image.info)
    step = STRIP_ROWS * factor
    for top in range(0, height, step):
        strip = image.crop((0, top, width, min(top + step, height)))
        out.paste(strip.reduce(factor), (0, top // factor))
    return out
