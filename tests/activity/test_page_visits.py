"""Pages visited (SPEC R6.1, issue 10): a member's page views become PageVisit rows (route
name, session digest, time) and everyone's become anonymous daily counts, written in bulk by a
flush, never by the request; polls, files, posts, errors and the admin are not page views; a
Redis that is down never breaks a page; erased members leave nothing behind."""

from datetime import UTC, date, datetime

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from activity import page_visits
from activity.logins import session_digest
from activity.models import DailyPageCount, PageVisit
from activity.page_visits import MemoryBuffer, flush_page_visits, record_visit
from activity.tasks import flush_page_visits as flush_task
from members.models import Member
from privacy.erasure import close_account, erase_member
from tests.factories import staff_member
from tests.profiles.test_search import person

pytestmark = pytest.mark.django_db

MIDDLEWARE = "activity.middleware.PageVisitMiddleware"


@pytest.fixture(autouse=True)
def _fresh_buffer():
    """No records, clients or back-off left from another test (the Redis list itself is under
    the cache prefix, which tests/conftest.py clears around every test)."""
    page_visits.reset_for_tests()
    yield
    page_visits.reset_for_tests()


def buffered() -> list[str]:
    client = page_visits.redis_client(settings.REDIS_URL)
    return [raw.decode() for raw in client.lrange(page_visits.redis_key(), 0, -1)]


def views_on(day: date) -> dict[str, int]:
    return dict(DailyPageCount.objects.filter(day=day).values_list("route", "views"))


def today() -> date:
    from django.utils import timezone

    return timezone.localdate()


@pytest.fixture
def sem(db):
    return person("sem_zoekt", gender=Member.Gender.MAN, seeks_women=True)


@pytest.fixture
def anna(db):
    return person("anna_utrecht")


def get_ok(client, url, **kwargs):
    response = client.get(url, **kwargs)
    assert response.status_code == 200, (url, response.status_code)
    return response


def test_a_members_pages_become_visits_with_route_names_only_after_the_flush(client, sem, anna):
    client.force_login(sem)
    profile = reverse("profiles:profile", args=[anna.public_id])
    pages = ["/", "/search/?age_min=25&age_max=40", profile]

    with CaptureQueriesContext(connection) as queries:
        for url in pages:
            get_ok(client, url)

    # The requests wrote nothing: the views are in the buffer, not in the database.
    assert not [q["sql"] for q in queries if "activity_" in q["sql"]]
    assert not PageVisit.objects.exists()
    assert not DailyPageCount.objects.exists()
    assert len(buffered()) == 3

    assert flush_page_visits() == 3

    visits = list(PageVisit.objects.filter(member=sem).order_by("visited_at", "pk"))
    assert [visit.route for visit in visits] == ["home", "profiles:search", "profiles:profile"]
    digest = session_digest(client.session.session_key)
    assert len(digest) == 32 and digest != client.session.session_key
    assert {visit.session_digest for visit in visits} == {digest}
    for visit in visits:
        assert (datetime.now(UTC) - visit.visited_at).total_seconds() < 60
        # Never the URL: no path, no query, no name or id of the member looked at.
        for leak in ("/", "?", "age_min", anna.username, anna.public_id):
            assert leak not in visit.route
    assert views_on(today()) == {"home": 1, "profiles:search": 1, "profiles:profile": 1}


def test_recording_adds_no_query_to_a_page(sem):
    """The same page asks the database exactly as often with the middleware as without."""

    def queries_for_home(middleware):
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(settings, "MIDDLEWARE", middleware)
            client = Client()
            client.force_login(sem)
            get_ok(client, "/")  # the first page of a session saves it; measure the second
            with CaptureQueriesContext(connection) as queries:
                get_ok(client, "/")
        return len(queries)

    without = [name for name in settings.MIDDLEWARE if name != MIDDLEWARE]
    assert MIDDLEWARE in settings.MIDDLEWARE
    assert queries_for_home(list(settings.MIDDLEWARE)) == queries_for_home(without)
    assert len(buffered()) == 2  # the pages with the middleware, nothing without


def test_visitors_are_only_counted(client):
    get_ok(client, "/")
    get_ok(client, "/")
    get_ok(client, reverse("account_login"))

    # A visitor's record holds neither a member nor a session: just the route and the time.
    for record in buffered():
        _at, member, digest, _route = record.split(" ")
        assert (member, digest) == ("-", "-")

    flush_page_visits()

    assert not PageVisit.objects.exists()
    assert views_on(today()) == {"home": 2, "account_login": 1}


