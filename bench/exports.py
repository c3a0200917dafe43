"""The export benchmark (issue 6, R7.4), run by `python -m bench` after the chat benchmark, or
alone with `python -m bench.exports`.

Members with a long history: BENCH_EXPORT_MESSAGES messages each (default "5000,50000": one
member per figure) in BENCH_EXPORT_CONVERSATIONS conversations (default 50), half sent and
half received, and 12 photos uploaded through profiles.photos.add_photo (real JPEGs, re-encoded
as on the site) into a temporary private storage. Seeding is idempotent: a member who already
has the history (BENCH_REUSE=1) is used as is.

Each export is built by privacy.exports.build_export in a fresh Python process, so the
figures are the build's own: the time of a build, the peak of memory allocated by Python
during a second build (tracemalloc), and how far the process's resident memory peaked above
where it stood before the build (Linux's VmHWM, reset before the build; it also sees what C
libraries allocate). Streaming shows as the
same memory for 5000 and for 50000 messages while the time grows with the history.
"""

import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

SIZES = [int(n) for n in os.environ.get("BENCH_EXPORT_MESSAGES", "5000,50000").split(",")]
CONVERSATIONS = int(os.environ.get("BENCH_EXPORT_CONVERSATIONS", "50"))
PHOTOS = 12
BATCH = 5000


def run(bare_median: float) -> None:
    """Seeds the members and measures one export per size, each in its own process."""
    import logging

    from django.test.utils import override_settings

    logging.disable(logging.INFO)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-export-") as media_root:
            with private_storage(media_root), override_settings(DEBUG=False):
                members = [(size, seed_member(size)) for size in SIZES]
            for size, member_id in members:
                report(size, measure_in_child(member_id, media_root), bare_median)
    finally:
        logging.disable(logging.NOTSET)


def main() -> None:
    """This benchmark alone: the database as __main__ makes it (no demo members needed), the
    bare view for the ratio, then run()."""
    from bench import __main__ as bench

    bench.recreate_database()
    bench.manage("migrate", "--noinput", "-v0")

    bare_median = bench.bare_view_median()
    run(bare_median)


class private_storage:  # noqa: N801 (used as a context manager, like override_settings)
    """The private storage in `media_root`/private while seeding: the settings, and the file
    fields whose storage was resolved when their models were imported."""

    def __init__(self, media_root: str):
        self.location = str(Path(media_root) / "private")

    def __enter__(self):
        from django.conf import settings
        from django.core.files.storage import storages
        from django.test.utils import override_settings

        from privacy.models import DataExport
        from profiles.models import Photo

        self.override = override_settings(
            STORAGES={
                **settings.STORAGES,
                "private": {
                    "BACKEND": "django.core.files.storage.FileSystemStorage",
                    "OPTIONS": {"location": self.location, "base_url": None},
                },
            }
        )
        self.override.enable()
        storage = storages["private"]
        self.fields = [
            Photo._meta.get_field("image"),
            Photo._meta.get_field("thumbnail"),
            DataExport._meta.get_field("file"),
        ]
        self.saved = [field.storage for field in self.fields]
        for field in self.fields:
            field.storage = storage
        return storage

    def __exit__(self, *exc):
        for field, storage in zip(self.fields, self.saved, strict=True):
            field.storage = storage
        self.override.disable()


def seed_member(size: int) -> int:
    """A member with `size` messages in CONVERSATIONS conversations and PHOTOS photos."""
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import transaction

    from members.models import Member
    from messaging.demo_data import REPLIES
    from messaging.models import Conversation, Message, Participant
    from profiles.models import Photo
    from profiles.photos import add_photo, process_photo

    username = f"bench_export_{size}"
    member, _created = Member.objects.get_or_create(
        username=username, defaults={"email": f"{username}@bench.invalid"}
    )
    have = Message.objects.filter(
        conversation__participants__member=member,
    ).count()
    if have < size:
        Message.objects.filter(conversation__participants__member=member).delete()
        Participant.objects.filter(member=member).delete()
        start = time.perf_counter()
        partners = [
            Member.objects.get_or_create(
                username=f"{username}_p{number}",
                defaults={"email": f"{username}_p{number}@bench.invalid"},
            )[0]
            for number in range(CONVERSATIONS)
        ]
        rng = random.Random(size)
        per_conversation = size // CONVERSATIONS
        for partner in partners:
            low, high = sorted((member.pk, partner.pk))
            with transaction.atomic():
                conversation, _new = Conversation.objects.get_or_create(
                    member_low_id=low, member_high_id=high, defaults={"started_by": member}
                )
                messages = [
                    Message(
                        conversation=conversation,
                        sender=member if number % 2 == 0 else partner,
                        text=rng.choice(REPLIES[rng.choice(["nl", "en"])]),
                    )
                    for number in range(per_conversation)
                ]
                Message.objects.bulk_create(messages, batch_size=BATCH)
                conversation.last_message = messages[-1]
                conversation.first_message_at = messages[0].created_at
                conversation.save(update_fields=["last_message", "first_message_at"])
                Participant.objects.bulk_create(
                    [
                        Participant(
                            conversation=conversation,
                            member=one,
                            other=two,
                            in_inbox=True,
                            last_message_at=messages[-1].created_at,
                        )
                        for one, two in ((member, partner), (partner, member))
                    ]
                )
        print(
            f"export benchmark: {size} messages for {username} in "
            f"{time.perf_counter() - start:.1f} s"
        )
    # A reused database keeps the photo rows, not the temporary files: upload them again.
    photos = Photo.objects.filter(member=member)
    missing = [
        p.pk for p in photos.all() if not p.image.name or not p.image.storage.exists(p.image.name)
    ]
    Photo.objects.filter(pk__in=missing).delete()
    for number in range(photos.count(), PHOTOS):
        photo = add_photo(member=member, upload=SimpleUploadedFile("p.jpg", photo_jpeg(number)))
        # The bench sends tasks to a broker no worker reads: make the clean copies here.
        process_photo(photo_id=photo.pk)
    return member.pk


