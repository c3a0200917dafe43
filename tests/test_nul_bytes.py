"""A NUL byte in a URL id is a 404, never a 500 (PostgreSQL text cannot hold NUL): every URL
pattern with a parameter other than an int is requested with "%00" in its place, logged out,
as a member and as a superuser."""

import re

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RoutePattern

from tests.factories import staff_member

pytestmark = pytest.mark.django_db

PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def routes(patterns=None, prefix=""):
    """Every route of the site as its path template ("members/<str:public_id>/")."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        if not isinstance(pattern.pattern, RoutePattern):
            continue  # regex routes: admin's catch-all and the like
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


def with_nul(route: str) -> str | None:
    """The path with "%00" for each parameter that is not an int, or None when it has none."""
    found = False

    def fill(match):
        nonlocal found
        if match["converter"] == "int":
            return "1"
        found = True
        return "%00"

    path = "/" + PARAMETER.sub(fill, route)
    return path if found else None


NUL_PATHS = sorted({path for path in map(with_nul, routes()) if path})


def test_the_crawl_finds_the_str_ids():
    assert "/members/%00/" in NUL_PATHS
    assert "/admin/members/member/%00/change/" in NUL_PATHS
    assert len(NUL_PATHS) > 40


@pytest.mark.parametrize("who", ["visitor", "member", "superuser"])
def test_a_nul_byte_in_any_url_id_is_a_404(who, member):
    client = Client(raise_request_exception=False)
    if who == "member":
        client.force_login(member)
    elif who == "superuser":
        client.force_login(staff_member("superuser", username="root"))

    answers = {path: client.get(path).status_code for path in NUL_PATHS}

    assert {path: code for path, code in answers.items() if code != 404} == {}
    assert client.post("/members/%00/block/").status_code == 404
