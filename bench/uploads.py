"""Upload benchmark (make bench; alone: `python -m bench.uploads`): the peak extra memory and
the time of one upload, for the worst valid inputs and for hostile ones, through the code the
web request and the processing task run (profiles.photos.check_upload, then clean_image as
process_photo calls it; privacy.requests.check_attachment for a contact attachment).

Each case runs in a fresh Python process: it imports and warms everything first (one tiny
image of each format), resets the kernel's resident-memory high-water mark
(/proc/self/clear_refs), runs the upload, and prints VmHWM minus the resident memory before.
That counts Pillow's and libjpeg's C buffers, which tracemalloc does not see. Needs no
database. Target: at most 150 MB extra per upload for the worst valid input.
"""

import contextlib
import io
import json
import os
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from pathlib import Path

TARGET_MB = 150
CASES = [
    # (label, file, path through the site, valid?)
    ("phone JPEG 6000x4000 (24 MP, the cap), EXIF", "jpeg_24mp.jpg", "photo", True),
    ("progressive JPEG 6000x4000 (24 MP)", "jpeg_24mp_progressive.jpg", "photo", True),
    ("PNG RGBA 6000x4000 (24 MP)", "png_rgba_24mp.png", "photo", True),
    ("WebP 2400x1600 (3.8 MP, under a WebP's cap of 4 MP)", "webp_4mp.webp", "photo", True),
    ("contact attachment: PNG RGBA 6000x4000", "png_rgba_24mp.png", "attachment", True),
    ("contact attachment: JPEG 6000x4000", "jpeg_24mp.jpg", "attachment", True),
    ("GIF bomb: 6000x6000 canvas, 11 frames (attachment)", "gif_bomb.gif", "attachment", False),
    ("PNG RGBA 6320x6320 (40 MP), 155 KB class", "png_rgba_6320.png", "photo", False),
    ("PNG header claiming 100000x100000", "png_bomb.png", "photo", False),
    ("WebP 6000x4000 (24 MP, over a WebP's cap)", "webp_24mp.webp", "photo", False),
]


def make_inputs(folder: Path) -> None:
    from PIL import Image, ImageDraw

    def photo_like(size, mode="RGB"):
        # Smooth gradients with some detail: compresses like a photo, not like noise.
        width, height = size
        gradient = Image.linear_gradient("L").resize(size)
        base = Image.merge(
            "RGB",
            [
                gradient,
                gradient.transpose(Image.Transpose.ROTATE_90).resize(size),
                Image.new("L", size, 120),
            ],
        )
        draw = ImageDraw.Draw(base)
        for i in range(0, width, 97):
            draw.line([(i, 0), (width - i, height)], fill=(i % 255, 80, 200), width=3)
        if mode == "RGBA":
            base.putalpha(gradient)
        return base

    def save(image, name, fmt, **options):
        image.save(folder / name, fmt, **options)

    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x0112] = 6  # orientation: turned
    big = photo_like((6000, 4000))
    save(big, "jpeg_24mp.jpg", "JPEG", quality=90, exif=exif.tobytes())
    save(big, "jpeg_24mp_progressive.jpg", "JPEG", quality=90, progressive=True)
    save(big, "webp_24mp.webp", "WEBP", quality=80)
    del big
    save(photo_like((6000, 4000), "RGBA"), "png_rgba_24mp.png", "PNG", compress_level=6)
    save(photo_like((2400, 1600)), "webp_4mp.webp", "WEBP", quality=80)
    save(Image.new("RGBA", (6320, 6320), (10, 20, 30, 255)), "png_rgba_6320.png", "PNG")
    (folder / "png_bomb.png").write_bytes(png_claiming(100_000, 100_000))
    (folder / "gif_bomb.gif").write_bytes(gif_bomb())


def png_claiming(width: int, height: int) -> bytes:
    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\0" * 1000))
        + chunk(b"IEND", b"")
    )


def gif_bomb(canvas=(6000, 6000), frames=11) -> bytes:
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", *canvas, 0x80, 0, 0))
    out += b"\x00\x00\x00\xff\xff\xff\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for _ in range(frames):
        out += b"\x21\xf9\x04\x00\x0a\x00\x00\x00\x2c" + struct.pack("<HHHHB", 0, 0, 1, 1, 0)
        out += b"\x02\x02\x44\x01\x00"
    return bytes(out + b"\x3b")


def status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def run_case(path: str, through: str) -> dict:
    """One upload in this (fresh) process."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("DEBUG", "1")
    django.setup()
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import translation
    from PIL import Image

    from privacy.requests import AttachmentRefused, check_attachment
    from profiles.photos import PhotoRefused, check_upload, clean_image

    translation.activate("en")

    def upload(content, name):
        return SimpleUploadedFile(name, content, "application/octet-stream")

    for fmt in ("JPEG", "PNG", "WEBP", "GIF"):  # warm the codecs and the code paths
        out = io.BytesIO()
        Image.new("RGB", (64, 48), "red").save(out, fmt)
        if fmt != "GIF":
            clean_image(upload(out.getvalue(), "w"))
        check_attachment(upload(out.getvalue(), "w"))
    content = Path(path).read_bytes()
    with contextlib.suppress(OSError):  # not Linux: VmHWM then includes the warm-up
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    before = status_kb("VmRSS")
    start = time.perf_counter()
    outcome = "accepted"
    try:
        if through == "photo":
            file = upload(content, "upload")
            check_upload(file)  # the web request
            clean_image(file)  # the task
        else:
            check_attachment(upload(content, "upload"))
    except (PhotoRefused, AttachmentRefused) as refused:
        outcome = "refused: " + refused.message[:60]
    seconds = time.perf_counter() - start
    return {
        "extra_mb": (status_kb("VmHWM") - before) / 1024,
        "seconds": seconds,
        "outcome": outcome,
        "size_kb": len(content) / 1024,
    }


def main():
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        make_inputs(folder)
        print(f"{'upload':<52} {'file':>9} {'peak extra':>11} {'time':>8}  outcome")
        worst_valid = 0.0
        for label, name, through, valid in CASES:
            result = subprocess.run(
                [sys.executable, "-m", "bench.uploads", "--case", str(folder / name), through],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            if valid:
                worst_valid = max(worst_valid, figures["extra_mb"])
            print(
                f"{label:<52} {figures['size_kb']:>7.0f}KB {figures['extra_mb']:>8.1f} MB "
                f"{figures['seconds']:>7.2f}s  {figures['outcome']}"
            )
        verdict = "within" if worst_valid <= TARGET_MB else "OVER"
        print(f"worst valid upload: +{worst_valid:.1f} MB ({verdict} the {TARGET_MB} MB target)")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--case":
        print(json.dumps(run_case(sys.argv[2], sys.argv[3])))
    else:
        main()
