"""The demo's life after access (issue 20, part B), made by the services with the clock moved
back (time-machine, as ``history.py``): every active demo project's reports that fell due were
sent and accepted on time, except that

* the oldest project never sent its first report, so the sweep suspends it (sign in as Rhian to
  answer it, as Owain to accept it and see it reinstated);
* one project's latest report is with ops, awaiting a decision (Owain's progress reports);
* one project is being closed: Rhian's close-out, attested, awaits Dylan's countersignature.

Idempotent: nothing is done once any demo project has a progress report.
"""

from __future__ import annotations

import datetime

from django.utils import timezone

from workflow.lifecycle import services
from workflow.management.history import Cast, time_machine
from workflow.models import Application, Closure, ProgressReport, State

SUSPENDED = "Hospital admissions after school exclusion"
CLOSING = "Free school meals and attainment at 16"
ANSWERS = {
    "outputs": "Conference abstract at the Farr Institute meeting; a paper in preparation.",
    "team_changes": "No changes",
    "incidents": "None",
    "data_still_needed": True,
}


def _at(moment: datetime.datetime):
    return time_machine.travel(moment, tick=False)


def lifecycle_demo(cast: Cast, titles: list[str], now: datetime.datetime) -> int:
    """Give the active demo projects their reports and one close-out; returns the reports made."""
    projects = Application.objects.filter(
        title__in=titles, state__in=(State.ACTIVE, State.SUSPENDED)
    ).order_by("id")
    if ProgressReport.objects.filter(application__in=projects).exists():
        return 0
    today = timezone.localdate(now)
    services.reports_open_due(today=today)
    reports = ProgressReport.objects.filter(application__in=projects).select_related("application")
    waiting = None
    for report in reports.order_by("-due_on"):
        title = report.application.title
        if title == SUSPENDED and report.number == 1:
            continue  # never sent: the sweep below suspends the project
        due = datetime.datetime.combine(report.due_on, datetime.time(10), datetime.UTC)
        if due - datetime.timedelta(days=6) > now:
            continue  # not due yet: the team will be reminded
        with _at(min(due - datetime.timedelta(days=5), now - datetime.timedelta(hours=2))):
            services.report_submit(report=report, by=cast.researcher, data=ANSWERS)
        if waiting is None and title != SUSPENDED:
            waiting = report  # the most recent stays with ops
            continue
        with _at(min(due + datetime.timedelta(days=3), now - datetime.timedelta(hours=1))):
            services.report_accept(report=ProgressReport.objects.get(pk=report.pk), by=cast.ops)
    closing = projects.filter(title=CLOSING, state=State.ACTIVE).first()
    if closing is not None and not Closure.objects.filter(application=closing).exists():
        closure = services.closure_start(application=closing, by=cast.researcher)
        services.closure_submit(
            closure=closure,
            by=cast.researcher,
            data={
                "outputs": "Final report to the Welsh Government "
                "https://example.org/fsm-attainment-final-report",
                "destruction_attested": True,
                "destruction_details": "No copy of the data left the TRE; the project's "
                "workspace exports were deleted from the university's secure drive.",
                "destroyed_on": today,
            },
        )
    services.lifecycle_sweep(today=today)
    return reports.count()
