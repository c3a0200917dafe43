"""Many requests at the same moment, each in its own thread with its own database connection
(the way gunicorn workers would send them): for the tests that counters cannot overshoot."""

import threading

from django.db import connection
from django.test import Client


def post_at_once(count: int, url_and_data, *, cookies=None, **extra) -> list[int]:
    """POSTs `count` requests at once (a barrier releases them together) and returns their
    status codes. `url_and_data(number)` gives each request's (url, data, extra headers)."""
    barrier = threading.Barrier(count)
    statuses: list[int] = []
    errors: list[BaseException] = []

    def one(number: int):
        client = Client()
        if cookies is not None:
            client.cookies = cookies
        url, data, headers = url_and_data(number)
        try:
            barrier.wait(timeout=60)
            statuses.append(client.post(url, data, **{**extra, **headers}).status_code)
        except BaseException as error:  # noqa: BLE001 (reported in the test's thread)
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=one, args=(number,)) for number in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    if errors:
        raise errors[0]
    return statuses
