"""The production shape, started as docker-compose.yml starts it (no Docker needed): gunicorn
with DEBUG=0 behind the web entrypoint's migrate step, a Celery worker and Celery beat, on
PostgreSQL (this test's database) and Redis (a database number of its own), mail through a
local SMTP server. A newcomer signs up over plain HTTP, gets the confirmation mail from the
worker over SMTP, confirms, logs in, fills in a profile, buys credits on the stand-in checkout
and sends a message; then every process stops cleanly on SIGTERM.

The commands and the shared environment are read from docker-compose.yml, so the file and this
test cannot drift apart: only hosts, ports, paths, URLs and secrets are replaced for this
machine.
"""

import email
import email.policy
import re
import shlex
import threading
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from http.cookiejar import CookieJar, DefaultCookiePolicy
from urllib.parse import quote, urlsplit, urlunsplit

import pytest
import yaml
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from tests.processes import (
    ROOT,
    Process,
    clean_env,
    free_port,
    run,
    wait_for_http,
    wait_until,
)

pytestmark = pytest.mark.production_shape

COMPOSE_FILE = ROOT / "docker-compose.yml"
# A Redis database of this test's own (0-15): the suite's cache uses REDIS_URL's (15 under
# `make test`), the in-process worker test 14. It is emptied before and after the test.
REDIS_DB = 12
PASSWORD = "Een-lang-wachtwoord-voor-productie-2026"
STARTUP_SECONDS = 90  # the migrate step, three gunicorn workers and Celery on a busy CI box
STEP_SECONDS = 30  # a page or a mail


# -- docker-compose.yml, for this machine -----------------------------------------------------

INTERPOLATION = re.compile(r"\$\{(?P<name>\w+)(?:(?P<op>:?[-?])(?P<arg>[^}]*))?\}")


def interpolate(value: str, outer: dict[str, str]) -> str:
    """Compose's ${NAME}, ${NAME:-default} and ${NAME:?error} against the operator's shell."""

    def replace(match):
        name, op, arg = match["name"], match["op"], match["arg"]
        present = outer.get(name, "")
        if op in (":?", "?") and not present:
            raise AssertionError(f"docker-compose.yml requires {name}: {arg}")
        if op in (":-", "-") and not present:
            return arg
        return present

    return INTERPOLATION.sub(replace, value)


class Machine:
    """Where the compose services' names, ports and paths point to on this machine."""

    def __init__(self, *, database_url, redis_url, smtp_port, web_port, var_dir, scratch):
        self.database_url = database_url
        self.redis_url = redis_url
        self.smtp_port = smtp_port
        self.web_port = web_port
        self.var_dir = var_dir
        self.scratch = scratch

    def url(self, value: str) -> str:
        """A URL naming a compose service (db, redis, mailpit) points to the local one."""
        parts = urlsplit(value)
        if parts.scheme.startswith(("postgres", "pgsql")):
            return self.database_url
        if parts.scheme in ("redis", "rediss"):
            return self.redis_url
        if parts.scheme.startswith(("smtp", "submission")):  # plain SMTP, no log-in
            return urlunsplit(parts._replace(scheme="smtp", netloc=f"127.0.0.1:{self.smtp_port}"))
        if parts.scheme in ("http", "https") and parts.port == 8000:
            return urlunsplit(parts._replace(netloc=f"127.0.0.1:{self.web_port}"))
        return value

    def path(self, value: str) -> str:
        """The image's paths: the code is this checkout, its data goes to temporary folders."""
        if value.startswith("/app/var"):
            return str(self.var_dir) + value.removeprefix("/app/var")
        if value.startswith("/app/media"):
            return str(self.var_dir / "media") + value.removeprefix("/app/media")
        if value.startswith("/app/"):
            return str(ROOT / value.removeprefix("/app/"))
        if value.startswith("/") and not value.startswith(("/dev/", "/proc/")):
            local = self.scratch / value.lstrip("/")
            local.parent.mkdir(parents=True, exist_ok=True)
            return str(local)
        return value

    def argument(self, value: str) -> str:
        if "=" in value and value.startswith("--"):  # --schedule=/tmp/x, --bind=0.0.0.0:8000
            option, _, rest = value.partition("=")
            return f"{option}={self.argument(rest)}"
        if re.fullmatch(r"0\.0\.0\.0:\d+|\[::\]:\d+", value):
            return f"127.0.0.1:{self.web_port}"
        if "://" in value:
            return self.url(value)
        if value.startswith("unix:"):  # gunicorn's --bind unix:/run/gunicorn.sock
            return "unix:" + self.path(value.removeprefix("unix:"))
        return self.path(value)


