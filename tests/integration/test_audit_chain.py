"""Tamper evidence: every event is chained to the one before it, and ``verify_audit`` names the
first broken link when someone goes around the append-only trigger."""

from __future__ import annotations

import itertools

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from tests.factories.workflow import World
from workflow.audit import content_of, digest, verify_chain
from workflow.events import record_event
from workflow.models import Application, State

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def application(world) -> Application:
    # Far enough along the route for several events, from several actors.
    return world.at(State.INTERNAL_REVIEW)


def tamper(sql: str, params: list) -> None:
    """What the table owner could do: switch the trigger off, change history, switch it on."""
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred; ALTER TABLE refuses while checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("ALTER TABLE workflow_event DISABLE TRIGGER workflow_event_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE workflow_event ENABLE TRIGGER workflow_event_append_only")


def verify(capsys) -> str:
    with pytest.raises(CommandError, match=r"1 of \d+ audit chains are broken") as failure:
        call_command("verify_audit")
    assert failure.value.returncode == 1
    return capsys.readouterr().err


def test_events_chain_per_application(application):
    events = list(application.events.order_by("id"))
    assert len(events) >= 3
    assert events[0].prev_hash == ""
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    for event in events:
        assert event.hash == digest(content_of(event), event.prev_hash)
    assert verify_chain(events) is None


def test_verify_audit_passes_on_an_intact_log(world, application, capsys):
    world.at(State.SCOPING)  # a second application: chains are independent
    call_command("verify_audit")
    assert "every link intact" in capsys.readouterr().out


@postgres_only
def test_verify_audit_names_an_edited_event(application, capsys):
    events = list(application.events.order_by("id"))
    target = events[1]
    tamper("UPDATE workflow_event SET reason = 'rewritten' WHERE id = %s", [target.pk])
    err = verify(capsys)
    assert f"application {application.pk}: event {target.pk} has a broken hash" in err
    assert f"found {target.hash}" in err
    # Only the first broken link of the chain is named.
    assert err.count("BROKEN") == 1


@postgres_only
def test_verify_audit_names_the_link_after_a_deleted_event(application, capsys):
    events = list(application.events.order_by("id"))
    tamper("DELETE FROM workflow_event WHERE id = %s", [events[1].pk])
    err = verify(capsys)
    assert f"event {events[2].pk} has a broken prev_hash" in err
    assert f"expected {events[0].hash}, found {events[1].hash}" in err


@postgres_only
def test_verify_audit_finds_a_forged_insert(application, capsys):
    # An INSERT is allowed by the trigger; without the right hashes it breaks the chain.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workflow_event (application_id, kind, actor_name, actor_role, transition,"
            " from_state, to_state, reason, payload, created_at, prev_hash, hash)"
            " VALUES (%s, 'approved', 'Someone', 'ops', '', '', '', '', '{}', now(), '', '')",
            [application.pk],
        )
    err = verify(capsys)
    assert "has a broken prev_hash" in err


@pytest.mark.django_db(transaction=True)
def test_record_event_refuses_to_run_outside_a_transaction():
    # In autocommit there is no application lock to hold, so a chain could fork: refuse.
    application = World().draft()
    before = application.events.count()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_event(application=application, kind="edited", by=None, role="system")
    assert application.events.count() == before
