"""The site around the accounts: pages, health, security headers, language, logging."""

import logging

import pytest
from django.conf import settings
from django.db import OperationalError
from django.test import override_settings

from members.logging import scrub
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = [
    "/",
    "/terms/",
    "/privacy/",
    "/privacy/contact/",
    "/accounts/signup/",
    "/accounts/login/",
    "/accounts/password/reset/",
]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_public_pages_render_in_both_languages(client, path):
    dutch = client.get(path)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(path)

    assert dutch.status_code == english.status_code == 200
    assert '<html lang="nl">' in dutch.content.decode()
    assert '<html lang="en">' in english.content.decode()


def test_privacy_statement_is_the_dutch_text_with_an_english_rendering(client):
    """The nl version is the published statement (seeds/); en is its rendering; the DPO and
    the Autoriteit Persoonsgegevens are named (R7.7, R9.4)."""
    dutch = client.get("/privacy/").content.decode()
    assert "Jupiter Media B.V." in dutch
    assert "Autoriteit Persoonsgegevens" in dutch
    assert settings.DPO_EMAIL in dutch

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get("/privacy/").content.decode()
    assert "controller" in english.lower()
    assert settings.DPO_EMAIL in english


def test_dpo_page_names_the_officer_from_settings(client, settings):
    settings.DPO_EMAIL = "fg@voorbeeld.nl"

    assert "fg@voorbeeld.nl" in client.get("/privacy/contact/").content.decode()


def test_language_switch_is_remembered_for_a_member(client, member):
    client.force_login(member)

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/"})

    assert response.status_code == 302
    member.refresh_from_db()
    assert member.language == "en"
    assert '<html lang="en">' in client.get("/").content.decode()


def test_healthz_reports_database_cache_and_broker(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    if settings.REDIS_URL:
        assert body["checks"]["cache"] == "ok"
    assert body["checks"]["broker"] == "in-process"  # tests run tasks eagerly


def test_healthz_says_degraded_but_up_when_the_cache_redis_is_down(client):
    """Without Redis the site still serves members: 200 for the load balancer, and the JSON
    says which part is down."""
    dead = {"default": {**settings.CACHES["default"], "LOCATION": "redis://127.0.0.1:1/0"}}
    with override_settings(CACHES=dead):
        response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "degraded",
        "checks": {"database": "ok", "cache": "down", "broker": "in-process"},
    }


def test_healthz_says_degraded_when_the_broker_is_down(client, settings):
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"

    response = client.get("/healthz")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["broker"] == "down"


def test_healthz_answers_503_only_when_the_database_is_down(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def refuse(self, sql, params=None):
        raise OperationalError("the database is down")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)

    response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["status"] == "down"
    assert response.json()["checks"]["database"] == "down"


def test_security_headers_and_csp(client):
    response = client.get("/")

    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_pages_for_members_are_not_cached(client, member):
    client.force_login(member)

    response = client.get("/")

    assert "no-store" in response.headers["Cache-Control"]


def test_missing_page_is_a_plain_404(client):
    response = client.get("/does-not-exist/")

    assert response.status_code == 404
    assert "Traceback" not in response.content.decode()


@override_settings(DEBUG=False)
def test_server_error_shows_a_plain_page_without_a_trace():
    from django.test import Client

    from config.views import server_error

    response = server_error(Client().get("/").wsgi_request)
    assert response.status_code == 500
    assert "Traceback" not in response.content.decode()


def test_log_lines_carry_no_email_addresses_passwords_or_newlines(client, member, caplog):
    """SECURITY.md: log-ins are logged with the member id only."""
    caplog.set_level(logging.INFO)

    client.post("/accounts/login/", {"login": "alice@example.org", "password": "wrong-one-123"})
    client.post("/accounts/login/", {"login": "alice", "password": PASSWORD})

    text = "\n".join(r.getMessage() for r in caplog.records)
    assert f"login.ok member={member.pk}" in text
    assert "login.failed" in text
    assert "alice@example.org" not in text
    assert "wrong-one-123" not in text and PASSWORD not in text


def test_scrub_masks_addresses_and_escapes_newlines():
    assert scrub("mail jan@example.org\nFAKE entry") == "mail [email]\\nFAKE entry"


def test_log_filter_is_installed_on_the_handlers():
    handler = logging.getLogger().handlers[0]
    assert any(type(f).__name__ == "ScrubPersonalDataFilter" for f in handler.filters)


def test_site_is_dutch_even_for_an_english_browser(client):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    assert '<html lang="nl">' in response.content.decode()
    assert response.headers["Content-Language"] == "nl"


def test_member_gets_their_saved_language_on_a_new_device(client, member):
    member.language = "en"
    member.save()
    client.force_login(member)

    assert '<html lang="en">' in client.get("/").content.decode()


def test_last_active_is_kept_with_one_update_per_five_minutes(
    client, member, django_assert_num_queries
):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(member)
    client.get("/")
    member.refresh_from_db()
    first = member.last_active_at
    assert first is not None and timezone.now() - first < timedelta(seconds=5)

    client.get("/")
    member.refresh_from_db()
    assert member.last_active_at == first  # within five minutes: not written again
