import threading

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache

from tests.factories import MemberFactory


@pytest.fixture(autouse=True)
def _no_rate_limits_unless_asked(settings, request):
    """Rate limits are on in the site; tests that check them ask for them with
    @pytest.mark.rate_limits. Others run without, so they cannot trip over each other."""
    if "rate_limits" not in request.keywords:
        settings.ACCOUNT_RATE_LIMITS = False
        settings.MESSAGE_RATE_LIMITS = []
        settings.CONTACT_RATE_LIMITS = None
    clear_own_cache()
    yield
    clear_own_cache()


def clear_own_cache():
    """Clears this test process's cache keys only: with Redis, `cache.clear()` would flush the
    whole database under the other pytest-xdist workers' feet."""
    backend = caches["default"]
    if isinstance(backend, RedisCache):
        from members.cache import forget_failures

        forget_failures()
        if hasattr(backend, "local"):  # the per-process fallback of members.cache
            backend.local.clear()
        client = backend._cache.get_client()
        for key in client.scan_iter(match=f"{backend.key_prefix}:*"):
            client.delete(key)
    else:
        backend.clear()


@pytest.fixture(autouse=True)
def _cookies_declared_and_consented(monkeypatch):
    """Every response of the suite, through the test client or the live server, sets only
    cookies declared in privacy.cookies.COOKIES, and a non-necessary one only when the
    request's cookie choice (or the one the response saves) allows its category (R6.2).
    A violation through the test client fails the request at once; one in the live server's
    thread fails the test when it ends."""
    from django.core.handlers.base import BaseHandler

    from privacy.cookies import undeclared_or_unconsented

    original = BaseHandler.get_response
    test_thread = threading.get_ident()
    from_other_threads: list[str] = []

    def get_response(handler, request):
        response = original(handler, request)
        problems = undeclared_or_unconsented(request, response)
        if problems:
            if threading.get_ident() == test_thread:
                raise AssertionError("Cookie declaration (R6.2): " + "; ".join(problems))
            from_other_threads.extend(problems)
        return response

    monkeypatch.setattr(BaseHandler, "get_response", get_response)
    yield
    monkeypatch.setattr(BaseHandler, "get_response", original)
    if from_other_threads:
        pytest.fail("Cookie declaration (R6.2): " + "; ".join(from_other_threads))


@pytest.fixture(autouse=True)
def _staff_force_login_is_a_two_factor_login(monkeypatch):
    """`client.force_login(staff)` stands for a completed log-in, which for a staff member with
    TOTP means password and code: the session gets allauth's records of both, since the staff
    middleware asks the session, not the account. Tests of a session that did not use the
    second factor log in through the form (tests/members/test_staff_two_factor.py)."""
    from django.test import Client

    from tests.factories import record_two_factor_login

    original = Client.force_login

    def force_login(client, user, backend=None):
        original(client, user, backend)
        if getattr(user, "is_staff", False):
            record_two_factor_login(client, user)

    monkeypatch.setattr(Client, "force_login", force_login)


DB_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def _reference_data(request):
    """Data that migrations load (role groups, places, interests, credit packs, the first
    privacy statement) is back before each test.
    Transactional tests (browser, Celery worker) end by emptying every table, and a test that
    runs after one on the same database would otherwise find none of it."""
    marker = request.node.get_closest_marker("django_db")
    if marker is None and not DB_FIXTURES & set(request.fixturenames):
        return
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server"} & set(request.fixturenames)
    )
    request.getfixturevalue("transactional_db" if transactional else "db")
    restore_reference_data()
    if transactional:
        request.node.stash[_emptied_by_flush] = True


_emptied_by_flush = pytest.StashKey[bool]()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    """After a transactional test has emptied every table, put the reference data back once,
    committed, so the tests after it find it instead of each re-inserting ~3,300 places inside
    its own rolled-back transaction."""
    yield
    if nextitem is None or not item.stash.get(_emptied_by_flush, False):
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        restore_reference_data()


_reference_rows: dict[str, list[dict]] = {}


def restore_reference_data():
    from importlib import import_module

    from django.apps import apps
    from django.contrib.auth.models import Group

    from members.roles import ROLE_PERMISSIONS, sync_role_permissions
    from profiles.models import Interest, Place

    if Group.objects.filter(name__in=ROLE_PERMISSIONS).count() != len(ROLE_PERMISSIONS):
        sync_role_permissions(apps, ROLE_PERMISSIONS)
    if Place.objects.exists() and Interest.objects.exists():
        if not _reference_rows:  # first test of this process: remember what migrations loaded
            _reference_rows["places"] = list(Place.objects.values())
            _reference_rows["interests"] = list(Interest.objects.values())
    elif _reference_rows:  # put back the remembered rows: far quicker than the migrations
        Place.objects.bulk_create([Place(**row) for row in _reference_rows["places"]])
        Interest.objects.bulk_create([Interest(**row) for row in _reference_rows["interests"]])
    else:
        import_module("profiles.migrations.0002_places_and_interests").load(apps, None)
        import_module("profiles.migrations.0004_place_aliases").fill_aliases(apps, None)
    import_module("payments.migrations.0003_default_packs").create_packs(apps, None)
    import_module("privacy.migrations.0003_first_privacy_statement").create_first_version(
        apps, None
    )


@pytest.fixture
def member(db):
    return MemberFactory(username="alice", email="alice@example.org")


@pytest.fixture
def member_client(client, member):
    client.force_login(member)
    return client


@pytest.fixture
def committing_client(client, django_capture_on_commit_callbacks):
    """A test client whose requests run their on-commit callbacks (the Celery tasks that send
    mail) as a real commit would, inside the test's transaction."""

    class CommittingClient:
        def __getattr__(self, name):
            attribute = getattr(client, name)
            if name not in {"get", "post"}:
                return attribute

            def call(*args, **kwargs):
                with django_capture_on_commit_callbacks(execute=True):
                    return attribute(*args, **kwargs)

            return call

    return CommittingClient()
