"""A project's life after access at the same moment, on real PostgreSQL: two ops accepting one
report at once give one acceptance and one reinstatement; two sweeps suspending the same overdue
project suspend it once; acceptance racing the suspending sweep leaves a consistent project.

Each thread has its own database connection (``tests/integration/test_races.py``)."""

from __future__ import annotations

import pytest
from django.db import connection

from access.models import Role
from core.errors import ConcurrentChange, InvalidTransition
from tests.factories import make_user
from tests.integration.test_races import one_winner, race
from tests.support.lifecycle import ANSWERS, Project
from workflow.lifecycle import services
from workflow.models import (
    Application,
    Event,
    LifecycleSettings,
    ProgressReport,
    ReportEvent,
    ReportState,
    State,
)

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


def _suspended_with_report_submitted() -> tuple[Project, ProgressReport]:
    p = Project()
    report = p.first_report()
    services.lifecycle_sweep(today=p.day(LifecycleSettings.current().grace_days + 1))
    assert p.refresh().state == State.SUSPENDED
    services.report_submit(report=report, by=p.pi, data=ANSWERS)
    return p, report


@pytest.mark.parametrize("attempt", range(3))
def test_two_ops_accepting_one_report_at_once_have_one_effect(attempt):
    p, report = _suspended_with_report_submitted()
    other_ops = make_user(Role.OPS, full_name="Otto Ops")

    def accept(person):
        return lambda: services.report_accept(
            report=ProgressReport.objects.get(pk=report.pk), by=person
        )

    results = race(accept(p.ops), accept(other_ops))
    loser = 1 - one_winner(results)
    assert isinstance(results[loser][1], InvalidTransition | ConcurrentChange)
    assert ProgressReport.objects.get(pk=report.pk).state == ReportState.ACCEPTED
    assert ReportEvent.objects.filter(report=report, transition="accept").count() == 1
    project = Application.objects.get(pk=p.project.pk)
    assert project.state == State.ACTIVE
    assert Event.objects.filter(application=project, transition="reinstate").count() == 1


@pytest.mark.parametrize("attempt", range(2))
def test_two_sweeps_suspend_an_overdue_project_once(attempt):
    p = Project()
    p.first_report()
    day = p.day(LifecycleSettings.current().grace_days + 1)
    results = race(
        lambda: services.lifecycle_sweep(today=day), lambda: services.lifecycle_sweep(today=day)
    )
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    assert sorted(r["suspended"] for _, r in results) == [0, 1]
    assert Event.objects.filter(application=p.project, transition="suspend").count() == 1
