"""Running the project's own commands in subprocesses, with a clean environment.

Used by the settings tests (production refuses to start, development defaults) and the
integration smoke tests (a real Celery worker and beat). Every long-running process is started
in its own process group and killed with that group, so a failing test leaks nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CELERY = str(Path(sys.executable).with_name("celery"))

# Bounded waits: fail clearly instead of hanging until pytest-timeout.
WAIT_SECONDS = 60.0


def shared_redis_url() -> str:
    """The shared Redis database this test process may use: ``TEST_REDIS_URL`` as given when
    pytest runs in one process; under pytest-xdist, its index plus the worker's number plus one
    (base 6: gw0 uses 7, gw1 uses 8), wrapping at Redis's 16 databases. Tests still name their
    own queues and workers, so even a shared index would not mix them up."""
    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    if not worker.startswith("gw"):
        return url
    parts = urlsplit(url)
    base = int(parts.path.strip("/") or 0)
    index = (base + int(worker.removeprefix("gw")) + 1) % 16
    return urlunsplit(parts._replace(path=f"/{index}"))


def clean_env(var_dir: Path, **overrides: str) -> dict[str, str]:
    """An environment with none of the caller's project settings: development defaults.

    Only what a process needs to run at all is kept; ``var_dir`` holds the SQLite database,
    the filesystem broker and the results, so nothing touches the developer's ``var/``.
    """
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(var_dir)),
        "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "TRE_VAR_DIR": str(var_dir),
    }
    env.update(overrides)
    return env


def run(args: list[str], env: dict[str, str], timeout: float = WAIT_SECONDS):
    """Run a short command to completion from the repository root."""
    return subprocess.run(  # noqa: S603 - our own interpreter and arguments
        args,
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


class Background:
    """A long-running process in its own process group, logging to a file."""

    def __init__(self, name: str, args: list[str], env: dict[str, str], log_dir: Path):
        self.name = name
        self.log_path = log_dir / f"{name}.log"
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            args,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: children die with it
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = WAIT_SECONDS) -> None:
        wait_until(
            lambda: text in self.log(),
            timeout=timeout,
            what=f"{self.name} to log {text!r}",
            on_fail=self.describe,
        )

    def describe(self) -> str:
        status = self.process.poll()
        state = "running" if status is None else f"exited with {status}"
        return f"{self.name} ({state}), last output:\n{self.log()[-4000:]}"

    def stop(self) -> None:
        """Terminate the whole process group; kill it if it does not stop within 10 s."""
        if self.process.poll() is None:
            _signal_group(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal_group(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        # A worker's pool children may outlive their parent: sweep the group regardless.
        _signal_group(self.process.pid, signal.SIGKILL)
        self._log.close()


def _signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group has already gone
        os.killpg(pgid, sig)


def wait_until(
    condition: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    on_fail: Callable[[], str] | None = None,
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    detail = f"\n{on_fail()}" if on_fail else ""
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}{detail}")


def background_processes(log_dir: Path) -> Iterator[Callable[..., Background]]:
    """Generator behind a fixture: yields a starter, stops everything started on exit."""
    started: list[Background] = []

    def start(name: str, args: list[str], env: dict[str, str]) -> Background:
        process = Background(name, args, env, log_dir)
        started.append(process)
        return process

    try:
        yield start
    finally:
        for process in reversed(started):
            process.stop()
