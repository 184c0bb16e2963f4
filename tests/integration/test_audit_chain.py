"""Tamper evidence: every event is chained to the one before it and sealed with the audit key,
and ``verify_audit`` names each break when someone with write access to the database goes
around the append-only triggers.

Each attack of the outside probe (docs/reliability.md) is reproduced as the table owner would
do it: a forged event with a correctly computed hash, an edited event with the rest of the
chain recomputed, the last event deleted, a whole chain deleted, TRUNCATE. Before the seals,
the head checks and the checkpoints, every one of them passed ``verify_audit``.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from core import audit_chain
from core.immutable import TRUNCATE_SETTING
from tests.factories import make_user
from tests.factories.access import accredit
from tests.factories.workflow import World
from workflow.audit import content_of, digest, verify_chain
from workflow.audit_check import write_checkpoint
from workflow.events import record_event
from workflow.models import Application, Event, State

pytestmark = pytest.mark.django_db

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the triggers exist on PostgreSQL only"
)


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def application(world) -> Application:
    # Far enough along the route for several events, from several actors.
    return world.at(State.INTERNAL_REVIEW)


@pytest.fixture
def checkpoints(settings, tmp_path):
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path / "checkpoints")
    return tmp_path / "checkpoints"


def tamper(sql: str, params: list | None = None, table: str = "workflow_event") -> None:
    """What the table owner could do: switch the triggers off, change history, switch on."""
    with connection.cursor() as cursor:
        # Django's foreign keys are deferred; ALTER TABLE refuses while checks are pending.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        if sql.startswith("DELETE FROM workflow_event"):
            # The stage visits the events opened point at them: the attacker removes those too.
            visits = "DELETE FROM workflow_stage_visit WHERE event_id IN (SELECT id FROM {})"
            cursor.execute(visits.format(sql.removeprefix("DELETE FROM ")), params or [])
        cursor.execute(sql, params or [])
        cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")


def run_as(role: str | None, *statements: str) -> None:
    """Run ``statements`` in a savepoint, as ``role`` when given; roll back on an error."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        if role:
            cursor.execute(f"SET LOCAL ROLE {role}")
        for statement in statements:
            cursor.execute(statement)


def breaks(capsys) -> str:
    """Run verify_audit, expect it to fail, and return what it printed."""
    with pytest.raises(CommandError, match=r"audit breaks") as failure:
        call_command("verify_audit")
    assert failure.value.returncode == 1
    return capsys.readouterr().err


def an_attackers_seal(hash_: str) -> str:
    """A seal made without the audit key: the right key id, any other key."""
    guess = hmac.new(b"not the key", f"workflow.event\x00{hash_}".encode(), hashlib.sha256)
    return f"{audit_chain.key_id(audit_chain.settings.AUDIT_KEY)}:{guess.hexdigest()}"


def forge_after(application: Application, reason: str) -> Event:
    """An event built exactly as record_event builds one, hash and all, but without the key."""
    head = application.events.order_by("-id").first()
    forged = Event(
        application=application,
        kind="edited",
        actor_name="Owain Ops",
        actor_role="ops",
        reason=reason,
        payload={},
        version=head.version,
        created_at=timezone.now(),
    )
    forged.prev_hash = head.hash
    forged.hash = digest(content_of(forged), forged.prev_hash)
    forged.mac = an_attackers_seal(forged.hash)
    return forged


def insert(event: Event) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workflow_event (application_id, kind, actor_name, actor_role, transition,"
            " from_state, to_state, reason, payload, version, created_at, prev_hash, hash, mac)"
            " VALUES (%s, %s, %s, %s, '', '', '', %s, '{}', %s, %s, %s, %s, %s)",
            [
                event.application_id,
                event.kind,
                event.actor_name,
                event.actor_role,
                event.reason,
                event.version,
                event.created_at,
                event.prev_hash,
                event.hash,
                event.mac,
            ],
        )


# --- the chain as written ------------------------------------------------------------------


def test_events_chain_and_seal_per_application(application):
    events = list(application.events.order_by("id"))
    assert len(events) >= 3
    assert events[0].prev_hash == ""
    for before, after in itertools.pairwise(events):
        assert after.prev_hash == before.hash
    for event in events:
        assert event.hash == digest(content_of(event), event.prev_hash)
        assert audit_chain.seal_problem("workflow.event", event.hash, event.mac) is None
    assert verify_chain(events) is None


