"""When will access come? A predicted access date for every open application.

Method: walk the stages still ahead on the route (scoping → internal review → in review →
approved → access) from the current one. Each stage is expected to last the **median** of the
completed visits of that stage in past applications on the **same route** (DEA or standard),
taken by the database from the event log; with fewer than
``TURNAROUND_FORECAST_MIN_HISTORY`` past visits the stage's target stands in (scoping 20
working days, internal review 5, each panel 19 calendar days, owner sign-off 10 working days,
grant access 5). The current stage is expected to end at its start plus that duration, or today
if that is already past. In review, the **parallel tracks count as the longest one**, not the
sum: the stage ends when the last track is expected to be decided. After a request for
changes, the applicant's expected time comes first, then the stage they return to (in review:
only the tracks that asked for revision reopen).

Nothing is cached: the forecast is computed on each read from the events as they stand, so it
changes with every event.
"""

# SQL here is assembled from our own fragments and codes; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import timezone

from workflow.models import (
    Application,
    Event,
    EventKind,
    Outcome,
    State,
    TrackKind,
    TrackState,
)
from workflow.reviews.selectors import required_tracks
from workflow.turnaround.calendar import add_days, ensure_calendar, local_date
from workflow.turnaround.clocks import STAGE_FOR_STATE, TRE_CLOCK_STATES
from workflow.turnaround.metrics import filtered_applications, is_dea_q, stats_select
from workflow.turnaround.sql import apps_sql, compose, run, visits_ctes
from workflow.turnaround.targets import Target, target_for_track, targets

ROUTE_ORDER = (State.SCOPING, State.INTERNAL_REVIEW, State.IN_REVIEW, State.APPROVED)


@dataclass(frozen=True)
class Estimate:
    days: float
    unit: str
    source: str  # "history" or "target"
    samples: int

    def end(self, start: datetime.date) -> datetime.date:
        return add_days(start, math.ceil(self.days), self.unit)

    def as_dict(self) -> dict[str, Any]:
        return {
            "days": round(self.days, 1),
            "unit": self.unit,
            "source": self.source,
            "samples": self.samples,
        }


def route_of(application: Application) -> str:
    return (
        "dea"
        if Application.objects.filter(pk=application.pk).filter(is_dea_q()).exists()
        else "standard"
    )


def route_history(route: str, *, exclude: int | None = None) -> dict[tuple[str, str], dict]:
    """Medians of completed stage visits and decided tracks on ``route`` (one query)."""
    apps = filtered_applications(route=route)
    if exclude is not None:
        apps = apps.exclude(pk=exclude)
    ctes = visits_ctes(apps_sql(apps), timezone.now())
    states = ", ".join(f"'{s}'" for s in (*TRE_CLOCK_STATES, State.CHANGES_REQUESTED))
    sql, params = compose(
        "WITH",
        ctes,
        ", src AS (SELECT 'stage' AS measure, state AS grp, calendar_days AS v FROM visits"  # nosec B608
        f" WHERE left_at IS NOT NULL AND next_state <> 'withdrawn' AND state IN ({states})"
        " UNION ALL SELECT 'track', kind, calendar_days FROM track_visits"
        " WHERE decided_at IS NOT NULL)",
        stats_select("src"),
    )
    return {
        (r["measure"], r["grp"]): {"n": int(r["n"] or 0), "median": r["median"]}
        for r in run(sql, params)
    }