def command_of(service: dict, key: str = "command") -> list[str]:
    value = service.get(key) or []
    return shlex.split(value) if isinstance(value, str) else [str(part) for part in value]


def environment_of(service: dict) -> dict[str, str]:
    value = service.get("environment") or {}
    if isinstance(value, list):  # ["NAME=value", ...]
        value = dict(item.partition("=")[::2] for item in value)
    return {name: "" if item is None else str(item) for name, item in value.items()}


def compose_processes(machine: Machine, outer: dict[str, str]):
    """Each of web, worker and beat: its environment (x-app-env and its own) and its command
    line, for this machine."""
    compose = yaml.safe_load(COMPOSE_FILE.read_text())
    processes = {}
    for name in ("web", "worker", "beat"):
        service = compose["services"][name]
        environment = {}
        for key, value in environment_of(service).items():
            value = interpolate(value, outer)
            environment[key] = machine.path(machine.url(value)) if value else value
        args = command_of(service, "entrypoint") + command_of(service)
        processes[name] = (environment, [machine.argument(arg) for arg in args])
    # gunicorn's command-line options win over a config file's: the site listens here, on the
    # loopback address only, wherever the file would have it listen.
    web_args = processes["web"][1]
    if f"127.0.0.1:{machine.web_port}" not in " ".join(web_args):
        web_args += ["--bind", f"127.0.0.1:{machine.web_port}"]
    return processes


# -- the members' side: plain HTTP with a cookie jar and the forms' CSRF tokens ----------------


class LoopbackCookiePolicy(DefaultCookiePolicy):
    """With DEBUG=0 the cookies are Secure; browsers still send them to http://localhost (a
    secure context), so this client sends them over http to 127.0.0.1 only."""

    def return_ok_secure(self, cookie, request):
        if urlsplit(request.get_full_url()).hostname == "127.0.0.1":
            return True
        return super().return_ok_secure(cookie, request)


