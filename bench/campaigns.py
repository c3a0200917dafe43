"""The campaign benchmark (issue 9): `python -m bench.campaigns` (run by `make bench`).

On a PostgreSQL database (DATABASE_URL, default `datingsite_bench`, made anew and seeded with
`seed_demo --members BENCH_MEMBERS` (default 100000) unless BENCH_REUSE=1), every demo member
opts in to promotional mail (bulk consent records; seed_demo gives each a confirmed address).
Mail goes to an SMTP sink (aiosmtpd) in a process of its own, which writes one line per
accepted mail; the batches run in a real `celery -A config worker` process (solo pool: one
process, concurrency 1) on Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/13, flushed
first: keep that database for the benchmark), as in production:

1. a campaign to all of them: mails per second of the worker process (first to last mail in
   the sink), and the worker's resident memory sampled from /proc over the run (peak, and at
   each quarter, to show it flat);
2. the same again, with the worker killed (`kill -9`) at BENCH_KILL_AT of the way (default
   0.4), in the middle of a batch (while it holds claimed rows), and started again, while
   `run_campaigns` runs as beat would (every few seconds here, with a lease of
   BENCH_LEASE_SECONDS, default 5, to give the dead batch's rows back). The sink must then
   hold exactly one mail per eligible member: the counts are printed and the
   run FAILS (exit status 1) otherwise.

CAMPAIGN_MAILS_PER_MINUTE is set far above what one worker sends, so the throttle never waits.
`make bench` runs it after `python -m bench`, on the database that run made (BENCH_REUSE=1).
"""

import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "100000"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
KILL_AT = float(os.environ.get("BENCH_KILL_AT", "0.4"))
LEASE_SECONDS = int(os.environ.get("BENCH_LEASE_SECONDS", "5"))
BEAT_EVERY = 3.0
MAILS_PER_MINUTE = 100_000_000
TIMEOUT = float(os.environ.get("BENCH_CAMPAIGN_TIMEOUT", "3600"))
ROOT = Path(__file__).resolve().parent.parent

# The worker and this process share these (set before Django is set up).
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datingsite_bench")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["REDIS_URL"] = REDIS_URL
os.environ["CACHE_KEY_PREFIX"] = "bench-campaigns"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"
os.environ["CAMPAIGN_MAILS_PER_MINUTE"] = str(MAILS_PER_MINUTE)


# -- the SMTP sink (a process of its own) ------------------------------------------------------


def sink_main(port: int, path: str) -> None:
    """`python -m bench.campaigns sink PORT FILE`: accepts every mail on 127.0.0.1:PORT and
    appends "<time> <recipient>" to FILE for each. A message whose connection closes before
    its terminating "." is discarded (aiosmtpd never hands it to the handler)."""
    from aiosmtpd.controller import Controller

    out = open(path, "a", buffering=1)  # noqa: SIM115 (open for the process's life)

    class Handler:
        async def handle_DATA(self, server, session, envelope):
            now = time.time()
            out.write("".join(f"{now:.6f} {rcpt}\n" for rcpt in envelope.rcpt_tos))
            return "250 2.0.0 Ok: queued"

    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    signal.sigwait({signal.SIGTERM, signal.SIGINT})
    controller.stop()
    out.close()


class Sink:
    def __init__(self, workdir: Path, name: str):
        self.path = workdir / f"{name}.sink"
        self.path.write_text("")
        self.port = free_port()
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.campaigns", "sink", str(self.port), str(self.path)],
            cwd=ROOT,
        )
        self.offset = 0
        self.times: list[float] = []
        self.recipients: Counter = Counter()
        wait_for_port(self.port)

    def read(self) -> int:
        """Takes in the lines written since the last call; returns the mails so far."""
        with open(self.path, "rb") as handle:
            handle.seek(self.offset)
            chunk = handle.read()
        end = chunk.rfind(b"\n") + 1
        self.offset += end
        for line in chunk[:end].decode().splitlines():
            stamp, rcpt = line.split(" ", 1)
            self.times.append(float(stamp))
            self.recipients[rcpt.lower()] += 1
        return len(self.times)

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=10)
        self.read()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"nothing listens on port {port}")


# -- the worker --------------------------------------------------------------------------------


