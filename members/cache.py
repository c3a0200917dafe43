"""The site's cache: Redis, and a per-process memory cache while Redis cannot be reached.

Everything the cache holds is either a copy of something in the database (the current privacy
statement version) or a counter that limits (allauth's rate limits, members.quotas). Neither
is worth a 500, so `ResilientRedisCache` answers every call from a per-process LocMemCache
when Redis raises a connection or timeout error, or says it cannot take writes (OOM under
`noeviction`, MISCONF, READONLY):

- short socket timeouts (CACHE_REDIS_TIMEOUT_SECONDS, a fraction of a second) so a Redis that
  hangs costs a page that long once, not a gunicorn timeout;
- a circuit breaker: after a failure Redis is not asked again for CACHE_REDIS_RETRY_SECONDS,
  so an outage costs one timeout per process per interval, and the warning is logged once
  per interval (the error's type only: keys may hold hashes of addresses);
- reads of a copy miss in the empty local cache and go to the database, as on a cold cache;
- rate limits and quotas count in the local cache with the same limits: per process, so
  during an outage a limit applies per web process (gunicorn worker) instead of over all of
  them. That is the conservative choice that needs no knowledge of the worker count: no
  limit is ever lost, at worst multiplied by the number of processes, for the outage only.

When Redis answers again its own values are used; what was counted locally is dropped.
"""

import logging
import threading
import time

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT_SECONDS = 0.5
DEFAULT_RETRY_SECONDS = 10.0


def _redis_errors() -> tuple[type[BaseException], ...]:
    import redis

    # ConnectionError covers a refused or reset connection and a Redis still loading its data
    # (BusyLoadingError); TimeoutError a hanging one; OSError a socket error redis-py let through;
    # ResponseError only when it says Redis cannot take writes (see _cannot_serve).
    return (
        redis.exceptions.ConnectionError,
        redis.exceptions.TimeoutError,
        redis.exceptions.ResponseError,
        OSError,
    )


# Replies of a Redis that is up but refuses writes: full under `maxmemory-policy noeviction`
# (docker-compose), failing to save its snapshot, or a read-only replica after a failover.
UNAVAILABLE_REPLIES = ("OOM", "MISCONF", "READONLY")


def _cannot_serve(error: BaseException) -> bool:
    import redis

    if not isinstance(error, redis.exceptions.ResponseError):
        return True
    if isinstance(error, redis.exceptions.OutOfMemoryError | redis.exceptions.ReadOnlyError):
        return True
    code = getattr(error, "status_code", None) or str(error).split(" ")[0]
    return code in UNAVAILABLE_REPLIES


class _Breaker:
    def __init__(self):
        self.down_until = 0.0
        self.lock = threading.Lock()


_breakers: dict[str, _Breaker] = {}


class ResilientRedisCache(RedisCache):
    """Django's RedisCache that falls back to a per-process LocMemCache while Redis is down.

    OPTIONS: `socket_timeout` and `socket_connect_timeout` (seconds, default 0.5), and
    `RETRY_SECONDS` (how long after a failure Redis is left alone, default 10); the other
    options go to redis-py's connection pool as with Django's backend."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.retry_seconds = float(options.pop("RETRY_SECONDS", DEFAULT_RETRY_SECONDS))
        options.setdefault("socket_timeout", DEFAULT_TIMEOUT_SECONDS)
        options.setdefault("socket_connect_timeout", DEFAULT_TIMEOUT_SECONDS)
        params["OPTIONS"] = options
        super().__init__(server, params)
        local_params = {
            key: value for key, value in params.items() if key not in {"OPTIONS", "LOCATION"}
        }
        # Django makes one backend object per thread: the fallback's memory (LocMemCache keeps
        # it by name) and the breaker belong to the process, shared by its threads.
        name = f"{server}|{self.key_prefix}"
        self.local = LocMemCache(f"resilient-fallback|{name}", local_params)
        self._breaker = _breakers.setdefault(name, _Breaker())

    # -- the breaker

    def redis_down(self) -> bool:
        """Whether Redis is being left alone after a recent failure."""
        return time.monotonic() < self._breaker.down_until

    def _failed(self, error: BaseException) -> None:
        with self._breaker.lock:
            first = not self.redis_down()
            self._breaker.down_until = time.monotonic() + self.retry_seconds
        if first:
            logger.warning(
                "cache.redis_down using local memory for %.0f s: %s",
                self.retry_seconds,
                type(error).__name__,
            )

    def _call(self, name: str, *args, **kwargs):
        if not self.redis_down():
            try:
                return getattr(super(), name)(*args, **kwargs)
            except _redis_errors() as error:
                if not _cannot_serve(error):
                    raise
                self._failed(error)
        return getattr(self.local, name)(*args, **kwargs)

    # -- Django's cache API, each call guarded

    def add(self, *args, **kwargs):
        return self._call("add", *args, **kwargs)

    def get(self, *args, **kwargs):
        return self._call("get", *args, **kwargs)

    def set(self, *args, **kwargs):
        return self._call("set", *args, **kwargs)

    def touch(self, *args, **kwargs):
        return self._call("touch", *args, **kwargs)

    def delete(self, *args, **kwargs):
        return self._call("delete", *args, **kwargs)

    def get_many(self, *args, **kwargs):
        return self._call("get_many", *args, **kwargs)

    def has_key(self, *args, **kwargs):
        return self._call("has_key", *args, **kwargs)

    def incr(self, *args, **kwargs):
        return self._call("incr", *args, **kwargs)

    def set_many(self, *args, **kwargs):
        return self._call("set_many", *args, **kwargs)

    def delete_many(self, *args, **kwargs):
        return self._call("delete_many", *args, **kwargs)

    def clear(self):
        self.local.clear()
        return self._call("clear")

    # -- an atomic counter for members.quotas

    def count_in_window(self, key: str, *, window_seconds: int, delta: int = 1) -> int:
        """Adds `delta` to the counter `key` and returns its new value, in one round trip:
        SET NX with the expiry and INCRBY in one MULTI, so the expiry is set when the counter
        is created and a counter never outlives its window (Django's incr() checks EXISTS
        first, and a key expiring in between would come back without an expiry)."""
        if not self.redis_down():
            try:
                return self._count_in_redis(key, window_seconds=window_seconds, delta=delta)
            except _redis_errors() as error:
                if not _cannot_serve(error):
                    raise
                self._failed(error)
        return count_in_local_cache(self.local, key, window_seconds=window_seconds, delta=delta)

    def _count_in_redis(self, key: str, *, window_seconds: int, delta: int) -> int:
        full_key = self.make_and_validate_key(key)
        client = self._cache.get_client(full_key, write=True)
        pipe = client.pipeline(transaction=True)
        pipe.set(full_key, 0, ex=max(1, int(window_seconds)), nx=True)
        pipe.incrby(full_key, delta)
        return int(pipe.execute()[1])


_local_count_lock = threading.Lock()


def count_in_local_cache(backend, key: str, *, window_seconds: int, delta: int = 1) -> int:
    """The same counter in a cache without atomic counting across processes (LocMemCache in
    `make run` and during a Redis outage): atomic within the process."""
    with _local_count_lock:
        backend.add(key, 0, timeout=max(1, int(window_seconds)))
        try:
            return backend.incr(key, delta)
        except ValueError:  # expired between add and incr: a new window
            backend.set(key, delta, timeout=max(1, int(window_seconds)))
            return delta


def forget_failures() -> None:
    """Closes every breaker, so the next call asks Redis again (tests: Redis is back)."""
    for breaker in _breakers.values():
        breaker.down_until = 0.0
