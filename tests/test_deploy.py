"""Production settings pass Django's deployment checks and refuse to start without what they
must not run without; the image build needs no runtime secret; make run's SQLite default
works."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


# What the settings read that a test must set itself, never inherit from the shell running it.
RUNTIME_VARIABLES = (
    "DEBUG",
    "TESTING",
    "SECRET_KEY",
    "FIELD_ENCRYPTION_KEYS",
    "EMAIL_URL",
    "EMAIL_BACKEND",
    "MAIL_PROVIDER",
    "MOLLIE_API_KEY",
    "PAYMENTS_STAND_IN",
    "DJANGO_BUILD_STEP",
    "DJANGO_SETTINGS_MODULE",
    "PYTEST_XDIST_WORKER",
    "VAR_DIR",
)


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    for name in RUNTIME_VARIABLES:
        env.pop(name, None)
    env.update(extra)
    return env


PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x" * 20 + "-a-long-random-production-secret-key-0123456789",
    "ALLOWED_HOSTS": "dating.example.nl",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "SECURE_PROXY_SSL_HEADER": "1",
    "FIELD_ENCRYPTION_KEYS": "kZ0rQ6t9H4m0zH6b2cQj0m8Yk3Yc7m3x9L1bq6Vv0hE=",
    "EMAIL_URL": "smtp+tls://site:secret@mail.example.nl:587",
    "MOLLIE_API_KEY": "live_" + "a" * 30,
}


def manage(*args, env, timeout=120):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_check_deploy_passes_with_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=clean_env(**PRODUCTION))
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_naming_everything_it_misses():
    result = manage("check", env=clean_env(DEBUG="0"))
    assert result.returncode != 0
    assert "DEBUG=0 refuses to start without" in result.stderr
    for name in ("SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "EMAIL_URL", "MOLLIE_API_KEY"):
        assert name in result.stderr, name


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"FIELD_ENCRYPTION_KEYS": ""}, "FIELD_ENCRYPTION_KEYS"),
        # Mail: no configuration, or one that is the console after all, is refused.
        ({"EMAIL_URL": ""}, "mail configuration"),
        ({"EMAIL_URL": "consolemail://"}, "mail configuration"),
        (
            {"EMAIL_URL": "", "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"},
            "mail configuration",
        ),
        # Payments: no key and no explicit staging switch.
        ({"MOLLIE_API_KEY": ""}, "PAYMENTS_STAND_IN=1"),
        ({"MOLLIE_API_KEY": "", "PAYMENTS_STAND_IN": "0"}, "PAYMENTS_STAND_IN=1"),
    ],
)
def test_production_refuses_to_start_without_one_of_its_settings(change, named):
    result = manage("check", env=clean_env(**{**PRODUCTION, **change}))
    assert result.returncode != 0, result.stdout
    assert "ImproperlyConfigured" in result.stderr
    assert named in result.stderr.splitlines()[-1]


def test_a_mail_provider_is_a_mail_configuration():
    env = clean_env(**{**PRODUCTION, "EMAIL_URL": "", "MAIL_PROVIDER": "postmark"})
    result = manage("check", env=env)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_staging_site_with_simulated_payments_starts_and_check_deploy_says_so():
    env = clean_env(**{**PRODUCTION, "MOLLIE_API_KEY": "", "PAYMENTS_STAND_IN": "1"})
    assert manage("check", env=env).returncode == 0
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "payments.W001" in result.stdout + result.stderr
    assert "Payments are simulated" in result.stdout + result.stderr


def dockerfile_collectstatic_env() -> dict[str, str]:
    """The variables the Dockerfile's RUN line sets for `manage.py collectstatic`."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    found = re.search(
        r"^RUN ((?:\w+=\S+ )*)python manage\.py collectstatic --noinput", dockerfile, re.M
    )
    assert found, "the Dockerfile runs collectstatic"
    assert "ARG " not in dockerfile, "the build needs no argument (no throw-away secret)"
    return dict(pair.split("=", 1) for pair in found.group(1).split())


def test_the_image_build_collects_static_files_without_any_runtime_secret(tmp_path):
    """`docker compose up --build` runs this: DEBUG=0 and no SECRET_KEY, FIELD_ENCRYPTION_KEYS,
    mail or Mollie configuration."""
    build_env = dockerfile_collectstatic_env()
    assert build_env.get("DEBUG") == "0"
    assert not {"SECRET_KEY", "FIELD_ENCRYPTION_KEYS", "EMAIL_URL"} & build_env.keys()
    result = manage(
        "collectstatic", "--noinput", env=clean_env(VAR_DIR=str(tmp_path), **build_env), timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The production storage: hashed names and their manifest.
    assert (tmp_path / "static" / "staticfiles.json").exists()


def test_the_build_step_switch_starts_nothing_but_collectstatic():
    result = manage("check", env=clean_env(DEBUG="0", DJANGO_BUILD_STEP="1"))
    assert result.returncode != 0
    assert "DJANGO_BUILD_STEP=1 is for `manage.py collectstatic` only" in result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = clean_env(**PRODUCTION)
    env.pop("SECRET_KEY")
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr.splitlines()[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_embedded_sqlite_default_migrates_seeds_and_serves(tmp_path):
    """`make run` cannot rot unseen: with no DATABASE_URL the site migrates on SQLite under
    var/, loads demo data and serves the home page and /healthz."""
    env = clean_env(DEBUG="1", VAR_DIR=str(tmp_path))
    manage = [sys.executable, "manage.py"]
    for args in (["migrate", "--noinput"], ["seed_demo", "--members", "5"]):
        result = subprocess.run(
            manage + args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stdout + result.stderr
    assert (tmp_path / "db.sqlite3").exists()

    port = free_port()
    server = subprocess.Popen(
        manage + ["runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = None
        for _ in range(60):
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2) as response:  # noqa: S310
                    body = response.read().decode()
                break
            except OSError:
                time.sleep(0.5)
        assert body is not None, "the server did not answer"
        assert '<html lang="nl">' in body
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as response:  # noqa: S310
            assert b'"database": "ok"' in response.read()
    finally:
        server.terminate()
        server.wait(timeout=10)
