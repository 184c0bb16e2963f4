"""Role × state × transition: every person-takeable transition tried by every actor in every state.

The tables below are the specification. The transitions come from the API (``TRANSITIONS``)
and their source states from the state machine, so a new transition or state is covered, and a
new transition without a line in ``ALLOWED`` fails ``test_matrix_spec_covers_every_transition``.

Expected answer for each attempt:
- anonymous → 401;
- an actor who cannot see the application → 404;
- an actor allowed to take it, in one of its source states → 200 and the state moves;
- an actor allowed to take it, in any other state → 409 naming the current state;
- anyone else who can see it → 403.
Every refused attempt leaves the state and the event log as they were. Each attempt runs in a
savepoint that is rolled back, so every attempt starts from the same application.
"""

from __future__ import annotations

import contextlib

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from core.transitions import steps_of
from tests.factories.workflow import World
from workflow.models import Application, State
from workflow.reviews import services as reviews_services
from workflow.route import services as route_services
from workflow.route.api import TRANSITIONS

pytestmark = pytest.mark.django_db

ALL_STATES = frozenset(State)
MEMBERS = frozenset({"pi", "member"})

# Who may take each transition (the spec of the issue).
ALLOWED: dict[str, frozenset[str]] = {
    "submit": MEMBERS,
    "resubmit": MEMBERS,
    "withdraw": MEMBERS,
    "request_changes": frozenset({"analyst", "reviewer"}),
    "complete_scoping": frozenset({"analyst"}),
    "refer_to_panels": frozenset({"reviewer"}),
    "reject": frozenset({"reviewer"}),
    "grant_access": frozenset({"ops"}),
    "suspend": frozenset({"ops"}),
    "reinstate": frozenset({"ops"}),
    "close": frozenset({"ops"}),
}
# Where one transition serves several stages, who may take it at each of them. In any other
# state everyone in ALLOWED hears that the state is wrong (409).
BY_STAGE: dict[str, dict[str, frozenset[str]]] = {
    "request_changes": {
        State.SCOPING: frozenset({"analyst"}),
        State.INTERNAL_REVIEW: frozenset({"reviewer"}),
    },
}
# Who can see the application in each state (withdrawn and changes_requested are reached from
# scoping here, so a reviewer has never seen them; rejected is rejected at internal review).
REVIEWED = frozenset(
    {
        State.INTERNAL_REVIEW,
        State.IN_REVIEW,
        State.APPROVED,
        State.REJECTED,
        State.ACTIVE,
        State.SUSPENDED,
        State.CLOSED,
    }
)
VISIBLE_IN: dict[str, frozenset[str]] = {
    "pi": ALL_STATES,
    "member": ALL_STATES,
    "outsider": frozenset(),
    "analyst": ALL_STATES - {State.DRAFT},  # assigned on submission
    "other_analyst": frozenset(),
    "reviewer": REVIEWED,
    # From the moment their panel has a track on it, for good: a panel keeps sight of what it
    # decided (read-only once the track is closed).
    "panel": frozenset(
        {State.IN_REVIEW, State.APPROVED, State.ACTIVE, State.SUSPENDED, State.CLOSED}
    ),
    "owner": ALL_STATES - {State.DRAFT},
    "ops": ALL_STATES,
}
ACTORS = [*VISIBLE_IN, "anonymous"]

# Valid input for each transition, so an allowed attempt in the right state succeeds.
INPUT: dict[str, dict] = {
    "request_changes": {"items": [{"section": "data", "text": "Drop the grade variable."}]},
    "reject": {"reason": "Not in the public interest."},
    "suspend": {"reason": "A breach of the data access agreement."},
}


def sources(name: str) -> frozenset[str]:
    field = Application._meta.get_field("state")
    return frozenset(t.source for t in field.get_all_transitions(Application) if t.name == name)


def allowed(actor: str, name: str, state: str) -> bool:
    stages = BY_STAGE.get(name, {})
    return actor in (stages[state] if state in stages else ALLOWED[name])


def expected_status(actor: str, name: str, state: str) -> int:
    if actor == "anonymous":
        return 401
    if state not in VISIBLE_IN[actor]:
        return 404
    if not allowed(actor, name, state):
        return 403
    return 200 if state in sources(name) else 409


