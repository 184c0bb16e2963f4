"""Smoke tests: a real Celery worker and beat, started as `make run` and production start them.

1. The embedded default (`make run`): SQLite, kombu's filesystem broker, the file result
   backend, in a temporary var dir. The worker and beat commands are read from Procfile.dev so
   the test runs exactly what developers run.
2. The production shape: Redis as broker and result backend, PostgreSQL as the database.

A task is sent from a separate process and its result read back through the result backend.
Every process runs in its own process group and is killed when the test ends, pass or fail.
"""

from __future__ import annotations

import json
import re
import shlex
import uuid
from urllib.parse import quote

import pytest
from django.db import connection

from tests.processes import (
    CELERY,
    PYTHON,
    REPO,
    WAIT_SECONDS,
    background_processes,
    clean_env,
    run,
    shared_redis_url,
    wait_until,
)

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

# Sends the heartbeat from a process of its own and prints the result it gets back.
SEND_HEARTBEAT = """
import json, sys
import django
django.setup()
from config.celery import app
result = app.send_task("access.tasks.heartbeat", queue=sys.argv[1])
print(json.dumps(result.get(timeout=float(sys.argv[2]))))
"""


@pytest.fixture
def background(tmp_path):
    yield from background_processes(tmp_path)


def procfile_command(name: str) -> list[str]:
    """The argv of one Procfile.dev process, with the virtualenv's celery."""
    for line in (REPO / "Procfile.dev").read_text().splitlines():
        if line.startswith(f"{name}:"):
            args = shlex.split(line.split(":", 1)[1])
            assert args[0].endswith("/celery"), f"{name} is expected to be a celery command"
            return [CELERY, *args[1:]]
    raise AssertionError(f"Procfile.dev has no {name!r} process")


def send_heartbeat(env: dict[str, str], queue: str) -> dict:
    sent = run(
        [PYTHON, "-c", SEND_HEARTBEAT, queue, str(WAIT_SECONDS)],
        env,
        timeout=WAIT_SECONDS + 30,
    )
    assert sent.returncode == 0, f"sending the heartbeat failed:\n{sent.stdout}\n{sent.stderr}"
    return json.loads(sent.stdout.strip().splitlines()[-1])


def test_embedded_default_runs_worker_and_beat_on_sqlite_and_filesystem_broker(
    tmp_path, background
):
    var_dir = tmp_path / "var"
    env = clean_env(var_dir)  # no DATABASE_URL, no CELERY_BROKER_URL: the defaults

    migrated = run([PYTHON, "manage.py", "migrate", "--noinput"], env, timeout=120)
    assert migrated.returncode == 0, migrated.stdout + migrated.stderr
    assert (var_dir / "tre.sqlite3").exists()

    worker = background("worker", procfile_command("worker"), env)
    worker.wait_for_log(" ready.")
    assert "filesystem://" in worker.log()
    # Worker control exchanges live in the var dir too, not in the working directory.
    assert any((var_dir / "broker" / "control").iterdir())

    result = send_heartbeat(env, queue="celery")
    assert result["ok"] is True
    assert result["database"] == "sqlite"
    assert list((var_dir / "results").iterdir()), "the file result backend stored nothing"

    beat = background("beat", procfile_command("beat"), env)
    beat.wait_for_log("beat: Starting...")
    # Beat writes its schedule file (settings: in the var dir) once it has loaded the schedule.
    wait_until(
        lambda: any(var_dir.glob("celerybeat-schedule*")),
        timeout=WAIT_SECONDS,
        what="beat to write its schedule file",
        on_fail=beat.describe,
    )
    assert beat.process.poll() is None, beat.describe()


@pytest.mark.django_db
def test_redis_broker_and_postgresql_round_trip(tmp_path, background):
    if connection.vendor != "postgresql":
        pytest.skip("needs DATABASE_URL pointing at PostgreSQL (make test sets it)")
    redis_url = shared_redis_url()
    db = connection.settings_dict
    # The test database exists for the whole session; the heartbeat only reads from it.
    database_url = (
        f"postgres://{quote(db['USER'] or '')}:{quote(db['PASSWORD'] or '')}"
        f"@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'])}"
    )
    env = clean_env(
        tmp_path / "var",
        DATABASE_URL=database_url,
        CELERY_BROKER_URL=redis_url,
        CELERY_RESULT_BACKEND=redis_url,
    )
    # A queue and worker name of our own: others may share this Redis database.
    queue = f"smoke-{uuid.uuid4().hex}"
    worker = background(
        "worker-redis",
        [
            CELERY,
            "-A",
            "config",
            "worker",
            "--loglevel",
            "INFO",
            "--pool",
            "threads",
            "--concurrency",
            "2",
            "--queues",
            queue,
            "--hostname",
            f"{queue}@%h",
            "--without-gossip",
            "--without-mingle",
        ],
        env,
    )
    worker.wait_for_log(" ready.")

    result = send_heartbeat(env, queue=queue)
    assert result["ok"] is True
    assert result["database"] == "postgresql"


# Reads every application's clocks and the ops summary through the API, as ops, and prints
# what a client would check.
READ_CLOCKS = """
import json
import django
django.setup()
from rest_framework.test import APIClient
from access.models import User
from workflow.models import Application
client = APIClient()
client.force_authenticate(User.objects.get(username="owain.ops"))
statuses, visits = {}, []
for pk in Application.objects.values_list("pk", flat=True):
    response = client.get(f"/api/v1/applications/{pk}/clocks/")
    statuses[pk] = response.status_code
    if response.status_code == 200:
        visits += response.json()["visits"]
summary = client.get("/api/v1/metrics/turnaround/")
print(json.dumps({
    "statuses": sorted(set(statuses.values())),
    "applications": len(statuses),
    "entered": [v["entered_at"] for v in visits],
    "summary": summary.status_code,
    "oldest": [o["submitted_at"] for o in summary.json().get("oldest_open", [])],
}))
"""


def test_clocks_and_metrics_on_the_embedded_default(tmp_path):
    """The zero-setup run is SQLite, where a raw query returns timestamps without their time
    zone: the clocks of every demo application and the ops summary still answer, with the
    offsets every other answer carries."""
    env = clean_env(tmp_path / "var")
    for command in (["migrate", "--noinput"], ["load_demo"], ["demo_history"]):
        done = run([PYTHON, "manage.py", *command], env, timeout=240)
        assert done.returncode == 0, done.stdout + done.stderr
    read = run([PYTHON, "-c", READ_CLOCKS], env, timeout=120)
    assert read.returncode == 0, read.stdout + read.stderr
    result = json.loads(read.stdout.strip().splitlines()[-1])
    assert result["applications"] >= 20
    assert result["statuses"] == [200]
    assert result["summary"] == 200
    assert result["entered"]
    assert result["oldest"]
    # ISO 8601 with an offset (Z or +01:00), as the PostgreSQL answers are.
    offset = r"(Z|[+-]\d\d:\d\d)$"
    assert all(re.search(offset, moment) for moment in result["entered"] + result["oldest"])
