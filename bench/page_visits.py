"""The page-visit benchmark (issue 10): `python -m bench.page_visits` (run by `make bench`).

What recording the pages visited (activity.page_visits: one Redis RPUSH per page, written in
bulk by a flush) costs a page under load. On a PostgreSQL database (DATABASE_URL, default
`datingsite_bench`, made anew and seeded with `seed_demo --members BENCH_MEMBERS` (default
100000) unless BENCH_REUSE=1) and Redis (BENCH_REDIS_URL, default redis://127.0.0.1:6379/13;
only this benchmark's keys are touched), two gunicorn servers run the site as production does
(DEBUG off, static files collected, BENCH_WORKERS sync workers each, default 3 as in
docker-compose.yml): one without PageVisitMiddleware (bench/page_visit_settings.py), one with
it. BENCH_CLIENTS threads (default 8), each logged in as another demo member who has
conversations and sees suggestions, load three pages, BENCH_VISIT_REQUESTS times from each
server (default 1200):

- (a) a bare Django view (the yardstick of every benchmark), through all the middleware;
- (b) the inbox and the suggestions page with recording off;
- (c) the same pages with recording on, while `flush_page_visits` (what beat's task runs every
  30 seconds) runs every BENCH_FLUSH_SECONDS (default 5) in a process of its own.

Each client sends its requests to both servers in turn, in an order drawn anew for each turn,
so both meet the same load on the machine (other work on it shifts both alike, not one run
more than the other). It prints each median and 95th percentile, and the overhead of (c) over
(b): the median of the differences between the two requests of each turn (back to back, under
the same load), as a share of (b)'s median (target < 5%), and the time the "on" server spent
inside the recording (bench/page_visit_site.py times PageVisitMiddleware in each worker); then
the time of `record_visit` alone and the flushes' time. Every request to the "on" server must
then be in the database (PageVisit rows and daily counts grown by exactly that many): the run
FAILS (exit status 1) otherwise.
"""

import base64
import hashlib
import http.client
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

MEMBERS = int(os.environ.get("BENCH_MEMBERS", "100000"))
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "8"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "3"))
REQUESTS = int(os.environ.get("BENCH_VISIT_REQUESTS", "1200"))
FLUSH_EVERY = float(os.environ.get("BENCH_FLUSH_SECONDS", "5"))
WARM_UP = 10  # requests per client, page and server before measuring
ROOT = Path(__file__).resolve().parent.parent
PAGES = [("bare view", "/bench-bare/"), ("inbox", "/messages/"), ("suggestions", "/suggestions/")]

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datingsite_bench")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["REDIS_URL"] = REDIS_URL
os.environ["CACHE_KEY_PREFIX"] = "bench-page-visits"
os.environ["CELERY_TASK_ALWAYS_EAGER"] = "0"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


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


def session_cookies() -> list[str]:
    """One logged-in session per client: demo members with conversations who see suggestions."""
    from django.conf import settings
    from django.test import Client

    from members.models import Member

    candidates = (
        Member.objects.filter(
            username__startswith="demo_",
            profile__place__population__gt=100000,
            profile__seeks_women=True,
            conversation_sides__isnull=False,
        )
        .distinct()
        .order_by("pk")
    )
    cookies = []
    for member in candidates[: CLIENTS * 5]:
        client = Client()
        client.force_login(member)
        if "member-card" not in client.get("/suggestions/").content.decode():
            continue
        cookies.append(
            f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"
        )
        if len(cookies) == CLIENTS:
            return cookies
    raise RuntimeError(f"fewer than {CLIENTS} demo members with conversations and suggestions")


class Server:
    """`gunicorn config.wsgi` with production settings (DEBUG off) and the bench's URLs."""

    def __init__(self, workdir: Path, *, recording: bool, env: dict):
        self.port = free_port()
        self.log = workdir / f"gunicorn-{'on' if recording else 'off'}.log"
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "config.wsgi:application",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    str(WORKERS),
                    "--worker-tmp-dir",
                    "/dev/shm",
                    "--log-level",
                    "warning",
                ],
                cwd=ROOT,
                env={**env, "BENCH_PAGE_VISITS": "1" if recording else "0"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = get(self.port, "/healthz", "")
                if status == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start, see {self.log}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)