class Forecaster:
    def __init__(self, application: Application, now: datetime.datetime):
        self.application = application
        self.now = now
        self.today = timezone.localtime(now).date()
        self.route = route_of(application)
        self.history = route_history(self.route, exclude=application.pk)
        self.targets = targets()
        self.minimum = settings.TURNAROUND_FORECAST_MIN_HISTORY

    def _estimate(self, measure: str, group: str, target: Target) -> Estimate:
        seen = self.history.get((measure, group))
        if seen and seen["n"] >= self.minimum and seen["median"] is not None:
            return Estimate(float(seen["median"]), "calendar", "history", seen["n"])
        return Estimate(float(target.days), target.unit, "target", seen["n"] if seen else 0)

    def stage(self, state: str) -> Estimate:
        return self._estimate("stage", state, self.targets[STAGE_FOR_STATE[state]])

    def track(self, kind: str) -> Estimate:
        return self._estimate("track", kind, target_for_track(kind, self.targets))

    def review_tracks(self) -> list[tuple[str, int | None]]:
        return required_tracks(self.application)

    def review_step(
        self, start: datetime.date, needed: list[tuple[str, int | None]], status: str
    ) -> dict:
        """In review ahead: every needed track starts together; the longest decides."""
        tracks: list[dict[str, Any]] = []
        for kind, organisation_id in needed:
            estimate = self.track(kind)
            tracks.append(
                {
                    "kind": kind,
                    "organisation_id": organisation_id,
                    "expected_end": estimate.end(start),
                    "estimate": estimate.as_dict(),
                }
            )
        end = max((t["expected_end"] for t in tracks), default=start)
        return {"stage": State.IN_REVIEW, "status": status, "expected_end": end, "tracks": tracks}

    def current_review_step(self) -> dict:
        tracks: list[dict[str, Any]] = []
        for track in self.application.tracks.filter(superseded=False).order_by("id"):
            if track.state == TrackState.OPEN:
                estimate = self.track(track.kind)
                end = max(self.today, estimate.end(local_date(track.opened_at)))
                tracks.append(
                    {
                        "kind": track.kind,
                        "organisation_id": track.organisation_id,
                        "track_id": track.pk,
                        "expected_end": end,
                        "estimate": estimate.as_dict(),
                    }
                )
            else:
                if track.decided_at is None:  # never: a decided track has its time (a constraint)
                    raise ValueError(f"Review track {track.pk} is decided without a time")
                tracks.append(
                    {
                        "kind": track.kind,
                        "organisation_id": track.organisation_id,
                        "track_id": track.pk,
                        "expected_end": local_date(track.decided_at),
                        "estimate": None,
                    }
                )
        end = max([self.today, *(t["expected_end"] for t in tracks)])
        return {
            "stage": State.IN_REVIEW,
            "status": "current",
            "expected_end": end,
            "tracks": tracks,
        }

    def simple_step(self, state: str, start: datetime.date, status: str) -> dict:
        estimate = self.stage(state)
        end = estimate.end(start)
        if status == "current":
            end = max(self.today, end)
        return {
            "stage": str(state),
            "status": status,
            "expected_end": end,
            "estimate": estimate.as_dict(),
        }

    def steps_ahead(self, after: str | None, start: datetime.date) -> list[dict]:
        """Every stage after ``after`` (all of them for ``None``), one after the other."""
        order: list[str] = list(ROUTE_ORDER)
        ahead = order if after is None else order[order.index(after) + 1 :]
        steps = []
        for state in ahead:
            if state == State.IN_REVIEW:
                step = self.review_step(start, self.review_tracks(), "ahead")
            else:
                step = self.simple_step(state, start, "ahead")
            steps.append(step)
            start = step["expected_end"]
        return steps

    def current_visit_start(self) -> datetime.date:
        entered = (
            Event.objects.filter(application=self.application, to_state=self.application.state)
            .order_by("-created_at", "-id")
            .values_list("created_at", flat=True)
            .first()
        )
        return local_date(entered) if entered else self.today

    def steps(self) -> list[dict]:
        state = self.application.state
        if state == State.DRAFT:
            return self.steps_ahead(None, self.today)
        if state == State.IN_REVIEW:
            current = self.current_review_step()
            return [current, *self.steps_ahead(state, current["expected_end"])]
        if state == State.CHANGES_REQUESTED:
            applicant = self.simple_step(state, self.current_visit_start(), "current")
            back_to = self.application.changes_requested_from or State.SCOPING
            if back_to == State.IN_REVIEW:
                needed: list[tuple[str, int | None]] = list(
                    self.application.tracks.filter(
                        superseded=False, outcome=Outcome.REVISE_AND_RESUBMIT
                    ).values_list("kind", "organisation_id")
                ) or [(TrackKind.IGRP, None)]
                returned = self.review_step(applicant["expected_end"], needed, "ahead")
            else:
                returned = self.simple_step(back_to, applicant["expected_end"], "ahead")
            return [
                applicant,
                returned,
                *self.steps_ahead(back_to, returned["expected_end"]),
            ]
        current = self.simple_step(state, self.current_visit_start(), "current")
        return [current, *self.steps_ahead(state, current["expected_end"])]


