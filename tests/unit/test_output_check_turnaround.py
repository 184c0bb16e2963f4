"""Output checking on the clock: the stage target (5 working days by default), the overdue
reminder to the checkers still expected and the escalation to ops, raised once by the existing
sweep; and the figures on the ops dashboard and the metrics API."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from notifications.models import Notification
from tests.support.outputs import FAILING_TABLE, PASSING_TABLE, Outputs, upload
from workflow.models import TargetStage
from workflow.output_checks import services
from workflow.turnaround.calendar import add_workdays
from workflow.turnaround.reminders import reminders_sweep
from workflow.turnaround.targets import DEFAULT_TARGETS

pytestmark = pytest.mark.django_db

MONDAY = datetime.datetime(2026, 11, 2, 9, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def submitted(o: Outputs, *tables: bytes):
    request = services.output_request_create(application=o.project, by=o.pi, title="Tables")
    for number, table in enumerate(tables):
        services.output_file_add(
            output_request=request,
            by=o.pi,
            upload=upload(f"t{number}.csv", table),
            description="A table",
        )
    services.output_request_submit(output_request=request, by=o.pi)
    return request


def told(kind: str) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind).values_list("recipient__full_name", flat=True)
    )


def test_the_default_target_is_five_working_days():
    target = DEFAULT_TARGETS[TargetStage.OUTPUT_CHECK]
    assert (target.days, target.unit) == (5, "working")


def test_an_overdue_round_reminds_the_missing_checkers_then_escalates_to_ops_once():
    o = Outputs()
    with time_machine.travel(MONDAY, tick=False):
        request = submitted(o, PASSING_TABLE)
        services.output_review_submit(
            output_request=request,
            by=o.checker1,
            verdicts=[{"file": request.files.get().pk, "decision": "approve"}],
        )
    due = add_workdays(MONDAY.date(), 5)
    on_time = datetime.datetime.combine(due, datetime.time(10), tzinfo=datetime.UTC)
    assert reminders_sweep(now=on_time)["output_check.overdue"] == 0
    late = on_time + datetime.timedelta(days=1)
    assert reminders_sweep(now=late)["output_check.overdue"] == 2
    # Cara has reviewed: the two checkers still expected are told (never the one on the team).
    assert told("output_check.overdue") == {"Dewi Checker", "Tegan Third"}
    assert reminders_sweep(now=late)["output_check.overdue"] == 0  # once per round
    escalation = datetime.datetime.combine(
        add_workdays(due, 4), datetime.time(10), tzinfo=datetime.UTC
    )
    reminders_sweep(now=escalation)
    assert told("output_check.escalated") == {"Olive Ops"}


def test_the_figures_count_days_first_time_releases_and_each_checkers_load(client_for):
    o = Outputs()
    with time_machine.travel(MONDAY, tick=False):
        released = submitted(o, PASSING_TABLE)
        changed = submitted(o, FAILING_TABLE)
    for request, decision in ((released, "approve"), (changed, "changes")):
        file_id = request.files.get().pk
        verdict = [{"file": file_id, "decision": decision, "comment": "Band it."}]
        for checker in (o.checker1, o.checker2):
            services.output_review_submit(output_request=request, by=checker, verdicts=verdict)
    with time_machine.travel(MONDAY + datetime.timedelta(days=2), tick=False):
        services.output_request_consolidate(
            output_request=released,
            by=o.checker1,
            decisions=[{"file": released.files.get().pk, "decision": "approve"}],
        )
    response = client_for(o.ops).get("/api/v1/metrics/output-checks/")
    body = response.json()
    assert body["finished"] == 1
    assert body["median_working_days"] == 2.0
    assert body["first_time_release_rate"] == 1.0
    load = {row["checker"]: (row["reviews"], row["open"]) for row in body["checkers"]}
    assert load == {"Cara Checker": (2, 1), "Dewi Checker": (2, 1)}
    assert client_for(o.checker1).get("/api/v1/metrics/output-checks/").status_code == 403


def test_the_ops_dashboard_shows_the_output_figures(client):
    """On the Turnaround page, with the other figures (the Operations page is the work queue,
    which stays the same size whatever the TRE holds)."""
    o = Outputs()
    client.force_login(o.ops)
    page = client.get("/ops/turnaround/").content.decode()
    assert "Output checks" in page
    assert "Median time to a decision" in page
    assert "Load per output checker" not in page  # nobody has reviewed yet
