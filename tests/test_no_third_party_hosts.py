"""R6.3: no page of the site makes the browser contact another host (the privacy statement
promises the site shares with no one else, and Google Analytics only after consent).

A crawl with the Django test client, as a visitor and as a logged-in member with realistic data
(profile, photos, favourites, a conversation, an order, an export), starts at the home page and
follows every same-site link (`<a href>` and htmx's `hx-get`), plus every page of the site's
URLconfs that takes no argument and a few that do (a profile, a conversation, an order). For
every HTML page, no RESOURCE reference may point at another host: scripts, images (`src` and
`srcset`), style sheets and other `<link>`s, frames, embeds, objects, media and their tracks and
posters, form actions, `<base>`, meta refresh, htmx requests, `ping`, SVG `<use>`/`<image>`,
`url()` and `@import` in style attributes and `<style>`, and URLs in inline scripts. Every CSS,
JS and SVG file the pages use and everything under static/ is checked the same way.

Google Analytics is configured (GA_MEASUREMENT_ID) during the crawls: no choice was made, so
it must not appear. That it loads after "Accept all" is proved by the browser test.

Plain navigation links (`<a href>`) to other sites are allowed: following one is the member's
own choice, and the Referrer-Policy `same-origin`, asserted on every page, keeps the page they
came from to ourselves. The ones the site has are listed in `LINK_HOSTS`, each with its reason:
a new one fails the test until it is looked at and listed.
"""

from __future__ import annotations

import re
from collections import deque
from dataclasses import dataclass, field
from datetime import date
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.urls import URLPattern, URLResolver, get_resolver, reverse

# --- The checker --------------------------------------------------------------------------------

# Navigation links to other sites the pages have, and why (only <a href>; never loaded).
LINK_HOSTS = {
    "autoriteitpersoonsgegevens.nl": "The Dutch data protection authority, where a member can "
    "complain (privacy statement, contact page, privacy centre).",
    "digital-strategy.ec.europa.eu": "The European Commission's list of certified out-of-court "
    "dispute settlement bodies (DSA Art. 21), named on “Decisions about me” and the appeal "
    "page while MODERATION_DISPUTE_BODIES names none.",
}

# `<link rel>` values that only name another document and make the browser load nothing.
NAVIGATION_RELS = {
    "alternate",
    "author",
    "bookmark",
    "canonical",
    "help",
    "license",
    "next",
    "prev",
}
HTMX_REQUEST_ATTRIBUTES = {"hx-get", "hx-post", "hx-put", "hx-patch", "hx-delete"}
SRC_TAGS = {
    "script",
    "img",
    "iframe",
    "frame",
    "embed",
    "source",
    "video",
    "audio",
    "track",
    "input",
}
# Browsers drop tabs and newlines anywhere in a URL and spaces around it ("\n//evil.example").
URL_NOISE = re.compile(r"[\t\n\r]")
CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
CSS_URL = re.compile(r"url\(\s*(?:\"([^\"]*)\"|'([^']*)'|([^)\s]*))\s*\)", re.I)
CSS_STRING = re.compile(r"\"([^\"\n]*)\"|'([^'\n]*)'")
ABSOLUTE_URL = re.compile(r"(?i)\b(?:https?|wss?|ftp):(?://|\\\\)[^\s\"'`()<>]+")
QUOTED_PROTOCOL_RELATIVE = re.compile(r"[\"'`]((?://|\\\\)[A-Za-z0-9][^\s\"'`]*)")
# Ways a script can make a request of its own (`import(` only as a call: the keyword alone is a
# static import, which a module script resolves against its own URL and the check above covers).
SCRIPT_REQUEST_APIS = re.compile(
    r"\b(fetch|XMLHttpRequest|WebSocket|EventSource|sendBeacon|importScripts)\b"
    r"|\b(import)\s*\("
)
META_REFRESH_URL = re.compile(r"url\s*=\s*['\"]?([^'\";]+)", re.I)


