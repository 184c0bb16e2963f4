"""Who may take each transition of a progress report and a close-out, in every state: every
person × state × action through the API, each attempt in a savepoint rolled back afterwards.

Expected: anonymous → 401; someone who may not see it → 404; allowed in a source state → 200;
allowed in another state → 409; anyone else who sees it → 403. A refused attempt changes
nothing."""

from __future__ import annotations

import datetime

import pytest
from django.db import transaction
from rest_framework.test import APIClient

from tests.support.lifecycle import ANSWERS, Project
from workflow.lifecycle import services
from workflow.models import Closure, ProgressReport

pytestmark = pytest.mark.django_db

PEOPLE = ("anonymous", "pi", "member", "outsider", "ops", "panel", "signatory")

REPORT_BODIES = {
    "submit": ANSWERS,
    "resubmit": {**ANSWERS, "point_answers": ["Lancet"]},
    "request-more": {"points": ["Which paper?"]},
    "accept": {},
}
# (who may, from which state)
REPORT_RULES = {
    "submit": ({"pi", "member"}, "due"),
    "resubmit": ({"pi", "member"}, "more_requested"),
    "request-more": ({"ops"}, "submitted"),
    "accept": ({"ops"}, "submitted"),
}
REPORT_SEES = {"pi", "member", "ops"}

CLOSE_OUT = {
    "outputs": "None",
    "destruction_attested": True,
    "destruction_details": "No copy left the TRE.",
    "destroyed_on": "2026-11-30",
}
CLOSURE_BODIES = {"submit": CLOSE_OUT, "send-back": {"reason": "Which laptop?"}, "countersign": {}}
CLOSURE_RULES = {
    "submit": ({"pi"}, {"draft", "returned"}),
    "send-back": ({"signatory"}, {"submitted"}),
    "countersign": ({"signatory"}, {"submitted"}),
}


def _people(p: Project) -> dict[str, APIClient]:
    users = {
        "pi": p.pi,
        "member": p.colleague,
        "outsider": p.outsider,
        "ops": p.ops,
        "panel": p.panel,
        "signatory": p.signatory,
    }
    clients = {"anonymous": APIClient()}
    for name, user in users.items():
        clients[name] = APIClient()
        clients[name].force_authenticate(user)
    return clients


def _reports(p: Project) -> dict[str, ProgressReport]:
    """One report in each state, on one project (reports 1 to 4)."""
    first = p.first_report()
    made = {"due": first}
    for number, state in ((2, "submitted"), (3, "more_requested"), (4, "accepted")):
        report = ProgressReport.objects.create(
            application=p.project, number=number, due_on=first.due_on + datetime.timedelta(number)
        )
        services.report_event(report, by=None, transition="open", from_state="")
        services.report_submit(report=report, by=p.pi, data=ANSWERS)
        if state == "more_requested":
            services.report_request_more(report=report, by=p.ops, points=["Which paper?"])
        if state == "accepted":
            services.report_accept(report=report, by=p.ops)
        made[state] = report
    return made


def _expected(person: str, allowed: set[str], sources: set[str], state: str, sees: set[str]):
    if person == "anonymous":
        return 401
    if person not in sees:
        return 404
    if person not in allowed:
        return 403
    return 200 if state in sources else 409


class _Rollback(Exception):
    pass


def _try(client: APIClient, path: str, body: dict) -> int:
    try:
        with transaction.atomic():
            status = client.post(path, body, format="json").status_code
            raise _Rollback(status)
    except _Rollback as done:
        return int(done.args[0])


def test_progress_report_transitions_by_person_and_state():
    p = Project()
    clients = _people(p)
    reports = _reports(p)
    wrong = []
    for action, (allowed, source) in REPORT_RULES.items():
        for state, report in reports.items():
            for person in PEOPLE:
                expected = _expected(person, allowed, {source}, state, REPORT_SEES)
                got = _try(
                    clients[person],
                    f"/api/v1/progress-reports/{report.pk}/{action}/",
                    REPORT_BODIES[action],
                )
                if got != expected:
                    wrong.append((action, state, person, expected, got))
                assert ProgressReport.objects.get(pk=report.pk).state == state
    assert wrong == []


def test_close_out_transitions_by_person_and_state():
    p = Project()
    clients = _people(p)
    closure = services.closure_start(application=p.project, by=p.pi)
    states = {"draft": None, "submitted": "submit", "returned": "send_back"}
    wrong = []
    for state, step in states.items():
        if step == "submit":
            services.closure_submit(closure=closure, by=p.pi, data=CLOSE_OUT)
        if step == "send_back":
            services.closure_send_back(closure=closure, by=p.signatory, reason="Which laptop?")
        # The signatory sees a close-out once it is submitted; the team and ops always.
        sees = {"pi", "member", "ops"} | ({"signatory"} if state != "draft" else set())
        for action, (allowed, sources) in CLOSURE_RULES.items():
            for person in PEOPLE:
                expected = _expected(person, allowed, sources, state, sees)
                got = _try(
                    clients[person],
                    f"/api/v1/closures/{closure.pk}/{action}/",
                    CLOSURE_BODIES[action],
                )
                if got != expected:
                    wrong.append((action, state, person, expected, got))
                assert Closure.objects.get(pk=closure.pk).state == state
    assert wrong == []
