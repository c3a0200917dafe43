"""Sending Celery tasks so that a broker outage never turns finished work into a 500.

Every task the site sends goes through `enqueue` (now) or `enqueue_on_commit` (once the
transaction commits). A broker that cannot be reached (Redis down, a connection reset) is
logged, with the task's name and the error's type only, and the call returns False; the work
is not lost because it is also a row in the database that a periodic sweep sends again (the
mail outbox, exports, erasure, message notifications, campaign deliveries).

After a broker failure nothing is sent for BROKER_RETRY_SECONDS: during an outage a request
pays for one failed connection per process per interval, not one per task.

With CELERY_TASK_ALWAYS_EAGER (`make run`, tests) the task runs in-process and its own
exceptions propagate as before (task_eager_propagates): only the broker's errors are caught,
and an eager run has no broker.
"""

import logging
import threading
import time

from django.db import transaction

logger = logging.getLogger(__name__)

BROKER_RETRY_SECONDS = 10.0

_breaker_lock = threading.Lock()
_broker_down_until = 0.0


def broker_errors() -> tuple[type[BaseException], ...]:
    """What a publish raises when the broker is unreachable: kombu's OperationalError (its
    wrapping of connection errors), redis-py's connection and timeout errors, socket errors."""
    from kombu.exceptions import OperationalError

    errors: list[type[BaseException]] = [OperationalError, ConnectionError, TimeoutError, OSError]
    try:
        import redis

        errors += [redis.exceptions.ConnectionError, redis.exceptions.TimeoutError]
    except ImportError:  # pragma: no cover (redis is a dependency)
        pass
    return tuple(errors)


def broker_down() -> bool:
    return time.monotonic() < _broker_down_until


def forget_broker_failures() -> None:
    """Closes the breaker, so the next send tries the broker again (tests: it is back)."""
    global _broker_down_until
    _broker_down_until = 0.0


def _is_eager(task) -> bool:
    return bool(task.app.conf.task_always_eager)


def enqueue(task, *args, **kwargs) -> bool:
    """Sends `task` with these arguments now. False (logged) when the broker cannot be
    reached, or was not reachable a moment ago; the caller's row waits for its sweep."""
    global _broker_down_until
    if _is_eager(task):
        task.apply_async(args=args, kwargs=kwargs)
        return True
    if broker_down():
        logger.info("task.not_sent task=%s broker=down", task.name)
        return False
    try:
        task.apply_async(args=args, kwargs=kwargs)
    except broker_errors() as error:
        with _breaker_lock:
            _broker_down_until = time.monotonic() + BROKER_RETRY_SECONDS
        logger.warning("task.not_sent task=%s error=%s", task.name, type(error).__name__)
        return False
    return True


def enqueue_on_commit(task, *args, **kwargs) -> None:
    """`enqueue` once the current transaction commits (at once outside one). `robust`: any
    other error of the send is logged by Django and never reaches the member, whose work is
    committed. Eager tasks are not robust, so their exceptions still reach the tests."""
    transaction.on_commit(lambda: enqueue(task, *args, **kwargs), robust=not _is_eager(task))