class Worker:
    """`celery -A config worker --pool=solo` with production-like settings (DEBUG off)."""

    def __init__(self, workdir: Path, sink: Sink, name: str):
        from cryptography.fernet import Fernet

        env = {
            **os.environ,
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            # Production settings want real keys; nothing the worker reads here is encrypted.
            "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
            "EMAIL_URL": f"smtp://127.0.0.1:{sink.port}",
            "LOG_LEVEL": "WARNING",
        }
        self.log = workdir / f"{name}.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "celery",
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "--concurrency=1",
                    "--loglevel=WARNING",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: `kill -9` hits all of it
            )
        self.peak_rss = 0

    def rss_mb(self) -> float:
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except FileNotFoundError:
            return 0.0
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                kb = int(line.split()[1])
                self.peak_rss = max(self.peak_rss, kb)
                return kb / 1024
        return 0.0

    def kill9(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.kill9()


# -- the data ----------------------------------------------------------------------------------


def prepare() -> None:
    from bench import __main__ as bench

    bench.recreate_database()
    bench.manage("migrate", "--noinput", "-v0")
    import django

    django.setup()
    from members.models import Member

    if Member.objects.filter(username__startswith="demo_").count() < MEMBERS:
        start = time.perf_counter()
        bench.manage("seed_demo", "--members", str(MEMBERS))
        print(f"seed_demo --members {MEMBERS}: {time.perf_counter() - start:.1f} s")


def opt_everyone_in() -> int:
    """A promotional-mail grant in the consent ledger for every demo member without one."""
    from django.db import connection, transaction

    from members.models import Member
    from privacy import declaration
    from privacy.models import ConsentPurpose, ConsentRecord
    from privacy.services import members_consenting

    purpose = ConsentPurpose.PROMOTIONAL_EMAIL
    version = declaration.consent(purpose).wording_version
    todo = list(
        Member.objects.filter(username__startswith="demo_")
        .exclude(pk__in=members_consenting(purpose))
        .values_list("pk", flat=True)
    )
    for start in range(0, len(todo), 5000):
        with transaction.atomic():
            ConsentRecord.objects.bulk_create(
                [
                    ConsentRecord(
                        member_id=pk,
                        purpose=purpose,
                        granted=True,
                        wording_version=version,
                        source=declaration.SOURCE_SIGNUP,
                    )
                    for pk in todo[start : start + 5000]
                ]
            )
    if todo:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return len(todo)


def new_campaign(name: str):
    from mailings.models import Campaign

    return Campaign.objects.create(
        name=name,
        subject_nl="Voorjaarsactie: 20% extra credits",
        subject_en="Spring offer: 20% extra credits",
        body_nl=(
            "<h2>Het voorjaar begint goed</h2><p>Deze week krijg je <strong>20% extra "
            "credits</strong> bij elk pakket. Stuur dat bericht dat je al een tijdje wilde "
            "sturen.</p><ul><li>Geldt tot en met zondag</li><li>Voor elk pakket</li></ul><p><a "
            'href="https://example.org/credits">Bekijk de pakketten</a></p>'
        ),
        body_en=(
            "<h2>Spring starts well</h2><p>This week every pack comes with <strong>20% extra "
            "credits</strong>. Send the message you have been meaning to send.</p><ul><li>Until "
            'Sunday</li><li>For every pack</li></ul><p><a href="https://example.org/credits">'
            "See the packs</a></p>"
        ),
    )


def start(campaign) -> float:
    """Schedules the campaign and runs the beat job once (it writes the delivery rows and
    enqueues the batches); returns how long that took."""
    from mailings import sending

    sending.schedule_campaign(campaign=campaign, staff=None)
    began = time.perf_counter()
    sending.run_campaigns()
    return time.perf_counter() - began


def beat(campaign, *, lease: int | None = None) -> dict:
    from django.test.utils import override_settings

    from mailings import sending

    if lease is None:
        sending.run_campaigns()
    else:
        with override_settings(CAMPAIGN_CLAIM_LEASE_SECONDS=lease):
            sending.run_campaigns()
    return sending.campaign_progress(campaign)


# -- the runs ----------------------------------------------------------------------------------


def run_campaign(workdir: Path, name: str, expected: int, *, kill: bool) -> dict:
    from mailings.models import Campaign, Delivery

    sink = Sink(workdir, name)
    worker = Worker(workdir, sink, name)
    campaign = new_campaign(f"bench {name}")
    populate = start(campaign)
    began = time.monotonic()
    samples = []  # (mails in the sink, worker RSS in MB)
    killed_at = None
    restarted = None
    last_beat = time.monotonic()
    progress = {}
    try:
        while True:
            count = sink.read()
            samples.append((count, worker.rss_mb()))
            if kill and killed_at is None and count >= expected * KILL_AT:
                # In the middle of a batch: while it holds claimed rows.
                holding = Delivery.objects.filter(campaign=campaign, status=Delivery.Status.CLAIMED)
                deadline = time.monotonic() + 10
                while not holding.exists() and time.monotonic() < deadline:
                    time.sleep(0.005)
                worker.kill9()
                killed_at = {"mails": sink.read(), "progress": beat(campaign)}
                # A supervisor starts it again at once.
                restarted = Worker(workdir, sink, f"{name}-restarted")
                worker_before, worker = worker, restarted
            if worker.process.poll() is not None:
                print(f"FAIL: the worker stopped by itself, see {worker.log}")
                break
            if time.monotonic() - last_beat >= BEAT_EVERY:
                progress = beat(campaign, lease=LEASE_SECONDS if kill else None)
                last_beat = time.monotonic()
                campaign.refresh_from_db()
                if campaign.status == Campaign.Status.FINISHED:
                    break
            if time.monotonic() - began > TIMEOUT:
                print(f"FAIL: {name} did not finish within {TIMEOUT:.0f} s: {progress}")
                break
            time.sleep(0.5)
    finally:
        worker.stop()
        sink.stop()
    result = {
        "populate": populate,
        "sink": sink,
        "samples": samples,
        "progress": beat(campaign),
        "peak_rss": worker.peak_rss / 1024,
        "killed_at": killed_at,
        "campaign": campaign,
        "log": worker.log,
    }
    if kill:
        result["peak_rss_before_kill"] = worker_before.peak_rss / 1024
    return result


def rate(times: list[float]) -> float:
    if len(times) < 2:
        return 0.0
    times = sorted(times)
    return (len(times) - 1) / (times[-1] - times[0])


def check(result, eligible: set[str], label: str) -> bool:
    sink = result["sink"]
    got = sink.recipients
    duplicates = sum(n - 1 for n in got.values() if n > 1)
    missing = len(eligible - set(got))
    strangers = len(set(got) - eligible)
    progress = result["progress"]
    ok = (
        duplicates == 0
        and missing == 0
        and strangers == 0
        and progress["sent"] == len(eligible)
        and progress["sent"] == progress["total"]
    )
    print(
        f"{label:<28} sink {sum(got.values())} mails to {len(got)} recipients of "
        f"{len(eligible)} eligible: duplicates {duplicates}, missing {missing}, not in the "
        f"audience {strangers}; delivery rows {progress}  -> {'OK' if ok else 'FAIL'}"
    )
    return ok


def quarters(samples, expected: int) -> str:
    marks = []
    for share in (0.05, 0.25, 0.5, 0.75, 1.0):
        for count, rss in samples:
            if count >= expected * share and rss:
                marks.append(f"{int(share * 100)}% {rss:.0f}")
                break
    return ", ".join(marks)


def run(bare_median: float) -> bool:
    import logging

    import redis
    from allauth.account.models import EmailAddress
    from django.conf import settings

    from mailings import sending
    from mailings.models import Campaign

    logging.disable(logging.INFO)
    redis.Redis.from_url(REDIS_URL).flushdb()
    # A campaign an interrupted run left sending would share the sink and the worker.
    for campaign in Campaign.objects.exclude(
        status__in=[Campaign.Status.FINISHED, Campaign.Status.CANCELLED, Campaign.Status.DRAFT]
    ):
        sending.cancel_campaign(campaign=campaign, staff=None)
    added = opt_everyone_in()
    probe = new_campaign("bench audience")
    audience = list(sending.audience(probe).values_list("pk", flat=True))
    probe.delete()
    eligible = {
        email.lower()
        for email in EmailAddress.objects.filter(
            user_id__in=audience, primary=True, verified=True
        ).values_list("email", flat=True)
    }
    print(
        f"campaign audience: {len(audience)} members who opted in to promotional mail "
        f"({added} grants added now); batches of {settings.CAMPAIGN_BATCH_SIZE}, "
        f"{settings.CAMPAIGN_PARALLEL_BATCHES} chains side by side"
    )
    workdir = Path(tempfile.mkdtemp(prefix="bench-campaigns-"))

    first = run_campaign(workdir, "throughput", len(eligible), kill=False)
    per_second = rate(first["sink"].times)
    print(
        f"{'campaign, 1 worker process':<28} {per_second:7.0f} mails/s  (delivery rows "
        f"written in {first['populate']:.1f} s; per mail {1000 / per_second:.2f} ms = "
        f"{1000 / per_second / bare_median:.1f}x bare view; worker peak RSS "
        f"{first['peak_rss']:.0f} MB; RSS in MB at share of mails sent: "
        f"{quarters(first['samples'], len(eligible))})"
    )
    ok_first = check(first, eligible, "sink, plain run")

    second = run_campaign(workdir, "kill", len(eligible), kill=True)
    killed = second["killed_at"]
    times = sorted(second["sink"].times)
    gap = max((b - a for a, b in zip(times, times[1:], strict=False)), default=0.0)
    print(
        f"{'campaign, kill -9 midway':<28} killed at {killed['mails']} mails in the sink "
        f"(rows then: {killed['progress']}); restarted at once, beat every {BEAT_EVERY:.0f} s "
        f"with a {LEASE_SECONDS} s lease; longest pause in the sink {gap:.1f} s; "
        f"{rate(times):.0f} mails/s overall; restarted worker's peak RSS "
        f"{second['peak_rss']:.0f} MB"
    )
    ok_second = check(second, eligible, "sink, killed and restarted")
    if not (ok_first and ok_second):
        print(f"FAIL: the campaign benchmark; worker logs in {workdir}")
    logging.disable(logging.NOTSET)
    return ok_first and ok_second


def main() -> None:
    prepare()
    from bench import __main__ as bench

    bare_median = bench.bare_view_median()
    if not run(bare_median):
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["sink"]:
        sink_main(int(sys.argv[2]), sys.argv[3])
    else:
        main()