def own_hosts() -> set[str]:
    hosts = {"testserver", urlsplit(settings.SITE_URL).hostname}
    hosts |= {host for host in settings.ALLOWED_HOSTS if host and not host.startswith(".")}
    return {host.lower() for host in hosts if host and host != "*"}


def foreign_host(url: str) -> str | None:
    """The other host `url` points at, or None (relative, this site, or no host: data:,
    mailto:, #fragment)."""
    url = URL_NOISE.sub("", url).strip().replace("\\", "/")
    if url.startswith("//"):
        url = "https:" + url
    parts = urlsplit(url)
    if parts.scheme.lower() not in {"http", "https", "ws", "wss", "ftp"}:
        return None
    try:
        host = (parts.hostname or "").lower()
    except ValueError:
        return url
    return None if host in own_hosts() else (host or url)


def foreign_in_css(css: str) -> list[str]:
    """Other hosts referred to by `url()`, `@import` or any string in a style sheet, style
    attribute or <style> (comments are no requests)."""
    css = CSS_COMMENT.sub("", css)
    candidates = ["".join(match) for match in CSS_URL.findall(css)]
    candidates += ["".join(match) for match in CSS_STRING.findall(css)]
    candidates += ABSOLUTE_URL.findall(css)
    return sorted({url for url in candidates if foreign_host(url)})


def foreign_in_script(js: str) -> list[str]:
    """Absolute and quoted protocol-relative URLs of other hosts anywhere in a script. Comments
    are not skipped: a URL there must be allow-listed by the caller with its reason."""
    candidates = ABSOLUTE_URL.findall(js) + QUOTED_PROTOCOL_RELATIVE.findall(js)
    return sorted({url for url in candidates if foreign_host(url)})


def _srcset_urls(value: str) -> list[str]:
    return [candidate.split()[0] for candidate in value.split(",") if candidate.split()]


@dataclass
class PageReferences:
    """What one HTML page refers to: resources (must stay on this site), navigation links to
    other sites (allowed), same-site URLs to crawl next, and /static/ files to check."""

    foreign_resources: list[str] = field(default_factory=list)
    foreign_links: list[str] = field(default_factory=list)
    same_site: list[tuple[str, bool]] = field(default_factory=list)  # (URL, asked by htmx)
    static_files: list[str] = field(default_factory=list)


