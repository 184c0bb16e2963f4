"""The audit trail: append-only in code and in PostgreSQL, one event per state change."""

from __future__ import annotations

import itertools

import pytest
from django.db import DatabaseError, connection, transaction
from django.db.models import ProtectedError

from tests.factories.workflow import World
from workflow.models import Application, Event, State, TrackKind
from workflow.reviews import services as reviews_services
from workflow.route import services as route_services

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


@pytest.fixture
def world():
    return World()


@pytest.fixture
def event(world) -> Event:
    application = world.at(State.SCOPING)
    return application.events.get(transition="submit")


def unchanged(event: Event) -> bool:
    fresh = Event.objects.get(pk=event.pk)
    return (fresh.reason, fresh.kind, fresh.actor_id) == (event.reason, event.kind, event.actor_id)


def test_event_save_of_an_existing_row_raises(event):
    event.reason = "rewritten history"
    with pytest.raises(TypeError, match="append-only"):
        event.save()
    assert Event.objects.get(pk=event.pk).reason == ""


def test_event_delete_raises(event):
    with pytest.raises(TypeError, match="append-only"):
        event.delete()
    assert Event.objects.filter(pk=event.pk).exists()


@pytest.mark.parametrize(
    "change",
    [
        lambda qs: qs.update(reason="x"),
        lambda qs: qs.delete(),
        lambda qs: Event.objects.bulk_update(list(qs), ["reason"]),
        lambda qs: Event.objects.update_or_create(pk=qs.get().pk, defaults={"reason": "x"}),
    ],
    ids=["update", "delete", "bulk_update", "update_or_create"],
)
def test_event_queryset_refuses_bulk_changes(event, change):
    # bulk_update runs in a savepoint-less atomic block: keep the test's transaction usable.
    with pytest.raises(TypeError, match="append-only"), transaction.atomic():
        change(Event.objects.filter(pk=event.pk))
    assert unchanged(event)


def test_application_with_an_audit_trail_cannot_be_deleted(event):
    with pytest.raises(ProtectedError):
        event.application.delete()
    assert Event.objects.filter(pk=event.pk).exists()


@postgres_only
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE workflow_event SET reason = 'x'",
        "UPDATE workflow_event SET reason = 'x' WHERE id = %s",
        "DELETE FROM workflow_event",
        "DELETE FROM workflow_event WHERE id = %s",
    ],
)
def test_raw_sql_changes_are_refused_by_the_trigger(event, sql):
    params = [event.pk] if "%s" in sql else []
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql, params)
    assert unchanged(event)
    assert Event.objects.count() > 1


@postgres_only
def test_raw_sql_insert_is_allowed(event):
    before = Event.objects.count()
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workflow_event (application_id, kind, actor_name, actor_role, transition,"
            " from_state, to_state, reason, payload, created_at)"
            " VALUES (%s, 'edited', 'Someone', 'member', '', '', '', '', '{}', now())",
            [event.application_id],
        )
    assert Event.objects.count() == before + 1


# --- one event per state change ------------------------------------------------------------


class Recorder:
    """Runs each step and checks the one state-change event it must write."""

    def __init__(self, application: Application):
        self.application = application
        self.checked: list[str] = []

    def step(self, name: str, run, *, by, role: str, actor=None) -> Event:
        before_state = Application.objects.get(pk=self.application.pk).state
        seen = set(Event.objects.filter(application=self.application).values_list("pk", flat=True))
        run()
        after_state = Application.objects.get(pk=self.application.pk).state
        new = Event.objects.filter(application=self.application).exclude(pk__in=seen)
        moves = [e for e in new if e.from_state or e.to_state or e.transition]
        assert len(moves) == 1, (name, [(e.kind, e.transition) for e in new])
        (event,) = moves
        actor = actor or by
        assert (event.transition, event.from_state, event.to_state) == (
            name,
            before_state,
            after_state,
        )
        assert before_state != after_state
        assert event.actor == actor
        assert event.actor_name == actor.full_name
        assert event.actor_role == role
        assert event.created_at is not None
        self.checked.append(name)
        return event


