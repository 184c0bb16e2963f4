"""A private Redis server and real Celery workers for integration tests.

Everything started here is ours: the Redis server listens on a free port of its own (never the
shared one), workers run in their own process groups, and all of it is killed at teardown.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from django.conf import settings

from config.celery import app

BASE_DIR = Path(__file__).resolve().parents[2]
CELERY = BASE_DIR / ".venv" / "bin" / "celery"
MESSAGE_SEPARATOR = "-" * 79  # Django's file backend writes this after each message


def wait_for(predicate: Callable[[], bool], *, timeout: float, what: str, log: Path | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    tail = log.read_text()[-4000:] if log and log.exists() else ""
    raise AssertionError(f"timed out after {timeout}s waiting for {what}\n{tail}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OwnRedis:
    def __init__(self, directory: Path):
        self.port = free_port()
        self.directory = directory
        self.pidfile = directory / f"redis-{self.port}.pid"
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def _ping(self) -> bool:
        # Fixed argument lists of trusted test tools, found on PATH like the shared Redis.
        result = subprocess.run(  # noqa: S603
            ["redis-cli", "-p", str(self.port), "ping"],  # noqa: S607
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return result.stdout.strip() == "PONG"

    def start(self) -> None:
        subprocess.run(  # noqa: S603
            [  # noqa: S607
                "redis-server",
                "--port", str(self.port),
                "--bind", "127.0.0.1",
                "--save", "",
                "--appendonly", "no",
                "--daemonize", "yes",
                "--pidfile", str(self.pidfile),
                "--dir", str(self.directory),
                "--logfile", str(self.directory / f"redis-{self.port}.log"),
            ],
            check=True,
            timeout=10,
        )  # fmt: skip
        wait_for(self._ping, timeout=10, what=f"redis on {self.port}")

    def stop(self) -> None:
        """Kill our server (by the pid it wrote) and wait until the port answers no more."""
        if self.pidfile.exists():
            pid = int(self.pidfile.read_text().strip())
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self.pidfile.unlink(missing_ok=True)
        wait_for(lambda: not self._ping(), timeout=10, what=f"redis on {self.port} to stop")


def worker_database_url() -> str:
    db = settings.DATABASES["default"]
    auth = db["USER"] + (f":{db['PASSWORD']}" if db.get("PASSWORD") else "")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class Workers:
    """Start and kill Celery workers (solo pool) that use the test database and our Redis."""

    def __init__(self, redis: OwnRedis, directory: Path, email_dir: Path):
        self.redis = redis
        self.directory = directory
        self.email_dir = email_dir
        self.running: list[subprocess.Popen] = []

    def start(self, **extra_env: str) -> tuple[subprocess.Popen, Path]:
        name = f"notifications-test-{uuid.uuid4().hex[:8]}"
        log = self.directory / f"{name}.log"
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.support.integration_settings",
            "DJANGO_ENV": "test",
            "DATABASE_URL": worker_database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "CELERY_BROKER_URL": self.redis.url,
            "TRE_TEST_EMAIL_DIR": str(self.email_dir),
            "TRE_TEST_MARKER_DIR": str(self.directory),
            "PYTHONPATH": str(BASE_DIR),
            **extra_env,
        }
        with log.open("wb") as out:
            process = subprocess.Popen(  # noqa: S603 (our own venv's celery)
                [
                    str(CELERY), "-A", "config", "worker", "-P", "solo", "--loglevel=INFO",
                    "--without-gossip", "--without-mingle", "--without-heartbeat",
                    "-n", f"{name}@%h",
                ],
                cwd=BASE_DIR,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, killed as one
            )  # fmt: skip
        self.running.append(process)
        wait_for(
            lambda: " ready." in log.read_text() or process.poll() is not None,
            timeout=60,
            what="the worker to be ready",
            log=log,
        )
        assert process.poll() is None, log.read_text()[-4000:]
        return process, log

    def kill(self, process: subprocess.Popen) -> None:
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def kill_all(self) -> None:
        for process in self.running:
            self.kill(process)


def publish_to(url: str | None) -> None:
    """Point this (pytest) process's Celery producer at ``url``, or back to the settings."""
    app.conf.broker_url = url or settings.CELERY_BROKER_URL
    app.conf.broker_transport_options = (
        {"visibility_timeout": 4} if url else settings.CELERY_BROKER_TRANSPORT_OPTIONS
    )
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None


def emails_in(directory: Path) -> list[str]:
    """Every message the file backend wrote, as text."""
    messages: list[str] = []
    for path in sorted(directory.glob("*.log")):
        parts = path.read_text().split(MESSAGE_SEPARATOR)
        messages.extend(part for part in parts if part.strip())
    return messages
