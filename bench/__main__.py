"""Benchmarks that print numbers (make bench). Each run also times a bare Django view, so the
figures read as ratios on whatever machine runs them.

Uses DATABASE_URL (default: PostgreSQL on 127.0.0.1, database `datingsite_bench`, dropped and
made anew) and BENCH_MEMBERS (default 100000).
"""

import os
import statistics
import subprocess
import sys
import time

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/datingsite_bench")
os.environ.setdefault("DEBUG", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def recreate_database():
    url = os.environ["DATABASE_URL"]
    if not url.startswith("postgres"):
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

    config.urls.urlpatterns.append(path("bench-bare/", lambda request: HttpResponse("ok")))
    client = Client()
    bare = timed(lambda: client.get("/bench-bare/"), repeat=300)
    home = timed(lambda: client.get("/"), repeat=300)
    login = timed(lambda: client.get("/accounts/login/"), repeat=300)

    def ms(values):
        return statistics.median(values) * 1000

    print(f"seed_demo --members {members}: {seed:.1f} s (re-run, nothing to add: {reseed:.1f} s)")
    print(f"bare view:     {ms(bare):.2f} ms median")
    print(f"home page:     {ms(home):.2f} ms median ({ms(home) / ms(bare):.1f}x bare)")
    print(f"log-in page:   {ms(login):.2f} ms median ({ms(login) / ms(bare):.1f}x bare)")


if __name__ == "__main__":
    main()
