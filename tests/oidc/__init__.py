"""A real OpenID Connect provider for the tests (``provider.mjs``: npm's ``oidc-provider`` on
Node.js, on a free loopback port), and the steps a person's browser takes through it."""

from __future__ import annotations

import contextlib
import html
import json
import re
import shutil
import socket
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.processes import REPO, Background, wait_until

SECRET = "test-client-secret-that-is-long-enough-for-hs256"


@dataclass
class Provider:
    issuer: str
    client_id: str
    secret: str
    process: Background

    def app(self, provider_id: str = "uni", name: str = "University sign-in", **extra) -> dict:
        """The allauth app of this provider, as config/settings.py builds it."""
        return {
            "provider_id": provider_id,
            "name": name,
            "client_id": self.client_id,
            "secret": self.secret,
            "settings": {
                "server_url": self.issuer,
                "scope": ["openid", "email", "profile"],
                "oauth_pkce_enabled": True,
                "affiliation_claim": "organisation",
                **extra,
            },
        }

    def next_token(self, mode: str) -> None:
        """Make the provider change the next ID token it issues (tampered, wrong-audience,
        expired)."""
        requests.post(f"{self.issuer}/__test__/next-token/{mode}", timeout=5).raise_for_status()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def running_provider(
    log_dir: Path, redirect_uris: list[str], accounts: dict | None = None
) -> Iterator[Provider]:
    node = shutil.which("node")
    assert node, "Node.js 20 is needed for the OpenID Connect provider of the tests"
    port = free_port()
    client_id = "tre-access"
    env = {
        "PATH": "/usr/bin:/bin",
        "OIDC_PORT": str(port),
        "OIDC_CLIENTS": json.dumps(
            [{"client_id": client_id, "client_secret": SECRET, "redirect_uris": redirect_uris}]
        ),
        "OIDC_ACCOUNTS": json.dumps(accounts or {}),
        "NODE_PATH": str(REPO / "node_modules"),
    }
    process = Background(
        f"oidc-provider-{port}", [node, str(REPO / "tests/oidc/provider.mjs")], env, log_dir
    )
    try:
        process.wait_for_log("listening on", timeout=30)
        issuer = f"http://127.0.0.1:{port}"
        wait_until(
            lambda: requests.get(f"{issuer}/.well-known/openid-configuration", timeout=2).ok,
            timeout=10,
            what="the provider's discovery document",
        )
        yield Provider(issuer=issuer, client_id=client_id, secret=SECRET, process=process)
    finally:
        process.stop()


def _form(page: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]+)"', page)
    assert action, page[:2000]
    hidden = dict(
        re.findall(r'<input[^>]*type="hidden"[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page)
    )
    return html.unescape(action.group(1)), hidden


def through_provider(authorize_url: str, *, login: str, stop_at: str) -> str:
    """What a browser does at the provider: sign in as ``login`` (its development sign-in
    takes any name), consent, and come back. Returns the URL the provider sends the browser
    back to (it starts with ``stop_at``), without following it."""
    browser = requests.Session()
    url = authorize_url
    for _ in range(12):
        response = browser.get(url, allow_redirects=False, timeout=10)
        while response.status_code in (302, 303):
            location = urllib.parse.urljoin(url, response.headers["Location"])
            if location.startswith(stop_at):
                return location
            url = location
            response = browser.get(url, allow_redirects=False, timeout=10)
        action, data = _form(response.text)
        if 'name="login"' in response.text:
            data.update({"login": login, "password": "anything"})
        posted = browser.post(
            urllib.parse.urljoin(url, action), data=data, allow_redirects=False, timeout=10
        )
        location = urllib.parse.urljoin(url, posted.headers["Location"])
        if location.startswith(stop_at):
            return location
        url = location
    raise AssertionError("the provider never sent the browser back")
