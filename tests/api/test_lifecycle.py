"""A project's life after access through the API (issue 20, part B): a progress report falls due
on the anniversary of access, is asked for more in one consolidated round and accepted; a report
overdue past the grace period suspends the project automatically and accepting it reinstates
it; the close-out with the destruction attestation is countersigned by the lead organisation's
signatory and the project closes. Who may see and do what is a matrix."""

from __future__ import annotations

import datetime

import pytest

from access.models import AccessGrant, GrantState
from tests.factories import make_user
from tests.support.lifecycle import ANSWERS, Project
from workflow.lifecycle.selectors import scope_growth_blocked
from workflow.lifecycle.services import lifecycle_sweep
from workflow.models import (
    Closure,
    ClosureEvent,
    LifecycleSettings,
    ProgressReport,
    ReportEvent,
    State,
)

pytestmark = pytest.mark.django_db

REPORTS = "/api/v1/progress-reports/"
CLOSURES = "/api/v1/closures/"


@pytest.fixture
def p() -> Project:
    return Project()


def rep(report_id: int, tail: str = "") -> str:
    return f"{REPORTS}{report_id}/{tail}"


def clo(closure_id: int, tail: str = "") -> str:
    return f"{CLOSURES}{closure_id}/{tail}"


def test_a_report_falls_due_on_the_anniversary_of_access(p):
    assert lifecycle_sweep(today=p.day(-31))["reports_opened"] == 0
    assert lifecycle_sweep(today=p.day(-30))["reports_opened"] == 1
    assert lifecycle_sweep(today=p.day(-30))["reports_opened"] == 0  # idempotent
    report = ProgressReport.objects.get(application=p.project)
    assert (report.number, report.due_on, report.state) == (1, p.first_due, "due")


def test_submit_ask_for_more_in_one_round_then_accept(p, client_for):
    report = p.first_report()
    pi, colleague, ops = client_for(p.pi), client_for(p.colleague), client_for(p.ops)

    # The team sees its report; what is missing is named field by field.
    body = pi.get(rep(report.pk)).json()
    assert body["state"] == "due"
    assert body["actions"] == ["submit"]
    refused = pi.post(rep(report.pk, "submit/"), {"outputs": ""}, format="json")
    assert refused.status_code == 400
    assert set(refused.json()["fields"]) == {
        "outputs",
        "team_changes",
        "incidents",
        "data_still_needed",
    }
    body = colleague.post(rep(report.pk, "submit/"), ANSWERS, format="json").json()
    assert body["state"] == "submitted"
    assert body["round"] == 1

    # Ops ask for more: every point at once.
    assert (
        ops.post(rep(report.pk, "request-more/"), {"points": []}, format="json").status_code == 400
    )
    body = ops.post(
        rep(report.pk, "request-more/"),
        {"points": ["Which paper?", "Give its DOI."]},
        format="json",
    ).json()
    assert body["state"] == "more_requested"
    assert body["rounds"][0]["points"] == ["Which paper?", "Give its DOI."]

    # Every point must be answered.
    short = pi.post(
        rep(report.pk, "resubmit/"), {**ANSWERS, "point_answers": ["Lancet"]}, format="json"
    )
    assert short.status_code == 400
    assert "point_answers" in short.json()["fields"]
    body = pi.post(
        rep(report.pk, "resubmit/"),
        {**ANSWERS, "point_answers": ["Lancet PH", "10.1000/xyz"]},
        format="json",
    ).json()
    assert body["state"] == "submitted"
    assert body["round"] == 2

    body = ops.post(rep(report.pk, "accept/"), {}, format="json").json()
    assert body["state"] == "accepted"
    # Accepted twice: the state says no.
    again = ops.post(rep(report.pk, "accept/"), {}, format="json")
    assert again.status_code == 409
    transitions = list(
        ReportEvent.objects.filter(report=report).values_list("transition", flat=True)
    )
    assert transitions == ["open", "submit", "request_more", "resubmit", "accept"]


