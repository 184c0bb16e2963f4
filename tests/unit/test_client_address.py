"""Sign-in limits key on the client's address as the trusted proxies report it (security probe,
finding 2), in this process. tests/integration/test_limits_behind_proxy.py runs the same
through gunicorn with two workers and Redis.

``X-Forwarded-For`` is sent as nginx sends it (``$proxy_add_x_forwarded_for``): whatever the
client wrote, then the address nginx saw."""

from __future__ import annotations

import socket

import pytest
from django.core.cache import cache
from django.test import RequestFactory, override_settings

from core.client import client_address
from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
TOKEN = "/api/v1/auth/token/"


def forwarded(client_wrote: str | None, seen_by_nginx: str) -> dict[str, str]:
    value = f"{client_wrote}, {seen_by_nginx}" if client_wrote else seen_by_nginx
    return {"HTTP_X_FORWARDED_FOR": value, "REMOTE_ADDR": "127.0.0.1"}


@pytest.fixture
def behind_nginx(settings):
    settings.NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    cache.clear()
    yield settings
    cache.clear()


@pytest.mark.parametrize(
    ("proxies", "xff", "remote", "expected"),
    [
        (0, "198.51.100.7", "127.0.0.1", "127.0.0.1"),  # no proxy: the header means nothing
        (1, "198.51.100.7", "127.0.0.1", "198.51.100.7"),
        (1, "10.9.1.1, 198.51.100.7", "127.0.0.1", "198.51.100.7"),  # the client's own entry
        (1, "not-an-address, 198.51.100.7", "127.0.0.1", "198.51.100.7"),
        (1, "10.9.1.1,198.51.100.7 ", "127.0.0.1", "198.51.100.7"),
        (1, "2001:db8::1", "127.0.0.1", "2001:db8::1"),
        (2, "10.9.1.1, 198.51.100.7, 192.0.2.1", "127.0.0.1", "198.51.100.7"),
        (2, "198.51.100.7", "127.0.0.1", "127.0.0.1"),  # did not pass both proxies
        (1, "garbage", "127.0.0.1", "127.0.0.1"),
        (1, None, "192.0.2.9", "192.0.2.9"),
    ],
)
def test_the_client_is_the_entry_the_last_trusted_proxy_wrote(
    settings, proxies, xff, remote, expected
):
    settings.NUM_PROXIES = proxies
    meta = {"REMOTE_ADDR": remote}
    if xff is not None:
        meta["HTTP_X_FORWARDED_FOR"] = xff
    assert client_address(RequestFactory().get("/", **meta)) == expected


def test_production_trusts_one_proxy_by_default():
    from config import settings as project

    assert project.REST_FRAMEWORK["NUM_PROXIES"] == project.NUM_PROXIES
    assert project.AXES_CLIENT_IP_CALLABLE == "core.client.client_address"


def test_rotating_the_forwarded_header_does_not_bypass_the_token_login_limit(
    api_client, behind_nginx
):
    answers = [
        api_client.post(
            TOKEN,
            {"login": f"ghost{i}", "password": "x"},
            format="json",
            **forwarded(f"10.9.{i}.{i}", "203.0.113.7"),
        ).status_code
        for i in range(15)
    ]
    assert answers == [400] * 10 + [429] * 5
    # Another client (as nginx saw it) has its own allowance.
    other = api_client.post(
        TOKEN, {"login": "ghost", "password": "x"}, format="json", **forwarded(None, "192.0.2.1")
    )
    assert other.status_code == 400


def test_failures_from_one_address_do_not_lock_the_user_out_from_another(api_client, behind_nginx):
    behind_nginx.AXES_ENABLED = True
    behind_nginx.AXES_FAILURE_LIMIT = 3
    make_user("panel_member", username="sian")
    for _ in range(3):
        wrong = api_client.post(
            TOKEN,
            {"login": "sian", "password": "wrong"},
            format="json",
            **forwarded(None, "203.0.113.66"),
        )
        assert wrong.status_code in {400, 429}  # the last failure may answer the lock at once
    locked = api_client.post(
        TOKEN,
        {"login": "sian", "password": PASSWORD},
        format="json",
        **forwarded(None, "203.0.113.66"),
    )
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out"
    # Sian herself, from her own network: not locked out.
    mine = api_client.post(
        TOKEN,
        {"login": "sian", "password": PASSWORD},
        format="json",
        **forwarded(None, "192.0.2.10"),
    )
    assert mine.status_code == 200, mine.json()
    # Nor can the attacker get round the lock by writing another address in the header.
    spoofed = api_client.post(
        TOKEN,
        {"login": "sian", "password": PASSWORD},
        format="json",
        **forwarded("192.0.2.10", "203.0.113.66"),
    )
    assert spoofed.status_code == 429


def test_an_unreachable_cache_does_not_stop_sign_in(api_client, behind_nginx):
    with socket.socket() as sock:  # a port nothing listens on: a real refused connection
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    unreachable = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    make_user("researcher", username="ada")
    with override_settings(CACHES=unreachable):
        response = api_client.post(
            TOKEN,
            {"login": "ada", "password": PASSWORD},
            format="json",
            **forwarded(None, "192.0.2.1"),
        )
    assert response.status_code == 200
