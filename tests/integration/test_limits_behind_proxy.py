"""Sign-in limits that hold behind the proxy, through the production web server (security probe,
finding 2): gunicorn with deploy/gunicorn.conf.py, two workers, production settings, Redis as
the cache (its default: the broker's Redis, here a private one), this test's database.

Requests carry ``X-Forwarded-For`` as nginx writes it (deploy/nginx/tre-site.conf,
``$proxy_add_x_forwarded_for``: what the client sent, then the address nginx saw) and
``X-Forwarded-Proto: https``. Before the fix each of these held: a client that rotates the
header was never throttled; the throttle counted in each worker's memory (the limit times the
workers); and five failures from anywhere locked a user out everywhere.

The same server also shows the error shape in production settings: an unknown API address, a
page past the end and a body over the limit answer JSON, not Django's HTML pages.
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password

from tests.factories import make_user
from tests.processes import PYTHON, background_processes, clean_env, wait_until
from tests.support.integration import OwnRedis, free_port, worker_database_url

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

GUNICORN = str(Path(PYTHON).with_name("gunicorn"))
PASSWORD = "correct horse battery staple"
LIMIT = 6  # sign-in attempts per address per minute, for this server
TOKEN = "/api/v1/auth/token/"
FIGURES = Path(os.environ.get("FIGURES_DIR", "test-artifacts/figures"))


@pytest.fixture
def server(transactional_db, tmp_path):
    """(base URL, access log path). transactional_db first: the server stops before the
    tables are flushed."""
    redis = OwnRedis(tmp_path)
    redis.start()
    port = free_port()
    env = clean_env(
        tmp_path / "var",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY="test-only-" + "k" * 60,
        AUDIT_KEY="test-only-" + "a" * 40,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DATABASE_URL=worker_database_url(),
        DATABASE_CONN_MAX_AGE="0",
        CELERY_BROKER_URL=redis.url,
        EMAIL_URL="consolemail://",
        LOGIN_THROTTLE_RATE=f"{LIMIT}/min",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="2",
    )
    starter = background_processes(tmp_path)
    start = next(starter)
    web = start(
        "web",
        [
            GUNICORN,
            "--config",
            "deploy/gunicorn.conf.py",
            "--access-logformat",
            "%(p)s %(s)s %(U)s",
            "config.wsgi",
        ],
        env,
    )
    base = f"http://127.0.0.1:{port}"
    wait_until(lambda: _answers(base), timeout=90, what="gunicorn to answer", on_fail=web.describe)
    yield base, web.log_path
    with pytest.raises(StopIteration):
        next(starter)  # stops gunicorn
    redis.stop()


def _answers(base: str) -> bool:
    try:
        return call(base, "GET", "/api/v1/datasets/", seen_by_nginx="192.0.2.250")[0] == 200
    except OSError:
        return False


def call(
    base: str,
    method: str,
    path: str,
    body: bytes | dict | None = None,
    *,
    client_wrote: str | None = None,
    seen_by_nginx: str,
) -> tuple[int, dict]:
    forwarded = f"{client_wrote}, {seen_by_nginx}" if client_wrote else seen_by_nginx
    data = json.dumps(body).encode() if isinstance(body, dict) else body
    request = urllib.request.Request(  # noqa: S310 - our own server on 127.0.0.1
        base + path,
        method=method,
        data=data,
        headers={
            "Content-Type": "application/json",
            "X-Forwarded-For": forwarded,
            "X-Forwarded-Proto": "https",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
            return response.status, _json(response.read(), response.headers)
    except urllib.error.HTTPError as error:
        return error.code, _json(error.read(), error.headers)


def _json(raw: bytes, headers) -> dict:
    assert headers.get("Content-Type", "").startswith("application/json"), raw[:300]
    return json.loads(raw or b"{}")


def workers_that_answered(log: Path, path: str) -> set[str]:
    return set(re.findall(rf"^<(\d+)> \d+ {re.escape(path)}$", log.read_text(), re.MULTILINE))


def test_limits_hold_behind_the_proxy_across_two_workers(server, settings):
    base, log = server
    # The server hashes passwords as production does (the tests' own hasher is MD5).
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.PBKDF2PasswordHasher"]
    sian = make_user("panel_member", username="sian")
    sian.password = make_password(PASSWORD)
    sian.save()

    # 1. A client rotating the address it writes into X-Forwarded-For, many attempts at once
    #    (so both workers take some): the limit holds for the address nginx saw.
    def attempt(i: int) -> int:
        return call(
            base,
            "POST",
            TOKEN,
            {"login": f"ghost{i}", "password": "x"},
            client_wrote=f"10.9.{i}.{i}",
            seen_by_nginx="203.0.113.7",
        )[0]

    with ThreadPoolExecutor(max_workers=6) as pool:
        answers = Counter(pool.map(attempt, range(4 * LIMIT)))
    workers = workers_that_answered(log, TOKEN)
    FIGURES.mkdir(parents=True, exist_ok=True)
    (FIGURES / "limits_behind_proxy.json").write_text(
        json.dumps(
            {
                "limit_per_minute": LIMIT,
                "attempts": 4 * LIMIT,
                "concurrent": 6,
                "answers": {str(code): n for code, n in sorted(answers.items())},
                "workers_that_answered": len(workers),
            }
        )
    )
    assert answers == Counter({400: LIMIT, 429: 3 * LIMIT}), answers
    assert len(workers) == 2, log.read_text()[-2000:]
    # Another client has its own allowance.
    assert attempt_from(base, "192.0.2.99", "ghost", "x") == 400

    # 2. Five wrong passwords for Sian from the attacker's address lock that pair only.
    for _ in range(5):
        assert attempt_from(base, "198.51.100.66", "sian", "wrong") in {400, 429}
    assert attempt_from(base, "198.51.100.66", "sian", PASSWORD) == 429
    status, body = call(
        base, "POST", TOKEN, {"login": "sian", "password": PASSWORD}, seen_by_nginx="192.0.2.10"
    )
    assert status == 200, body  # Sian from her own network
    assert "token" in body
    # Writing Sian's address into the header does not borrow her allowance.
    assert (
        call(
            base,
            "POST",
            TOKEN,
            {"login": "sian", "password": PASSWORD},
            client_wrote="192.0.2.10",
            seen_by_nginx="198.51.100.66",
        )[0]
        == 429
    )


def attempt_from(base: str, address: str, login: str, password: str) -> int:
    status, _ = call(
        base, "POST", TOKEN, {"login": login, "password": password}, seen_by_nginx=address
    )
    return status


def test_errors_answer_in_the_error_shape_in_production(server):
    base, _ = server
    for status, body in (
        call(base, "GET", "/api/v1/no-such-thing/", seen_by_nginx="192.0.2.30"),
        call(base, "GET", "/api/v1/register/?page=1000000000000000000", seen_by_nginx="192.0.2.30"),
    ):
        assert status == 404, body
        assert body["code"] == "not_found"
    status, body = call(base, "GET", "/api/v1/register/?dataset=a%00b", seen_by_nginx="192.0.2.30")
    assert (status, body["code"]) == (400, "invalid_characters")
    too_big = b'{"login": "' + b"x" * 2_700_000 + b'", "password": "x"}'
    status, body = call(base, "POST", TOKEN, too_big, seen_by_nginx="192.0.2.31")
    assert (status, body["code"]) == (413, "too_large")
    deep = b"[" * 1000 + b"]" * 1000
    status, body = call(base, "POST", TOKEN, deep, seen_by_nginx="192.0.2.32")
    assert (status, body["code"]) == (400, "parse_error")
