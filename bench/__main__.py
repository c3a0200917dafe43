"""Benchmarks that print numbers (make bench). Each run also times a bare Django view, so the
figures read as ratios on whatever machine runs them.

Uses DATABASE_URL (default: PostgreSQL on 127.0.0.1, database `datingsite_bench`, dropped and
made anew unless BENCH_REUSE=1) and BENCH_MEMBERS (default 100000). The chat benchmark
(bench/messaging.py) adds BENCH_MESSAGES (default 1000000), BENCH_HEAVY_INBOX,
BENCH_HEAVY_HISTORY and BENCH_SENDS; the export benchmark (bench/exports.py)
BENCH_EXPORT_MESSAGES (default 5000,50000); the erasure benchmark (bench/erasure.py)
BENCH_ERASURE_ACCOUNTS (default 10000); the page-visit benchmark (bench/page_visits.py, run
after it by `make bench`) BENCH_CLIENTS, BENCH_WORKERS, BENCH_VISIT_REQUESTS and
BENCH_FLUSH_SECONDS.
"""

import os
import random
import statistics
import subprocess
import sys
import time

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datingsite_bench")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Tasks (the new-message notification) go to the broker as in production, not run in-process;
# without REDIS_URL that is Celery's in-memory broker. Mail never reaches the console.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "0")
os.environ.setdefault("EMAIL_BACKEND", "django.core.mail.backends.locmem.EmailBackend")
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "200"))


def recreate_database():
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres") or os.environ.get("BENCH_REUSE") == "1":
        return
    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')


def manage(*args):
    subprocess.run([sys.executable, "manage.py", *args], check=True, stdout=subprocess.DEVNULL)


def timed(func, repeat=1):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return times


def ms(values, q=None):
    values = sorted(values)
    if q is None:
        return statistics.median(values) * 1000
    return values[min(len(values) - 1, int(len(values) * q))] * 1000


def measure_page(client, urls, label, bare_median):
    """Median and 95th percentile server time, and queries per page, over REQUESTS GETs."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    times, queries = [], []
    for i in range(REQUESTS):
        reset_queries()  # DEBUG keeps at most 9000 queries; start each page with room
        url = urls[i % len(urls)]
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        queries.append(len(ctx.captured_queries))
    print(
        f"{label:<28} median {ms(times):7.1f} ms  p95 {ms(times, 0.95):7.1f} ms  "
        f"({ms(times) / bare_median:5.0f}x bare)  queries/page {min(queries)}-{max(queries)}"
    )


def bare_view_median() -> float:
    """Sets Django up, adds a bare view to the URLconf and returns its median time in ms: the
    yardstick every figure is divided by. The parts that run alone (`python -m bench.x`) use it
    after preparing their database."""
    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import path

    import config.urls

    config.urls.urlpatterns.append(path("bench-bare/", lambda request: HttpResponse("ok")))
    client = Client()
    median = ms(timed(lambda: client.get("/bench-bare/"), repeat=REQUESTS))
    print(f"{'bare view':<28} median {median:7.2f} ms")
    return median


def main():
    members = int(os.environ.get("BENCH_MEMBERS", "100000"))
    recreate_database()
    manage("migrate", "--noinput", "-v0")
    seed = timed(lambda: manage("seed_demo", "--members", str(members)))[0]
    reseed = timed(lambda: manage("seed_demo", "--members", str(members)))[0]

    import django

    django.setup()
    from django.http import HttpResponse
    from django.test import Client
    from django.urls import path

    import config.urls
    from members.models import Member

    config.urls.urlpatterns.append(path("bench-bare/", lambda request: HttpResponse("ok")))
    client = Client()
    bare = timed(lambda: client.get("/bench-bare/"), repeat=REQUESTS)
    home = timed(lambda: client.get("/"), repeat=REQUESTS)
    login = timed(lambda: client.get("/accounts/login/"), repeat=REQUESTS)
    bare_median = ms(bare)

    print(f"seed_demo --members {members}: {seed:.1f} s (re-run, nothing to add: {reseed:.1f} s)")
    print(f"{'bare view':<28} median {bare_median:7.2f} ms")
    ratio = ms(home) / bare_median
    print(f"{'home page (anonymous)':<28} median {ms(home):7.2f} ms  ({ratio:.1f}x bare)")
    print(f"{'log-in page':<28} median {ms(login):7.2f} ms  ({ms(login) / bare_median:.1f}x bare)")

    rng = random.Random(7)
    member = (
        Member.objects.filter(
            username__startswith="demo_",
            profile__place__population__gt=100000,
            profile__seeks_women=True,
        )
        .order_by("pk")
        .first()
    )
    client.force_login(member)
    searches = [
        f"/search/?age_min={a}&age_max={a + rng.randint(5, 20)}&distance={d}&sort={s}"
        for a, d, s in (
            (
                rng.randint(18, 60),
                rng.choice([10, 25, 50, 100]),
                rng.choice(["active", "new", "distance"]),
            )
            for _ in range(20)
        )
    ]
    measure_page(client, searches, "search (20 per page)", bare_median)
    measure_page(
        client, [f"/search/?page={p}" for p in range(1, 6)], "search, pages 1-5", bare_median
    )
    # Demo members consented to suggestions (privacy/demo_data.py): measure a page with cards.
    assert "member-card" in client.get("/suggestions/").content.decode(), "no suggestions shown"
    measure_page(client, ["/suggestions/"], "suggestions", bare_median)
    measure_page(client, ["/"], "home with suggestions", bare_median)

    from bench import messaging

    messaging.run(bare_median, REQUESTS)

    from bench import exports

    exports.run(bare_median)

    from bench import erasure

    erasure.run(bare_median)


if __name__ == "__main__":
    main()
