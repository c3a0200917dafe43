"""Counters that limit (reports a day, notices per address, contact requests, messages a
minute), counted atomically: the unit is taken FIRST and the action refused when the new count
is over the limit, so 50 concurrent requests cannot all see "19 of 20" and all pass.

A caller builds the key of its fixed window (e.g. `reportquota:<member>:<day number>`) and
gives the window's length for the expiry. With Redis one MULTI sets the expiry when the
counter is created and increments it (members.cache.ResilientRedisCache.count_in_window);
while Redis is down, or without Redis (`make run`), the count is kept in the process's memory
with the same limit (members.cache explains why).
"""

from collections.abc import Iterable

from django.core.cache import cache

from .cache import count_in_local_cache


def _count(key: str, *, window_seconds: int, delta: int) -> int:
    counter = getattr(cache, "count_in_window", None)
    if counter is not None:
        return counter(key, window_seconds=window_seconds, delta=delta)
    return count_in_local_cache(cache, key, window_seconds=window_seconds, delta=delta)


def take(key: str, limit: int, window_seconds: int) -> bool:
    """Counts one unit against `key` and says whether it is within `limit`. A refused unit is
    given back at once, so refusals do not push the counter further over."""
    if _count(key, window_seconds=window_seconds, delta=1) <= limit:
        return True
    give_back(key, window_seconds)
    return False


def give_back(key: str, window_seconds: int) -> None:
    """Returns a unit taken by `take` whose action did not happen after all (refused for
    another reason, or it failed)."""
    _count(key, window_seconds=window_seconds, delta=-1)


def take_all(limits: Iterable[tuple[str, int, int]]) -> bool:
    """`take` for several windows at once, (key, limit, window_seconds) each: True when every
    window had room; otherwise nothing stays counted."""
    taken = []
    for key, limit, window_seconds in limits:
        if not take(key, limit, window_seconds):
            for taken_key, taken_window in taken:
                give_back(taken_key, taken_window)
            return False
        taken.append((key, window_seconds))
    return True


def give_back_all(limits: Iterable[tuple[str, int, int]]) -> None:
    for key, _limit, window_seconds in limits:
        give_back(key, window_seconds)
