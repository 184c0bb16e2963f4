"""API fuzzing with schemathesis: every operation of the OpenAPI schema, called anonymously and
as each role, with generated input (valid and not). Two checks on every answer: no 5xx, and the
answer matches the schema (status code documented, body of the documented shape).

Slow (thousands of requests), so it runs in CI's `.ci/run` after `make test`, with a bounded
number of examples per operation and role (``TRE_FUZZ_EXAMPLES``, default 5) and a fixed seed
(derandomised: the same run every time). Locally: ``TRE_FUZZ=1 .venv/bin/pytest
tests/api/test_fuzz.py``. The count of requests is written to test-artifacts/figures/.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.factories.workflow import World
from workflow.models import State

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(os.environ.get("TRE_FUZZ") != "1", reason="set TRE_FUZZ=1 (.ci/run)"),
]

EXAMPLES = int(os.environ.get("TRE_FUZZ_EXAMPLES", "5"))
ALL_ROLES = ("anonymous", "researcher", "analyst", "reviewer", "panel", "owner", "ops", "officer")
# Each operation × role costs about a second whatever the examples (strategy building), so CI
# runs four roles that between them reach every operation's allowed and refused paths;
# TRE_FUZZ_ROLES=all adds the other four.
ROLES = (
    ALL_ROLES
    if os.environ.get("TRE_FUZZ_ROLES") == "all"
    else ("anonymous", "researcher", "reviewer", "ops")
)
FIGURES = Path(os.environ.get("FIGURES_DIR", "test-artifacts/figures"))
COUNTS: dict[str, int] = {"requests": 0, "server_errors": 0}

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """One small TRE for the whole run, committed (building it per test would take most of
    the time), and flushed at the end like a TransactionTestCase does. Each test's own writes
    are rolled back with its transaction."""
    with django_db_blocker.unblock():
        # An interrupted run leaves its committed TRE behind: start from an empty database.
        call_command("flush", interactive=False, verbosity=0)
        world = World()
        world.at(State.IN_REVIEW)  # something to read, vote on and act on
        people = {
            "researcher": world.pi,
            "analyst": world.analyst,
            "reviewer": world.reviewer,
            "panel": world.panel,
            "owner": world.owner,
            "ops": world.ops,
            "officer": world.officer,
        }
        keys = {role: AuthToken.objects.create(user=user)[1] for role, user in people.items()}
    yield keys
    with django_db_blocker.unblock():
        call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    # The WSGI app runs in this thread on the test's connection, inside the test transaction;
    # Django's request signals would close that connection after each request (as the test
    # client avoids by disconnecting them too).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def teardown_module() -> None:
    FIGURES.mkdir(parents=True, exist_ok=True)
    (FIGURES / "fuzz.json").write_text(
        json.dumps(
            {
                **COUNTS,
                "operations": len(list(schema.get_all_operations())),
                "roles": len(ROLES),
                "max_examples": EXAMPLES,
            }
        )
    )


@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_api_answers_every_input_within_its_schema(case, role, tokens):
    headers = {} if role == "anonymous" else {"Authorization": f"Token {tokens[role]}"}
    response = case.call(headers=headers)
    COUNTS["requests"] += 1
    if response.status_code >= 500:
        COUNTS["server_errors"] += 1
    case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])
