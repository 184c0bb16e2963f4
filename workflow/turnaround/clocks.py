"""Each application's clocks: every stage visit and track visit, and each stage on its
cumulative clock, against its target.

A **stage visit** comes from the event log (``StageVisit``, see ``visits``); a **track visit**
is a review track's own row, from ``opened_at`` to its decision (or to its closure when the
application ended). Each is measured in calendar days (exact, fractional) and in working days
(England and Wales: weekends and bank holidays excluded, ``calendar``), on the TRE's clock or
the applicant's. A **stage** is every visit of one state: its time is their sum, the clock
paused while the applicant holds the application. Whether anything is late is the one rule of
``lateness``: ended, or still open, after its due date, the due date fixed when the visit or
track started, from the target version in force then.
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
    TrackKind,
)
from workflow.route.selectors import HOLDER_WORDS
from workflow.turnaround.calendar import ensure_calendar, local_date
from workflow.turnaround.lateness import (
    APPLICANT_CLOCK_STATES,
    CUMULATIVE_STATES,
    OPEN_STATES,
    STAGE_FOR_STATE,
    TRE_CLOCK_STATES,
    clock_of,
    is_late,
)
from workflow.turnaround.sql import run, visits_ctes
from workflow.turnaround.targets import TargetBook

__all__ = [
    "APPLICANT_CLOCK_STATES",
    "OPEN_STATES",
    "PANEL_KINDS",
    "STAGE_FOR_STATE",
    "TRE_CLOCK_STATES",
    "application_clocks",
    "clock_of",
    "holder_label",
]

PANEL_KINDS = (TrackKind.IGRP, TrackKind.DEA_PANEL)


def holder_label(state: str, analyst: str | None = None) -> str:
    """Who holds the next step in ``state``, in words (the analyst by name when known)."""
    if state == State.SCOPING and analyst:
        return f"analyst: {analyst}"
    return HOLDER_WORDS.get(state, "")


def application_clocks(
    application: Application, *, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """Every visit of every state and every track of one application, each on its clock, with
    the target that judges it, its due date and whether it is late (``lateness.is_late``); each
    stage on its cumulative clock; and the totals per clock."""
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    ensure_calendar()
    book = TargetBook()
    ctes, params = visits_ctes(("%s", [application.pk]), now)
    visits = run(f"WITH {ctes} SELECT * FROM visits ORDER BY entered_at, event_id", params)  # nosec B608
    tracks = run(f"WITH {ctes} SELECT * FROM track_visits ORDER BY opened_at, track_id", params)  # nosec B608
    out_visits = []
    stages: dict[str, dict[str, Any]] = {}
    totals = {
        "tre": {"calendar_days": 0.0, "working_days": 0},
        "applicant": {"calendar_days": 0.0, "working_days": 0},
    }
    for v in visits:
        clock = clock_of(v["state"])
        target = book.by_id.get(v["target_id"]) if v["target_id"] else None
        due = _as_date(v["due_on"])
        left_on = _as_date(v["left_on"])
        late = is_late(due, left_on, today)
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
                "breached": late,
            }
        )
        if clock:
            totals[clock]["calendar_days"] += float(v["calendar_days"])
            totals[clock]["working_days"] += v["working_days"] or 0
            stage = stages.setdefault(
                v["state"],
                {
                    "state": v["state"],
                    "clock": clock,
                    "cumulative": v["state"] in CUMULATIVE_STATES,
                    "visits": 0,
                    "calendar_days": 0.0,
                    "working_days": 0,
                    "target": target.as_dict() if target else None,
                    "due_date": None,
                    "running": False,
                    "late": False,
                },
            )
            stage["visits"] += 1
            stage["calendar_days"] += float(v["calendar_days"])
            stage["working_days"] += v["working_days"] or 0
            stage["due_date"] = due
            stage["running"] = v["left_at"] is None
            stage["late"] = stage["late"] or late
    for stage in stages.values():
        stage["calendar_days"] = round(stage["calendar_days"], 2)
    out_tracks = [
        {
            "track_id": t["track_id"],
            "kind": t["kind"],
            "organisation_id": t["organisation_id"],
            "round": t["round"],
            "superseded": bool(t["superseded"]),
            "automatic": bool(t["automatic"]),
            "opened_at": t["opened_at"],
            "decided_at": t["decided_at"],
            "closed_at": t["closed_at"],
            "outcome": t["outcome"],
            "calendar_days": round(float(t["calendar_days"]), 2),
            "working_days": t["working_days"],
            "target": book.by_id[t["target_id"]].as_dict()
            if t["target_id"] in book.by_id
            else None,
            "due_date": _as_date(t["due_date"]),
            "breached": is_late(
                _as_date(t["due_date"]),
                local_date(ended) if (ended := t["decided_at"] or t["closed_at"]) else None,
                today,
            ),
        }
        for t in tracks
    ]
    for total in totals.values():
        total["calendar_days"] = round(total["calendar_days"], 2)
    return {
        "visits": out_visits,
        "stages": list(stages.values()),
        "tracks": out_tracks,
        "totals": totals,
    }


def _late(due: datetime.date | None, ended: datetime.datetime) -> bool:
    return due is not None and local_date(ended) > due


def _as_date(value: Any) -> datetime.date | None:
    if value is None or isinstance(value, datetime.date):
        return value
    return datetime.date.fromisoformat(value)


def as_float(value: Any) -> float | None:
    return None if value is None else round(float(value), 2)
