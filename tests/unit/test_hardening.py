"""Hardening: the content security policy, login throttling (django-axes) on the web and the API
token login, and a lost database answered with a clean 503."""

from __future__ import annotations

import re
from unittest import mock

import pytest
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

from tests.factories import make_user

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"


@pytest.fixture
def lockout(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    cache.clear()  # the DRF login throttle counts per address in the cache
    yield
    cache.clear()


def test_pages_carry_a_strict_content_security_policy(client):
    response = client.get("/login/")
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy
    assert "script-src 'self';" in policy or policy.endswith("script-src 'self'")
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"


def test_api_docs_serve_swagger_ui_from_our_own_static_files(client):
    """The docs page loaded swagger-ui-dist@latest from a CDN, without integrity checks, and
    relaxed the policy for it. Now every file is ours (npm, static/vendor/) and the page has
    the site's own strict policy."""
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    policy = docs["Content-Security-Policy"]
    assert policy == client.get("/login/")["Content-Security-Policy"]
    assert "http" not in policy
    assert "unsafe-inline" not in policy
    body = docs.content.decode()
    assert "<script>" not in body  # the split view: no inline script
    urls = re.findall(r'(?:src|href)="([^"]+)"', body)
    assert any("swagger-ui-bundle" in url for url in urls)
    for url in urls:
        assert url.startswith("/"), url
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), f"{url} is not a static file"
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert '"validatorUrl": null' in script.content.decode()


def test_web_login_is_locked_after_repeated_failures(client, lockout):
    make_user("researcher", username="ada")
    for _ in range(3):
        failed = client.post("/login/", {"username": "ada", "password": "wrong"})
        assert failed.status_code in {400, 429}
    locked = client.post("/login/", {"username": "ada", "password": PASSWORD})
    assert locked.status_code == 429
    assert b"Too many failed sign-in attempts" in locked.content
    assert "_auth_user_id" not in client.session


def test_api_token_login_is_locked_after_repeated_failures(api_client, lockout):
    make_user("researcher", username="ada")
    for _ in range(3):
        api_client.post("/api/v1/auth/token/", {"login": "ada", "password": "wrong"})
    locked = api_client.post("/api/v1/auth/token/", {"login": "ada", "password": PASSWORD})
    assert locked.status_code == 429
    body = locked.json()
    assert body["code"] == "locked_out"
    assert set(body) == {"code", "detail", "fields"}
    assert int(locked["Retry-After"]) > 0


def test_a_successful_login_resets_the_failure_count(api_client, lockout):
    make_user("researcher", username="ada")
    for _ in range(2):
        api_client.post("/api/v1/auth/token/", {"login": "ada", "password": "wrong"})
    ok = api_client.post("/api/v1/auth/token/", {"login": "ada", "password": PASSWORD})
    assert ok.status_code == 200
    for _ in range(2):
        api_client.post("/api/v1/auth/token/", {"login": "ada", "password": "wrong"})
    assert (
        api_client.post("/api/v1/auth/token/", {"login": "ada", "password": PASSWORD}).status_code
        == 200
    )


def _database_down(*args, **kwargs):
    raise OperationalError("connection to server at 127.0.0.1 failed: Connection refused")


def test_api_answers_503_in_the_error_shape_when_the_database_is_down(client_for):
    api = client_for(make_user("researcher"))
    with mock.patch.object(CursorWrapper, "execute", _database_down):
        response = api.get("/api/v1/applications/")
    assert response.status_code == 503
    assert response.json()["code"] == "unavailable"
    assert response["Retry-After"] == "30"
    assert api.get("/api/v1/applications/").status_code == 200  # back by itself


def test_pages_answer_the_503_page_when_the_database_is_down(client):
    with mock.patch.object(CursorWrapper, "execute", _database_down):
        response = client.get("/catalogue/")
    assert response.status_code == 503
    assert b"briefly unavailable" in response.content


def test_collected_static_files_are_readable_by_the_web_server_but_uploads_are_not(
    settings, tmp_path
):
    import stat

    from django.core.files.base import ContentFile
    from django.core.files.storage import FileSystemStorage, storages

    static = storages.create_storage(
        {
            **settings.STORAGES["staticfiles"],
            "OPTIONS": {
                **settings.STORAGES["staticfiles"].get("OPTIONS", {}),
                "location": tmp_path / "s",
            },
        }
    )
    name = static.save("site/site.css", ContentFile(b"body{}"))
    assert stat.S_IMODE((tmp_path / "s" / name).stat().st_mode) == 0o644
    uploads = FileSystemStorage(location=tmp_path / "m")
    upload = uploads.save("letter.pdf", ContentFile(b"%PDF-1.4"))
    assert stat.S_IMODE((tmp_path / "m" / upload).stat().st_mode) == 0o640
