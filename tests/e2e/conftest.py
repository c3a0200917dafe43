"""Browser tests: Playwright's sync API driving Debian's chromium against pytest-django's
live server. One browser for the package, a fresh context (cookies, storage) per test.

Run: DATABASE_URL=postgres://postgres@127.0.0.1:5432/datingsite pytest tests/e2e -p no:xdist
"""

import os
import re

import pytest
from playwright.sync_api import Page, expect, sync_playwright

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "Een-lang-wachtwoord-2026"
LANGUAGES = ["nl", "en"]


def chromium_executable() -> str:
    """Debian's chromium, or the test fails: the browser tests are part of the suite, and a
    missing browser must never let `make test` pass while skipping them."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(
            f"The browser tests need Debian's chromium at {CHROMIUM}, which is missing. "
            "Install it with: sudo apt-get install chromium",
            pytrace=False,
        )
    return CHROMIUM


@pytest.fixture(scope="package")
def browser():
    """One chromium for all of tests/e2e (when they run one after another, as pytest-django
    orders them: that is once per test session).

    While Playwright's sync API is alive, its asyncio loop counts as running in this thread, so
    Django refuses ORM calls (SynchronousOnlyOperation) in the tests and in the database
    fixtures. DJANGO_ALLOW_ASYNC_UNSAFE allows them, but only for as long as the browser lives:
    set at import time it would leak into the rest of the session, where `manage.py check
    --deploy` in a subprocess rightly fails on it (async.E001). That is also why the scope is
    the package, not the session: other tests must not run with the loop still "running"."""
    executable = chromium_executable()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=executable, headless=True, args=CHROMIUM_ARGS
            )
            yield browser
            browser.close()


@pytest.fixture
def site(live_server, transactional_db):
    """The live server's base URL, with the database the server thread sees."""
    return live_server.url


@pytest.fixture(autouse=True)
def _e2e_settings(settings):
    # Many log-ins from 127.0.0.1 in one minute: rate limits are tested elsewhere.
    settings.ACCOUNT_RATE_LIMITS = False


@pytest.fixture
def context_factory(browser, site):
    contexts = []

    def make(language=None, **kwargs):
        kwargs.setdefault("viewport", {"width": 1280, "height": 900})
        # A Dutch visitor's browser unless a test says otherwise.
        kwargs.setdefault("locale", "nl-NL")
        context = browser.new_context(base_url=site, **kwargs)
        context.set_default_timeout(10_000)
        if language:
            context.add_cookies([{"name": "django_language", "value": language, "url": site}])
        contexts.append(context)
        return context

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(context_factory) -> Page:
    return context_factory().new_page()


def make_member(username="sanne", email="sanne@example.org", password=PASSWORD, **extra):
    """A member who finished sign-up: verified primary e-mail address, 18+ confirmed."""
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from members.models import Member

    extra.setdefault("gender", Member.Gender.WOMAN)
    member = Member(username=username, email=email, confirmed_adult_at=timezone.now(), **extra)
    member.set_password(password)
    member.save()
    EmailAddress.objects.create(user=member, email=email, verified=True, primary=True)
    return member


@pytest.fixture
def verified_member(transactional_db):
    return make_member()


def log_in(page: Page, login: str, password: str = PASSWORD) -> None:
    """Logs in through the site's form, the way a member does."""
    page.goto("/accounts/login/")
    page.fill("#id_login", login)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("form:has(#id_login) [type=submit]").click()


def reauthenticate_if_asked(page: Page, password: str = PASSWORD) -> None:
    """allauth asks for the password again before two-factor settings change (even right after
    logging in: only an explicit re-authentication counts)."""
    if "/accounts/reauthenticate/" in page.url:
        page.fill("#id_password", password)
        with page.expect_navigation():
            page.locator("form:has(#id_password) [type=submit]").click()


def expect_logged_in(page: Page) -> None:
    expect(page.locator(".site-nav form[action='/accounts/logout/'] button")).to_be_visible()


def expect_logged_out(page: Page) -> None:
    expect(page.locator(".site-nav form[action='/accounts/logout/']")).to_have_count(0)
    expect(page.locator(".site-nav a[href='/accounts/login/']")).to_be_visible()


CONFIRM_URL = re.compile(r"https?://[^\s\"'<>]+(/accounts/confirm-email/[^\s\"'<>]+)")