def photo_jpeg(seed: int) -> bytes:
    """A camera-sized JPEG with detail (noise over a gradient), so the stored copy is as big
    as a real photo's."""
    from io import BytesIO

    from PIL import Image

    size = (2400, 1800)
    noise = Image.effect_noise(size, 40).convert("RGB")
    gradient = Image.linear_gradient("L").resize(size).convert("RGB")
    image = Image.blend(noise, gradient, 0.5 + (seed % 5) / 20)
    out = BytesIO()
    image.save(out, "JPEG", quality=92)
    return out.getvalue()


def measure_in_child(member_id: int, media_root: str) -> dict:
    env = {**os.environ, "MEDIA_ROOT": media_root, "BENCH_EXPORT_CHILD": str(member_id)}
    result = subprocess.run(
        [sys.executable, "-m", "bench.exports"], env=env, capture_output=True, text=True
    )
    if result.returncode:
        sys.stderr.write(result.stderr[-4000:])
        raise SystemExit(f"the export benchmark's child process failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def child(member_id: int) -> None:
    """In a fresh process: two builds of the member's export, the first timed with the
    process's resident memory watched, the second under tracemalloc. Prints JSON."""
    import logging
    import tracemalloc

    import django

    django.setup()
    logging.disable(logging.INFO)
    from django.test.utils import override_settings

    from privacy.exports import build_export
    from privacy.models import DataExport

    with override_settings(DEBUG=False):
        # Warm up what any build loads (templates, translations, the registry, the ZIP
        # library) on a member without data, so the figures below are the export's, not the
        # imports'.
        from members.models import Member

        empty, _created = Member.objects.get_or_create(
            username="bench_export_empty", defaults={"email": "bench_export_empty@bench.invalid"}
        )
        warm = DataExport.objects.create(member=empty)
        build_export(export_id=warm.pk)
        warm.refresh_from_db()
        warm.file.storage.delete(warm.file.name)
        warm.delete()
        first = DataExport.objects.create(member_id=member_id)
        reset_peak_rss()
        rss_before = memory_kb("VmRSS")
        start = time.perf_counter()
        build_export(export_id=first.pk)
        seconds = time.perf_counter() - start
        rss_peak = memory_kb("VmHWM")
        first.refresh_from_db()
        with first.file.storage.open(first.file.name, "rb") as handle:
            sizes = {info.filename: info.file_size for info in zipfile.ZipFile(handle).infolist()}
        second = DataExport.objects.create(member_id=member_id)
        tracemalloc.start()
        build_export(export_id=second.pk)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        second.refresh_from_db()
        ok = first.status == second.status == DataExport.Status.READY
        for export in (first, second):
            export.file.storage.delete(export.file.name)
        DataExport.objects.filter(pk__in=[first.pk, second.pk]).delete()
    print(
        json.dumps(
            {
                "ok": ok,
                "seconds": seconds,
                "bytes": first.size_bytes,
                "messages_json": sizes["data/messaging.json"],
                "index_html": sizes["index.html"],
                "peak_traced": peak,
                "rss_before_kb": rss_before,
                "rss_growth_kb": rss_peak - rss_before,
            }
        )
    )


def memory_kb(field: str) -> int:
    """The process's resident memory now (VmRSS) or its peak (VmHWM), in kB, from Linux's
    /proc. Not ru_maxrss: a child started by fork and exec inherits its parent's peak."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def reset_peak_rss() -> None:
    """Linux: makes VmHWM start again from the current resident memory."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
    except OSError:
        pass


def report(size: int, figures: dict, bare_median: float) -> None:
    if not figures["ok"]:
        print(f"export, {size} messages: the build did not finish (see the log)")
        return
    ratio = figures["seconds"] * 1000 / bare_median
    print(
        f"{f'export, {size} messages':<28} {figures['seconds']:6.1f} s ({ratio:,.0f}x bare)  "
        f"ZIP {figures['bytes'] / 1e6:.1f} MB with {PHOTOS} photos (messaging.json "
        f"{figures['messages_json'] / 1e6:.1f} MB, index.html {figures['index_html'] / 1e6:.1f} MB "
        f"unpacked); peak Python memory {figures['peak_traced'] / 1e6:.1f} MB (tracemalloc), "
        f"process peak +{figures['rss_growth_kb'] / 1024:.1f} MB over "
        f"{figures['rss_before_kb'] / 1024:.0f} MB (VmHWM)"
    )


if __name__ == "__main__":
    if os.environ.get("BENCH_EXPORT_CHILD"):
        from bench import __main__ as _settings  # noqa: F401 (the environment defaults)

        child(int(os.environ["BENCH_EXPORT_CHILD"]))
    else:
        main()