def get(port: int, path: str, cookie: str) -> tuple[int, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Cookie": cookie, "Host": "127.0.0.1"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def load(servers: list[int], path: str, cookies: list[str], requests: int) -> list[tuple]:
    """`requests` GETs of `path` from each server, from len(cookies) threads at once; each
    thread sends one request to every server in turn, in an order drawn anew each time, so
    every server meets the same load on the machine. One tuple of times per turn."""
    turns: list[tuple] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client(number: int, cookie: str, count: int):
        rng = random.Random(number)
        mine = []
        order = list(range(len(servers)))
        for _ in range(count):
            rng.shuffle(order)
            turn = [0.0] * len(servers)
            for index in order:
                start = time.perf_counter()
                status, _body = get(servers[index], path, cookie)
                turn[index] = time.perf_counter() - start
                if status != 200:
                    errors.append(f"{path}: {status}")
                    return
            mine.append(tuple(turn))
        with lock:
            turns.extend(mine)

    share, extra = divmod(requests, len(cookies))
    threads = [
        threading.Thread(target=client, args=(i, cookie, share + (i < extra)))
        for i, cookie in enumerate(cookies)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise RuntimeError(f"not every page answered 200: {errors[:3]}")
    return turns


def flusher_main(every: float, path: str) -> None:
    """`python -m bench.page_visits flusher SECONDS FILE`: flush_page_visits every SECONDS
    until SIGTERM, as beat's task on a worker would; then "<flushes> <records> <seconds>" in
    FILE (the flushes that found records, and their time)."""
    import django

    django.setup()
    from activity.page_visits import flush_page_visits

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    flushes = records = 0
    seconds = 0.0
    while True:
        stopping = stop.wait(every)
        start = time.perf_counter()
        taken = flush_page_visits()
        if taken:
            seconds += time.perf_counter() - start
            records += taken
            flushes += 1
        if stopping:
            break
    Path(path).write_text(f"{flushes} {records} {seconds}")


class Flusher:
    """The flush in a process of its own (as on a Celery worker), every FLUSH_EVERY seconds."""

    def __init__(self, workdir: Path, env: dict):
        self.path = workdir / "flusher.txt"
        self.process = subprocess.Popen(  # noqa: S603
            [sys.executable, "-m", "bench.page_visits", "flusher", str(FLUSH_EVERY), self.path],
            cwd=ROOT,
            env=env,
        )

    def stop(self) -> tuple[int, int, float]:
        """Stops it after a last flush; returns flushes, records and seconds."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=120)
        flushes, records, seconds = self.path.read_text().split()
        return int(flushes), int(records), float(seconds)


def ms(values, q=None) -> float:
    values = sorted(values)
    if q is None:
        return statistics.median(values) * 1000
    return values[min(len(values) - 1, int(len(values) * q))] * 1000


def server_env(workdir: Path) -> dict:
    """Production settings (DEBUG off) with the keys the demo data was written with (the
    development SECRET_KEY and the field key derived from it), static files collected."""
    from django.conf import settings

    derived = hashlib.sha256(("field-encryption:" + settings.SECRET_KEY).encode()).digest()
    env = {
        **os.environ,
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "bench.page_visit_settings",
        "SECRET_KEY": settings.SECRET_KEY,
        "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS)
        or base64.urlsafe_b64encode(derived).decode(),
        "SECURE_SSL_REDIRECT": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "VAR_DIR": str(workdir),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "LOG_LEVEL": "WARNING",
    }
    subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return env


def record_visit_alone(repeat: int = 5000) -> float:
    """Microseconds of one record_visit (one RPUSH) in this process, on the bench's list."""
    from activity.page_visits import record_visit

    start = time.perf_counter()
    for _ in range(repeat):
        record_visit(member_id=1, session_digest="0" * 32, route="messaging:inbox")
    return (time.perf_counter() - start) / repeat * 1e6


class Timings:
    """The seconds the "on" server's PageVisitMiddleware spent recording, per page, from the
    files its workers append to (bench/page_visit_site.py)."""

    def __init__(self, directory: Path):
        self.directory = directory
        self.offsets: dict[Path, int] = {}

    def new(self) -> list[float]:
        values = []
        for name in sorted(self.directory.glob("timing-*.txt")):
            data = name.read_bytes()
            start = self.offsets.get(name, 0)
            end = data.rfind(b"\n") + 1
            if end > start:
                values += [float(line) for line in data[start:end].split()]
                self.offsets[name] = end
        return values


def counted():
    from django.db.models import Sum

    from activity.models import DailyPageCount, PageVisit

    return PageVisit.objects.count(), DailyPageCount.objects.aggregate(n=Sum("views"))["n"] or 0


def run() -> bool:
    import logging

    from activity.page_visits import flush_page_visits, redis_client, redis_key

    logging.disable(logging.INFO)
    client = redis_client(REDIS_URL)
    client.delete(redis_key())
    workdir = Path(tempfile.mkdtemp(prefix="bench-page-visits-"))
    cookies = session_cookies()
    env = server_env(workdir)
    off = Server(workdir, recording=False, env=env)
    timing_dir = workdir / "timing"
    timing_dir.mkdir()
    on = Server(workdir, recording=True, env={**env, "BENCH_TIMING_DIR": str(timing_dir)})
    timings = Timings(timing_dir)
    inside = {}
    times = {}
    flusher = None
    try:
        for _label, path in PAGES:
            load([off.port, on.port], path, cookies, WARM_UP * len(cookies))
        timings.new()
        flush_page_visits()
        before = counted()
        alone = record_visit_alone()
        client.delete(redis_key())
        flusher = Flusher(workdir, env)
        for label, path in PAGES:
            times[label] = load([off.port, on.port], path, cookies, REQUESTS)
            inside[label] = timings.new()
        flushes, records, flush_seconds = flusher.stop()
        after = counted()
    finally:
        if flusher is not None and flusher.process.poll() is None:
            flusher.process.kill()
        off.stop()
        on.stop()
        logging.disable(logging.NOTSET)

    print(
        f"page visits: 2 gunicorn servers ({WORKERS} sync workers each, DEBUG off), recording "
        f"off and on; {len(cookies)} logged-in clients at once, each sending its requests to "
        f"both in turn; {REQUESTS} requests per page and server; flush every "
        f"{FLUSH_EVERY:.0f} s"
    )
    for label, _path in PAGES:
        base = [off_time for off_time, _on_time in times[label]]
        with_it = [on_time for _off_time, on_time in times[label]]
        # The two requests of a turn ran back to back under the same load: the median of
        # their differences is the overhead, far steadier than a difference of two medians.
        paired = statistics.median(on_time - off_time for off_time, on_time in times[label])
        overhead = paired * 1000 / ms(base) * 100
        verdict = (
            ""
            if label == "bare view"
            else ("  (target < 5%)" if overhead < 5 else "  ABOVE the 5% target")
        )
        print(
            f"{label + ', recording off':<28} median {ms(base):7.2f} ms  "
            f"p95 {ms(base, 0.95):7.2f} ms"
        )
        print(
            f"{label + ', recording on':<28} median {ms(with_it):7.2f} ms  "
            f"p95 {ms(with_it, 0.95):7.2f} ms  overhead {paired * 1000:+.2f} ms "
            f"({overhead:+.1f}% of the median){verdict}"
        )
        spent = inside[label]
        print(
            f"{'':<28} time in PageVisitMiddleware ({len(spent)} pages): median "
            f"{ms(spent) * 1000:.0f} µs, p95 {ms(spent, 0.95) * 1000:.0f} µs "
            f"({ms(spent) / ms(base) * 100:.2f}% of the median)"
        )
    per_record = flush_seconds / records * 1e6 if records else 0.0
    print(
        f"{'record_visit alone':<28} {alone:7.1f} µs a page (one RPUSH, this process, idle "
        f"server); flushes: {flushes}, {records} records in "
        f"{flush_seconds:.2f} s ({per_record:.0f} µs a page view, off the request path)"
    )
    visits = after[0] - before[0]
    views = after[1] - before[1]
    served = REQUESTS * len(PAGES)
    ok = visits == views == served
    print(
        f"{'recorded':<28} {served} pages served with recording on: {visits} PageVisit "
        f"rows and {views} daily views written  -> {'OK' if ok else 'FAIL'}"
    )
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        print(f"FAIL: the page-visit benchmark; server logs in {workdir}")
    return ok


def main() -> None:
    prepare()
    import django

    django.setup()
    if not run():
        sys.exit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["flusher"]:
        flusher_main(float(sys.argv[2]), sys.argv[3])
    else:
        main()
