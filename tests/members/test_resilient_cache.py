"""The cache keeps answering while Redis is down (members.cache), and limits count atomically
(members.quotas)."""

import logging
import socket
import threading
import time

import pytest
from django.conf import settings
from django.core.cache import caches
from django.test import override_settings

from members import quotas
from members.cache import ResilientRedisCache, forget_failures

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="needs Redis (REDIS_URL)")


def backend_at(location: str, **options) -> ResilientRedisCache:
    return ResilientRedisCache(
        location, {"KEY_PREFIX": "resilience-test", "OPTIONS": {"RETRY_SECONDS": 30, **options}}
    )


@pytest.fixture
def hanging_redis():
    """A port that accepts connections and never answers: a Redis that hangs."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(50)
    yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"
    server.close()
    forget_failures()


@pytest.fixture
def refused_redis():
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there any more: connections are refused
    yield f"redis://127.0.0.1:{port}/0"
    forget_failures()


def test_a_down_redis_is_served_from_local_memory(refused_redis):
    cache = backend_at(refused_redis)

    assert cache.get("statement-version") is None  # a miss: the caller reads the database
    cache.set("statement-version", "2026-11", 60)
    assert cache.get("statement-version") == "2026-11"
    assert cache.add("lock", 1, 10) is True
    assert cache.add("lock", 1, 10) is False
    cache.set("n", 1, 60)
    assert cache.incr("n") == 2
    cache.delete("n")
    assert cache.get("n") is None


def test_a_hanging_redis_costs_one_short_timeout_then_is_skipped(hanging_redis, caplog):
    cache = backend_at(hanging_redis, socket_timeout=0.2, socket_connect_timeout=0.2)

    with caplog.at_level(logging.WARNING, logger="members.cache"):
        started = time.monotonic()
        assert cache.get("a") is None
        first = time.monotonic() - started
        started = time.monotonic()
        for number in range(50):
            cache.set(f"k{number}", number, 60)
            assert cache.get(f"k{number}") == number
        rest = time.monotonic() - started

    assert 0.15 < first < 2
    assert rest < 0.5  # the breaker is open: Redis is not asked again
    warnings = [r for r in caplog.records if r.name == "members.cache"]
    assert len(warnings) == 1  # logged once per interval
    assert warnings[0].getMessage() == "cache.redis_down using local memory for 30 s: TimeoutError"


def test_redis_is_asked_again_after_the_retry_interval(refused_redis):
    cache = backend_at(refused_redis, RETRY_SECONDS=0.2)
    cache.get("a")
    assert cache.redis_down()

    time.sleep(0.3)

    assert not cache.redis_down()


def test_the_site_cache_falls_back_and_recovers():
    cache = caches["default"]
    assert isinstance(cache, ResilientRedisCache)
    cache.set("kept-in-redis", "yes", 60)
    real = cache._cache

    class Down:
        def __getattr__(self, name):
            def fail(*args, **kwargs):
                import redis

                raise redis.exceptions.ConnectionError("down")

            return fail

    cache._cache = Down()
    try:
        assert cache.get("kept-in-redis") is None
        cache.set("only-local", 1, 60)
        assert cache.get("only-local") == 1
    finally:
        cache._cache = real
        forget_failures()
    assert cache.get("kept-in-redis") == "yes"


@pytest.mark.parametrize(
    ("reply", "falls_back"),
    [
        ("OOM command not allowed when used memory > 'maxmemory'.", True),
        ("MISCONF Redis is configured to save RDB snapshots", True),
        ("READONLY You can't write against a read only replica.", True),
        ("WRONGTYPE Operation against a key holding the wrong kind of value", False),
    ],
)
def test_a_full_redis_is_treated_as_down_but_a_wrong_command_is_not(reply, falls_back):
    """docker-compose runs Redis with `maxmemory-policy noeviction`: full, it refuses writes."""
    import redis
    from redis._parsers.base import BaseParser

    cache = caches["default"]

    class Refusing:
        def __getattr__(self, name):
            def refuse(*args, **kwargs):
                raise BaseParser.parse_error(reply)  # as redis-py reads the reply

            return refuse

    real = cache._cache
    cache._cache = Refusing()
    try:
        if falls_back:
            cache.set("k", 1, 60)
            assert cache.get("k") == 1
        else:
            with pytest.raises(redis.exceptions.ResponseError):
                cache.set("k", 1, 60)
    finally:
        cache._cache = real
        forget_failures()


def test_take_counts_first_and_refuses_over_the_limit():
    assert [quotas.take("q:one", 3, 60) for _ in range(5)] == [True, True, True, False, False]
    # Refused units were given back: the counter stays at the limit.
    assert caches["default"].get("q:one") == 3
    quotas.give_back("q:one", 60)
    assert quotas.take("q:one", 3, 60) is True


def test_the_counter_expires_with_its_window():
    quotas.take("q:expiring", 3, 1)
    client = caches["default"]._cache.get_client()
    ttl = client.ttl(caches["default"].make_key("q:expiring"))
    assert 0 < ttl <= 1


def test_take_all_counts_nothing_when_one_window_is_full():
    windows = [("q:minute", 10, 60), ("q:hour", 1, 3600)]
    assert quotas.take_all(windows) is True
    assert quotas.take_all(windows) is False
    assert caches["default"].get("q:minute") == 1


def _fifty_threads_take(limit: int) -> list[bool]:
    results = []
    barrier = threading.Barrier(50)

    def one():
        barrier.wait()
        results.append(quotas.take("q:race", limit, 60))

    threads = [threading.Thread(target=one) for _ in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_fifty_threads_take_exactly_the_limit():
    assert _fifty_threads_take(20).count(True) == 20


def test_fifty_threads_take_exactly_the_limit_while_redis_is_down(refused_redis):
    """Each thread has its own cache object (Django's); the fallback's memory is the process's."""
    dead = {"default": {**settings.CACHES["default"], "LOCATION": refused_redis}}
    with override_settings(CACHES=dead):
        assert _fifty_threads_take(20).count(True) == 20
