"""PostgreSQL restarted under load: a real web server (gunicorn) on a PostgreSQL cluster of
the test's own (its own data directory and port: the shared one is never touched).

While the database is down every request gets a clean 503 in the API's error shape (not a 500,
not a hang); once it is back the same server answers again without a restart (Django's
``CONN_HEALTH_CHECKS`` drops the dead connection); and nothing is half-written: the number of
applications and of events is what the successful requests made, and every event chain holds.

Slow (a cluster, migrations, the demo data): runs when TRE_FAULTS=1 (`.ci/run`).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.processes import PYTHON, REPO, background_processes, clean_env, run, wait_until
from tests.support.integration import free_port
from workflow.management.demo_data import DEMO_PASSWORD

PG_BIN = next(iter(sorted(Path("/usr/lib/postgresql").glob("*/bin"))), None)
GUNICORN = str(Path(PYTHON).with_name("gunicorn"))

pytestmark = [
    pytest.mark.skipif(os.environ.get("TRE_FAULTS") != "1", reason="set TRE_FAULTS=1 (.ci/run)"),
    pytest.mark.skipif(PG_BIN is None or shutil.which("su") is None, reason="needs PostgreSQL"),
    pytest.mark.timeout(600),
]


def as_postgres(command: str) -> None:
    subprocess.run(["su", "postgres", "-c", command], check=True, capture_output=True)  # noqa: S603, S607


class OwnCluster:
    def __init__(self) -> None:
        self.dir = Path(tempfile.mkdtemp(prefix="tre-pg-faults-"))
        shutil.chown(self.dir, "postgres", "postgres")
        self.port = free_port()
        self.data = self.dir / "data"
        as_postgres(f"{PG_BIN}/initdb -D {self.data} -A trust -U postgres")
        self.url = f"postgres://postgres@127.0.0.1:{self.port}/tre"

    def pg_ctl(self, action: str) -> None:
        as_postgres(
            f"{PG_BIN}/pg_ctl -D {self.data} -l {self.dir}/server.log -w -m fast "
            f"-o '-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1' {action}"
        )

    def sql(self, query: str) -> str:
        out = subprocess.run(  # noqa: S603
            [
                f"{PG_BIN}/psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                "tre",
                "-tAc",
                query,
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        return out.stdout.strip()

    def remove(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.pg_ctl("stop")
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def cluster():
    own = OwnCluster()
    own.pg_ctl("start")
    as_postgres(f"{PG_BIN}/createdb -h 127.0.0.1 -p {own.port} tre")
    yield own
    own.remove()


@pytest.fixture
def processes(tmp_path):
    yield from background_processes(tmp_path)


def call(base: str, method: str, path: str, body: dict | None = None, token: str = ""):
    request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
        base + path,
        method=method,
        data=json.dumps(body).encode() if body is not None else None,
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Token {token}"} if token else {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as error:
        text = error.read()
        try:
            return error.code, json.loads(text)
        except ValueError:
            return error.code, {"raw": text[:200].decode(errors="replace")}


def test_postgres_restart_under_load_fails_cleanly_and_recovers(cluster, processes, tmp_path):
    env = clean_env(tmp_path, DATABASE_URL=cluster.url, DATABASE_CONN_MAX_AGE="60")
    for command in (["migrate", "--noinput"], ["load_demo"]):
        done = run([PYTHON, "manage.py", *command], env, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    processes(
        "web",
        [
            GUNICORN,
            "config.wsgi:application",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "2",
            "--timeout",
            "30",
        ],
        env,
    )
    wait_until(lambda: _up(base), timeout=60, what="gunicorn to answer")
    status, body = call(
        base,
        "POST",
        "/api/v1/auth/token/",
        {"login": "rhian.researcher", "password": DEMO_PASSWORD},
    )
    assert status == 200, body
    token = body["token"]

    def create(title: str):
        return call(base, "POST", "/api/v1/applications/", {"title": title}, token)

    before = {
        "apps": int(cluster.sql("SELECT count(*) FROM workflow_application")),
        "events": int(cluster.sql("SELECT count(*) FROM workflow_event")),
    }
    made = 0
    for i in range(5):  # load before the restart: these commit
        status, body = create(f"Before the restart {i}")
        assert status == 201, body
        made += 1

    cluster.pg_ctl("stop")
    refused = []
    for i in range(10):  # load during the outage: every request refused cleanly
        for status, body in (
            create(f"During the outage {i}"),
            call(base, "GET", "/api/v1/applications/", token=token),
            call(base, "GET", "/api/v1/datasets/"),
        ):
            refused.append(status)
            assert status == 503, (status, body)
            assert body["code"] == "unavailable"
    cluster.pg_ctl("start")

    # Back without restarting the web server: the first requests reconnect by themselves.
    wait_until(
        lambda: call(base, "GET", "/api/v1/datasets/")[0] == 200,
        timeout=30,
        what="the web server to reconnect",
    )
    for i in range(5):
        status, body = create(f"After the restart {i}")
        assert status == 201, body
        made += 1

    apps = int(cluster.sql("SELECT count(*) FROM workflow_application"))
    events = int(cluster.sql("SELECT count(*) FROM workflow_event"))
    assert apps - before["apps"] == made  # none of the refused ones half-exists
    assert events - before["events"] == made  # one "created" event each, no orphans
    verify = run([PYTHON, "manage.py", "verify_audit"], env, timeout=120)
    assert verify.returncode == 0, verify.stderr
    figures = Path(os.environ.get("FIGURES_DIR", REPO / "test-artifacts" / "figures"))
    figures.mkdir(parents=True, exist_ok=True)
    (figures / "postgres_restart.json").write_text(
        json.dumps(
            {
                "requests_during_outage": len(refused),
                "answered_503": refused.count(503),
                "committed": made,
                "half_written": 0,
                "restarts_of_the_web_server": 0,
            }
        )
    )


def _up(base: str) -> bool:
    try:
        return call(base, "GET", "/api/v1/datasets/")[0] == 200
    except OSError:
        time.sleep(0.2)
        return False
