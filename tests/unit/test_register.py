"""The register entry, decision records and outputs, written by the services that decide."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from tests.factories.access import accredit
from workflow.models import (
    DecisionRecord,
    Outcome,
    RegisterEntry,
    RegisterStatus,
    State,
)
from workflow.route import services as route_services
from workflow.transparency.services import project_output_add, register_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    from tests.factories.workflow import World

    return World()


def test_register_entry_approval_writes_public_fields_in_the_same_transaction(world):
    accredit(world.pi, "dea_full")
    app = world.at(State.APPROVED)
    entry = RegisterEntry.objects.get(application=app)
    assert entry.status == RegisterStatus.APPROVED
    assert entry.reference == app.reference
    assert entry.organisation == "Swansea University"
    assert entry.applicants == ["Priya Investigator", "Colin Colleague"]
    assert entry.lead_applicant_dea_accredited is True
    assert entry.title == app.title
    assert entry.datasets[0]["slug"] == "education"
    assert entry.datasets[0]["legal_gateway"].startswith("Public task")
    assert entry.other_approvals[0]["reference"] == "REC 24/WA/0001"
    assert entry.access_type == "TRE"
    assert entry.processing_environment
    assert entry.latest_approval_on is not None


def test_register_entry_follows_access_and_closure(world):
    app = world.at(State.ACTIVE)
    entry = RegisterEntry.objects.get(application=app)
    assert entry.status == RegisterStatus.ACTIVE
    assert entry.access_granted_on is not None
    route_services.application_close(application=app, by=world.ops)
    entry.refresh_from_db()
    assert entry.status == RegisterStatus.CLOSED
    assert entry.closed_on is not None
    assert entry.title  # a closed project stays on the register


def test_register_entry_declined_keeps_only_reference_organisation_status(world):
    app = world.at(State.REJECTED)
    entry = RegisterEntry.objects.get(application=app)
    assert entry.status == RegisterStatus.DECLINED
    assert entry.organisation == "Swansea University"
    assert entry.applicants == []
    assert entry.title == ""
    assert entry.lay_summary == ""
    assert entry.datasets == []
    assert entry.dataset_keys == ""
    assert entry.conditions == []


def test_register_entry_none_before_a_decision(world):
    app = world.at(State.IN_REVIEW)
    assert register_record(app) is None
    assert not RegisterEntry.objects.filter(application=app).exists()


def test_register_entry_panel_decline_is_declined(world):
    app = world.at(State.IN_REVIEW)
    for track in app.tracks.filter(superseded=False, state="open"):
        world.decide(track, Outcome.REJECTED, rationale="Secret panel reasoning")
    entry = RegisterEntry.objects.get(application=app)
    assert entry.status == RegisterStatus.DECLINED
    record = DecisionRecord.objects.get(application=app)
    assert record.outcome == Outcome.REJECTED
    assert record.tracks[0]["rationale"] == "Secret panel reasoning"


def test_decision_record_captures_tracks_safes_and_version(world):
    app = world.at(State.APPROVED)
    record = DecisionRecord.objects.get(application=app)
    assert record.version == app.current_version
    assert record.stage == State.IN_REVIEW
    assert record.outcome == Outcome.APPROVED
    assert {t["kind"] for t in record.tracks} == {"igrp", "owner_signoff"}
    assert set(record.five_safes) == {"people", "projects", "settings", "data", "outputs"}
    assert record.datasets == ["education"]
    assert record.dataset_keys == ",education,"
    assert record.purpose == "public_policy"


def test_decision_record_internal_review_rejection_has_its_reason(world):
    app = world.at(State.REJECTED)
    record = DecisionRecord.objects.get(application=app)
    assert record.stage == State.INTERNAL_REVIEW
    assert record.reason == "No benefit"
    assert record.tracks == []


def test_decision_record_is_immutable_in_code(world):
    record = DecisionRecord.objects.get(application=world.at(State.REJECTED))
    record.outcome = "approved"
    with pytest.raises(TypeError):
        record.save()
    with pytest.raises(TypeError):
        record.delete()
    with pytest.raises(TypeError):
        DecisionRecord.objects.filter(pk=record.pk).update(outcome="approved")
    with pytest.raises(TypeError):
        DecisionRecord.objects.filter(pk=record.pk).delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_decision_record_is_immutable_in_the_database(world):
    record = DecisionRecord.objects.get(application=world.at(State.REJECTED))
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "UPDATE workflow_decisionrecord SET outcome = 'approved' WHERE id = %s", [record.pk]
        )
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM workflow_decisionrecord WHERE id = %s", [record.pk])


def test_project_output_add_by_member_of_active_project(world):
    app = world.at(State.ACTIVE)
    output = project_output_add(
        application=app,
        by=world.colleague,
        kind="code",
        title="Analysis code",
        url="https://github.com/example/analysis",
    )
    assert output.added_by == world.colleague
    assert list(app.outputs.all()) == [output]


def test_project_output_add_refused_for_outsider_wrong_state_and_bad_input(world):
    app = world.at(State.ACTIVE)
    with pytest.raises(NotAllowed):
        project_output_add(
            application=app, by=world.outsider, kind="code", title="x", url="https://x.org"
        )
    with pytest.raises(ValidationFailed) as excinfo:
        project_output_add(application=app, by=world.pi, kind="poem", title=" ", url="ftp://x")
    assert set(excinfo.value.fields) == {"kind", "title", "url"}
    approved = world.at(State.APPROVED, title="Another project")
    with pytest.raises(InvalidTransition):
        project_output_add(
            application=approved, by=world.pi, kind="code", title="x", url="https://x.org"
        )
