"""How good is the forecast? Measured by replaying the TRE's own history.

At past moments (every ``every_days`` days, from when ``TURNAROUND_FORECAST_MIN_HISTORY``
applications had reached access), every application then open (submitted, access not yet
granted) that did reach access later is forecast from what was known at that moment: its own
events up to then, the history that had ended by then, and the targets in force then (the same
``forecast_from`` the API answers with). Each forecast is compared with the day access came,
and so are the two naive baselines:

- **median so far**: the day of submission plus the median request-to-access time of the
  applications that had reached access by then;
- **three months**: the day of submission plus three calendar months (SAIL's "roughly 3
  months").

Errors are in days (forecast minus actual), by horizon (how far ahead of access the moment
was: 0-45 days, over 45 days, and all): mean absolute error (MAE), bias (the mean error:
positive is late), and how often the forecast's 80% range held the actual day. Applications
that never reached access (rejected, withdrawn, still open) have no actual day and are
counted apart.
"""

from __future__ import annotations

import calendar
import datetime
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from workflow.models import Application, ForecastReplay, ReviewTrack, StageVisit, State
from workflow.reviews.selectors import required_tracks
from workflow.turnaround.calendar import ensure_calendar, local_date
from workflow.turnaround.forecast import (
    DRAWS,
    RANGE,
    History,
    Snapshot,
    forecast_from,
    track_rows,
    visit_rows,
)
from workflow.turnaround.targets import TargetBook

HORIZONS = (("0-45", 0, 45), ("over 45", 46, None))


@dataclass(frozen=True)
class Case:
    application_id: int
    reference: str
    moment: datetime.date
    horizon: int  # days from the moment to access
    actual: datetime.date
    forecast: datetime.date
    low: datetime.date
    high: datetime.date
    median_so_far: datetime.date
    three_months: datetime.date


