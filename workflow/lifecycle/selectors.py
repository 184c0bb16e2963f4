"""What the lifecycle topic reads: when a project's reports fall due, which are overdue, and
whether a suspension for an overdue report blocks an amendment that grows the project's scope
(``scope_growth_blocked``, asked by ``workflow.amendments``)."""

from __future__ import annotations

import calendar
import datetime
from collections.abc import Iterable

from django.db.models import Min, Q, QuerySet
from django.urls import reverse

from workflow.models import (
    Application,
    Closure,
    ClosureState,
    EventKind,
    ProgressReport,
    ReportState,
    State,
)

LIVE = (State.ACTIVE, State.SUSPENDED)
# A report the team still owes (a report awaiting the TRE's decision is not the team's delay).
OWED = (ReportState.DUE, ReportState.MORE_REQUESTED)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """``day`` plus ``months`` calendar months (the 31st becomes the month's last day)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return datetime.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def renewal_path(application: Application) -> str:
    """Where a team asks for a renewal: an amendment extending the end date
    (``workflow.amendments``)."""
    return reverse("workflow:amendment-new", args=[application.pk]) + "?type=extend_end_date"


def live_projects_with_access_date() -> QuerySet[Application]:
    """Active and suspended projects with ``granted_at``: when access was first granted."""
    rows: QuerySet[Application] = (
        Application.objects.filter(state__in=LIVE)
        .annotate(
            granted_at=Min("events__created_at", filter=Q(events__kind=EventKind.ACCESS_GRANTED))
        )
        .filter(granted_at__isnull=False)
        .order_by("id")
    )
    return rows


def report_due_dates(
    granted_on: datetime.date, period_months: int, until: datetime.date
) -> Iterable[tuple[int, datetime.date]]:
    """``(number, due_on)`` of every report due on or before ``until``: one per anniversary."""
    number = 1
    while (due := add_months(granted_on, number * period_months)) <= until:
        yield number, due
        number += 1


def reports_overdue_past_grace(today: datetime.date, grace_days: int) -> QuerySet[ProgressReport]:
    """Reports the team still owes more than ``grace_days`` after their due date, on active
    projects (the ones the sweep suspends)."""
    latest_due = today - datetime.timedelta(days=grace_days)
    rows: QuerySet[ProgressReport] = (
        ProgressReport.objects.filter(
            state__in=OWED, due_on__lt=latest_due, application__state=State.ACTIVE
        )
        .select_related("application")
        .order_by("id")
    )
    return rows


def blocking_report(application: Application) -> ProgressReport | None:
    """The overdue report whose lateness suspended the project, not yet accepted."""
    if application.state != State.SUSPENDED:
        return None
    found: ProgressReport | None = (
        ProgressReport.objects.filter(application=application, suspended_project=True)
        .exclude(state=ReportState.ACCEPTED)
        .order_by("number")
        .first()
    )
    return found


def scope_growth_blocked(application: Application) -> str | None:
    """Why an amendment may not grow ``application``'s scope now, or None: a project suspended
    because a progress report is overdue cannot add people, datasets or variables, change its
    question or extend its end date until that report is accepted."""
    report = blocking_report(application)
    if report is None:
        return None
    return (
        f"{application.reference} is suspended because progress report {report.number} "
        f"(due {report.due_on:%-d %B %Y}) is overdue: it cannot grow in scope until that report "
        "is accepted."
    )


def reports_of(application: Application) -> QuerySet[ProgressReport]:
    rows: QuerySet[ProgressReport] = ProgressReport.objects.filter(application=application)
    return rows.order_by("number")


def ended_without_closure(today: datetime.date) -> QuerySet[Application]:
    """Live projects whose end date has passed and whose close-out has not started."""
    rows: QuerySet[Application] = (
        Application.objects.filter(state__in=LIVE, end_date__lt=today, closure__isnull=True)
        .select_related("lead_organisation")
        .order_by("id")
    )
    return rows


def open_closures() -> QuerySet[Closure]:
    rows: QuerySet[Closure] = (
        Closure.objects.exclude(state=ClosureState.COUNTERSIGNED)
        .select_related("application", "application__lead_organisation")
        .order_by("id")
    )
    return rows