def application_forecast(
    application: Application, *, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """The predicted access date of ``application`` with the steps that lead to it, and a
    warning when it falls after the project's start or its (grant's) end date."""
    now = now or timezone.now()
    base = {
        "application_id": application.pk,
        "reference": application.reference,
        "state": application.state,
        "generated_at": now,
        "route": None,
        "predicted_access_date": None,
        "access_date": None,
        "steps": [],
        "warnings": [],
    }
    if application.state in (State.ACTIVE, State.SUSPENDED, State.CLOSED):
        granted = (
            application.events.filter(kind=EventKind.ACCESS_GRANTED)
            .order_by("created_at", "id")
            .values_list("created_at", flat=True)
            .first()
        )
        return {**base, "access_date": local_date(granted) if granted else None}
    if application.state in (State.REJECTED, State.WITHDRAWN):
        return base
    ensure_calendar()
    forecaster = Forecaster(application, now)
    steps = forecaster.steps()
    predicted = steps[-1]["expected_end"]
    warnings = []
    if application.start_date and predicted > application.start_date:
        warnings.append(
            {
                "code": "after_start_date",
                "detail": f"Access is expected on {predicted:%d %B %Y}, after the project's "
                f"start date ({application.start_date:%d %B %Y}).",
            }
        )
    if application.end_date and predicted > application.end_date:
        warnings.append(
            {
                "code": "after_end_date",
                "detail": f"Access is expected on {predicted:%d %B %Y}, after the project (and "
                f"its funding) ends on {application.end_date:%d %B %Y}.",
            }
        )
    return {
        **base,
        "route": forecaster.route,
        "predicted_access_date": predicted,
        "steps": steps,
        "warnings": warnings,
    }


STAGE_WORDS = {
    State.DRAFT: "Writing the application",
    State.SCOPING: "Scoping with the analyst",
    State.CHANGES_REQUESTED: "Your changes",
    State.INTERNAL_REVIEW: "Internal review",
    State.IN_REVIEW: "Panels and data owners",
    State.APPROVED: "Granting access",
}


TRACK_WORDS = {
    "igrp": "Independent Governance Review Panel",
    "dea_panel": "DEA accreditation panel",
    "owner_signoff": "Data owner sign-off",
}


def forecast_view(application) -> dict | None:
    """The forecast in words for the page: each step ahead with its expected end and what the
    estimate rests on."""
    forecast = application_forecast(application)
    if forecast["predicted_access_date"] is None:
        return None
    steps = []
    for step in forecast["steps"]:
        estimate = step.get("estimate")
        if step.get("tracks"):
            basis = "; ".join(
                f"{TRACK_WORDS.get(t['kind'], t['kind'])} by {t['expected_end']:%-d %B %Y}"
                for t in step["tracks"]
            )
        elif estimate and estimate["source"] == "history":
            basis = f"median of {estimate['samples']} past applications"
        elif estimate:
            unit = "working days" if estimate["unit"] == "working" else "days"
            basis = f"target of {estimate['days']:g} {unit} (too little history)"
        else:
            basis = ""
        steps.append(
            {
                "label": STAGE_WORDS.get(step["stage"], step["stage"]),
                "current": step["status"] == "current",
                "expected_end": step["expected_end"],
                "basis": basis,
            }
        )
    return {
        "date": forecast["predicted_access_date"],
        "steps": steps,
        "warnings": [w["detail"] for w in forecast["warnings"]],
    }