def test_polls_files_posts_errors_and_the_admin_are_not_page_views(client, sem):
    client.force_login(sem)
    # The unread badge and the inbox list, polled by htmx every few seconds.
    get_ok(client, reverse("messaging:unread_badge"), headers={"HX-Request": "true"})
    get_ok(client, reverse("messaging:inbox_list"), headers={"HX-Request": "true"})
    get_ok(client, "/static/css/site.css")
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert client.get("/members/does-not-exist/").status_code == 404
    assert client.get("/privacy/nothing-here/").status_code == 404
    get_ok(client, reverse("healthz"))  # JSON, not a page
    staff = staff_member("superuser")
    admin_client = Client()
    admin_client.force_login(staff)
    get_ok(admin_client, "/admin/")
    get_ok(admin_client, "/admin/members/member/")

    assert buffered() == []

    # The page itself, without the htmx header, is a page view.
    get_ok(client, reverse("messaging:inbox"))
    flush_page_visits()
    assert list(PageVisit.objects.values_list("route", flat=True)) == ["messaging:inbox"]


def test_flushing_again_counts_nothing_twice(client, sem):
    get_ok(client, "/")
    client.force_login(sem)
    get_ok(client, "/")
    get_ok(client, "/messages/")

    assert flush_page_visits() == 3
    assert flush_page_visits() == 0
    flush_task.delay()  # what beat runs: nothing left either

    assert PageVisit.objects.count() == 2
    assert views_on(today()) == {"home": 2, "messaging:inbox": 1}


def test_daily_counts_add_up_across_flushes(client):
    get_ok(client, "/")
    flush_page_visits()
    get_ok(client, "/")
    get_ok(client, "/")
    flush_task.delay()

    assert DailyPageCount.objects.count() == 1
    assert views_on(today()) == {"home": 3}


def test_the_day_is_the_dutch_day():
    # 23:30 UTC on 31 March 2026 is 01:30 on 1 April in Amsterdam (summer time).
    late = datetime(2026, 3, 31, 23, 30, tzinfo=UTC).timestamp()
    winter = datetime(2026, 1, 15, 22, 59, tzinfo=UTC).timestamp()  # 23:59 in Amsterdam
    record_visit(member_id=None, session_digest="", route="home", at=late)
    record_visit(member_id=None, session_digest="", route="home", at=winter)

    flush_page_visits()

    assert views_on(date(2026, 4, 1)) == {"home": 1}
    assert views_on(date(2026, 1, 15)) == {"home": 1}


def test_a_member_erased_between_visit_and_flush_leaves_only_the_anonymous_count(sem, anna):
    for member in (sem, anna):
        client = Client()
        client.force_login(member)
        get_ok(client, "/")
    close_account(member=sem, erase_immediately=True)
    assert erase_member(member_id=sem.pk)
    assert not Member.objects.filter(pk=sem.pk).exists()

    flush_page_visits()  # no IntegrityError for the member who is gone

    assert list(PageVisit.objects.values_list("member_id", flat=True)) == [anna.pk]
    assert views_on(today()) == {"home": 2}
    assert buffered() == []


def test_a_chunk_that_fails_to_write_is_written_by_the_next_flush(client, monkeypatch, settings):
    settings.PAGE_VISIT_FLUSH_CHUNK = 2
    for _ in range(3):
        get_ok(client, "/")
    original = page_visits.add_daily_counts
    calls = []

    def fail_once(counts):
        calls.append(counts)
        if len(calls) == 2:
            raise RuntimeError("database went away")
        original(counts)

    monkeypatch.setattr(page_visits, "add_daily_counts", fail_once)

    with pytest.raises(RuntimeError):
        flush_page_visits()

    # The first chunk (2 views) is written; the failed one is back in the list.
    assert views_on(today()) == {"home": 2}
    assert len(buffered()) == 1
    assert flush_page_visits() == 1
    assert views_on(today()) == {"home": 3}


def test_a_malformed_record_is_skipped(client):
    get_ok(client, "/")
    page_visits.redis_client(settings.REDIS_URL).rpush(page_visits.redis_key(), b"\xff junk")

    assert flush_page_visits() == 2
    assert views_on(today()) == {"home": 1}
    assert buffered() == []


