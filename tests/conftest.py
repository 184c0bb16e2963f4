"""Shared fixtures, and what keeps parallel workers apart.

``scripts/test.sh`` runs pytest with pytest-xdist (``-n auto``). Each worker (gw0, gw1, ...)
gets its own:

- test database: pytest-django appends the worker's name (``test_test_gw0``; see
  ``django_db_modify_db_settings`` below), and the Celery workers the integration tests start
  are pointed at that database (``tests/support/integration.py``);
- ``TRE_VAR_DIR`` (uploads, the register CSV cache, the visa signing key, the filesystem
  broker): a subfolder ``xdist-gw0`` of the run's, given to the worker process before it reads
  the settings (``pytest_xdist_setupnodes`` below);
- Redis database index: the base index of ``TEST_REDIS_URL`` plus the worker's number plus one
  (``tests.processes.shared_redis_url``);
- ports: every server a test starts (live server, OIDC provider, webhook receiver, gunicorn,
  private Redis) binds a free port the system hands out, never a fixed one;
- Chromium: one per worker (the session-scoped ``browser`` fixture); the screenshots folder is
  emptied once per run, by the first worker to need it (``tests/functional/conftest.py``).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from rest_framework.test import APIClient


@pytest.fixture
def api_client() -> APIClient:
    return APIClient()


@pytest.fixture
def client_for():
    """An API client logged in as ``user`` (force-authenticated, session-less)."""

    def make(user) -> APIClient:
        client = APIClient()
        client.force_authenticate(user=user)
        return client

    return make


pytest_plugins = ["tests.catalogue_fixtures"]


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test runner empties every table between transactional tests with one TRUNCATE, which
    the audit tables refuse (``core.immutable.no_truncate_trigger_sql``) unless the session
    says it means it. The tests' own connections say so; the tests of the trigger open one
    that does not."""
    from django.conf import settings

    from core.immutable import TRUNCATE_SETTING

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        database.setdefault("OPTIONS", {})["options"] = f"-c {TRUNCATE_SETTING}=on"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Hashing a password properly takes ~0.2 s on purpose; factories make many users."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_login_lockout(settings):
    """django-axes needs the request at every ``authenticate``; the test client's ``login()``
    has none. Off by default; tests/unit/test_login_throttling.py switches it on."""
    settings.AXES_ENABLED = False


@pytest.fixture(autouse=True)
def _forecast_history_read_each_time(settings):
    """Production keeps the forecast's history for an hour (beat refreshes it); a test makes
    its history and asks at once, so the history is read again for every forecast here.
    tests/unit/test_stored_figures.py tests the keeping. So are the Turnaround page's counts of
    open work (kept five minutes; tests/pages/test_page_query_ceilings.py tests the keeping)."""
    settings.TURNAROUND_FORECAST_HISTORY_MAX_AGE = 0
    settings.TURNAROUND_LIVE_FIGURES_MAX_AGE = 0


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """Give each xdist worker a ``TRE_VAR_DIR`` of its own, a subfolder of the run's.

    The settings read ``TRE_VAR_DIR`` when pytest-django imports them, before any conftest of
    the worker runs, so the folder is set in the worker's environment as it starts (execnet
    applies a spec's ``env`` before the worker's first import). Two workers sharing one folder
    would share the register CSV cache (one prunes the other's files), uploads and the visa
    signing key (one half-writes it while the other reads it)."""
    base = Path(os.environ.get("TRE_VAR_DIR") or Path(__file__).resolve().parents[1] / "var")
    for number, spec in enumerate(specs):
        spec.env["TRE_VAR_DIR"] = str(base / f"xdist-gw{number}")


# The long tests first: the browser journeys and the tests that start processes take up to two
# minutes each; collected last (tests/functional, tests/integration) one worker finished them
# alone while the other sat idle for the last minutes of the run. Started first, the short
# tests fill in around them. Order within each group is kept; no test depends on another's.
_LONG_FIRST = ("tests/functional/", "tests/integration/")


def pytest_collection_modifyitems(config, items):
    def rank(item) -> int:
        path = str(item.path)
        return next((i for i, part in enumerate(_LONG_FIRST) if part in path), len(_LONG_FIRST))

    items.sort(key=rank)
