"""API fuzzing with schemathesis: every operation of the OpenAPI schema, called anonymously and
as each role, with generated input (valid and not), and then chains of calls that follow the
links between operations (stateful testing). Four checks on every answer: no 5xx, a status
code the operation documents, the content type it documents, and a body of the documented
shape.

Random ids almost never exist, so a fuzzer alone mostly meets 404s: here every path parameter
is drawn from the real objects of a small TRE as often as from the generator (applications in
several states, their tracks, feedback items, conditions and versions, panels, datasets…), and
the stateful run carries the ids one answer gives into the next call (links drf-spectacular's
schema lets schemathesis infer: a list's ``id`` into ``/{id}/``).

Slow (thousands of requests), so it runs in CI's `.ci/run` (scripts/slow-tests.sh) after
`make test`, with a bounded number of examples per operation and role (``TRE_FUZZ_EXAMPLES``,
default 5) and a fixed seed (derandomised: the same run every time). Locally: ``TRE_FUZZ=1
.venv/bin/pytest tests/api/test_fuzz.py``. Counts go to test-artifacts/figures/fuzz.json.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from knox.models import AuthToken
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from access.models import Accreditation, Organisation
from catalogue.models import Variable
from notifications.models import Notification
from tests.factories.catalogue import make_category
from tests.factories.workflow import World
from workflow.models import (
    Condition,
    FeedbackItem,
    PanelMembership,
    RegisterEntry,
    ReviewTrack,
    State,
)

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(os.environ.get("TRE_FUZZ") != "1", reason="set TRE_FUZZ=1 (.ci/run)"),
]

EXAMPLES = int(os.environ.get("TRE_FUZZ_EXAMPLES", "5"))
SCENARIOS = int(os.environ.get("TRE_FUZZ_SCENARIOS", "25"))
ALL_ROLES = ("anonymous", "researcher", "analyst", "reviewer", "panel", "owner", "ops", "officer")
# Each operation × role costs about a second whatever the examples (strategy building), so CI
# runs four roles that between them reach every operation's allowed and refused paths;
# TRE_FUZZ_ROLES=all adds the other four.
ROLES = (
    ALL_ROLES
    if os.environ.get("TRE_FUZZ_ROLES") == "all"
    else ("anonymous", "researcher", "reviewer", "ops")
)
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
FIGURES = Path(os.environ.get("FIGURES_DIR", "test-artifacts/figures"))
COUNTS: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()

schema = schemathesis.openapi.from_dict(SchemaGenerator().get_schema(request=None, public=True))
schema.app = get_wsgi_application()

# (the path up to its first parameter, the parameter) → ids of real objects, filled by the
# fixture below once the TRE exists.
REAL: dict[tuple[str, str], list] = {}


def _prefix(path: str) -> str:
    return path.split("{", 1)[0]


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    """Each path parameter: the generated value, or one of the real objects' ids."""
    if context.operation is None or not path_parameters:
        return st.just(path_parameters)
    prefix = _prefix(context.operation.path)
    return st.fixed_dictionaries(
        {
            name: st.sampled_from([*REAL.get((prefix, name), []), value])
            for name, value in path_parameters.items()
        }
    )


@pytest.fixture(scope="module")
def tokens(django_db_setup, django_db_blocker):
    """One small TRE for the whole run, committed (building it per test would take most of
    the time), and flushed at the end like a TransactionTestCase does. Each test's own writes
    are rolled back with its transaction."""
    with django_db_blocker.unblock():
        # An interrupted run leaves its committed TRE behind: start from an empty database.
        call_command("flush", interactive=False, verbosity=0)
        world = World()
        reviewed = world.at(State.IN_REVIEW)  # something to read, vote on and act on
        changes = world.at(State.CHANGES_REQUESTED)  # feedback to answer
        active = world.at(State.ACTIVE)  # conditions, grants, a register entry
        draft = world.draft()  # something to edit
        category = make_category(dataset=world.dataset, by=world.owner)
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
        REAL.update(
            {
                ("/api/v1/applications/", "id"): [a.pk for a in (reviewed, changes, active, draft)],
                ("/api/v1/applications/", "item_id"): list(
                    FeedbackItem.objects.values_list("pk", flat=True)
                ),
                ("/api/v1/applications/", "condition_id"): list(
                    Condition.objects.values_list("pk", flat=True)[:5]
                ),
                ("/api/v1/applications/", "number"): [1],
                ("/api/v1/review-tracks/", "id"): list(
                    ReviewTrack.objects.values_list("pk", flat=True)[:5]
                ),
                ("/api/v1/panels/", "id"): [world.igrp.pk, world.dea_panel.pk],
                ("/api/v1/panels/", "membership_id"): list(
                    PanelMembership.objects.values_list("pk", flat=True)[:3]
                ),
                ("/api/v1/datasets/", "slug"): [world.dataset.slug],
                ("/api/v1/variables/", "id"): list(Variable.objects.values_list("pk", flat=True)),
                ("/api/v1/organisations/", "slug"): list(
                    Organisation.objects.values_list("slug", flat=True)[:3]
                ),
                ("/api/v1/pre-approved-categories/", "id"): [category.pk],
                ("/api/v1/pre-approved-categories/", "version"): [1],
                ("/api/v1/register/", "reference"): list(
                    RegisterEntry.objects.values_list("reference", flat=True)
                ),
                ("/api/v1/notifications/", "id"): list(
                    Notification.objects.filter(recipient=world.pi).values_list("pk", flat=True)[:3]
                ),
                ("/api/v1/accreditations/", "id"): list(
                    Accreditation.objects.values_list("pk", flat=True)[:3]
                ),
                ("/api/v1/access-grants/", "id"): list(
                    active.access_grants.values_list("pk", flat=True)
                ),
                ("/api/v1/agreements/", "version"): [world.agreement.version],
                ("/api/v1/stage-targets/", "stage"): ["scoping", "internal_review"],
            }
        )
    yield keys
    REAL.clear()
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
                "statuses": {str(code): n for code, n in sorted(STATUSES.items())},
                "operations": len(list(schema.get_all_operations())),
                "roles": len(ROLES),
                "max_examples": EXAMPLES,
                "stateful_scenarios_per_role": SCENARIOS,
            }
        )
    )


def headers_for(role: str, tokens: dict[str, str]) -> dict[str, str]:
    return {} if role == "anonymous" else {"Authorization": f"Token {tokens[role]}"}


def count(response, kind: str) -> None:
    COUNTS[f"{kind}_requests"] += 1
    STATUSES[response.status_code] += 1
    if response.status_code >= 500:
        COUNTS["server_errors"] += 1


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
    response = case.call(headers=headers_for(role, tokens))
    count(response, "stateless")
    case.validate_response(response, checks=CHECKS)


@pytest.mark.parametrize("role", ROLES)
def test_chains_of_calls_answer_within_the_schema(role, tokens):
    """Stateful: scenarios of linked calls (create an application, read it, edit it, take a
    transition, read its timeline…) as one role, each answer checked like the ones above."""

    class Workflow(schema.as_state_machine()):
        def get_call_kwargs(self, case):
            return {"headers": headers_for(role, tokens)}

        def validate_response(self, response, case, additional_checks=None, **kwargs):
            count(response, "stateful")
            case.validate_response(response, checks=CHECKS)

    Workflow.run(
        settings=settings(
            max_examples=SCENARIOS,
            stateful_step_count=6,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
    )
