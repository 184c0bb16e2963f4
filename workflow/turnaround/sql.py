"""SQL shared by the clocks, the metrics and the forecast: the stage and track visits as
common table expressions, in PostgreSQL's and SQLite's terms.
"""

# SQL here is assembled from our own fragments and codes; every value is a parameter.

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone


class Sql:
    """The few fragments that differ between PostgreSQL and SQLite. Everything else is
    standard SQL with window functions, which both run."""

    def __init__(self) -> None:
        self.vendor = connection.vendor
        self.ops = connection.ops

    @property
    def not_materialized(self) -> str:
        # Both databases take the hint (SQLite from 3.35); kept to PostgreSQL, where it matters.
        return "NOT MATERIALIZED" if self.vendor == "postgresql" else ""

    def local_date(self, expr: str, params: Sequence[Any] = ()) -> tuple[str, tuple]:
        """The local (UK) date of a UTC timestamp expression."""
        return self.ops.datetime_cast_date_sql(expr, tuple(params), settings.TIME_ZONE)

    def days_between(self, start: str, end: str) -> str:
        if self.vendor == "postgresql":
            return f"(EXTRACT(EPOCH FROM ({end}) - ({start})) / 86400.0)"
        return f"(julianday({end}) - julianday({start}))"

    def moment(self, value: datetime.datetime) -> Any:
        return self.ops.adapt_datetimefield_value(value)

    def day(self, value: datetime.date) -> Any:
        return self.ops.adapt_datefield_value(value)


def compose(*parts: tuple[str, Sequence[Any]] | str) -> tuple[str, list[Any]]:
    """Join SQL fragments, keeping their parameters in text order."""
    sql: list[str] = []
    params: list[Any] = []
    for part in parts:
        if isinstance(part, str):
            sql.append(part)
        else:
            sql.append(part[0])
            params.extend(part[1])
    return " ".join(sql), params


def visits_ctes(apps: tuple[str, Sequence[Any]], now: datetime.datetime) -> tuple[str, list]:
    """``visits`` and ``track_visits`` CTEs (without ``WITH``) for the applications whose ids
    ``apps`` selects.

    visits (from ``StageVisit``, one row per visit): event_id (the event that entered the
    state: the visit's key), application_id, state, from_state, visit (1 for the first visit
    of that state), entered_at, left_at (NULL while open), next_state, left_on, due_on (the
    stage's due date as the visit started), target_id (the target version that judges it),
    calendar_days (exact, up to ``now`` while open), working_days, date_days (whole local
    dates between), entered_on.

    track_visits: track_id, application_id, kind, organisation_id, round, superseded,
    track_state, outcome, automatic (decided at once under a pre-approved category),
    opened_at, decided_at, closed_at (closed undecided when the application ended), due_date,
    target_id (the target version it opened under), calendar_days, working_days, ended_on
    (local date of the decision or closure, or today).
    """
    q = Sql()
    now_param = q.moment(now)
    return compose(
        # Not materialised: each query that reads visits several times gets the table itself
        # with its own filters pushed down (the stage visit index, the few rows an arm needs)
        # instead of one copy of every visit written out and scanned again.
        f"visits AS {q.not_materialized} (SELECT c.event_id, c.application_id, c.state,"
        " c.from_state, c.visit, c.entered_at, c.left_at, c.next_state, c.left_on, c.due_on,"
        " c.target_id,",
        (q.days_between("c.entered_at", "COALESCE(c.left_at, %s)"), [now_param]),
        "AS calendar_days, de.workday_index - ds.workday_index AS working_days,"
        " de.day_index - ds.day_index AS date_days, c.entered_on"
        " FROM workflow_stage_visit c LEFT JOIN workflow_calendar_day ds ON ds.date = c.entered_on"
        " LEFT JOIN workflow_calendar_day de ON de.date = COALESCE(c.left_on, %s)",
        ("", [q.day(timezone.localtime(now).date())]),
        *only_applications("WHERE c.application_id", apps),
        "), track_visits AS (SELECT t.id AS track_id, t.application_id, t.kind,"
        " t.organisation_id, t.round, t.superseded, t.state AS track_state, t.outcome,"
        " t.automatic,"
        " t.opened_at, t.decided_at, t.closed_at, t.due_date, t.target_id,",
        # A track's clock stops when it is decided, or closed undecided as the application ended.
        (q.days_between("t.opened_at", "COALESCE(t.decided_at, t.closed_at, %s)"), [now_param]),
        "AS calendar_days, de.workday_index - ds.workday_index AS working_days,"
        " de.date AS ended_on"
        " FROM workflow_reviewtrack t LEFT JOIN workflow_calendar_day ds ON ds.date =",
        q.local_date("t.opened_at"),
        "LEFT JOIN workflow_calendar_day de ON de.date =",
        q.local_date("COALESCE(t.decided_at, t.closed_at, %s)", [now_param]),
        *only_applications("WHERE t.application_id", apps),
        ")",
    )


# ``apps`` for ``visits_ctes`` when no filter narrows the applications: no ``IN`` at all (on
# a national scale the ``IN`` over every application costs more than the rest of the CTE).
ALL_APPLICATIONS: tuple[str, list] = ("SELECT id FROM workflow_application", [])


def only_applications(column: str, apps: tuple[str, Sequence[Any]]) -> list:
    """``<column> IN (<apps>)`` as fragments for ``compose`` (``column`` with its keyword:
    "WHERE c.application_id"), or nothing for every application."""
    return [] if apps is ALL_APPLICATIONS else [f"{column} IN (", apps, ")"]


def apps_sql(queryset) -> tuple[str, list]:
    """The ``SELECT id`` of an application queryset, for embedding in raw SQL."""
    sql, params = queryset.values("id").query.sql_with_params()
    return sql, list(params)


def run(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    """Rows of a raw query as dicts. Timestamps come back aware in both databases: SQLite
    stores them as UTC without an offset, and a raw cursor (unlike the ORM) returns them
    naive, which every caller would otherwise have to know."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        rows = cursor.fetchall()
    if connection.vendor == "sqlite" and settings.USE_TZ:
        rows = [tuple(_aware(value) for value in row) for row in rows]
    return [dict(zip(names, row, strict=True)) for row in rows]


def _aware(value: Any) -> Any:
    if isinstance(value, datetime.datetime) and timezone.is_naive(value):
        return value.replace(tzinfo=datetime.UTC)
    return value
