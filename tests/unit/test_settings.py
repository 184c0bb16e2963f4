"""The settings module, loaded in a fresh process with a clean environment.

The test session itself runs on PostgreSQL, so the development defaults (SQLite) and the
production refusals can only be seen from a subprocess.
"""

from __future__ import annotations

import json
import secrets

import pytest

from tests.processes import PYTHON, clean_env, run

SETUP_DJANGO = "import django; django.setup()"

# What a production deployment sets (throwaway values).
PRODUCTION = {
    "DJANGO_ENV": "production",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(64),
    "DJANGO_ALLOWED_HOSTS": "tre.example",
    "DATABASE_URL": "postgres://tre@db.tre.example:5432/tre",
    "CELERY_BROKER_URL": "redis://redis.tre.example:6379/0",
    "EMAIL_URL": "smtp://mail.tre.example:25",
    "AUDIT_KEY": secrets.token_urlsafe(32),
}


def production_env(tmp_path, **changes: str | None) -> dict[str, str]:
    values = {**PRODUCTION, **changes}
    return clean_env(tmp_path, **{k: v for k, v in values.items() if v is not None})


def test_production_settings_load_with_every_required_value(tmp_path):
    result = run([PYTHON, "-c", SETUP_DJANGO], production_env(tmp_path))
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (
            "DJANGO_SECRET_KEY",
            "Production settings need DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS",
        ),
        (
            "DJANGO_ALLOWED_HOSTS",
            "Production settings need DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS",
        ),
        ("EMAIL_URL", "EMAIL_URL"),
        ("AUDIT_KEY", "Production settings need AUDIT_KEY"),
    ],
)
def test_production_refuses_to_start_without(tmp_path, missing, message):
    result = run([PYTHON, "-c", SETUP_DJANGO], production_env(tmp_path, **{missing: None}))
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


def test_production_refuses_empty_allowed_hosts(tmp_path):
    result = run([PYTHON, "-c", SETUP_DJANGO], production_env(tmp_path, DJANGO_ALLOWED_HOSTS=""))
    assert result.returncode != 0
    assert "DJANGO_ALLOWED_HOSTS must name at least one host" in result.stderr


@pytest.mark.parametrize(
    "weak_key",
    [
        "too-short",
        "django-insecure-" + "x" * 60,  # the shape of Django's generated development keys
    ],
)
def test_production_refuses_a_short_or_insecure_secret_key(tmp_path, weak_key):
    result = run([PYTHON, "-c", SETUP_DJANGO], production_env(tmp_path, DJANGO_SECRET_KEY=weak_key))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be at least 50 random characters" in result.stderr


def test_production_passes_the_deployment_checks(tmp_path):
    result = run(
        [PYTHON, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        production_env(tmp_path),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_unknown_environment_name_is_refused(tmp_path):
    result = run([PYTHON, "-c", SETUP_DJANGO], clean_env(tmp_path, DJANGO_ENV="staging"))
    assert result.returncode != 0
    assert "DJANGO_ENV must be one of development, production, test" in result.stderr


INSPECT_DEVELOPMENT_DEFAULTS = """
import json
import django
django.setup()
from django.conf import settings
from django.db import connection
with connection.cursor() as cursor:
    pragmas = {}
    for name in ("journal_mode", "foreign_keys", "busy_timeout"):
        cursor.execute(f"PRAGMA {name}")
        pragmas[name] = cursor.fetchone()[0]
print(json.dumps({
    "vendor": connection.vendor,
    "name": str(connection.settings_dict["NAME"]),
    "transaction_mode": connection.settings_dict["OPTIONS"].get("transaction_mode"),
    "pragmas": pragmas,
    "debug": settings.DEBUG,
    "broker": settings.CELERY_BROKER_URL,
    "result_backend": settings.CELERY_RESULT_BACKEND,
    "email_backend": settings.EMAIL_BACKEND,
}))
"""


def test_development_defaults_need_nothing_installed(tmp_path):
    """SQLite in the var dir with WAL, foreign keys and a busy timeout; filesystem broker."""
    result = run([PYTHON, "-c", INSPECT_DEVELOPMENT_DEFAULTS], clean_env(tmp_path))
    assert result.returncode == 0, result.stderr
    found = json.loads(result.stdout)

    assert found["vendor"] == "sqlite"
    assert found["name"] == str(tmp_path / "tre.sqlite3")
    assert found["pragmas"] == {"journal_mode": "wal", "foreign_keys": 1, "busy_timeout": 20000}
    # Writers take the lock at BEGIN, so two processes never deadlock upgrading a read lock.
    assert found["transaction_mode"] == "IMMEDIATE"
    assert found["debug"] is True
    assert found["broker"].startswith("filesystem://")
    assert found["result_backend"] == f"file://{tmp_path / 'results'}"
    assert found["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    assert (tmp_path / "broker" / "queue").is_dir()
