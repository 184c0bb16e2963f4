"""Progress reports, renewals and close-outs on the clock, through the existing reminder sweep:
each reminder once, at the days ops set, to whoever must act."""

from __future__ import annotations

import datetime

import pytest

from notifications.models import Notification
from tests.support.lifecycle import ANSWERS, Project
from workflow.lifecycle import services
from workflow.lifecycle.selectors import renewal_path
from workflow.turnaround.reminders import reminders_sweep

pytestmark = pytest.mark.django_db


def sweep(day: datetime.date) -> dict[str, int]:
    return reminders_sweep(now=datetime.datetime.combine(day, datetime.time(12), datetime.UTC))


def sent(kind: str) -> list[tuple[str, str]]:
    return list(
        Notification.objects.filter(kind=kind)
        .order_by("id")
        .values_list("recipient__full_name", "url")
    )


@pytest.fixture
def p() -> Project:
    return Project()


def test_report_reminders_at_30_14_and_1_days_then_escalation_to_ops(p):
    report = p.first_report()
    page = f"/progress-reports/{report.pk}/"
    counts = {day: sweep(p.day(day))["report.due_soon"] for day in (-31, -30, -29, -14, -1, 0)}
    # Two members each time a threshold is crossed, once.
    assert counts == {-31: 0, -30: 2, -29: 0, -14: 2, -1: 2, 0: 0}
    assert {url for _, url in sent("report.due_soon")} == {page}
    assert sweep(p.day(0))["report.escalated"] == 0
    assert sweep(p.day(1))["report.escalated"] == 1
    assert sweep(p.day(2))["report.escalated"] == 0
    assert sent("report.escalated") == [("Olive Ops", page)]
    body = Notification.objects.get(kind="report.escalated").body
    assert "suspended automatically on" in body


def test_a_submitted_report_is_not_chased(p):
    report = p.first_report()
    services.report_submit(report=report, by=p.pi, data=ANSWERS)
    assert sweep(p.day(-14))["report.due_soon"] == 0
    assert sweep(p.day(5))["report.escalated"] == 0


def test_renewal_reminders_at_90_30_and_14_days_link_to_the_extension(p):
    end = p.project.end_date
    days = {
        n: sweep(end - datetime.timedelta(days=n))["renewal.due"] for n in (91, 90, 45, 30, 14, 13)
    }
    assert days == {91: 0, 90: 2, 45: 0, 30: 2, 14: 2, 13: 0}
    assert {url for _, url in sent("renewal.due")} == {
        f"/applications/{p.project.pk}/amendments/new/?type=extend_end_date"
    }
    assert renewal_path(p.project) in Notification.objects.filter(kind="renewal.due").first().body


def test_an_unfinished_close_out_is_chased_each_week(p):
    import time_machine

    started = datetime.datetime.now(datetime.UTC)
    with time_machine.travel(started, tick=False):
        closure = services.closure_start(application=p.project, by=p.pi)
    today = closure.started_at.date()
    assert sweep(today + datetime.timedelta(days=6))["closure.chase"] == 0
    assert sweep(today + datetime.timedelta(days=7))["closure.chase"] == 1
    assert sweep(today + datetime.timedelta(days=8))["closure.chase"] == 0
    assert sent("closure.chase") == [("Priya Investigator", f"/closures/{closure.pk}/")]
    assert "the attestation that the data were destroyed" in (
        Notification.objects.get(kind="closure.chase").body
    )
    services.closure_submit(
        closure=closure,
        by=p.pi,
        data={
            "outputs": "None",
            "destruction_attested": True,
            "destruction_details": "No copies were made.",
            "destroyed_on": today,
        },
    )
    submitted_on = closure.__class__.objects.get(pk=closure.pk).submitted_at.date()
    assert sweep(submitted_on + datetime.timedelta(days=7))["closure.chase"] == 1
    assert sent("closure.chase")[-1][0] == "Sian Signatory"


def test_the_lifecycle_sweep_is_on_the_beat_schedule(p):
    from config.celery import app
    from workflow.tasks import lifecycle_sweep

    entry = app.conf.beat_schedule["workflow-lifecycle-sweep"]
    assert entry["task"] == "workflow.tasks.lifecycle_sweep"
    assert lifecycle_sweep.run() == {"reports_opened": 0, "suspended": 0, "closures_started": 0}


def test_the_lifecycle_reminders_queries_follow_the_sweep_not_the_projects_due():
    """Reports due and projects ending remind each project's team, read a thousand projects at
    a time: one project or three take the same queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.factories.workflow import World

    world = World()
    first = Project(world)
    day = first.day(-14)

    def queries() -> tuple[int, dict[str, int]]:
        Notification.objects.all().delete()
        with CaptureQueriesContext(connection) as captured:
            raised = sweep(day)
        return len(captured), raised

    first.first_report()
    few, raised_few = queries()
    assert raised_few["report.due_soon"] == 2
    for _ in range(2):
        Project(world).first_report()
    many_, raised_many = queries()
    assert raised_many["report.due_soon"] == 6
    assert many_ == few