class ReferenceParser(HTMLParser):
    def __init__(self, base_url: str):
        super().__init__(convert_charrefs=True)
        self.base_url = base_url
        self.found = PageReferences()
        self._text_of: str | None = None  # "style" or "script" while inside one
        self._text: list[str] = []

    # Resources: what the browser loads, submits to or is sent to without a click on a link.
    def resource(self, where: str, url: str | None) -> None:
        if not url:
            return
        if foreign_host(url):
            self.found.foreign_resources.append(f"{where}: {url.strip()}")
            return
        path = urlsplit(urljoin(self.base_url, URL_NOISE.sub("", url).strip())).path
        if path.startswith(settings.STATIC_URL):
            self.found.static_files.append(path)

    def link(self, url: str | None, *, htmx: bool = False) -> None:
        if not url:
            return
        if foreign_host(url):
            self.found.foreign_links.append(url.strip())
            return
        absolute = urljoin(self.base_url, URL_NOISE.sub("", url).strip())
        if urlsplit(absolute).scheme in {"http", "https"}:  # not mailto:, tel:, data:
            self.found.same_site.append((absolute, htmx))

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        where = f"<{tag}"
        for name in HTMX_REQUEST_ATTRIBUTES & set(attributes):
            self.resource(f"{where} {name}>", attributes[name])
            if name == "hx-get" and not foreign_host(attributes[name]):
                self.link(attributes[name], htmx=True)  # a part of a page: crawled too
        if "style" in attributes:
            for url in foreign_in_css(attributes["style"]):
                self.found.foreign_resources.append(f"{where} style>: {url}")
        if "ping" in attributes:
            for url in attributes["ping"].split():
                self.resource(f"{where} ping>", url)
        if "background" in attributes:
            self.resource(f"{where} background>", attributes["background"])
        if tag in {"a", "area"}:
            self.link(attributes.get("href"))
        if tag in SRC_TAGS:
            self.resource(f"{where} src>", attributes.get("src"))
        if tag in {"img", "source"} and attributes.get("srcset"):
            for url in _srcset_urls(attributes["srcset"]):
                self.resource(f"{where} srcset>", url)
        if tag == "video":
            self.resource("<video poster>", attributes.get("poster"))
        if tag == "object":
            self.resource("<object data>", attributes.get("data"))
        if tag == "form":
            self.resource("<form action>", attributes.get("action"))
        if tag in {"button", "input"}:
            self.resource(f"{where} formaction>", attributes.get("formaction"))
        if tag == "base":
            self.resource("<base href>", attributes.get("href"))
        if tag == "link":
            rels = set(attributes.get("rel", "").lower().split())
            if not rels or rels - NAVIGATION_RELS:
                self.resource(f"<link rel={' '.join(sorted(rels))}>", attributes.get("href"))
        if tag in {"use", "image", "feimage"}:
            self.resource(f"{where} href>", attributes.get("href"))
            self.resource(f"{where} xlink:href>", attributes.get("xlink:href"))
        if tag == "meta":
            if attributes.get("http-equiv", "").lower() == "refresh":
                match = META_REFRESH_URL.search(attributes.get("content", ""))
                self.resource("<meta refresh>", match and match[1])
            if attributes.get("name") == "htmx-config" and re.search(
                r'"selfRequestsOnly"\s*:\s*false', attributes.get("content", "")
            ):
                self.found.foreign_resources.append("<meta htmx-config>: selfRequestsOnly off")
        if tag == "style" or (tag == "script" and not attributes.get("src")):
            self._text_of, self._text = tag, []

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag in {"style", "script"}:
            self._text_of = None

    def handle_data(self, data):
        if self._text_of:
            self._text.append(data)

    def handle_endtag(self, tag):
        if tag != self._text_of:
            return
        text = "".join(self._text)
        found = foreign_in_css(text) if tag == "style" else foreign_in_script(text)
        self.found.foreign_resources += [f"<{tag}>: {url}" for url in found]
        self._text_of = None


def page_references(html: str, url: str = "http://testserver/") -> PageReferences:
    parser = ReferenceParser(url)
    parser.feed(html)
    parser.close()
    return parser.found


# --- Static files -------------------------------------------------------------------------------

STATIC_ROOT_DIR = Path(settings.BASE_DIR) / "static"
TEXT_SUFFIXES = {".css", ".js", ".mjs", ".svg", ".html", ".json", ".webmanifest", ".xml"}
# URLs in static files that are not requests, by file (relative to static/) and why.
STATIC_URL_ALLOWED = {
    "http://www.w3.org/2000/svg": "An SVG namespace name (xmlns): an identifier, never fetched.",
    "http://www.w3.org/1999/xlink": "The XLink namespace name: an identifier, never fetched.",
}
# Request APIs in scripts, by file, and why they cannot reach another host.
SCRIPT_REQUESTS_ALLOWED = {
    ("js/htmx.min.js", "XMLHttpRequest"): "htmx requests the URLs in the page's hx-* attributes "
    "(checked on every page to stay on this site) and, with selfRequestsOnly (on by default in "
    "htmx 2, asserted below), refuses any other origin.",
}