def answer(world, application):
    request = application.feedback_requests.get(resolved_at__isnull=True)
    for item in request.items.all():
        reviews_services.feedback_item_respond(item=item, by=world.colleague, response="Done.")


def test_each_state_change_writes_exactly_one_event_with_who_and_how(world):
    app = world.draft()
    rec = Recorder(app)
    item = [{"section": "data", "text": "Fewer variables."}]
    rec.step(
        "submit",
        lambda: route_services.application_submit(application=app, by=world.pi),
        by=world.pi,
        role="member",
    )
    rec.step(
        "request_changes",
        lambda: route_services.application_request_changes(
            application=app, by=world.analyst, items=item
        ),
        by=world.analyst,
        role="analyst",
    )
    answer(world, app)
    rec.step(
        "resubmit",
        lambda: route_services.application_resubmit(application=app, by=world.colleague),
        by=world.colleague,
        role="member",
    )
    route_services.scoping_update(
        application=app,
        by=world.analyst,
        data={"feasible": True, "scoped_variables": [world.year, world.grade]},
    )
    rec.step(
        "complete_scoping",
        lambda: route_services.application_complete_scoping(application=app, by=world.analyst),
        by=world.analyst,
        role="analyst",
    )
    rec.step(
        "request_changes",
        lambda: route_services.application_request_changes(
            application=app, by=world.reviewer, items=item
        ),
        by=world.reviewer,
        role="reviewer",
    )
    answer(world, app)
    rec.step(
        "resubmit",
        lambda: route_services.application_resubmit(application=app, by=world.pi),
        by=world.pi,
        role="member",
    )
    rec.step(
        "refer_to_panels",
        lambda: route_services.application_refer_to_panels(application=app, by=world.reviewer),
        by=world.reviewer,
        role="reviewer",
    )
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    world.decide(igrp, "approved")
    assert Application.objects.get(pk=app.pk).state == State.IN_REVIEW
    owner_track = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    # The combined outcome is the system's, on behalf of whoever decided last.
    rec.step(
        "approve",
        lambda: reviews_services.review_track_decide(
            track=owner_track, by=world.owner, outcome="approved"
        ),
        by=world.owner,
        role="system",
    )
    world.sign_agreement(app)  # before access: the team and the signatory accept the agreement
    for name, role in (
        ("grant_access", "ops"),
        ("suspend", "ops"),
        ("reinstate", "ops"),
        ("close", "ops"),
    ):
        call = getattr(route_services, f"application_{name}")
        kwargs = {"reason": "Breach."} if name == "suspend" else {}
        rec.step(
            name,
            lambda call=call, kwargs=kwargs: call(application=app, by=world.ops, **kwargs),
            by=world.ops,
            role=role,
        )
    assert len(rec.checked) == 12
    # The trail reads as the route: every state change is in it, in order.
    moves = app.events.exclude(transition="").values_list("from_state", "to_state")
    chain = [m[0] for m in moves] + [moves.last()[1]]
    assert chain[0] == State.DRAFT
    assert chain[-1] == State.CLOSED
    assert all(a[1] == b[0] for a, b in itertools.pairwise(moves))


def test_reject_and_withdraw_write_one_event_each(world):
    rejected = world.at(State.INTERNAL_REVIEW)
    event = Recorder(rejected).step(
        "reject",
        lambda: route_services.application_reject(
            application=rejected, by=world.reviewer, reason="No benefit."
        ),
        by=world.reviewer,
        role="reviewer",
    )
    assert event.reason == "No benefit."
    withdrawn = world.at(State.SCOPING)
    Recorder(withdrawn).step(
        "withdraw",
        lambda: route_services.application_withdraw(application=withdrawn, by=world.colleague),
        by=world.colleague,
        role="member",
    )