class Forms(HTMLParser):
    """The forms of a page, with what a browser would send for each (its defaults)."""

    def __init__(self, html: str):
        super().__init__()
        self.forms: list[dict] = []
        self._select = None
        self._textarea = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"action": attrs.get("action") or "", "fields": {}, "names": set()})
            return
        if not self.forms:
            return
        form = self.forms[-1]
        name = attrs.get("name")
        if tag == "input" and name:
            form["names"].add(name)
            kind = attrs.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in attrs:
                    form["fields"].setdefault(name, []).append(attrs.get("value", "on"))
            elif kind not in ("submit", "button", "image", "file", "reset"):
                form["fields"][name] = [attrs.get("value") or ""]
        elif tag == "select" and name:
            form["names"].add(name)
            self._select = {"name": name, "first": None, "multiple": "multiple" in attrs}
        elif tag == "option" and self._select:
            if self._select["first"] is None:
                self._select["first"] = attrs.get("value", "")
            if "selected" in attrs:
                form["fields"].setdefault(self._select["name"], []).append(attrs.get("value", ""))
        elif tag == "textarea" and name:
            form["names"].add(name)
            self._textarea = name
            form["fields"][name] = [""]
        elif tag in ("button",) and name:
            form["names"].add(name)

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1]["fields"][self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "select" and self._select:
            select, self._select = self._select, None
            fields = self.forms[-1]["fields"]
            # A single choice with none selected sends its first option, as browsers do.
            if (
                select["name"] not in fields
                and not select["multiple"]
                and select["first"] is not None
            ):
                fields[select["name"]] = [select["first"]]
        elif tag == "textarea":
            self._textarea = None

    def having(self, field: str, action: str = "") -> dict:
        """The first form with this field (and an action containing `action`)."""
        for form in self.forms:
            if field in form["names"] and action in form["action"]:
                return form
        raise AssertionError(f"no form with a {field!r} field and action {action!r}")


@dataclass
class Answer:
    status: int
    url: str
    headers: dict
    text: str


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # the test looks at each redirect itself


class Visitor:
    """A browser without JavaScript: a cookie jar, forms sent with their CSRF token."""

    def __init__(self, base: str):
        self.base = base
        self.cookies = CookieJar(policy=LoopbackCookiePolicy())
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), NoRedirects()
        )

    def request(self, path: str, data: dict | None = None) -> Answer:
        url = urllib.parse.urljoin(self.base, path)
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        try:
            response = self.opener.open(url, data=body, timeout=STEP_SECONDS)
        except urllib.error.HTTPError as error:  # redirects and errors: answers all the same
            response = error
        with response:
            return Answer(
                response.status,
                response.url,
                dict(response.headers),
                response.read().decode(errors="replace"),
            )

    def get(self, path: str, expect: int = 200) -> Answer:
        answer = self.request(path)
        assert answer.status == expect, f"GET {path}: {answer.status}\n{answer.text[:3000]}"
        return answer

    def submit(self, path: str, field: str, *, action: str = "", **values) -> Answer:
        """Opens `path`, fills in the form that has `field` and sends it, as a browser would;
        the answer must be a redirect (the site's answer to a form that worked)."""
        page = self.get(path)
        form = Forms(page.text).having(field, action)
        data = dict(form["fields"])
        for name, value in values.items():
            data[name] = value if isinstance(value, list) else [value]
        assert "csrfmiddlewaretoken" in data, f"no CSRF token in the form on {path}"
        answer = self.request(urllib.parse.urljoin(page.url, form["action"]), data)
        assert answer.status == 302, f"POST {path}: {answer.status}\n{data}\n{answer.text[-9000:]}"
        return answer

    def follow(self, answer: Answer) -> Answer:
        return self.get(urllib.parse.urljoin(answer.url, answer.headers["Location"]))

    def has_cookie(self, name: str) -> bool:
        return any(cookie.name == name for cookie in self.cookies)

    def logged_in(self) -> bool:
        return 'action="/accounts/logout/"' in self.get("/").text


# -- the mail server --------------------------------------------------------------------------


class Inbox:
    """aiosmtpd's handler: every mail that arrives, parsed."""

    def __init__(self):
        self.lock = threading.Lock()
        self.mails: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        mail = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.mails.append(mail)
        return "250 Message accepted for delivery"

    def wait_for(self, address: str, *, timeout: float) -> email.message.EmailMessage:
        def arrived():
            with self.lock:
                return next((m for m in self.mails if address in m["To"]), None)

        return wait_until(arrived, timeout=timeout, what=f"a mail to {address}")


def text_of(mail: email.message.EmailMessage) -> str:
    return mail.get_body(preferencelist=("plain", "html")).get_content()


# -- the fixture: the processes ---------------------------------------------------------------