def foreign_in_static_file(relative: str, text: str) -> list[str]:
    suffix = Path(relative).suffix
    problems = []
    if suffix == ".css":
        problems += foreign_in_css(text)
    elif suffix in {".js", ".mjs"}:
        problems += foreign_in_script(text)
        for api in {match[1] or f"{match[2]}()" for match in SCRIPT_REQUEST_APIS.finditer(text)}:
            if (relative, api) not in SCRIPT_REQUESTS_ALLOWED:
                problems.append(f"uses {api} (not in SCRIPT_REQUESTS_ALLOWED)")
    elif suffix in {".svg", ".html", ".xml"}:
        found = page_references(text, url=f"http://testserver{settings.STATIC_URL}{relative}")
        problems += found.foreign_resources + found.foreign_links
        problems += foreign_in_css(text)
    else:
        problems += foreign_in_script(text)
    return sorted({p for p in problems if p not in STATIC_URL_ALLOWED})


def static_file_text(static_path: str) -> tuple[str, str] | None:
    """(path relative to the static root, text) of a served /static/ URL, or None for a binary
    file."""
    relative = static_path.removeprefix(settings.STATIC_URL)
    absolute = finders.find(relative)
    assert absolute, f"{static_path} is referenced but not found"
    if Path(absolute).suffix not in TEXT_SUFFIXES:
        return None
    return relative, Path(absolute).read_text(encoding="utf-8")


# --- The crawl ----------------------------------------------------------------------------------

SKIPPED_URL_NAMES = {
    "account_logout",  # would end the member's session midway
    "set_language",  # POST only
    "healthz",
    "payments:webhook",
    "payments:checkout",
    "privacy:cookie_choice",
}
SKIPPED_PREFIXES = ("/admin/", "/anymail/", "/accounts/logout/", settings.STATIC_URL, "/photos/")
MAX_PAGES = 500
MAX_QUERIES_PER_PATH = 3