def test_the_page_is_served_when_redis_is_down(client, sem, settings, caplog):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    client.force_login(sem)

    with caplog.at_level("WARNING", logger="activity"):
        first = get_ok(client, "/")
        get_ok(client, "/messages/")  # within the back-off: not even tried

    assert b"<html" in first.content
    warnings = [r.getMessage() for r in caplog.records if r.name.startswith("activity")]
    assert len(warnings) == 1 and "ConnectionError" in warnings[0]
    # The log line says what failed, nothing about who.
    for secret in (sem.username, str(sem.pk), session_digest(client.session.session_key)):
        assert secret not in warnings[0]
    assert not PageVisit.objects.exists()


def test_beat_flushes_every_30_seconds():
    entry = settings.CELERY_BEAT_SCHEDULE["page-visits"]
    assert entry["task"] == "activity.tasks.flush_page_visits"
    assert entry["schedule"] == 30.0


# -- without Redis (make run): the process's own buffer -------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


def test_the_in_process_buffer_writes_every_n_records_or_t_seconds(sem):
    clock = Clock()
    buffer = MemoryBuffer(max_records=3, max_seconds=30, clock=clock)

    def view(route):
        buffer.push(
            page_visits.encode(member_id=sem.pk, session_digest="d" * 32, route=route, at=1e9)
        )

    view("home")
    view("profiles:search")
    assert not PageVisit.objects.exists() and len(buffer) == 2
    view("profiles:suggestions")  # the third record: all three written
    assert PageVisit.objects.count() == 3 and len(buffer) == 0

    view("home")
    clock.now += 29
    view("home")
    assert PageVisit.objects.count() == 3  # the oldest is 29 s old: not yet
    clock.now += 1
    view("messaging:inbox")  # 30 s: written
    assert PageVisit.objects.count() == 6 and len(buffer) == 0

    view("home")
    assert buffer.flush() == 1
    assert PageVisit.objects.count() == 7
    assert views_on(datetime.fromtimestamp(1e9, tz=page_visits.AMSTERDAM).date()) == {
        "home": 4,
        "profiles:search": 1,
        "profiles:suggestions": 1,
        "messaging:inbox": 1,
    }


def test_the_in_process_buffer_keeps_records_it_could_not_write(sem, monkeypatch):
    buffer = MemoryBuffer(max_records=2, max_seconds=30, clock=Clock())
    failing = pytest.MonkeyPatch()
    failing.setattr(page_visits, "write_records", lambda records: 1 / 0)
    record = page_visits.encode(member_id=sem.pk, session_digest="", route="home", at=1e9)
    buffer.push(record)
    buffer.push(record)  # the write fails: both stay
    assert len(buffer) == 2
    failing.undo()

    assert buffer.flush() == 2
    assert PageVisit.objects.count() == 2


def test_without_redis_the_site_buffers_in_the_process(client, sem, settings):
    settings.REDIS_URL = ""
    settings.PAGE_VISIT_BUFFER_RECORDS = 3
    settings.PAGE_VISIT_BUFFER_SECONDS = 3600
    client.force_login(sem)

    get_ok(client, "/")
    get_ok(client, "/messages/")
    assert not PageVisit.objects.exists()
    get_ok(client, "/search/")  # the third: the request writes all three in bulk
    assert PageVisit.objects.count() == 3

    get_ok(client, "/")
    assert flush_page_visits() == 1  # what beat's task (or a test) writes at once
    assert views_on(today()) == {"home": 2, "messaging:inbox": 1, "profiles:search": 1}


def test_a_record_holds_the_route_name_the_member_and_the_digest_only():
    record = page_visits.encode(member_id=42, session_digest="ab" * 16, route="home", at=1.5)
    assert record == f"1.500 42 {'ab' * 16} home"
    visit = page_visits.decode(record.encode())
    assert (visit.member_id, visit.session_digest, visit.route, visit.at) == (
        42,
        "ab" * 16,
        "home",
        1.5,
    )
    assert page_visits.decode(b"not a record") is None


def test_the_record_is_pushed_only_after_the_page_was_sent(rf, sem):
    """The RPUSH runs when the server closes the response (after sending it), so no one waits
    for it: before close() the buffer is empty, after it the page view is there."""
    from django.http import HttpResponse

    from activity.middleware import PageVisitMiddleware

    request = rf.get(reverse("profiles:suggestions"))
    request.user = sem
    request.session = Client().session
    request.session.save()
    request.resolver_match = type(
        "Match", (), {"view_name": "profiles:suggestions", "namespaces": ["profiles"]}
    )()
    response = PageVisitMiddleware(lambda request: HttpResponse("<p>page</p>"))(request)
    assert buffered() == []
    response.close()
    assert len(buffered()) == 1
