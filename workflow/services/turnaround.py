"""Stage clocks and targets.

A **stage visit** comes from the event log: every event that changes the state (``to_state``
set) starts a visit of that state; the next such event of the same application ends it. The
event writer keeps them in ``StageVisit`` as it appends (``advance_stage_visit``), and
``rebuild_stage_visits`` derives the table again from the log (``LEAD`` over each
application's events, in the database).

A **track visit** is a review track's own row, from ``opened_at`` to ``decided_at``. Each visit
is measured in calendar days (exact, fractional) and in working days (England and Wales:
weekends and bank holidays from the ``holidays`` package excluded), and counts on the TRE's
clock (scoping, internal review, in review, approved) or on the applicant's (changes
requested).

Working days between two moments are the working days *after* the first local date up to and
including the second: the same day is 0, Friday to Monday is 1. A target of N working days is
due on the Nth working day after the stage started; it is breached when the stage ends after
that date. The database counts working days through ``CalendarDay`` (two primary-key joins per
visit), which ``ensure_calendar`` keeps filled.
"""

# SQL here is assembled from our own fragments and codes; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import holidays
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min
from django.utils import timezone

from access.exceptions import NotAllowed, ValidationFailed
from access.policy import Permission, has_permission
from workflow.models import (
    STATE_OWNER,
    Application,
    CalendarDay,
    DayUnit,
    ReviewTrack,
    StageTarget,
    StageVisit,
    State,
    TargetStage,
    TrackKind,
)

# --- which states count on whose clock ---------------------------------------------------------

TRE_CLOCK_STATES = (State.SCOPING, State.INTERNAL_REVIEW, State.IN_REVIEW, State.APPROVED)
APPLICANT_CLOCK_STATES = (State.CHANGES_REQUESTED,)
# Submitted and not yet live nor finished: what "open" means for alerts and work in progress.
OPEN_STATES = (*TRE_CLOCK_STATES, State.CHANGES_REQUESTED)
# The target that applies to a visit of each state (in review is measured by its tracks).
STAGE_FOR_STATE: dict[str, str] = {
    State.SCOPING: TargetStage.SCOPING,
    State.INTERNAL_REVIEW: TargetStage.INTERNAL_REVIEW,
    State.APPROVED: TargetStage.GRANT_ACCESS,
    State.CHANGES_REQUESTED: TargetStage.CHANGES_REQUESTED,
}
PANEL_KINDS = (TrackKind.IGRP, TrackKind.DEA_PANEL)


def holder_label(state: str, analyst: str | None = None) -> str:
    """Who holds the next step in ``state``, in words (the analyst by name when known)."""
    if state == State.SCOPING and analyst:
        return f"analyst: {analyst}"
    return STATE_OWNER.get(state, "")


def clock_of(state: str) -> str | None:
    if state in TRE_CLOCK_STATES:
        return "tre"
    if state in APPLICANT_CLOCK_STATES:
        return "applicant"
    return None


# --- working days --------------------------------------------------------------------------------


@functools.lru_cache(maxsize=128)
def _bank_holidays(year: int) -> dict[datetime.date, str]:
    # England and Wales share their bank holidays (the package's "ENG" subdivision).
    return dict(holidays.country_holidays("GB", subdiv="ENG", years=year).items())


def holiday_name(day: datetime.date) -> str:
    return _bank_holidays(day.year).get(day, "")


def is_working_day(day: datetime.date) -> bool:
    return day.weekday() < 5 and not holiday_name(day)