def urls_without_arguments() -> list[str]:
    """Every route of the site's URLconfs that takes no argument (admin and the mail provider's
    hook left out), by URL name."""
    found = []

    def walk(patterns, namespace=""):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                if entry.namespace == "admin" or "anymail" in str(entry.urlconf_name):
                    continue
                inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
                if not getattr(entry.pattern, "converters", {}):
                    walk(entry.url_patterns, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                name = f"{namespace}{entry.name}"
                if name in SKIPPED_URL_NAMES or getattr(entry.pattern, "converters", {}):
                    continue
                if "(?P<" in str(entry.pattern) or "<" in str(entry.pattern):
                    continue
                found.append(reverse(name))

    walk(get_resolver().url_patterns)
    return sorted(set(found))


@dataclass
class CrawlResult:
    pages: dict[str, int] = field(default_factory=dict)  # URL -> status
    offences: list[str] = field(default_factory=list)
    links: dict[str, set[str]] = field(default_factory=dict)  # other host -> pages
    static_files: set[str] = field(default_factory=set)
    referrer_policies: dict[str, str] = field(default_factory=dict)  # per HTML page


def crawl(client, start: list[str]) -> CrawlResult:
    """Breadth-first over same-site GET links from `start`: every HTML page is checked, and
    every part of a page htmx would fetch (`hx-get`, asked with HX-Request as htmx does)."""
    result = CrawlResult()
    queue = deque((url, False) for url in start)
    seen: set[tuple[str, bool]] = set()
    queries_per_path: dict[str, int] = {}
    while queue and len(seen) < MAX_PAGES:
        target, htmx = queue.popleft()
        parts = urlsplit(target)
        if parts.hostname and parts.hostname not in own_hosts():
            continue
        url = parts.path + (f"?{parts.query}" if parts.query else "")
        if (url, htmx) in seen or parts.path.startswith(SKIPPED_PREFIXES):
            continue
        if parts.query:
            queries_per_path[parts.path] = queries_per_path.get(parts.path, 0) + 1
            if queries_per_path[parts.path] > MAX_QUERIES_PER_PATH:
                continue
        seen.add((url, htmx))
        response = client.get(url, **({"HTTP_HX_REQUEST": "true"} if htmx else {}))
        if htmx:
            url = f"{url} (htmx)"
        result.pages[url] = response.status_code
        if response.status_code in {301, 302, 303, 307, 308}:
            queue.append((urljoin(f"http://testserver{parts.path}", response["Location"]), False))
            continue
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        result.referrer_policies[url] = response.get("Referrer-Policy", "")
        found = page_references(
            response.content.decode(), url=urljoin("http://testserver/", target)
        )
        result.offences += [f"{url} -> {reference}" for reference in found.foreign_resources]
        for link in found.foreign_links:
            result.links.setdefault(foreign_host(link), set()).add(url)
        result.static_files |= set(found.static_files)
        queue.extend(found.same_site)
    return result


def assert_nothing_foreign(result: CrawlResult) -> None:
    offences = list(result.offences)
    for static_path in sorted(result.static_files):
        text = static_file_text(static_path)
        if text is not None:
            offences += [f"{static_path} -> {problem}" for problem in foreign_in_static_file(*text)]
    assert not offences, "References to other hosts:\n" + "\n".join(offences)
    unlisted = {
        host: sorted(pages) for host, pages in result.links.items() if host not in LINK_HOSTS
    }
    assert not unlisted, f"Links to other sites not in LINK_HOSTS (add with a reason): {unlisted}"
    wrong_policy = {
        url: policy for url, policy in result.referrer_policies.items() if policy != "same-origin"
    }
    assert not wrong_policy, f"Pages without Referrer-Policy same-origin: {wrong_policy}"


# --- The negative test: the checker does catch what it must -----------------------------------


def test_the_checker_reports_every_kind_of_reference_to_another_host():
    html = """<!DOCTYPE html><html><head>
      <base href="https://evil.example/">
      <link rel="stylesheet" href="https://cdn.example/site.css">
      <link rel="preconnect" href="//fonts.example">
      <link rel="icon" href="https://icons.example/favicon.ico">
      <link rel="canonical" href="https://mirror.example/page">
      <meta http-equiv="refresh" content="5; url=https://away.example/">
      <script src="https://www.googletagmanager.com/gtag/js?id=G-X"></script>
      <script nonce="x">fetch("https://collect.example/hit")</script>
      <style>@import "https://fonts.example/a.css"; /* https://in-a-comment.example */
        body { background: url('//img.example/b.png') }</style>
    </head><body>
      <img src="/static/img/ok.svg" srcset="/a.png 1x, https://img.example/a@2x.png 2x">
      <iframe src="https://frames.example/"></iframe>
      <div style="background-image: url(&quot;https://css.example/bg.png&quot;)"></div>
      <form action="https://forms.example/submit"></form>
      <a href="https://autoriteitpersoonsgegevens.nl/">AP</a>
      <a href="/search/" ping="https://ping.example/">search</a>
      <button hx-get="https://htmx.example/part">more</button>
      <svg><use href="https://sprites.example/s.svg#i"></use></svg>
      <video poster="https://posters.example/p.jpg"><track src="//subs.example/nl.vtt"></video>
      <img src="
        //tab.example/x.png">
      <img src="http://testserver/static/img/own.png">
    </body></html>"""

    found = page_references(html)

    hosts = {foreign_host(ref.split(": ", 1)[1]) for ref in found.foreign_resources}
    assert hosts == {
        "evil.example",
        "cdn.example",
        "fonts.example",
        "icons.example",
        "away.example",
        "www.googletagmanager.com",
        "collect.example",
        "img.example",
        "frames.example",
        "css.example",
        "forms.example",
        "ping.example",
        "htmx.example",
        "sprites.example",
        "posters.example",
        "subs.example",
        "tab.example",
    }
    assert "mirror.example" not in str(found.foreign_resources)  # rel=canonical loads nothing
    assert "in-a-comment" not in str(found.foreign_resources)
    assert found.foreign_links == ["https://autoriteitpersoonsgegevens.nl/"]
    assert "/static/img/ok.svg" in found.static_files


def test_the_crawl_fails_naming_the_page_and_the_reference():
    """The crawl follows a link to a page with an external script and its assertion names
    that page and that reference."""
    from django.http import HttpResponse

    pages = {
        "/": '<a href="/deeper/?page=2">on</a>',
        "/deeper/?page=2": '<head><script src="https://tracker.example/t.js"></script></head>',
    }

    class Site:
        def get(self, url, **headers):
            response = HttpResponse(pages.get(url, ""), status=200 if url in pages else 404)
            response["Referrer-Policy"] = "same-origin"
            return response

    result = crawl(Site(), ["/"])

    with pytest.raises(AssertionError) as failure:
        assert_nothing_foreign(result)
    assert "/deeper/?page=2 -> <script src>: https://tracker.example/t.js" in str(failure.value)


def test_static_checks_catch_urls_in_css_and_scripts():
    assert foreign_in_css("a{background:url(https://x.example/a.png)}") == [
        "https://x.example/a.png"
    ]
    assert foreign_in_css("/* see https://docs.example */ a{background:url(/static/a.png)}") == []
    assert foreign_in_static_file("js/new.js", 'fetch("//api.example/v1")') == [
        "//api.example/v1",
        "uses fetch (not in SCRIPT_REQUESTS_ALLOWED)",
    ]
    assert foreign_in_static_file("js/new.js", "import('https://esm.example/m.js')") == [
        "https://esm.example/m.js",
        "uses import() (not in SCRIPT_REQUESTS_ALLOWED)",
    ]
    # A URL made at run time escapes the pattern, but the request API does not.
    assert foreign_in_static_file("js/htmx.min.js", "new WebSocket(endpoint)") == [
        "uses WebSocket (not in SCRIPT_REQUESTS_ALLOWED)"
    ]
    svg = '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://img.example/a.png"/></svg>'
    assert foreign_in_static_file("img/new.svg", svg) == [
        "<image href>: https://img.example/a.png",
        "https://img.example/a.png",
    ]


# --- The crawls ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def _analytics_configured(settings):
    """Google Analytics is set up, as in production: before consent it must not appear."""
    settings.GA_MEASUREMENT_ID = "G-TEST12345"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["nl", "en"])