def test_accreditation_and_grant_histories_are_chained_and_sealed(world):
    application = world.at(State.ACTIVE)
    grant = application.access_grants.first()
    accreditation = grant.person.accreditations.first()
    for events in (list(grant.events.order_by("id")), list(accreditation.events.order_by("id"))):
        assert events
        assert events[0].prev_hash == ""
        for before, after in itertools.pairwise(events):
            assert after.prev_hash == before.hash
        for event in events:
            assert event.mac.startswith(audit_chain.key_id(audit_chain.settings.AUDIT_KEY))


def test_verify_audit_passes_on_an_intact_log(world, application, checkpoints, capsys):
    world.at(State.ACTIVE)  # more applications, awards and grants: chains are independent
    call_command("verify_audit")
    write_checkpoint()
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "every link and seal intact, every head agrees" in out
    assert "against the checkpoint of" in out


# --- the naive attacks, still found ----------------------------------------------------------


@postgres_only
def test_verify_audit_names_an_edited_event(application, capsys):
    target = list(application.events.order_by("id"))[1]
    tamper("UPDATE workflow_event SET reason = 'rewritten' WHERE id = %s", [target.pk])
    err = breaks(capsys)
    assert f"altered: application {application.pk}, event {target.pk}: hash expected" in err
    assert f"found {target.hash}" in err
    assert err.count("BROKEN") == 1  # only the first break of a chain is named


@postgres_only
def test_verify_audit_names_the_link_after_a_deleted_event(application, capsys):
    events = list(application.events.order_by("id"))
    tamper("DELETE FROM workflow_event WHERE id = %s", [events[1].pk])
    err = breaks(capsys)
    assert f"broken_link: application {application.pk}, event {events[2].pk}" in err
    assert f"expected {events[0].hash}, found {events[1].hash}" in err


@postgres_only
def test_verify_audit_finds_a_hand_made_insert(application, capsys):
    # An INSERT is allowed by the trigger; without the right hashes it breaks the chain.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO workflow_event (application_id, kind, actor_name, actor_role, transition,"
            " from_state, to_state, reason, payload, created_at)"
            " VALUES (%s, 'approved', 'Someone', 'ops', '', '', '', '', '{}', now())",
            [application.pk],
        )
    assert "broken_link" in breaks(capsys)


# --- the probe's attacks, each caught -------------------------------------------------------


@postgres_only
def test_a_forged_event_with_a_correctly_computed_hash_is_found(application, capsys):
    forged = forge_after(application, "FORGED: access extended by phone")
    insert(forged)  # the trigger allows INSERT: no need even to switch it off
    err = breaks(capsys)
    assert f"forged: application {application.pk}" in err
    assert "its seal does not verify with the audit key" in err


@postgres_only
def test_an_edited_event_with_the_rest_of_the_chain_recomputed_is_found(application, capsys):
    events = list(application.events.order_by("id"))
    previous = events[0].hash
    for index, event in enumerate(events[1:], start=1):
        if index == 1:
            event.reason = "rewritten history"
        # Everything an attacker without the key can recompute: every hash after the edit.
        new_hash = digest(content_of(event) | {"reason": event.reason}, previous)
        tamper(
            "UPDATE workflow_event SET reason = %s, prev_hash = %s, hash = %s WHERE id = %s",
            [event.reason, previous, new_hash, event.pk],
        )
        previous = new_hash
    err = breaks(capsys)
    assert f"forged: application {application.pk}, event {events[1].pk}" in err


@postgres_only
def test_the_last_event_deleted_is_found_by_the_application_state(application, capsys):
    last = application.events.order_by("-id").first()
    assert last.to_state == application.state  # the move into internal review
    tamper("DELETE FROM workflow_event WHERE id = %s", [last.pk])
    err = breaks(capsys)
    assert f"state_mismatch: application {application.pk}" in err
    assert f"but the application is {application.state}" in err


