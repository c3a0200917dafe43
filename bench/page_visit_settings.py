"""Settings of the page-visit benchmark's gunicorn servers (bench/page_visits.py): the site's
own, with the bare view at /bench-bare/ (bench.page_visit_site), and PageVisitMiddleware
timed (BENCH_PAGE_VISITS=1) or left out (BENCH_PAGE_VISITS=0)."""

import os

from config.settings import *  # noqa: F403
from config.settings import MIDDLEWARE

ROOT_URLCONF = "bench.page_visit_site"
_RECORDING = "activity.middleware.PageVisitMiddleware"
if os.environ.get("BENCH_PAGE_VISITS") == "0":
    MIDDLEWARE = [name for name in MIDDLEWARE if name != _RECORDING]
else:
    MIDDLEWARE = [
        "bench.page_visit_site.TimedPageVisitMiddleware" if name == _RECORDING else name
        for name in MIDDLEWARE
    ]