def test_public_pages_refer_to_no_other_host(client, language):
    """R6.3: as a visitor who made no cookie choice, from the home page and every route."""
    client.cookies["django_language"] = language

    result = crawl(client, ["/", *urls_without_arguments()])

    assert_nothing_foreign(result)
    for path in ["/", "/terms/", "/privacy/", "/privacy/cookies/", "/accounts/signup/"]:
        assert result.pages.get(path) == 200, f"{path} was not crawled: {result.pages.get(path)}"
    assert len(result.referrer_policies) >= 15


@pytest.fixture
def realistic_member(db, settings, tmp_path, monkeypatch):
    """Alice with a full profile, photos, favourites, a block, consents, a conversation with
    Bob, a paid order and an export; Bob and Carol findable with approved photos."""
    from messaging import services as messaging
    from payments.models import CreditPack, Order
    from payments.services import adjust_credits, credit_purchase
    from privacy.exports import build_export, request_export
    from privacy.models import ConsentPurpose
    from privacy.services import grant_consent
    from profiles.models import Interest
    from profiles.photos import approve_photos
    from profiles.services import add_favourite, block_member
    from tests.factories import MemberFactory, make_profile, staff_member
    from tests.profiles.images import (
        add_processed_photo,
        jpeg_bytes,
        upload,
        use_private_storage,
    )

    use_private_storage(tmp_path, settings, monkeypatch)
    moderator = staff_member("Moderators")
    alice = MemberFactory(username="alice", gender="woman")
    bob = MemberFactory(username="bob", gender="man")
    carol = MemberFactory(username="carol", gender="woman")
    dave = MemberFactory(username="dave", gender="man")
    interests = list(Interest.objects.all()[:3])
    for member, place, born in [
        (alice, "Utrecht", date(1990, 4, 12)),
        (bob, "Amersfoort", date(1988, 9, 3)),
        (carol, "Zeist", date(1992, 1, 30)),
        (dave, "Gouda", date(1985, 6, 1)),
    ]:
        make_profile(
            member,
            place=place,
            birth_date=born,
            description=f"Hoi, ik ben {member.username}. Ik wandel graag en lees veel.",
            seeks_men=True,
            seeks_women=True,
            interests=interests,
        )
    photos = []
    for index, member in enumerate([alice, alice, bob, carol]):
        photos.append(
            add_processed_photo(member=member, upload=upload(jpeg_bytes(color=(index, 90, 9))))
        )
    approve_photos(photos=photos[:3], moderator=moderator)  # Carol's waits for review
    add_favourite(member=alice, target=bob)
    block_member(member=alice, target=dave)
    grant_consent(
        member=alice, purpose=ConsentPurpose.SUGGESTIONS, wording_version="2026-11", source="test"
    )
    for member in (alice, bob):
        adjust_credits(member=member, credits=100, reason="test", staff=moderator)
    messaging.send_message(sender=alice, receiver=bob, text="Zin in koffie zaterdag?")
    messaging.send_message(sender=bob, receiver=alice, text="Graag, om tien uur bij het station.")
    pack = CreditPack.objects.get(name="Plus")
    order = Order.objects.create(
        member=alice,
        pack=pack,
        credits=pack.credits,
        amount_cents=pack.price_cents,
        method="ideal",
        status=Order.Status.PAID,
    )
    credit_purchase(order=order)
    build_export(export_id=request_export(member=alice).pk)
    conversation = messaging.conversation_between(alice, bob)
    return {
        "member": alice,
        "extra_urls": [
            reverse("profiles:profile", args=[bob.public_id]),
            reverse("profiles:profile", args=[carol.public_id]),
            reverse("messaging:conversation", args=[conversation.public_id]),
            reverse("messaging:start", args=[carol.public_id]),
            reverse("payments:order", args=[order.public_id]),
        ],
    }