def add_months(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _noon(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(12), tzinfo=timezone.get_current_timezone())


def replay(
    *,
    every_days: int = 7,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    draws: int = DRAWS,
) -> dict[str, Any]:
    """Replay the history (see the module's docstring) and report the errors. A handful of
    queries to load the history, then everything in memory."""
    ensure_calendar()
    minimum = settings.TURNAROUND_FORECAST_MIN_HISTORY
    visits = visit_rows(StageVisit.objects.all())
    tracks = track_rows(ReviewTrack.objects.all())
    book = TargetBook()
    by_app_visits: dict[int, list] = defaultdict(list)
    for v in visits:
        by_app_visits[v.application_id].append(v)
    by_app_tracks: dict[int, list] = defaultdict(list)
    for t in tracks:
        by_app_tracks[t.application_id].append(t)
    track_ids: dict[int, dict[tuple[str, int | None, int], int]] = defaultdict(dict)
    for t in ReviewTrack.objects.only("id", "application_id", "kind", "organisation_id", "round"):
        track_ids[t.application_id][(t.kind, t.organisation_id, t.round)] = t.pk
    journeys = {}
    for app_id, rows in by_app_visits.items():
        submitted = min((v.entered_at for v in rows if v.state == State.SCOPING), default=None)
        access = min((v.entered_at for v in rows if v.state == State.ACTIVE), default=None)
        if submitted is not None:
            journeys[app_id] = (submitted, access, rows[0].route)
    reached = sorted(access for _, access, _ in journeys.values() if access is not None)
    today = timezone.localdate()
    end = end or today
    if start is None:
        if len(reached) < minimum:
            return _report([], {}, every_days, None, end, draws, moments=0)
        start = local_date(reached[minimum - 1])
    applications = {
        a.pk: a for a in Application.objects.filter(pk__in=list(journeys)).only("id", "reference")
    }
    needed = {}
    cases: list[Case] = []
    never: set[int] = set()
    moments = 0
    day = start
    while day <= end:
        moment = min(_noon(day), timezone.now())
        moments += 1
        history = History(visits, tracks, as_of=moment, minimum=minimum)
        so_far = [
            (access - submitted).total_seconds() / 86400
            for submitted, access, _ in journeys.values()
            if access is not None and access <= moment
        ]
        median_so_far = statistics.median(so_far) if so_far else 91.0
        targets_then = book.current(moment)
        for app_id, (submitted, access, route) in journeys.items():
            if submitted > moment or (access is not None and access <= moment):
                continue
            if access is None:
                never.add(app_id)
                continue
            if app_id not in needed:
                needed[app_id] = required_tracks(applications[app_id])
            snapshot = Snapshot.at_moment(
                app_id,
                route,
                moment,
                by_app_visits[app_id],
                by_app_tracks[app_id],
                needed[app_id],
                track_ids[app_id],
            )
            if snapshot is None:  # pragma: no cover - submitted, so a visit is open
                continue
            forecast = forecast_from(snapshot, history, targets_then, draws=draws)
            actual = local_date(access)
            submitted_on = local_date(submitted)
            cases.append(
                Case(
                    application_id=app_id,
                    reference=applications[app_id].reference or str(app_id),
                    moment=day,
                    horizon=(actual - day).days,
                    actual=actual,
                    forecast=forecast["predicted_access_date"],
                    low=forecast["range"]["low"],
                    high=forecast["range"]["high"],
                    median_so_far=submitted_on + datetime.timedelta(days=round(median_so_far)),
                    three_months=add_months(submitted_on, 3),
                )
            )
        day += datetime.timedelta(days=every_days)
    return _report(cases, never, every_days, start, end, draws, moments=moments)


def _errors(cases: list[Case], attribute: str) -> dict[str, float | None]:
    errors = [(getattr(c, attribute) - c.actual).days for c in cases]
    if not errors:
        return {"mae": None, "bias": None}
    return {
        "mae": round(sum(abs(e) for e in errors) / len(errors), 1),
        "bias": round(sum(errors) / len(errors), 1),
    }


def _row(name: str, cases: list[Case]) -> dict[str, Any]:
    forecast = _errors(cases, "forecast")
    baselines = {"median_so_far": _errors(cases, "median_so_far"),
                 "three_months": _errors(cases, "three_months")}  # fmt: skip
    covered = [c.low <= c.actual <= c.high for c in cases]
    return {
        "horizon": name,
        "cases": len(cases),
        "applications": len({c.application_id for c in cases}),
        "forecast": forecast,
        **baselines,
        "range_coverage": round(sum(covered) / len(covered), 3) if covered else None,
        "at_least_as_accurate": (
            None
            if forecast["mae"] is None
            else all(b["mae"] is None or forecast["mae"] <= b["mae"] for b in baselines.values())
        ),
    }


def _report(
    cases: list[Case],
    never: set[int] | dict,
    every_days: int,
    start: datetime.date | None,
    end: datetime.date,
    draws: int,
    *,
    moments: int,
) -> dict[str, Any]:
    rows = []
    for name, low, high in HORIZONS:
        rows.append(
            _row(
                name, [c for c in cases if c.horizon >= low and (high is None or c.horizon <= high)]
            )
        )
    rows.append(_row("all", cases))
    return {
        "generated_at": timezone.now(),
        "from": start,
        "to": end,
        "every_days": every_days,
        "moments": moments,
        "draws": draws,
        "range_probability": RANGE,
        "minimum_history": settings.TURNAROUND_FORECAST_MIN_HISTORY,
        "cases": len(cases),
        "applications": len({c.application_id for c in cases}),
        "never_reached_access": len(never),
        "horizons": rows,
    }


def latest_report() -> dict[str, Any] | None:
    """The last replay recorded (``manage.py forecast_accuracy``), for the Turnaround page."""
    row = ForecastReplay.objects.order_by("-created_at", "-id").first()
    return row.report if row is not None else None
