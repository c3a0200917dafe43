"""What the page-visit benchmark's servers add to the site (bench/page_visit_settings.py): the
bare view every benchmark is measured against (bench/__main__.py) in front of the site's URLs,
and PageVisitMiddleware timed: each worker appends the seconds its recording took, one line
per page, to a file of its own in BENCH_TIMING_DIR (one write of a few bytes, outside the time
measured)."""

import os
import time

from django.http import HttpResponse
from django.urls import path

from activity.middleware import PageVisitMiddleware
from config.urls import handler404, handler429, handler500, urlpatterns  # noqa: F401


def bare(request):
    return HttpResponse("ok")


urlpatterns = [path("bench-bare/", bare, name="bench_bare"), *urlpatterns]


class TimedPageVisitMiddleware(PageVisitMiddleware):
    def __init__(self, get_response):
        super().__init__(get_response)
        self.directory = os.environ.get("BENCH_TIMING_DIR", "")
        self.fd = None

    def record(self, request, response) -> None:
        """Times all of the recording: taking the record in the request, and the RPUSH that
        runs when the server closes the response (after the page was sent)."""
        start = time.perf_counter()
        before = len(response._resource_closers)
        super().record(request, response)
        taken = time.perf_counter() - start
        if len(response._resource_closers) == before:
            self.write_timing(taken)
            return
        send = response._resource_closers.pop()

        def timed_send():
            start = time.perf_counter()
            send()
            self.write_timing(taken + time.perf_counter() - start)

        response._resource_closers.append(timed_send)

    def write_timing(self, elapsed: float) -> None:
        if self.directory:
            if self.fd is None:  # after the fork: one file per worker process
                name = os.path.join(self.directory, f"timing-{os.getpid()}.txt")
                self.fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
            os.write(self.fd, f"{elapsed:.7f}\n".encode())