def workdays_between(start: datetime.date, end: datetime.date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative when end < start)."""
    if end < start:
        return -workdays_between(end, start)
    return sum(
        1 for n in range(1, (end - start).days + 1) if is_working_day(start + datetime.timedelta(n))
    )


def add_workdays(start: datetime.date, n: int) -> datetime.date:
    """The ``n``th working day after ``start`` (``start`` itself when n is 0)."""
    day, left = start, n
    while left > 0:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def add_days(start: datetime.date, n: int, unit: str) -> datetime.date:
    if unit == DayUnit.WORKING:
        return add_workdays(start, n)
    return start + datetime.timedelta(days=n)


def days_between(start: datetime.date, end: datetime.date, unit: str) -> int:
    if unit == DayUnit.WORKING:
        return workdays_between(start, end)
    return (end - start).days


def latest_start_for(deadline: datetime.date, n: int, unit: str) -> datetime.date:
    """The latest start date whose ``n``-day target falls due on or before ``deadline``.

    ``add_days`` is monotonic in its start, so "due on or before D" is "started on or before
    latest_start_for(D)": the sweep turns a due-date window into an indexed date filter.
    """
    if unit != DayUnit.WORKING:
        return deadline - datetime.timedelta(days=n)
    if n == 0:
        return deadline
    day, found = deadline, 0
    while True:
        if is_working_day(day):
            found += 1
            if found == n:
                return day - datetime.timedelta(days=1)
        day -= datetime.timedelta(days=1)


def local_date(moment: datetime.datetime) -> datetime.date:
    return timezone.localtime(moment).date()


# --- the calendar table the database counts with ------------------------------------------------

CALENDAR_FIRST_DAY = datetime.date(2000, 1, 1)
CALENDAR_AHEAD_DAYS = 2 * 366


def ensure_calendar(until: datetime.date | None = None) -> None:
    """Make ``CalendarDay`` cover every date from 2000 to ``until`` (default: two years ahead).

    Rows are a pure function of the date, so filling is idempotent and concurrent fills agree
    (conflicts are ignored). One query when the table is already long enough.
    """
    until = until or timezone.localdate() + datetime.timedelta(days=365)
    span = CalendarDay.objects.aggregate(first=Min("date"), last=Max("date"))
    if span["first"] == CALENDAR_FIRST_DAY and span["last"] and span["last"] >= until:
        return
    last = max(until, timezone.localdate()) + datetime.timedelta(days=CALENDAR_AHEAD_DAYS)
    rows, index, day = [], 0, CALENDAR_FIRST_DAY
    while day <= last:
        working = is_working_day(day)
        index += working
        rows.append(
            CalendarDay(
                date=day,
                is_working_day=working,
                workday_index=index,
                day_index=(day - CALENDAR_FIRST_DAY).days,
                holiday=holiday_name(day)[:100],
            )
        )
        day += datetime.timedelta(days=1)
    with transaction.atomic():
        CalendarDay.objects.bulk_create(rows, batch_size=2000, ignore_conflicts=True)


# --- targets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    stage: str
    days: int
    unit: str
    due_soon_days: int
    escalate_after_days: int | None

    def due(self, start: datetime.date) -> datetime.date:
        return add_days(start, self.days, self.unit)

    def escalation_date(self, due: datetime.date) -> datetime.date | None:
        if self.escalate_after_days is None:
            return None
        return add_days(due, self.escalate_after_days, self.unit)

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "days": self.days, "unit": self.unit}


# The defaults (seeded by migration 0003 and used for any stage without a row): SAIL's panel
# answers in 19 days on average; scoping 20 working days, internal review 5, an owner's
# sign-off 10, granting access 5; the applicant is reminded after 20 working days.
DEFAULT_TARGETS: dict[str, Target] = {
    t.stage: t
    for t in (
        Target(TargetStage.SCOPING, 20, DayUnit.WORKING, 5, 10),
        Target(TargetStage.INTERNAL_REVIEW, 5, DayUnit.WORKING, 2, 3),
        Target(TargetStage.IGRP, 19, DayUnit.CALENDAR, 5, 7),
        Target(TargetStage.DEA_PANEL, 19, DayUnit.CALENDAR, 5, 7),
        Target(TargetStage.OWNER_SIGNOFF, 10, DayUnit.WORKING, 3, 5),
        Target(TargetStage.GRANT_ACCESS, 5, DayUnit.WORKING, 2, 3),
        Target(TargetStage.CHANGES_REQUESTED, 20, DayUnit.WORKING, 5, None),
    )
}


def seed_default_targets(using: str = "default") -> None:
    """Create the default target of every stage that has no row (never changes a row)."""
    for t in DEFAULT_TARGETS.values():
        StageTarget.objects.using(using).get_or_create(
            stage=t.stage,
            defaults={
                "days": t.days,
                "unit": t.unit,
                "due_soon_days": t.due_soon_days,
                "escalate_after_days": t.escalate_after_days,
            },
        )


def targets() -> dict[str, Target]:
    """Every target in force: the defaults, overridden by what ops set (one query)."""
    current = dict(DEFAULT_TARGETS)
    for row in StageTarget.objects.all():
        current[row.stage] = Target(
            row.stage, row.days, row.unit, row.due_soon_days, row.escalate_after_days
        )
    return current


def track_target_keys(track: ReviewTrack | str, panel=None) -> list[str]:
    """The target keys that may apply to a track, most specific first: its panel's own target
    (``panel:<slug>``, set by ops per panel), then its kind's."""
    kind = track if isinstance(track, str) else track.kind
    if panel is None and not isinstance(track, str):
        panel = track.panel
    keys = [kind]
    if panel is not None:
        keys.insert(0, f"{TARGET_KEY_PREFIX}{panel.slug}")
    return keys


