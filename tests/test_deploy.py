"""Production settings pass Django's deployment checks; make run's SQLite default works."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def clean_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DATABASE_URL", "REDIS_URL"))}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("PYTEST_XDIST_WORKER", None)
    env.update(extra)
    return env


def test_check_deploy_passes_with_production_settings():
    env = clean_env(
        DEBUG="0",
        SECRET_KEY="x" * 20 + "-a-long-random-production-secret-key-0123456789",
        ALLOWED_HOSTS="dating.example.nl",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/postgres",
        SECURE_PROXY_SSL_HEADER="1",
        FIELD_ENCRYPTION_KEYS="kZ0rQ6t9H4m0zH6b2cQj0m8Yk3Yc7m3x9L1bq6Vv0hE=",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    env = clean_env(DEBUG="0")
    env.pop("SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


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