def test_overdue_past_grace_suspends_and_acceptance_reinstates(p, client_for):
    report = p.first_report()
    grace = LifecycleSettings.current().grace_days
    assert lifecycle_sweep(today=p.day(grace))["suspended"] == 0  # still within the grace
    assert scope_growth_blocked(p.refresh()) is None
    assert lifecycle_sweep(today=p.day(grace + 1))["suspended"] == 1
    assert lifecycle_sweep(today=p.day(grace + 2))["suspended"] == 0  # once
    project = p.refresh()
    assert project.state == State.SUSPENDED
    assert set(AccessGrant.objects.filter(application=project).values_list("state", flat=True)) == {
        GrantState.SUSPENDED
    }
    reason = scope_growth_blocked(project)
    assert reason is not None
    assert "progress report 1" in reason
    last = project.events.order_by("-id").first()
    assert (last.transition, last.actor_role, last.actor_id) == ("suspend", "system", None)

    # Suspended for the report, the project cannot be amended into a larger scope (the
    # amendments ask workflow.lifecycle once: amendments/policies.py::check_scope_growth).
    pi, ops = client_for(p.pi), client_for(p.ops)
    amendments = f"/api/v1/applications/{project.pk}/amendments/"
    longer = {
        "changes": [
            {
                "type": "extend_end_date",
                "end_date": (project.end_date + datetime.timedelta(days=90)).isoformat(),
            }
        ],
        "reason": "The cohort needs another quarter.",
    }
    refused = pi.post(amendments, longer, format="json")
    assert refused.status_code == 409, refused.json()
    assert "progress report 1" in refused.json()["detail"]
    assert not project.amendments.exists()

    # The team can still report while suspended; accepting reinstates.
    assert pi.post(rep(report.pk, "submit/"), ANSWERS, format="json").status_code == 200
    assert scope_growth_blocked(p.refresh()) is not None  # submitted is not accepted
    assert ops.post(rep(report.pk, "accept/"), {}, format="json").status_code == 200
    project = p.refresh()
    assert project.state == State.ACTIVE
    assert scope_growth_blocked(project) is None
    assert set(AccessGrant.objects.filter(application=project).values_list("state", flat=True)) == {
        GrantState.ACTIVE
    }
    # Reinstated, the same extension may be asked for.
    assert pi.post(amendments, longer, format="json").status_code == 201


def test_a_project_suspended_by_ops_is_not_blocked_by_a_report(p):
    from workflow.route import services as route_services

    route_services.application_suspend(application=p.project, by=p.ops, reason="Breach")
    assert scope_growth_blocked(p.refresh()) is None


def test_the_igrp_accepts_reports_when_ops_set_it_so(p, client_for):
    report = p.first_report()
    client_for(p.pi).post(rep(report.pk, "submit/"), ANSWERS, format="json")
    ops = client_for(p.ops)
    body = ops.put("/api/v1/lifecycle-settings/", {"accepted_by": "igrp"}, format="json").json()
    assert body["accepted_by"] == "igrp"
    refused = ops.post(rep(report.pk, "accept/"), {}, format="json")
    assert refused.status_code == 403
    assert "Independent Governance Review Panel" in refused.json()["detail"]
    assert client_for(p.panel).post(rep(report.pk, "accept/"), {}, format="json").status_code == 200


def test_settings_are_ops_data_with_checked_input(p, client_for):
    ops = client_for(p.ops)
    body = ops.get("/api/v1/lifecycle-settings/").json()
    assert body["report_period_months"] == 12
    assert body["grace_days"] == 30
    assert body["report_reminder_days"] == "30,14,1"
    assert body["renewal_reminder_days"] == "90,30,14"
    bad = ops.put(
        "/api/v1/lifecycle-settings/",
        {"grace_days": 400, "renewal_reminder_days": "ninety"},
        format="json",
    )
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"grace_days", "renewal_reminder_days"}
    unknown = ops.put("/api/v1/lifecycle-settings/", {"period": 6}, format="json")
    assert unknown.status_code == 400
    assert unknown.json()["fields"] == {"period": ["Not a field of this resource."]}
    assert client_for(p.pi).get("/api/v1/lifecycle-settings/").status_code == 403
    assert (
        client_for(p.pi).put("/api/v1/lifecycle-settings/", {"grace_days": 1}, format="json")
    ).status_code == 403


