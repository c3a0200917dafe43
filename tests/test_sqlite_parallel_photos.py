"""`make run` on SQLite serves a page of thumbnails in parallel: 120 photo requests at once from
one logged-in session once answered 500 ("database is locked") for 48 of them, because every
request wrote allauth's session row in a deferred transaction."""

import re
import sys
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.processes import Process, clean_env, free_port, run, wait_for_http

DEMO_PASSWORD = "demo-wachtwoord-2026"  # profiles/demo_data.py
CSRF_FIELD = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')

VISIBLE_THUMBNAILS = """
from members.models import Member
from profiles.models import Photo
from profiles.photos import can_view_photo
from django.urls import reverse
viewer = Member.objects.get(username="demo_000001")
for photo in Photo.objects.select_related("member").exclude(member=viewer):
    if can_view_photo(viewer=viewer, photo=photo):
        print(reverse("profiles:photo_file", args=[photo.public_id, "thumb"]))
"""


@pytest.fixture
def sqlite_site(tmp_path):
    """`make run`'s settings on a fresh SQLite file: DEBUG=1, no Redis, the demo data."""
    env = clean_env(DEBUG="1", VAR_DIR=str(tmp_path))
    manage = [sys.executable, "manage.py"]
    run([*manage, "migrate", "--noinput"], env=env)
    run([*manage, "seed_demo", "--members", "30"], env=env)
    listed = run([*manage, "shell", "--no-imports", "-c", VISIBLE_THUMBNAILS], env=env)
    thumbnails = [line for line in listed.split() if line.startswith("/photos/")]
    port = free_port()
    server = Process(
        "runserver",
        [*manage, "runserver", "--noreload", f"127.0.0.1:{port}"],
        env=env,
        log_dir=tmp_path,
    )
    try:
        wait_for_http(f"http://127.0.0.1:{port}/healthz", timeout=60, process=server)
        yield f"http://127.0.0.1:{port}", thumbnails, server
    finally:
        server.stop()


def log_in(base: str) -> requests.Session:
    session = requests.Session()
    form = session.get(f"{base}/accounts/login/", timeout=10)
    token = CSRF_FIELD.search(form.text).group(1)
    response = session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "login": "demo_000001", "password": DEMO_PASSWORD},
        timeout=30,
    )
    assert response.status_code == 200 and "sessionid" in session.cookies, response.text[:500]
    return session


def test_120_parallel_thumbnail_requests_of_one_session_on_sqlite_all_succeed(sqlite_site):
    base, thumbnails, server = sqlite_site
    assert len(thumbnails) >= 10, thumbnails  # the demo's drawn portraits
    session = log_in(base)
    cookie = "; ".join(f"{c.name}={c.value}" for c in session.cookies)

    def fetch(path: str) -> int:
        request = urllib.request.Request(base + path, headers={"Cookie": cookie})
        try:
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                response.read()
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    paths = [thumbnails[i % len(thumbnails)] for i in range(120)]
    with ThreadPoolExecutor(max_workers=120) as pool:
        statuses = list(pool.map(fetch, paths))

    failed = [status for status in statuses if status != 200]
    assert not failed, f"{len(failed)} of 120 failed: {sorted(set(failed))}\n{server.tail(20)}"
    assert "database is locked" not in server.output