@pytest.fixture
def production(transactional_db, tmp_path):
    """Starts web, worker and beat as docker-compose.yml does; yields the site's address, the
    SMTP inbox and the processes; stops them all, whatever happened."""
    import redis

    db = connection.settings_dict
    credentials = quote(db["USER"], safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    address = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    database_url = f"postgres://{credentials}@{address}/{db['NAME']}"
    redis_parts = urlsplit(settings.REDIS_URL or "redis://127.0.0.1:6379/0")
    redis_url = urlunsplit(redis_parts._replace(path=f"/{REDIS_DB}"))
    redis.Redis.from_url(redis_url).flushdb()

    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    processes: list[Process] = []
    try:
        yield from start_production(smtp, inbox, redis_url, database_url, tmp_path, processes)
    finally:
        stopped = {process.name: process.stop() for process in processes}
        smtp.stop()
        redis.Redis.from_url(redis_url).flushdb()
    # A clean stop is part of the shape (checked after the test's own assertions).
    for process in processes:
        code, leftover = stopped[process.name]
        assert code == 0, f"{process.name} exited with {code} on SIGTERM\n{process.tail()}"
        assert not leftover, f"{process.name} left processes behind after SIGTERM"
        assert "Traceback" not in process.output, process.tail(80)


def start_production(smtp, inbox, redis_url, database_url, tmp_path, processes):
    """Collects the static files and starts web, worker and beat (appended to `processes` as
    they start, so the caller stops whatever did); yields once they all answer."""
    var_dir = tmp_path / "var"
    (var_dir / "media").mkdir(parents=True)
    (var_dir / "home").mkdir()
    machine = Machine(
        database_url=database_url,
        redis_url=redis_url,
        smtp_port=smtp.port,
        web_port=free_port(),
        var_dir=var_dir,
        scratch=tmp_path / "root",
    )
    # What the operator exports before `docker compose up` (see docker-compose.yml).
    outer = {
        "SECRET_KEY": "production-shape-test-" + "k" * 40,
        "FIELD_ENCRYPTION_KEYS": "kZ0rQ6t9H4m0zH6b2cQj0m8Yk3Yc7m3x9L1bq6Vv0hE=",
        "MOLLIE_API_KEY": "",
        "PAYMENTS_STAND_IN": "1",
    }
    compose = compose_processes(machine, outer)
    base = f"http://127.0.0.1:{machine.web_port}"
    this_machine = {
        # The image's own environment (Dockerfile ENV), for this machine.
        "VAR_DIR": str(var_dir),
        # gunicorn's control socket goes under $HOME: one of its own, beside other runs.
        "HOME": str(var_dir / "home"),
        "PYTHONUNBUFFERED": "1",
        # The staging switch for the stand-in checkout (DEBUG=0 refuses it otherwise).
        "PAYMENTS_STAND_IN": "1",
        # With a real broker tasks go to the worker, never run in the web process.
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "SITE_URL": base,
        "CACHE_KEY_PREFIX": f"prodshape{tmp_path.name}",
    }
    env = {name: clean_env(**{**compose[name][0], **this_machine}) for name in compose}
    for name, variables in env.items():
        assert variables["DEBUG"] == "0", f"{name} does not run with DEBUG=0"
        assert variables["EMAIL_URL"].startswith(f"smtp://127.0.0.1:{smtp.port}"), name

    # The image build's step: static files with the manifest storage, for WhiteNoise.
    run(["python", "manage.py", "collectstatic", "--noinput"], env=env["web"], timeout=180)

    for name in ("web", "worker", "beat"):
        processes.append(Process(name, compose[name][1], env=env[name], log_dir=tmp_path))
    web, worker, beat = processes
    wait_for_http(f"{base}/healthz", timeout=STARTUP_SECONDS, process=web)
    for process, ready in ((worker, " ready."), (beat, "beat: Starting")):
        wait_until(
            lambda p=process, r=ready: p.assert_running() or r in p.output,
            timeout=STARTUP_SECONDS,
            what=f"{process.name} to start",
        )
    yield {"base": base, "inbox": inbox, "processes": processes}


def receiver():
    """The member the newcomer writes to: found on the site, with a profile."""
    from tests.factories import MemberFactory, make_profile

    member = MemberFactory(username="Fenna", email="fenna@example.org")
    make_profile(member, place="Utrecht", birth_date=date(1992, 3, 14), description="Hallo!")
    return member


def test_production_shape_signs_up_confirms_buys_credits_and_sends_a_message(production):
    from messaging.models import Message
    from payments.models import Order
    from payments.services import get_balance

    base, inbox = production["base"], production["inbox"]
    visitor = Visitor(base)
    assert '"database": "ok"' in visitor.get("/healthz").text
    # WhiteNoise serves the collected, hashed static files with DEBUG=0.
    home = visitor.get("/").text
    stylesheet = re.search(r'href="(/static/[^"]+\.css)"', home)
    assert stylesheet and re.search(r"\.[0-9a-f]{12}\.css$", stylesheet[1]), home[:2000]
    visitor.get(stylesheet[1])

    # Sign up: the confirmation mail comes from the worker, over SMTP.
    newcomer = Visitor(base)
    signed_up = newcomer.submit(
        "/accounts/signup/",
        "username",
        username="Joris_prod",
        email="joris@example.org",
        gender="man",
        password1=PASSWORD,
        password2=PASSWORD,
        adult="on",
        accept_terms="on",
    )
    assert signed_up.headers["Location"].endswith("/accounts/confirm-email/")
    mail = inbox.wait_for("joris@example.org", timeout=STEP_SECONDS)
    web, worker, beat = production["processes"]
    assert "members.tasks.send_outgoing_mail" in worker.output, "not sent by the worker"
    link = re.search(r"https?://[^\s\"'<>]+/accounts/confirm-email/[^\s\"'<>]+", text_of(mail))
    assert link, text_of(mail)
    assert link[0].startswith(base + "/"), f"{link[0]} is not on SITE_URL"
    confirmed = newcomer.submit(link[0], "csrfmiddlewaretoken", action="/accounts/confirm-email/")
    assert "/accounts/confirm-email/" not in confirmed.headers["Location"]

    # Log in (a fresh browser, as when the mail is opened on another device).
    member = Visitor(base)
    logged_in = member.submit("/accounts/login/", "login", login="Joris_prod", password=PASSWORD)
    assert member.has_cookie("sessionid")
    assert logged_in.headers["Location"] == "/", logged_in.headers["Location"]
    assert member.logged_in()

    # A profile: place and birth date, through the profile page.
    saved = member.submit(
        "/profile/",
        "birth_date",
        birth_date="1990-05-31",
        place="Amersfoort",
        seeks=["women"],
        description="Ik wandel graag.",
    )
    assert saved.headers["Location"] == "/profile/"
    assert "1990-05-31" in member.get("/profile/").text

    # Credits on the stand-in checkout (PAYMENTS_STAND_IN=1).
    packs = Forms(member.get("/credits/").text).having("method")
    checkout = member.submit("/credits/", "method", pack=packs["fields"]["pack"][0], method="ideal")
    assert "/credits/standin/" in checkout.headers["Location"]
    paid = member.submit(checkout.headers["Location"], "status", status="paid")
    order_page = member.follow(paid)
    assert 'data-state="paid"' in order_page.text or "data-state=paid" in order_page.text
    order = Order.objects.get(member__username="Joris_prod")
    assert order.status == Order.Status.PAID
    credits = get_balance(member=order.member)
    assert credits > 0

    # A message to a member found on the site.
    fenna = receiver()
    profile_page = member.get(f"/members/{fenna.public_id}/")
    assert "Fenna" in profile_page.text
    sent = member.submit(f"/messages/to/{fenna.public_id}/", "text", text="Hoi Fenna!")
    assert "/messages/c/" in sent.headers["Location"]
    assert "Hoi Fenna!" in member.follow(sent).text
    # Stored encrypted with the production keys (which this test process does not use).
    table, column = Message._meta.db_table, Message._meta.get_field("text").column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")  # noqa: S608 (names from the model)
        stored = cursor.fetchall()
    assert len(stored) == 1 and "Fenna" not in str(stored[0][0])
    assert get_balance(member=order.member) == credits - settings.MESSAGE_PRICE_CREDITS

    # Beat sends the page-visits flush every 30 s (its first one 30 s after it started).
    wait_until(
        lambda: beat.assert_running() or "Sending due task page-visits" in beat.output,
        timeout=STARTUP_SECONDS,
        what="beat to send the page-visits flush",
    )
    for process in production["processes"]:
        process.assert_running()