@pytest.mark.parametrize("language", ["nl", "en"])
def test_member_pages_refer_to_no_other_host(client, realistic_member, language):
    """R6.3: as a logged-in member with realistic data, who made no cookie choice."""
    client.force_login(realistic_member["member"])
    client.cookies["django_language"] = language

    result = crawl(client, ["/", *realistic_member["extra_urls"], *urls_without_arguments()])

    assert_nothing_foreign(result)
    for path in realistic_member["extra_urls"] + ["/messages/", "/profile/", "/search/"]:
        assert result.pages.get(path) == 200, f"{path} was not crawled: {result.pages.get(path)}"
    htmx_parts = [url for url in result.referrer_policies if url.endswith("(htmx)")]
    assert len(htmx_parts) >= 2, "the parts htmx fetches were not crawled"
    assert len(result.referrer_policies) >= 30


def test_every_static_file_refers_to_no_other_host():
    """R6.3: everything under static/ (also what no crawled page happened to use)."""
    offences = []
    checked = 0
    for path in sorted(STATIC_ROOT_DIR.rglob("*")):
        if not path.is_file() or path.suffix not in TEXT_SUFFIXES:
            continue
        relative = path.relative_to(STATIC_ROOT_DIR).as_posix()
        problems = foreign_in_static_file(relative, path.read_text(encoding="utf-8"))
        offences += [f"static/{relative} -> {problem}" for problem in problems]
        checked += 1
    assert not offences, "References to other hosts:\n" + "\n".join(offences)
    assert checked >= 4


def test_vendored_htmx_only_requests_its_own_origin():
    """The allow-list's reason for htmx holds: htmx 2 refuses other origins by default, and no
    page turns that off (the page check flags an htmx-config with selfRequestsOnly false)."""
    htmx = (STATIC_ROOT_DIR / "js" / "htmx.min.js").read_text(encoding="utf-8")
    assert "selfRequestsOnly:true" in htmx
    found = page_references('<meta name="htmx-config" content=\'{"selfRequestsOnly": false}\'>')
    assert found.foreign_resources == ["<meta htmx-config>: selfRequestsOnly off"]
