"""Stage visits: the event log's state changes, paired, each with its due date.

Every event that changes the state (``to_state`` set) starts a visit of that state; the next
such event of the same application ends it. The event writer keeps them in ``StageVisit`` as
it appends (``advance_stage_visit``), and ``rebuild_stage_visits`` derives the table again from
the log (``LEAD`` over each application's events, in the database) and the target versions.

A visit's due date is fixed when it starts (``workflow.turnaround.lateness``): the version of
its stage's target in force when the stage first started, less what the stage's earlier visits
used of it. Both ways of writing it compute the same date: ``add_days`` in Python, the
``CalendarDay`` indexes in SQL (a test checks they agree over the demo's history).
"""

# SQL here is assembled from our own fragments and codes; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

from django.db import connection, transaction

from workflow.turnaround.calendar import days_between, ensure_calendar, local_date
from workflow.turnaround.lateness import CUMULATIVE_STATES, STAGE_FOR_STATE, stage_due
from workflow.turnaround.models import StageVisit
from workflow.turnaround.sql import Sql, compose
from workflow.turnaround.targets import seed_default_targets, target_at

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
    " entered_on, left_on, due_on, target_id"
)


def _in(values) -> str:
    # Only our own state codes reach here, never user input.
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _derived_visits_sql() -> tuple[str, list]:
    """The derived visits with their local dates (the dates in the database's own terms), the
    version of the target that judges each and its due date (see the module's docstring)."""
    q = Sql()
    stage_of = " ".join(
        f"WHEN '{state}' THEN '{stage}'" for state, stage in STAGE_FOR_STATE.items()
    )
    cumulative = _in(CUMULATIVE_STATES)
    dated = compose(
        "SELECT d.*,",
        q.local_date("d.entered_at"),
        "AS entered_on, CASE WHEN d.left_at IS NULL THEN NULL ELSE",
        q.local_date("d.left_at"),
        f"END AS left_on FROM ({_DERIVED_VISITS}) d",  # nosec B608
    )
    # The moment that chooses the target's version: the stage's first start (one clock), or the
    # visit's own start for an applicant's round.
    staged = compose(
        f"SELECT x.*, CASE x.state {stage_of} END AS stage,"  # nosec B608
        f" CASE WHEN x.state IN {cumulative} THEN MIN(x.entered_at) OVER"
        " (PARTITION BY x.application_id, x.state) ELSE x.entered_at END AS judged_at FROM (",
        dated,
        ") x",
    )
    targeted = compose(
        "SELECT s.*, (SELECT st.id FROM workflow_stagetarget st WHERE st.stage = s.stage"
        " AND st.effective_from <= s.judged_at ORDER BY st.effective_from DESC, st.id DESC"
        " LIMIT 1) AS target_id FROM (",
        staged,
        ") s",
    )
    # What the stage's earlier visits used of the target, in its unit.
    used = compose(
        "SELECT g.*, tg.days AS target_days, tg.unit AS target_unit,"
        " ds.workday_index AS start_workday, ds.day_index AS start_day,"
        f" CASE WHEN g.state IN {cumulative} THEN COALESCE(SUM(CASE WHEN tg.unit = 'working'"  # nosec B608
        " THEN de.workday_index - ds.workday_index ELSE de.day_index - ds.day_index END)"
        " OVER (PARTITION BY g.application_id, g.state ORDER BY g.visit"
        " ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) ELSE 0 END AS used FROM (",
        targeted,
        ") g LEFT JOIN workflow_stagetarget tg ON tg.id = g.target_id"
        " LEFT JOIN workflow_calendar_day ds ON ds.date = g.entered_on"
        " LEFT JOIN workflow_calendar_day de ON de.date = g.left_on",
    )
    return compose(
        "SELECT u.event_id, u.application_id, u.state, u.from_state, u.visit, u.entered_at,"
        " u.left_at, u.next_state, u.entered_on, u.left_on,"
        " CASE WHEN u.target_id IS NULL THEN NULL"
        " WHEN u.target_days - u.used <= 0 THEN u.entered_on"
        " WHEN u.target_unit = 'working' THEN dw.date ELSE dc.date END AS due_on,"
        " u.target_id FROM (",
        used,
        ") u LEFT JOIN workflow_calendar_day dw ON dw.workday_index ="
        " u.start_workday + (u.target_days - u.used) AND dw.is_working_day = %s"
        " LEFT JOIN workflow_calendar_day dc"
        " ON dc.day_index = u.start_day + (u.target_days - u.used)",
        ("", [True]),
    )


def derived_stage_visits() -> list[tuple]:
    """The stage visits as the event log (and the target versions) say they are, for checking
    the table, in the table's column order, sorted by event id."""
    ensure_calendar()
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
    seed_default_targets()
    ensure_calendar()
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
    """Close the application's open visit and open one of ``event.to_state``, with its due
    date: called by the event writer, in the event's transaction, for every event that changes
    the state."""
    on = local_date(event.created_at)
    StageVisit.objects.filter(application_id=event.application_id, left_at__isnull=True).update(
        left_at=event.created_at, left_on=on, next_state=event.to_state
    )
    earlier = list(
        StageVisit.objects.filter(application_id=event.application_id, state=event.to_state)
        .order_by("visit")
        .values_list("entered_at", "entered_on", "left_on")
    )
    due_on, target_id = None, None
    stage = STAGE_FOR_STATE.get(event.to_state)
    if stage is not None:
        cumulative = event.to_state in CUMULATIVE_STATES and bool(earlier)
        target = target_at(stage, earlier[0][0] if cumulative else event.created_at)
        if target is not None:  # every stage has a target from the first migration on
            used = (
                sum(
                    days_between(start, end, target.unit)
                    for _, start, end in earlier
                    if end is not None  # every earlier visit has ended: this one starts now
                )
                if cumulative
                else 0
            )
            due_on, target_id = stage_due(target.days, target.unit, on, used), target.id
    StageVisit.objects.create(
        event=event,
        application_id=event.application_id,
        state=event.to_state,
        from_state=event.from_state,
        visit=len(earlier) + 1,
        entered_at=event.created_at,
        entered_on=on,
        due_on=due_on,
        target_id=target_id,
    )