def target_for_track(
    track: ReviewTrack | str, current: dict[str, Target] | None = None, panel=None
) -> Target:
    current = current if current is not None else targets()
    for key in track_target_keys(track, panel=panel):
        if key in current:
            return current[key]
    raise KeyError(f"No target for track {track}")


def track_due_date(kind: str, opened_on: datetime.date, panel=None) -> datetime.date:
    """The due date a track is given when it opens (from its target in force then)."""
    return target_for_track(kind, panel=panel).due(opened_on)


TARGET_KEY_PREFIX = "panel:"


def target_errors(stage: str, data: dict[str, Any], *, creating: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if creating:
        slug = stage.removeprefix(TARGET_KEY_PREFIX)
        if stage not in TargetStage.values and not (
            stage.startswith(TARGET_KEY_PREFIX) and slug and slug.replace("-", "").isalnum()
        ):
            errors["stage"] = [
                "Use one of " + ", ".join(TargetStage.values) + ", or panel:<slug> for one panel."
            ]
        elif StageTarget.objects.filter(stage=stage).exists():
            errors["stage"] = ["This stage already has a target: change it instead."]
    days = data.get("days")
    if days is not None and not 1 <= days <= 730:
        errors["days"] = ["Give between 1 and 730 days."]
    if "unit" in data and data["unit"] not in DayUnit.values:
        errors["unit"] = ["Choose working or calendar days."]
    soon = data.get("due_soon_days")
    if soon is not None and days is not None and soon >= days:
        errors["due_soon_days"] = ["The 'due soon' reminder must come before the due date."]
    margin = data.get("escalate_after_days")
    if margin is not None and not 0 <= margin <= 365:
        errors["escalate_after_days"] = ["Give between 0 and 365 days, or leave it empty."]
    return errors


TARGET_FIELDS = ("days", "unit", "due_soon_days", "escalate_after_days")


@transaction.atomic
def stage_target_set(*, stage: str, by, data: dict[str, Any], create: bool = False) -> StageTarget:
    """Change the target of one stage, or with ``create`` add one for a stage without (ops).

    Before: ``data`` has any of days, unit, due_soon_days, escalate_after_days. After: the row
    exists with those values, stamped with who set it and when. Tracks already open keep the
    due date they were given; new tracks and every reminder and metric use the new target.
    """
    if not has_permission(by, Permission.TARGETS_MANAGE):
        raise NotAllowed("Only ops can set stage targets.")
    row = StageTarget.objects.select_for_update().filter(stage=stage).first()
    base = (
        {f: getattr(row, f) for f in TARGET_FIELDS}
        if row
        else (
            {
                "days": DEFAULT_TARGETS[stage].days,
                "unit": DEFAULT_TARGETS[stage].unit,
                "due_soon_days": DEFAULT_TARGETS[stage].due_soon_days,
                "escalate_after_days": DEFAULT_TARGETS[stage].escalate_after_days,
            }
            if stage in DEFAULT_TARGETS
            else {"due_soon_days": 3, "escalate_after_days": None}
        )
    )
    merged = {**base, **{k: v for k, v in data.items() if k in TARGET_FIELDS}}
    errors = target_errors(stage, merged, creating=create or row is None)
    for required in ("days", "unit"):
        if merged.get(required) is None:
            errors.setdefault(required, ["This field is required."])
    if errors:
        raise ValidationFailed("The target has invalid fields.", fields=errors)
    row = row or StageTarget(stage=stage)
    for name in TARGET_FIELDS:
        setattr(row, name, merged[name])
    row.updated_at = timezone.now()
    row.updated_by = by
    row.save()
    return row


# --- SQL shared by clocks, metrics and the forecast --------------------------------------------


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
    sql, params = [], []
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
    of that state), entered_at, left_at (NULL while open), next_state, calendar_days (exact, up
    to ``now`` while open), working_days, date_days (whole local dates between), entered_on.

    track_visits: track_id, application_id, kind, organisation_id, round, superseded,
    track_state, outcome, opened_at, decided_at, due_date, calendar_days, working_days,
    ended_on (local date of the decision, or today).
    """
    q = Sql()
    now_param = q.moment(now)
    return compose(
        # Not materialised: each query that reads visits several times gets the table itself
        # with its own filters pushed down (the stage visit index, the few rows an arm needs)
        # instead of one copy of every visit written out and scanned again.
        f"visits AS {q.not_materialized} (SELECT c.event_id, c.application_id, c.state,"
        " c.from_state, c.visit, c.entered_at, c.left_at, c.next_state,",
        (q.days_between("c.entered_at", "COALESCE(c.left_at, %s)"), [now_param]),
        "AS calendar_days, de.workday_index - ds.workday_index AS working_days,"
        " de.day_index - ds.day_index AS date_days, c.entered_on"
        " FROM workflow_stage_visit c LEFT JOIN workflow_calendar_day ds ON ds.date = c.entered_on"
        " LEFT JOIN workflow_calendar_day de ON de.date = COALESCE(c.left_on, %s)",
        ("", [q.day(timezone.localtime(now).date())]),
        *only_applications("WHERE c.application_id", apps),
        "), track_visits AS (SELECT t.id AS track_id, t.application_id, t.kind,"
        " t.organisation_id, t.round, t.superseded, t.state AS track_state, t.outcome,"
        " t.opened_at, t.decided_at, t.due_date,",
        (q.days_between("t.opened_at", "COALESCE(t.decided_at, %s)"), [now_param]),
        "AS calendar_days, de.workday_index - ds.workday_index AS working_days,"
        " de.date AS ended_on"
        " FROM workflow_reviewtrack t LEFT JOIN workflow_calendar_day ds ON ds.date =",
        q.local_date("t.opened_at"),
        "LEFT JOIN workflow_calendar_day de ON de.date =",
        q.local_date("COALESCE(t.decided_at, %s)", [now_param]),
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


# --- stage visits: the event log's state changes, paired ---------------------------------------

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


# --- the clocks of one application -------------------------------------------------------------


def application_clocks(
    application: Application, *, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """Every visit of every state and every track of one application, each on its clock, with
    its target and whether it was (or is now) past it; and the totals per clock."""
    now = now or timezone.now()
    ensure_calendar()
    current = targets()
    ctes, params = visits_ctes(("%s", [application.pk]), now)
    visits = run(f"WITH {ctes} SELECT * FROM visits ORDER BY entered_at, event_id", params)  # nosec B608
    tracks = run(f"WITH {ctes} SELECT * FROM track_visits ORDER BY opened_at, track_id", params)  # nosec B608
    out_visits = []
    totals = {
        "tre": {"calendar_days": 0.0, "working_days": 0},
        "applicant": {"calendar_days": 0.0, "working_days": 0},
    }
    for v in visits:
        clock = clock_of(v["state"])
        target = current.get(STAGE_FOR_STATE.get(v["state"], ""))
        entered_on = local_date(v["entered_at"])
        due = target.due(entered_on) if target else None
        ended_on = local_date(v["left_at"] or now)
        out_visits.append(
            {
                "state": v["state"],
                "visit": v["visit"],
                "clock": clock,
                "entered_at": v["entered_at"],
                "left_at": v["left_at"],
                "calendar_days": round(float(v["calendar_days"]), 2),
                "working_days": v["working_days"],
                "target": target.as_dict() if target else None,
                "due_date": due,
                "breached": bool(due and ended_on > due),
            }
        )
        if clock:
            totals[clock]["calendar_days"] += float(v["calendar_days"])
            totals[clock]["working_days"] += v["working_days"] or 0
    out_tracks = [
        {
            "track_id": t["track_id"],
            "kind": t["kind"],
            "organisation_id": t["organisation_id"],
            "round": t["round"],
            "superseded": bool(t["superseded"]),
            "opened_at": t["opened_at"],
            "decided_at": t["decided_at"],
            "outcome": t["outcome"],
            "calendar_days": round(float(t["calendar_days"]), 2),
            "working_days": t["working_days"],
            "due_date": _as_date(t["due_date"]),
            "breached": bool(
                t["due_date"] and local_date(t["decided_at"] or now) > _as_date(t["due_date"])
            ),
        }
        for t in tracks
    ]
    for clock in totals.values():
        clock["calendar_days"] = round(clock["calendar_days"], 2)
    return {"visits": out_visits, "tracks": out_tracks, "totals": totals}


def _as_date(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def as_float(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)