@postgres_only
def test_the_last_event_deleted_is_found_against_the_checkpoint(world, checkpoints, capsys):
    # The last event is an edit of a draft: removing it leaves state and version agreeing, so
    # only the checkpoint, outside the database, can tell.
    application = world.draft()
    from workflow.route.services import application_update

    application_update(application=application, by=application.created_by, data={"title": "x"})
    write_checkpoint()
    last = application.events.order_by("-id").first()
    assert not last.to_state
    tamper("DELETE FROM workflow_event WHERE id = %s", [last.pk])
    err = breaks(capsys)
    assert f"truncated: application {application.pk}" in err
    assert "(events were removed from the end)" in err


@postgres_only
def test_a_whole_chain_deleted_is_found(world, application, checkpoints, capsys):
    other = world.draft()
    write_checkpoint()
    tamper("DELETE FROM workflow_event WHERE application_id = %s", [application.pk])
    err = breaks(capsys)
    assert f"missing_chain: application {application.pk}: it has no events at all" in err
    assert f"application {other.pk}" not in err


@postgres_only
def test_truncate_of_an_audit_table_is_refused(application):
    for table in ("workflow_event", "access_accreditationevent", "access_accessgrantevent"):
        # The tests' connections may flush (tests/conftest.py); an attacker's may not.
        with pytest.raises(DatabaseError, match="TRUNCATE refused"):
            run_as(None, f"SET LOCAL {TRUNCATE_SETTING} = off", f"TRUNCATE {table} CASCADE")
    assert application.events.exists()


@postgres_only
def test_truncate_with_the_trigger_switched_off_is_found(world, application, checkpoints, capsys):
    write_checkpoint()
    tamper("TRUNCATE workflow_event CASCADE")
    err = breaks(capsys)
    assert f"missing_chain: application {application.pk}" in err


@postgres_only
def test_history_rewritten_with_a_stolen_key_differs_from_the_checkpoint(
    application, checkpoints, capsys
):
    # Even someone who later obtains the key cannot rewrite what a checkpoint already sealed.
    write_checkpoint()
    events = list(application.events.order_by("id"))
    previous = ""
    for event in events:
        reason = "rewritten with the key" if event == events[0] else event.reason
        new_hash = digest(content_of(event) | {"reason": reason}, previous)
        tamper(
            "UPDATE workflow_event SET reason = %s, prev_hash = %s, hash = %s, mac = %s "
            "WHERE id = %s",
            [reason, previous, new_hash, audit_chain.seal("workflow.event", new_hash), event.pk],
        )
        previous = new_hash
    err = breaks(capsys)
    assert f"rewritten: application {application.pk}" in err


@postgres_only
def test_an_application_state_edited_around_the_services_is_found(application, capsys):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workflow_application SET state = 'approved' WHERE id = %s", [application.pk]
        )
    assert f"state_mismatch: application {application.pk}" in breaks(capsys)


@postgres_only
def test_an_application_version_edited_around_the_services_is_found(application, capsys):
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workflow_application SET current_version = 7 WHERE id = %s", [application.pk]
        )
    assert f"version_mismatch: application {application.pk}" in breaks(capsys)


@postgres_only
def test_forged_and_edited_accreditation_history_is_found(capsys):
    person = make_user("researcher")
    award = accredit(person, state="applied")
    event = award.events.get()
    tamper(
        "UPDATE access_accreditationevent SET to_state = 'accredited' WHERE id = %s",
        [event.pk],
        table="access_accreditationevent",
    )
    err = breaks(capsys)
    assert f"altered: accreditation {award.pk}, event {event.pk}" in err


@postgres_only
def test_an_accreditation_moved_without_its_event_is_found(capsys):
    award = accredit(make_user("researcher"), state="applied")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE access_accreditation SET state = 'accredited' WHERE id = %s", [award.pk]
        )
    assert f"state_mismatch: accreditation {award.pk}" in breaks(capsys)


@postgres_only
def test_an_access_grant_history_deleted_is_found(world, capsys):
    grant = world.at(State.ACTIVE).access_grants.first()
    tamper(
        "DELETE FROM access_accessgrantevent WHERE grant_id = %s",
        [grant.pk],
        table="access_accessgrantevent",
    )
    assert f"missing_chain: grant {grant.pk}" in breaks(capsys)


