"""Running the site's own processes (manage.py, gunicorn, Celery) from a test: a clean
environment, free loopback ports, bounded waits, and a stop that leaves nothing behind."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent  # the virtualenv running the tests

# What pytest and pytest-django put in the environment, which the site's processes must not
# see: they would run as tests (TESTING) or on another worker's database and cache.
TEST_ONLY_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_SETTINGS_MODULE",
    "PYTEST_XDIST_WORKER",
    "PYTEST_XDIST_WORKER_COUNT",
    "PYTEST_CURRENT_TEST",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "TESTING",
    "CACHE_URL",
    "CELERY_BROKER_URL",
)


def clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in TEST_ONLY_VARIABLES and not key.startswith(("DATABASE_URL", "REDIS_URL"))
    }
    # The commands of docker-compose.yml (gunicorn, celery, python) from this virtualenv.
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(args: list[str], *, env: dict[str, str], timeout: float = 300) -> str:
    """A command that must succeed; its output is in the assertion when it does not."""
    result = subprocess.run(
        args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


class Process:
    """A long-running command in a process group of its own, its output in files (a pipe
    nobody reads would fill and block it)."""

    def __init__(self, name: str, args: list[str], *, env: dict[str, str], log_dir: Path):
        self.name = name
        self.stdout_path = log_dir / f"{name}.out"
        self.stderr_path = log_dir / f"{name}.err"
        with self.stdout_path.open("wb") as out, self.stderr_path.open("wb") as err:
            self.popen = subprocess.Popen(
                args, cwd=ROOT, env=env, stdout=out, stderr=err, start_new_session=True
            )

    @property
    def output(self) -> str:
        return self.stdout_path.read_text(errors="replace") + self.stderr_path.read_text(
            errors="replace"
        )

    def tail(self, lines: int = 40) -> str:
        return f"--- {self.name} (last {lines} lines) ---\n" + "\n".join(
            self.output.splitlines()[-lines:]
        )

    def assert_running(self) -> None:
        code = self.popen.poll()
        assert code is None, f"{self.name} exited with {code}\n{self.tail()}"

    def stop(self, timeout: float = 30) -> tuple[int, bool]:
        """SIGTERM to the main process (which stops its own children, as in a container); then
        whatever is left of the group is killed: nothing outlives the test. Returns the exit
        code (-9 when it had to be killed) and whether processes were left behind."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=timeout)
        code = self.popen.poll()
        leftover = code is None
        if not leftover:  # the children get a moment to follow their parent out
            deadline = time.monotonic() + 5
            while self.group_alive() and time.monotonic() < deadline:
                time.sleep(0.1)
            leftover = self.group_alive()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.popen.pid, signal.SIGKILL)
        if code is None:
            self.popen.wait(timeout=10)
            code = -9
        return code, leftover

    def group_alive(self) -> bool:
        """Whether a process of the group still runs (zombies, which an init that does not
        reap would keep, do not count)."""
        proc = Path("/proc")
        if not proc.is_dir():
            try:
                os.killpg(self.popen.pid, 0)
            except ProcessLookupError:
                return False
            return True
        for stat in proc.glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue
            state, process_group = fields[0], int(fields[2])
            if process_group == self.popen.pid and state not in ("Z", "X"):
                return True
        return False


def wait_until(condition, *, timeout: float, interval: float = 0.2, what: str = "condition"):
    """Calls `condition` until it returns something truthy; fails after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def wait_for_http(url: str, *, timeout: float, process: Process | None = None) -> None:
    def answers():
        if process is not None:
            process.assert_running()
        try:
            with urllib.request.urlopen(url, timeout=2):  # noqa: S310
                return True
        except urllib.error.HTTPError:
            return True  # it answers, which is all this waits for
        except OSError:
            return False

    wait_until(answers, timeout=timeout, interval=0.3, what=url)
