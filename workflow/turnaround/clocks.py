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
from typing import Any

from django.utils import timezone

from workflow.models import (
    Application,
    State,
    TargetStage,
    TrackKind,
)
from workflow.route.selectors import HOLDER_WORDS
from workflow.turnaround.calendar import ensure_calendar, local_date
from workflow.turnaround.sql import run, visits_ctes
from workflow.turnaround.targets import targets

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
    return HOLDER_WORDS.get(state, "")


def clock_of(state: str) -> str | None:
    if state in TRE_CLOCK_STATES:
        return "tre"
    if state in APPLICANT_CLOCK_STATES:
        return "applicant"
    return None


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
            "closed_at": t["closed_at"],
            "breached": bool(
                t["due_date"]
                and local_date(t["decided_at"] or t["closed_at"] or now) > _as_date(t["due_date"])
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
