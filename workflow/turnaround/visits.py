"""Stage visits: the event log's state changes, paired.

Every event that changes the state (``to_state`` set) starts a visit of that state; the next
such event of the same application ends it. The event writer keeps them in ``StageVisit`` as
it appends (``advance_stage_visit``), and ``rebuild_stage_visits`` derives the table again from
the log (``LEAD`` over each application's events, in the database).
"""

# SQL here is assembled from our own fragments and codes; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

from django.db import connection, transaction

from workflow.turnaround.calendar import local_date
from workflow.turnaround.models import StageVisit
from workflow.turnaround.sql import Sql, compose

# Every event that changes the state (``to_state`` set) starts a visit of that state; the next
# such event of the same application ends it. ROW_NUMBER and LEAD run in both databases.
_DERIVED_VISITS = (
    "SELECT e.id AS event_id, e.application_id AS application_id, e.to_state AS state,"
    " e.from_state AS from_state,"
    " ROW_NUMBER() OVER (PARTITION BY e.application_id, e.to_state"
    " ORDER BY e.created_at, e.id) AS visit,"
    " e.created_at AS entered_at,"
    " LEAD(e.created_at) OVER (PARTITION BY e.application_id ORDER BY e.created_at, e.id)"
    " AS left_at,"
    " COALESCE(LEAD(e.to_state) OVER (PARTITION BY e.application_id"
    " ORDER BY e.created_at, e.id), '') AS next_state"
    " FROM workflow_event e WHERE e.to_state <> ''"
)


_VISIT_COLUMNS = (
    "event_id, application_id, state, from_state, visit, entered_at, left_at, next_state,"
    " entered_on, left_on"
)


def _derived_visits_sql() -> tuple[str, list]:
    """The derived visits with their local dates (the dates in the database's own terms)."""
    q = Sql()
    return compose(
        "SELECT d.*,",
        q.local_date("d.entered_at"),
        "AS entered_on, CASE WHEN d.left_at IS NULL THEN NULL ELSE",
        q.local_date("d.left_at"),
        f"END AS left_on FROM ({_DERIVED_VISITS}) d",  # nosec B608
    )


def derived_stage_visits() -> list[tuple]:
    """The stage visits as the event log says they are (for checking the table), in the
    table's column order, sorted by event id."""
    with connection.cursor() as cursor:
        derived, params = _derived_visits_sql()
        cursor.execute(
            f"SELECT {_VISIT_COLUMNS} FROM ({derived}) v ORDER BY event_id",  # nosec B608
            params,
        )
        return cursor.fetchall()


@transaction.atomic
def rebuild_stage_visits() -> int:
    """Derive every ``StageVisit`` again from the event log (after loading events by other
    means than ``record_event``: a bulk import, the benchmark's SQL). Returns the row count."""
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM workflow_stage_visit")
        derived, params = _derived_visits_sql()
        cursor.execute(
            f"INSERT INTO workflow_stage_visit ({_VISIT_COLUMNS})"  # nosec B608
            f" SELECT {_VISIT_COLUMNS} FROM ({derived}) v",
            params,
        )
        return cursor.rowcount


def advance_stage_visit(event) -> None:
    """Close the application's open visit and open one of ``event.to_state``: called by the
    event writer, in the event's transaction, for every event that changes the state."""
    on = local_date(event.created_at)
    StageVisit.objects.filter(application_id=event.application_id, left_at__isnull=True).update(
        left_at=event.created_at, left_on=on, next_state=event.to_state
    )
    earlier = StageVisit.objects.filter(
        application_id=event.application_id, state=event.to_state
    ).count()
    StageVisit.objects.create(
        event=event,
        application_id=event.application_id,
        state=event.to_state,
        from_state=event.from_state,
        visit=earlier + 1,
        entered_at=event.created_at,
        entered_on=on,
    )
