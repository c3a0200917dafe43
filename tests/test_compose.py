"""docker-compose.yml's shape: nginx is the only way in and buffers whole requests with the
app's body cap and short client timeouts; gunicorn is not published; the proxy headers are
trusted exactly once; temporary uploads sit where the cleanup reaches them; beat keeps its
clock in the database; a staging site says its payments are simulated."""

import re
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
NGINX_CONF = (ROOT / "docker" / "nginx.conf").read_text()
# Without comments: a directive in a comment configures nothing.
NGINX = re.sub(r"#[^\n]*", "", NGINX_CONF)


def directive(name: str) -> list[str]:
    return re.findall(rf"(?:^|[;{{}}\s]){re.escape(name)}\s+([^;]+);", NGINX)


def seconds(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)(s|m)?", value.strip()).groups()
    return int(number) * (60 if unit == "m" else 1)


def size_bytes(value: str) -> int:
    number, unit = re.fullmatch(r"(\d+)([kKmM])?", value.strip()).groups()
    return int(number) * {"k": 1024, "m": 1024 * 1024}.get((unit or "").lower(), 1)


def test_only_nginx_is_published_and_only_on_loopback():
    published = {name: s["ports"] for name, s in SERVICES.items() if s.get("ports")}
    assert published.pop("nginx") == ["127.0.0.1:8000:8000"]
    assert "web" not in published
    for ports in published.values():  # Mailpit's UI
        assert all(str(p).startswith("127.0.0.1:") for p in ports)


def test_nginx_fronts_gunicorn_with_its_own_config():
    nginx = SERVICES["nginx"]
    assert nginx["image"].startswith("nginx:")
    assert "./docker/nginx.conf:/etc/nginx/nginx.conf:ro" in nginx["volumes"]
    assert nginx["depends_on"]["web"]["condition"] == "service_healthy"
    assert "healthcheck" in nginx
    assert directive("listen") == ["8000"]
    assert directive("proxy_pass") == ["$web"] and directive("set") == ["$web http://web:8000"]
    # It serves nothing itself: one location, proxied.
    assert re.findall(r"location\s+(\S+)\s*{", NGINX) == ["/"]
    assert not directive("root") and not directive("alias")


def test_nginx_caps_and_buffers_the_body_and_drops_slow_clients():
    cap = settings.MAX_REQUEST_BODY_BYTES
    assert [size_bytes(v) for v in directive("client_max_body_size")] == [cap]
    assert directive("proxy_request_buffering") == ["on"]
    assert directive("proxy_buffering") == ["on"]
    assert size_bytes(directive("client_body_buffer_size")[0]) <= 1024 * 1024
    for name in ("client_header_timeout", "client_body_timeout"):
        [value] = directive(name)
        assert seconds(value) <= 10, name


def test_nginx_writes_no_ip_address_to_any_log():
    assert directive("access_log") == ["off"]
    assert not directive("log_format")
    # Error lines name the client ("client: 203.0.113.7"): only nginx's own failures.
    [error_log] = directive("error_log")
    assert error_log.split()[-1] in ("crit", "alert", "emerg")


def test_the_proxy_headers_are_set_by_nginx_and_trusted_once():
    headers = dict(v.split(None, 1) for v in directive("proxy_set_header"))
    assert headers["X-Forwarded-For"] == "$proxy_add_x_forwarded_for"
    assert headers["X-Forwarded-Proto"] == "$scheme"
    assert headers["Host"] == "$http_host"  # with the port, for Django's CSRF origin check
    env = COMPOSE["x-app-env"]
    assert env["ALLAUTH_TRUSTED_PROXY_COUNT"] == "1"
    assert env["SECURE_PROXY_SSL_HEADER"] == "1"


def test_gunicorn_limits_its_workers():
    command = SERVICES["web"]["command"]
    assert command[:2] == ["gunicorn", "config.wsgi:application"]
    flags = dict(zip(command[2::2], command[3::2], strict=True))
    assert int(flags["--timeout"]) <= 30
    assert int(flags["--graceful-timeout"]) <= 30
    assert int(flags["--max-requests"]) > 0 and int(flags["--max-requests-jitter"]) > 0
    assert int(flags["--limit-request-line"]) <= 8190
    # nginx waits a little longer than gunicorn, so gunicorn's own answer gets through.
    assert seconds(directive("proxy_read_timeout")[0]) > int(flags["--timeout"])


@pytest.mark.parametrize("service", ["web", "worker"])
def test_temporary_uploads_are_where_the_workers_cleanup_reaches(service):
    temp_dir = COMPOSE["x-app-env"]["FILE_UPLOAD_TEMP_DIR"]
    assert f"uploads:{temp_dir}" in SERVICES[service]["volumes"]
    assert "uploads" in COMPOSE["volumes"]
    assert re.search(r'chown app:app [^\n]*"\$VAR_DIR/uploads"', (ROOT / "Dockerfile").read_text())


def test_beat_keeps_its_clock_in_the_database():
    command = SERVICES["beat"]["command"]
    assert command[:4] == ["celery", "-A", "config", "beat"]
    assert "--schedule" not in command and "-s" not in command  # no schedule file in /tmp
    assert settings.CELERY_BEAT_SCHEDULER == "config.beat:SettingsDatabaseScheduler"
    assert "django_celery_beat" in " ".join(SERVICES["beat"]["healthcheck"]["test"])
    assert SERVICES["beat"]["depends_on"]["db"]["condition"] == "service_healthy"


def test_the_staging_shape_says_its_payments_are_simulated():
    env = COMPOSE["x-app-env"]
    assert env["PAYMENTS_STAND_IN"] == "1"
    assert env["DEBUG"] == "0"
    assert env["EMAIL_URL"].startswith("smtp://")