def test_an_edited_checkpoint_file_is_found(application, checkpoints, capsys):
    path = write_checkpoint()
    document = json.loads(path.read_text())
    document["chains"]["application"][str(application.pk)][0] = 1  # hide later events
    path.chmod(0o600)
    path.write_text(json.dumps(document))
    err = breaks(capsys)
    assert f"checkpoint_forged: checkpoint {path.name}" in err


@postgres_only
def test_no_checkpoint_is_written_of_a_broken_log(application, checkpoints, capsys):
    insert(forge_after(application, "forged"))
    with pytest.raises(CommandError, match="not sealing a broken log"):
        call_command("audit_checkpoint")
    assert "forged" in capsys.readouterr().err
    assert not list(checkpoints.glob("checkpoint-*.json"))


@pytest.mark.django_db(transaction=True)
def test_record_event_refuses_to_run_outside_a_transaction():
    # In autocommit there is no application lock to hold, so a chain could fork: refuse.
    application = World().draft()
    before = application.events.count()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        record_event(application=application, kind="edited", by=None, role="system")
    assert application.events.count() == before


# --- the app's database role ------------------------------------------------------------------


@postgres_only
def test_the_app_role_may_append_to_the_audit_but_not_change_or_empty_it(application):
    """deploy/bin/release grants the app's role (grant_app_role): here it is made inside the
    test's transaction (roles are transactional in PostgreSQL) and used with SET ROLE."""
    role = "tre_audit_test_app"
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE ROLE {role} NOLOGIN")
    call_command("grant_app_role", role)
    event = application.events.first()
    refused = [
        "UPDATE workflow_event SET reason = 'x' WHERE id = %s",
        "DELETE FROM workflow_event WHERE id = %s",
        "TRUNCATE workflow_event",
        "ALTER TABLE workflow_event DISABLE TRIGGER USER",
        "DROP TRIGGER workflow_event_append_only ON workflow_event",
        "UPDATE access_accreditationevent SET reason = 'x' WHERE id = %s",
        "TRUNCATE access_accessgrantevent",
    ]
    for sql in refused:
        # The trigger would refuse TRUNCATE too: switch it off to show the privilege holds.
        with pytest.raises(DatabaseError, match=r"permission denied|must be owner"):
            run_as(role, f"SET LOCAL {TRUNCATE_SETTING} = on", sql.replace("%s", str(event.pk)))
    # What the app needs: read everything, append events, write its other tables.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL ROLE {role}")
        cursor.execute("SELECT count(*) FROM workflow_event")
        cursor.execute(
            "UPDATE workflow_application SET title = title WHERE id = %s", [application.pk]
        )
        record_event(application=application, kind="edited", by=None, role="system")


@postgres_only
def test_the_hourly_task_seals_heads_when_configured(application, settings, tmp_path, capsys):
    from workflow.tasks import audit_checkpoint

    settings.AUDIT_CHECKPOINT_DIR = ""
    assert audit_checkpoint() == "not configured"
    settings.AUDIT_CHECKPOINT_DIR = str(tmp_path)
    written = audit_checkpoint()
    assert written.startswith(str(tmp_path))
    insert(forge_after(application, "forged"))
    assert audit_checkpoint() == "refused: 1 breaks"


@postgres_only
def test_an_affiliation_confirmed_without_its_event_or_with_an_edited_one_is_found(capsys):
    from access.identity import services as identity
    from tests.factories.access import OrganisationFactory, make_signatory

    organisation = OrganisationFactory()
    signatory = make_signatory(organisation)
    person = make_user("researcher", origin="registration")
    affiliation = identity.affiliation_request(person=person, organisation=organisation, by=person)
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE access_affiliation SET state = 'confirmed' WHERE id = %s", [affiliation.pk]
        )
    assert f"state_mismatch: affiliation {affiliation.pk}" in breaks(capsys)
    second = make_user("researcher", origin="registration")
    pending = identity.affiliation_request(person=second, organisation=organisation, by=second)
    identity.affiliation_confirm(affiliation=pending, by=signatory)
    event = pending.events.order_by("id").last()
    tamper(
        "UPDATE access_affiliationevent SET reason = 'forged' WHERE id = %s",
        [event.pk],
        table="access_affiliationevent",
    )
    assert f"altered: affiliation {pending.pk}, event {event.pk}" in breaks(capsys)