def _closure(p, client_for) -> int:
    response = client_for(p.pi).post(CLOSURES, {"application": p.project.pk}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["id"]


CLOSE_OUT = {
    "outputs": "Final report - https://example.org/final-report\nA talk at a conference",
    "destruction_attested": True,
    "destruction_details": "The extract on the lab laptop was securely erased.",
    "destroyed_on": "2026-11-30",
}


def test_closure_countersigned_by_the_signatory_closes_the_project(p, client_for):
    closure_id = _closure(p, client_for)
    pi, signatory, ops = client_for(p.pi), client_for(p.signatory), client_for(p.ops)

    # The form can be saved as it is written (a date in the future is refused).
    saved = pi.patch(clo(closure_id), {"outputs": "Final report"}, format="json")
    assert saved.json()["outputs"] == "Final report"
    future = pi.patch(clo(closure_id), {"destroyed_on": "2099-01-01"}, format="json")
    assert future.status_code == 400
    assert "destroyed_on" in future.json()["fields"]
    # Without the attestation the form is refused, naming what is missing.
    refused = pi.post(clo(closure_id, "submit/"), {"outputs": "x"}, format="json")
    assert refused.status_code == 400
    assert "destruction_attested" in refused.json()["fields"]
    # The signatory sees nothing until it is submitted.
    assert signatory.get(clo(closure_id)).status_code == 404

    body = pi.post(clo(closure_id, "submit/"), CLOSE_OUT, format="json").json()
    assert body["state"] == "submitted"
    assert signatory.get(clo(closure_id)).json()["actions"] == ["countersign", "send_back"]

    # Sent back, answered, then countersigned.
    assert (
        signatory.post(clo(closure_id, "send-back/"), {"reason": ""}, format="json").status_code
        == 400
    )
    body = signatory.post(
        clo(closure_id, "send-back/"), {"reason": "Say which laptop."}, format="json"
    ).json()
    assert body["state"] == "returned"
    assert body["return_reason"] == "Say which laptop."
    body = pi.post(
        clo(closure_id, "submit/"),
        {"destruction_details": "The extract on laptop L-12 was securely erased."},
        format="json",
    ).json()
    assert body["state"] == "submitted"
    assert ops.post(clo(closure_id, "countersign/")).status_code == 403
    body = signatory.post(clo(closure_id, "countersign/")).json()
    assert body["state"] == "countersigned"
    assert body["countersigned_by"] == "Sian Signatory"

    project = p.refresh()
    assert project.state == State.CLOSED
    assert set(AccessGrant.objects.filter(application=project).values_list("state", flat=True)) == {
        GrantState.ENDED
    }
    last = project.events.order_by("-id").first()
    assert (last.transition, last.actor_role) == ("close", "signatory")
    # The register shows it closed, with the linked output.
    entry = client_for(None).get(f"/api/v1/register/{project.reference}/").json()
    assert entry["status"] == "closed"
    assert [o["url"] for o in entry["research_outputs"]] == ["https://example.org/final-report"]
    transitions = list(
        ClosureEvent.objects.filter(closure_id=closure_id).values_list("transition", flat=True)
    )
    assert transitions == ["start", "submit", "send_back", "resubmit", "countersign"]


def test_a_project_past_its_end_date_starts_its_close_out(p):
    end = p.project.end_date
    assert lifecycle_sweep(today=end)["closures_started"] == 0
    assert lifecycle_sweep(today=end + datetime.timedelta(days=1))["closures_started"] == 1
    assert lifecycle_sweep(today=end + datetime.timedelta(days=2))["closures_started"] == 0
    closure = Closure.objects.get(application=p.project)
    assert (closure.reason, closure.state) == ("ended", "draft")


def test_who_may_see_and_do_what(p, client_for):
    report = p.first_report()
    stranger_signatory = make_user(full_name="Other Signatory")
    outsider, colleague, ops = client_for(p.outsider), client_for(p.colleague), client_for(p.ops)

    # Seeing: the team and ops; nobody else (404).
    assert outsider.get(rep(report.pk)).status_code == 404
    assert client_for(stranger_signatory).get(rep(report.pk)).status_code == 404
    assert ops.get(rep(report.pk)).status_code == 200
    assert [r["id"] for r in colleague.get(REPORTS).json()["results"]] == [report.pk]
    assert outsider.get(REPORTS).json()["results"] == []
    # Doing: ops never submit, the team never accepts its own report.
    assert ops.post(rep(report.pk, "submit/"), ANSWERS, format="json").status_code == 403
    client_for(p.pi).post(rep(report.pk, "submit/"), ANSWERS, format="json")
    assert colleague.post(rep(report.pk, "accept/"), {}, format="json").status_code == 403
    # An ops user on the team may not accept it either.
    p.colleague.role_assignments.create(role="ops")
    fresh = type(p.colleague).objects.get(pk=p.colleague.pk)
    refused = client_for(fresh).post(rep(report.pk, "accept/"), {}, format="json")
    assert refused.status_code == 403
    assert "team" in refused.json()["detail"]

    # Closure: only the PI (or ops) starts it; a colleague may not.
    assert colleague.post(CLOSURES, {"application": p.project.pk}, format="json").status_code == 403
    assert outsider.post(CLOSURES, {"application": p.project.pk}, format="json").status_code == 404
    closure_id = _closure(p, client_for)
    again = client_for(p.pi).post(CLOSURES, {"application": p.project.pk}, format="json")
    assert again.status_code == 409
    assert colleague.post(clo(closure_id, "submit/"), CLOSE_OUT, format="json").status_code == 403
    assert outsider.get(clo(closure_id)).status_code == 404


def test_closing_a_closed_project_is_refused(client_for):
    p = Project()
    from workflow.route import services as route_services

    route_services.application_close(application=p.project, by=p.ops)
    response = client_for(p.pi).post(CLOSURES, {"application": p.project.pk}, format="json")
    assert response.status_code == 409


def test_the_histories_are_chained_sealed_and_append_only(p, client_for):
    from django.db import DatabaseError, connection, transaction

    from workflow.audit_check import verify

    report = p.first_report()
    client_for(p.pi).post(rep(report.pk, "submit/"), ANSWERS, format="json")
    closure_id = _closure(p, client_for)
    client_for(p.pi).post(clo(closure_id, "submit/"), CLOSE_OUT, format="json")
    assert verify().breaks == []
    if connection.vendor != "postgresql":
        return
    for table in ("workflow_reportevent", "workflow_closureevent"):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"UPDATE {table} SET reason = 'rewritten'")  # noqa: S608
    assert verify().breaks == []


def test_a_second_overdue_report_keeps_the_project_suspended(p, client_for):
    from workflow.lifecycle.services import report_event

    first = p.first_report()
    grace = LifecycleSettings.current().grace_days
    lifecycle_sweep(today=p.day(grace + 1))  # suspended for the first
    # A second report long owed too (as if the first had been years late).
    second = ProgressReport.objects.create(
        application=p.project, number=2, due_on=datetime.date(2000, 1, 1)
    )
    report_event(second, by=None, transition="open", from_state="")
    client_for(p.pi).post(rep(first.pk, "submit/"), ANSWERS, format="json")
    client_for(p.ops).post(rep(first.pk, "accept/"), {}, format="json")
    project = p.refresh()
    assert project.state == State.SUSPENDED
    second.refresh_from_db()
    assert second.suspended_project
    assert "progress report 2" in scope_growth_blocked(project)