def expected_target(application: Application, name: str) -> str:
    if name == "resubmit":
        return application.changes_requested_from
    field = Application._meta.get_field("state")
    (target,) = {
        t.target
        for t in field.get_all_transitions(Application)
        if t.name == name and t.source == application.state
    }
    return target


def ready(world: World, state: str) -> Application:
    """The application in ``state``, with the content every transition out of it needs."""
    application = world.at(state)
    if state == State.SCOPING:
        route_services.scoping_update(
            application=application,
            by=world.analyst,
            data={"feasible": True, "scoped_variables": [world.year, world.grade]},
        )
    if state == State.CHANGES_REQUESTED:
        for item in application.feedback_requests.get().items.all():
            reviews_services.feedback_item_respond(item=item, by=world.pi, response="Done.")
    return Application.objects.get(pk=application.pk)


class _Rollback(Exception):
    """Raised to undo one attempt."""


def test_matrix_spec_covers_every_transition():
    person_takeable = {step.name for step in steps_of(Application) if not step.system}
    assert set(TRANSITIONS) == person_takeable
    assert set(ALLOWED) == set(TRANSITIONS)
    for name, (serializer, _) in TRANSITIONS.items():
        assert serializer(data=INPUT.get(name, {})).is_valid(), name
    assert len(ACTORS) * len(TRANSITIONS) * len(State) > 1000


@pytest.mark.parametrize("state", list(State))
def test_permission_matrix_every_actor_and_transition_in_state(state, client_for):
    world = World()
    application = ready(world, state)
    assert application.state == state
    users = {
        "pi": world.pi,
        "member": world.colleague,
        "outsider": world.outsider,
        "analyst": world.analyst,
        "other_analyst": world.analyst2,
        "reviewer": world.reviewer,
        "panel": world.panel,
        "owner": world.owner,
        "ops": world.ops,
    }
    if state != State.DRAFT:
        assert application.analyst == world.analyst
    clients = {actor: client_for(user) for actor, user in users.items()}
    clients["anonymous"] = APIClient()
    base = f"/api/v1/applications/{application.pk}/"
    events_before = application.events.count()

    mismatches: list[str] = []
    checked = 0
    for actor in ACTORS:
        client = clients[actor]
        expected_available = set()
        for name in TRANSITIONS:
            want = expected_status(actor, name, state)
            if want == 200:
                expected_available.add(name)
            with contextlib.suppress(_Rollback), transaction.atomic():
                response = client.post(
                    base + name.replace("_", "-") + "/", INPUT.get(name, {}), format="json"
                )
                after = Application.objects.get(pk=application.pk)
                new_events = list(after.events.all()[events_before:])
                checked += 1
                problem = _check(response, want, application, after, new_events, name)
                if problem:
                    mismatches.append(f"{actor} {name} in {state}: {problem}")
                raise _Rollback
        # The list of what the caller may do now agrees with the matrix.
        listed = client.get(base + "transitions/")
        if actor == "anonymous" or state not in VISIBLE_IN[actor]:
            if listed.status_code != (401 if actor == "anonymous" else 404):
                mismatches.append(f"{actor} transitions/ in {state}: {listed.status_code}")
        elif {t["name"] for t in listed.json()} != expected_available:
            mismatches.append(
                f"{actor} transitions/ in {state}: {sorted(t['name'] for t in listed.json())}"
                f" != {sorted(expected_available)}"
            )

    assert not mismatches, f"{len(mismatches)} of {checked} cases wrong:\n" + "\n".join(mismatches)
    assert checked == len(ACTORS) * len(TRANSITIONS)
    assert Application.objects.get(pk=application.pk).state == state


def _check(response, want, before, after, new_events, name) -> str | None:
    got = response.status_code
    if got != want:
        return f"expected {want}, got {got} {response.content[:300]!r}"
    if want == 200:
        target = expected_target(before, name)
        if response.json()["state"] != target or after.state != target:
            return f"state {after.state}, expected {target}"
        moves = [e for e in new_events if e.transition]
        if len(moves) != 1 or moves[0].transition != name or moves[0].to_state != target:
            return f"events {[(e.kind, e.transition) for e in new_events]}"
        return None
    body = response.json()
    if not {"code", "detail", "fields"} <= set(body):
        return f"error shape {body}"
    if want == 409 and body.get("current_state") != before.state:
        return f"409 without the current state: {body}"
    if after.state != before.state or new_events:
        return f"a refused attempt changed things: {after.state}, {len(new_events)} events"
    return None
