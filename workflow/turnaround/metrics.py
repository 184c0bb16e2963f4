"""Ops metrics of turnaround, computed by the database.

Every figure comes from the stage visits and track visits of ``turnaround.visits_ctes`` (the
event log and the review tracks' rows), aggregated in SQL: a fixed number of queries whatever
the number of applications (no Python loop over applications or events).

Medians and 90th percentiles: ``percentile_cont`` on PostgreSQL. SQLite (the zero-setup demo)
has no percentile aggregate, so there the same continuous percentile (linear interpolation
between the two nearest ranks, exactly what ``percentile_cont`` computes) is taken in SQL from
``ROW_NUMBER()`` and ``COUNT(*) OVER`` per group; ``stats_select(portable=True)`` runs that
form on PostgreSQL too, and a test checks the two agree.

Filters: ``start``/``end`` (local dates, inclusive) select what *ended* in the period (a visit
left, a track decided, access granted, a decision made); work in progress, open breaches and
the oldest items are as of now. ``route`` is ``dea`` (any requested dataset shared under the
Digital Economy Act research gateway, so a DEA panel track) or ``standard``; ``dataset`` is a
dataset slug the application requests.
"""

# SQL here is assembled from our own fragments and codes; every value is a parameter.
# ruff: noqa: S608

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from access.models import Role
from access.selectors import users_with_role
from workflow.models import (
    Application,
    LegalGateway,
    Outcome,
    RequestedDataset,
    ReviewTrack,
    State,
    TrackKind,
    TrackState,
)
from workflow.turnaround.calendar import ensure_calendar
from workflow.turnaround.clocks import PANEL_KINDS, _as_date, as_float, holder_label
from workflow.turnaround.lateness import (
    APPLICANT_CLOCK_STATES,
    CUMULATIVE_STATES,
    OPEN_STATES,
    STAGE_FOR_STATE,
    TRE_CLOCK_STATES,
    clock_of,
    late_sql,
)
from workflow.turnaround.sql import (
    ALL_APPLICATIONS,
    Sql,
    apps_sql,
    compose,
    only_applications,
    run,
    visits_ctes,
)
from workflow.turnaround.targets import Target, TargetBook, target_for_track

ROUTES = ("dea", "standard")
# The API's filter is named after the requested datasets' legal gateway, as applications name it
# (``legal_gateway``); ``route`` (dea, standard) was its old name, and clashed with an
# application's own ``route`` (standard, exploratory).
LEGAL_GATEWAYS = {"dea_research": "dea", "other": "standard"}
ROUTE_GATEWAYS = {route: gateway for gateway, route in LEGAL_GATEWAYS.items()}
OLDEST_LIMIT = 10


@dataclass(frozen=True)
class MetricsFilter:
    start: datetime.date | None = None
    end: datetime.date | None = None
    route: str | None = None
    dataset: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "from": self.start,
            "to": self.end,
            "legal_gateway": ROUTE_GATEWAYS.get(self.route or ""),
            "route": self.route,
            "dataset": self.dataset,
        }


def is_dea_q() -> Exists:
    return Exists(
        RequestedDataset.objects.filter(
            application=OuterRef("pk"), legal_gateway=LegalGateway.DEA_RESEARCH
        )
    )


def filtered_applications(*, route: str | None = None, dataset: str | None = None) -> QuerySet:
    qs = Application.objects.all()
    if route == "dea":
        qs = qs.filter(is_dea_q())
    elif route == "standard":
        qs = qs.exclude(is_dea_q())
    if dataset:
        qs = qs.filter(
            Exists(
                RequestedDataset.objects.filter(application=OuterRef("pk"), dataset__slug=dataset)
            )
        )
    return qs


# --- SQL building blocks -------------------------------------------------------------------------


def stats_select(source: str, *, portable: bool | None = None) -> str:
    """count, mean, median and p90 of ``v`` in ``source`` (rows of measure, grp, v), per
    (measure, grp). ``portable`` forces the window-function form (default: SQLite only)."""
    if portable is None:
        portable = connection.vendor != "postgresql"
    if not portable:
        return (
            "SELECT measure, grp, COUNT(v) AS n, AVG(v) AS mean,"  # nosec B608
            " percentile_cont(0.5) WITHIN GROUP (ORDER BY v) AS median,"
            " percentile_cont(0.9) WITHIN GROUP (ORDER BY v) AS p90"
            f" FROM {source} WHERE v IS NOT NULL GROUP BY measure, grp"
        )
    ranks = []
    # The quantile as num/den so ranks use integer division, which truncates alike in both
    # databases (a CAST to integer rounds on PostgreSQL but truncates on SQLite).
    for name, num, den in (("median", 1, 2), ("p90", 9, 10)):
        scaled = f"({num} * (n - 1))"
        lower = f"(1 + {scaled} / {den})"  # the rank at or below the quantile
        frac = f"(({scaled} - ({scaled} / {den}) * {den}) * 1.0 / {den})"
        ranks.append(
            f"SUM(CASE WHEN rn = {lower} THEN v * (1 - {frac})"
            f" WHEN rn = {lower} + 1 THEN v * {frac} ELSE 0 END) AS {name}"
        )
    return (
        f"SELECT measure, grp, MAX(n) AS n, AVG(v) AS mean, {', '.join(ranks)} FROM ("  # nosec B608
        " SELECT measure, grp, v,"
        " ROW_NUMBER() OVER (PARTITION BY measure, grp ORDER BY v) AS rn,"
        " COUNT(*) OVER (PARTITION BY measure, grp) AS n"
        f" FROM {source} WHERE v IS NOT NULL) ranked GROUP BY measure, grp"
    )


def _bounds(f: MetricsFilter) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    tz = timezone.get_current_timezone()
    start = datetime.datetime.combine(f.start, datetime.time.min, tzinfo=tz) if f.start else None
    end = (
        datetime.datetime.combine(f.end + datetime.timedelta(days=1), datetime.time.min, tzinfo=tz)
        if f.end
        else None
    )
    return start, end


def _in_period(column: str, f: MetricsFilter) -> tuple[str, list]:
    q = Sql()
    start, end = _bounds(f)
    parts, params = ["1 = 1"], []
    if start is not None:
        parts.append(f"{column} >= %s")
        params.append(q.moment(start))
    if end is not None:
        parts.append(f"{column} < %s")
        params.append(q.moment(end))
    return " AND ".join(parts), params


def _runs_cte(today: datetime.date) -> tuple[str, list]:
    """``runs``: each stage visit with its stage's time so far on its clock. A TRE stage visited
    again after a request for changes is one run (its visits add up: the clock paused while the
    applicant held it); each applicant's round is a run of its own. ``late`` is the one rule
    (``lateness``) over the run's visits so far; ``completes`` marks the visit that ended the
    stage: it moved on, neither back to the applicant nor withdrawn."""
    q = Sql()
    stage_states = _in([*TRE_CLOCK_STATES, *APPLICANT_CLOCK_STATES])
    window = (
        "OVER (PARTITION BY v.application_id, v.state,"
        f" CASE WHEN v.state IN {_in(CUMULATIVE_STATES)} THEN 0 ELSE v.visit END"
        " ORDER BY v.visit ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)"
    )
    return compose(
        "runs AS (SELECT v.application_id, v.state, v.visit, v.left_at, v.next_state,"  # nosec B608
        f" v.target_id, v.calendar_days, v.working_days,"
        f" SUM(v.calendar_days) {window} AS cum_calendar_days,"
        f" SUM(v.working_days) {window} AS cum_working_days,"
        f" MAX(CASE WHEN {late_sql('v.due_on', 'v.left_on')} THEN 1 ELSE 0 END) {window} AS late,",
        ("", [q.day(today)]),
        "CASE WHEN v.left_at IS NOT NULL AND v.next_state <> 'withdrawn' AND"
        f" (v.state NOT IN {_in(CUMULATIVE_STATES)} OR v.next_state <> 'changes_requested')"
        f" THEN 1 ELSE 0 END AS completes FROM visits v WHERE v.state IN {stage_states})",
    )


def _in(values: Sequence[str]) -> str:
    # Only our own state and kind codes reach here, never user input.
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _journeys_cte() -> str:
    """Per application that got access: first submission (entering scoping the first time) and
    first access (entering active the first time). Both are first visits, so no aggregate over
    every visit is needed."""
    return (
        "journeys AS (SELECT x.application_id, s.entered_at AS requested_at,"
        " x.entered_at AS access_at FROM visits x LEFT JOIN visits s"
        " ON s.application_id = x.application_id AND s.state = 'scoping' AND s.visit = 1"
        " WHERE x.state = 'active' AND x.visit = 1)"
    )


# --- the summary ---------------------------------------------------------------------------------


def turnaround_summary(
    f: MetricsFilter, *, now: datetime.datetime | None = None, live: bool = True
) -> dict:
    """Every ops figure for the filter. A fixed number of queries. ``live=False`` leaves out
    the figures as of now (``live_figures``): what the Turnaround page stores
    (``workflow.turnaround.dashboard``) is the rest."""
    now = now or timezone.now()
    ensure_calendar()
    book = TargetBook()
    current = book.current(now)
    apps = _apps(f)
    ctes = compose(
        visits_ctes(apps, now),
        ",",
        _runs_cte(timezone.localtime(now).date()),
        ",",
        _journeys_cte(),
    )
    durations = _durations(ctes, f)
    counts = _counts(ctes, f, now)
    summary = {
        "filters": f.as_dict(),
        "generated_at": now,
        "request_to_access": _request_to_access(durations),
        "stages": _stages(durations, counts, current, book),
        "tracks": _tracks(durations, counts, current, book),
        "panel_response": _panel_response(durations, counts, current),
        "pushback": _pushback(counts),
        "first_time_approval": _rate(
            counts.get(("first_time", "decided"), 0), counts.get(("first_time", "approved"), 0)
        ),
        "pre_approved": _rate(
            counts.get(("owner_tracks", "decided"), 0),
            counts.get(("owner_tracks", "pre_approved"), 0),
        ),
        "target_breaches": _breaches(counts),
    }
    if live:
        summary.update(live_figures(f, now=now))
    return summary


def live_figures(f: MetricsFilter, *, now: datetime.datetime | None = None) -> dict:
    """The figures as of now (work in progress, the oldest open applications): indexed counts
    and a ``LIMIT``, whatever the history's size."""
    now = now or timezone.now()
    return {"work_in_progress": _work_in_progress(f), "oldest_open": _oldest(_apps(f), now)}


def _apps(f: MetricsFilter) -> tuple[str, list]:
    """The applications the filter selects, as SQL for ``visits_ctes``."""
    if not f.route and not f.dataset:
        return ALL_APPLICATIONS
    return apps_sql(filtered_applications(route=f.route, dataset=f.dataset))


def _durations(ctes: tuple[str, list], f: MetricsFilter) -> dict[tuple[str, str], dict]:
    """Long format (measure, grp, v) → count/mean/median/p90, in one query."""
    q = Sql()
    access_period = _in_period("j.access_at", f)
    left_period = _in_period("left_at", f)
    decided_period = _in_period("decided_at", f)
    stage_states = _in([*TRE_CLOCK_STATES, *APPLICANT_CLOCK_STATES])
    source = compose(
        "src AS (",
        "SELECT 'request_to_access' AS measure, '' AS grp,",
        q.days_between("j.requested_at", "j.access_at"),
        "AS v FROM journeys j WHERE j.access_at IS NOT NULL AND j.requested_at IS NOT NULL AND",
        access_period,
        "UNION ALL SELECT 'request_to_access_tre', '', SUM(v.calendar_days) FROM visits v"  # nosec B608
        " JOIN journeys j ON j.application_id = v.application_id"
        f" WHERE j.access_at IS NOT NULL AND v.state IN {_in(TRE_CLOCK_STATES)}"
        " AND v.entered_at < j.access_at AND",
        access_period,
        "GROUP BY v.application_id",
        # Each stage on its clock: the run's time when the stage ended (cumulative).
        "UNION ALL SELECT 'stage', state, cum_calendar_days FROM runs WHERE completes = 1 AND",
        left_period,
        "UNION ALL SELECT 'stage_working', state, cum_working_days FROM runs"
        " WHERE completes = 1 AND",
        left_period,
        # Per visit, the secondary view.
        "UNION ALL SELECT 'stage_visit', state, calendar_days FROM visits WHERE left_at IS NOT NULL"  # nosec B608
        f" AND next_state <> 'withdrawn' AND state IN {stage_states} AND",
        left_period,
        "UNION ALL SELECT 'stage_visit_working', state, working_days FROM visits"  # nosec B608
        f" WHERE left_at IS NOT NULL AND next_state <> 'withdrawn' AND state IN {stage_states}"
        " AND",
        left_period,
        # People's decisions and automatic ones (a pre-approved category) apart: an automatic
        # sign-off takes no time and would pull every owner figure down.
        "UNION ALL SELECT 'track', kind, calendar_days FROM track_visits"
        " WHERE decided_at IS NOT NULL AND automatic = %s AND",
        ("", [False]),
        decided_period,
        "UNION ALL SELECT 'track_working', kind, working_days FROM track_visits"
        " WHERE decided_at IS NOT NULL AND automatic = %s AND",
        ("", [False]),
        decided_period,
        "UNION ALL SELECT 'track_automatic', kind, calendar_days FROM track_visits"
        " WHERE decided_at IS NOT NULL AND automatic = %s AND",
        ("", [True]),
        decided_period,
        ")",
    )
    sql, params = compose("WITH", ctes, ",", source, stats_select("src"))
    out = {}
    for row in run(sql, params):
        out[(row["measure"], row["grp"])] = {
            "count": int(row["n"] or 0),
            "mean_days": as_float(row["mean"]),
            "median_days": as_float(row["median"]),
            "p90_days": as_float(row["p90"]),
        }
    return out


def _counts(ctes: tuple[str, list], f: MetricsFilter, now: datetime.datetime) -> dict:
    """Counts for rates and breaches, in one query: rows of (measure, grp, n)."""
    q = Sql()
    today = q.day(timezone.localtime(now).date())
    left_period = _in_period("v.left_at", f)
    decided_period = _in_period("t.decided_at", f)
    entered_period = _in_period("v.entered_at", f)
    panel = _in(PANEL_KINDS)
    pushed_back = _in([Outcome.REVISE_AND_RESUBMIT, Outcome.REJECTED])
    run_period = _in_period("r.left_at", f)
    sql, params = compose(
        "WITH",
        ctes,
        # Internal review: every visit that ended in a decision, and those that pushed back.
        "SELECT 'internal_review' AS measure, 'decided' AS grp, COUNT(*) AS n FROM visits v"
        " WHERE v.state = 'internal_review' AND v.next_state IN"
        " ('in_review', 'changes_requested', 'rejected') AND",
        left_period,
        "UNION ALL SELECT 'internal_review', 'pushed_back', COUNT(*) FROM visits v"
        " WHERE v.state = 'internal_review' AND v.next_state IN ('changes_requested', 'rejected')"
        " AND",
        left_period,
        # Panels: decisions, push-backs and answers within the due date, per panel.
        f"UNION ALL SELECT 'panel_decided', t.kind, COUNT(*) FROM track_visits t"  # nosec B608
        f" WHERE t.kind IN {panel} AND t.decided_at IS NOT NULL AND",
        decided_period,
        "GROUP BY t.kind",
        f"UNION ALL SELECT 'panel_pushed_back', t.kind, COUNT(*) FROM track_visits t"  # nosec B608
        f" WHERE t.kind IN {panel} AND t.decided_at IS NOT NULL AND t.outcome IN {pushed_back}"
        " AND",
        decided_period,
        "GROUP BY t.kind",
        "UNION ALL SELECT 'track_within_target', t.kind, COUNT(*) FROM track_visits t"
        " WHERE t.decided_at IS NOT NULL AND t.automatic = %s AND t.ended_on <= t.due_date AND",
        ("", [False]),
        decided_period,
        "GROUP BY t.kind",
        # Owner sign-off: decided, and decided by the system under a pre-approved category.
        "UNION ALL SELECT 'owner_tracks', 'decided', COUNT(*) FROM track_visits t"
        " WHERE t.kind = 'owner_signoff' AND t.decided_at IS NOT NULL AND",
        decided_period,
        "UNION ALL SELECT 'owner_tracks', 'pre_approved', COUNT(*) FROM track_visits t"
        " WHERE t.kind = 'owner_signoff' AND t.decided_at IS NOT NULL AND t.automatic = %s AND",
        ("", [True]),
        decided_period,
        # First-time approval: decisions made, and approvals with no changes asked for at
        # internal review or by the panels.
        "UNION ALL SELECT 'first_time', 'decided', COUNT(*) FROM visits v"
        " WHERE v.state IN ('approved', 'rejected') AND v.visit = 1 AND",
        entered_period,
        "UNION ALL SELECT 'first_time', 'approved', COUNT(*) FROM visits v"
        " WHERE v.state = 'approved' AND v.visit = 1 AND NOT EXISTS (SELECT 1 FROM visits c"
        " WHERE c.application_id = v.application_id AND c.state = 'changes_requested'"
        " AND c.from_state IN ('internal_review', 'in_review')) AND",
        entered_period,
        # Late stages (the one rule, on each stage's cumulative clock): stages that ended in
        # the period late, and stages whose clock runs now and are already late; and which
        # version of the target judged the stages that ended.
        "UNION ALL SELECT 'breach_completed', r.state, SUM(r.late) FROM runs r"
        " WHERE r.completes = 1 AND r.target_id IS NOT NULL AND",
        run_period,
        "GROUP BY r.state",
        # An open visit is always of the application's current state (StageVisit).
        "UNION ALL SELECT 'breach_open', r.state, SUM(r.late) FROM runs r"
        " WHERE r.left_at IS NULL AND r.target_id IS NOT NULL GROUP BY r.state",
        "UNION ALL SELECT 'judged', r.state || ':' || CAST(r.target_id AS TEXT), COUNT(*)"
        " FROM runs r WHERE r.completes = 1 AND r.target_id IS NOT NULL AND",
        run_period,
        "GROUP BY r.state, r.target_id",
        "UNION ALL SELECT 'judged', t.kind || ':' || CAST(t.target_id AS TEXT), COUNT(*)"
        " FROM track_visits t WHERE t.decided_at IS NOT NULL AND t.automatic = %s"
        " AND t.target_id IS NOT NULL AND",
        ("", [False]),
        decided_period,
        "GROUP BY t.kind, t.target_id",
        "UNION ALL SELECT 'breach_completed', t.kind, COUNT(*) FROM track_visits t"
        " WHERE t.decided_at IS NOT NULL AND t.automatic = %s AND t.ended_on > t.due_date AND",
        ("", [False]),
        decided_period,
        "GROUP BY t.kind",
        "UNION ALL SELECT 'breach_open', t.kind, COUNT(*) FROM track_visits t"
        " JOIN workflow_application a ON a.id = t.application_id AND a.state = 'in_review'"
        " WHERE t.track_state = 'open' AND t.superseded = %s AND t.due_date < %s"
        " GROUP BY t.kind",
        ("", [False, today]),
    )
    return {(r["measure"], r["grp"]): int(r["n"] or 0) for r in run(sql, params)}


def _rate(total: int, part: int) -> dict[str, Any]:
    return {"count": total, "hits": part, "rate": round(part / total, 3) if total else None}


def _request_to_access(durations: dict) -> dict[str, Any]:
    calendar = durations.get(("request_to_access", ""), _empty())
    tre = durations.get(("request_to_access_tre", ""), _empty())
    return {
        **calendar,
        "tre_clock_median_days": tre["median_days"],
        "tre_clock_p90_days": tre["p90_days"],
        "target_days": settings.TURNAROUND_REQUEST_TO_ACCESS_TARGET_DAYS,
    }


def _empty() -> dict[str, Any]:
    return {"count": 0, "mean_days": None, "median_days": None, "p90_days": None}


def _judged_by(counts: dict, group: str, book: TargetBook) -> list[dict[str, Any]]:
    """Which versions of the target judged what ended in the period, and how many each."""
    rows = []
    for (measure, key), n in counts.items():
        name, _, target_id = key.rpartition(":")
        if measure == "judged" and name == group and int(target_id) in book.by_id:
            rows.append({**book.by_id[int(target_id)].as_dict(), "count": n})
    return sorted(rows, key=lambda r: r["effective_from"])


def _stages(
    durations: dict, counts: dict, current: dict[str, Target], book: TargetBook
) -> list[dict[str, Any]]:
    out = []
    for state in (*TRE_CLOCK_STATES, *APPLICANT_CLOCK_STATES):
        stage = STAGE_FOR_STATE.get(state)
        calendar = durations.get(("stage", state), _empty())
        working = durations.get(("stage_working", state), _empty())
        visit = durations.get(("stage_visit", state), _empty())
        visit_working = durations.get(("stage_visit_working", state), _empty())
        out.append(
            {
                "stage": str(state),
                "clock": clock_of(state),
                "cumulative": state in CUMULATIVE_STATES,
                **calendar,
                "median_working_days": working["median_days"],
                "p90_working_days": working["p90_days"],
                "target": current[stage].as_dict() if stage else None,
                "judged_by": _judged_by(counts, state, book) if stage else [],
                "breaches": counts.get(("breach_completed", state), 0) if stage else None,
                "open_breaches": counts.get(("breach_open", state), 0) if stage else None,
                "per_visit": {
                    **visit,
                    "median_working_days": visit_working["median_days"],
                    "p90_working_days": visit_working["p90_days"],
                },
            }
        )
    return out


def _tracks(
    durations: dict, counts: dict, current: dict[str, Target], book: TargetBook
) -> list[dict[str, Any]]:
    out = []
    for kind in TrackKind.values:
        calendar = durations.get(("track", kind), _empty())
        working = durations.get(("track_working", kind), _empty())
        out.append(
            {
                "kind": kind,
                **calendar,
                "median_working_days": working["median_days"],
                "p90_working_days": working["p90_days"],
                "target": target_for_track(kind, current).as_dict(),
                "judged_by": _judged_by(counts, kind, book),
                "breaches": counts.get(("breach_completed", kind), 0),
                "open_breaches": counts.get(("breach_open", kind), 0),
                "automatic": durations.get(("track_automatic", kind), _empty()),
            }
        )
    return out


def _panel_response(durations: dict, counts: dict, current: dict) -> list[dict[str, Any]]:
    out = []
    for kind in PANEL_KINDS:
        calendar = durations.get(("track", kind), _empty())
        decided = counts.get(("panel_decided", kind), 0)
        within = counts.get(("track_within_target", kind), 0)
        out.append(
            {
                "panel": str(kind),
                **calendar,
                "target_days": target_for_track(kind, current).days,
                "target_unit": target_for_track(kind, current).unit,
                "within_target_rate": round(within / decided, 3) if decided else None,
            }
        )
    return out


def _pushback(counts: dict) -> dict[str, Any]:
    panels = {
        str(kind): _rate(
            counts.get(("panel_decided", kind), 0), counts.get(("panel_pushed_back", kind), 0)
        )
        for kind in PANEL_KINDS
    }
    return {
        "internal_review": _rate(
            counts.get(("internal_review", "decided"), 0),
            counts.get(("internal_review", "pushed_back"), 0),
        ),
        "panels": _rate(
            sum(p["count"] for p in panels.values()), sum(p["hits"] for p in panels.values())
        ),
        "by_panel": panels,
    }


def _breaches(counts: dict) -> dict[str, Any]:
    by_stage: defaultdict[str, dict[str, int]] = defaultdict(lambda: {"completed": 0, "open": 0})
    for (measure, grp), n in counts.items():
        # Stages by their target's name (``approved`` is ``grant_access``), tracks by kind.
        if measure == "breach_completed":
            by_stage[STAGE_FOR_STATE.get(grp, grp)]["completed"] += n
        elif measure == "breach_open":
            by_stage[STAGE_FOR_STATE.get(grp, grp)]["open"] += n
    rows = [{"stage": stage, **v} for stage, v in sorted(by_stage.items())]
    return {
        "completed": sum(r["completed"] for r in rows),
        "open": sum(r["open"] for r in rows),
        "by_stage": rows,
    }


def _work_in_progress(f: MetricsFilter) -> dict[str, Any]:
    apps = filtered_applications(route=f.route, dataset=f.dataset)
    by_state = dict(apps.filter(state__in=OPEN_STATES).values_list("state").annotate(n=Count("id")))
    tracks = ReviewTrack.objects.filter(
        # Unfiltered, no ``IN`` over every application (a join and a semi-join per track).
        *([Q(application__in=apps)] if f.route or f.dataset else []),
        application__state=State.IN_REVIEW,
        state=TrackState.OPEN,
        superseded=False,
    )
    by_kind = dict(tracks.values_list("kind").annotate(n=Count("id")))
    owners = [
        {"organisation_id": org_id, "organisation": name, "open": n}
        for org_id, name, n in tracks.filter(kind=TrackKind.OWNER_SIGNOFF)
        .values_list("organisation_id", "organisation__name")
        .annotate(n=Count("id"))
        .order_by("-n", "organisation__name")
    ]
    analysts = [
        {"user_id": uid, "name": name, "open": n}
        for uid, name, n in apps.filter(
            Q(state=State.SCOPING)
            | Q(state=State.CHANGES_REQUESTED, changes_requested_from=State.SCOPING),
            analyst__isnull=False,
        )
        .values_list("analyst_id", "analyst__full_name")
        .annotate(n=Count("id"))
        .order_by("-n", "analyst__full_name")
    ]
    reviewers = users_with_role(Role.REVIEWER).count()
    internal = by_state.get(State.INTERNAL_REVIEW, 0)
    return {
        "by_stage": [{"state": str(s), "count": by_state.get(s, 0)} for s in OPEN_STATES],
        "open_tracks": [{"kind": k, "count": by_kind.get(k, 0)} for k in TrackKind.values],
        "analysts": analysts,
        # Internal review is a shared queue: reviewers are not assigned to applications.
        "reviewers": {
            "open": internal,
            "people": reviewers,
            "per_person": round(internal / reviewers, 2) if reviewers else None,
        },
        "owners": owners,
    }


def _oldest(apps: tuple[str, list], now: datetime.datetime) -> list[dict[str, Any]]:
    """The applications open longest since they were first submitted, with the current
    stage's age (one query: the first submissions' index in date order, stopping at the
    limit, so its cost does not grow with the number of applications)."""
    q = Sql()
    sql, params = compose(
        "SELECT a.id, a.reference, a.title, a.state, f.entered_at AS requested_at,"
        " v.entered_at AS since,",
        (q.days_between("f.entered_at", "%s"), [q.moment(now)]),
        "AS days_open,",
        (q.days_between("v.entered_at", "%s"), [q.moment(now)]),
        "AS days_in_state, u.full_name AS analyst"
        " FROM workflow_stage_visit f JOIN workflow_application a ON a.id = f.application_id"
        " JOIN workflow_stage_visit v ON v.application_id = a.id AND v.left_at IS NULL"
        " LEFT JOIN access_user u ON u.id = a.analyst_id"
        f" WHERE f.state = 'scoping' AND f.visit = 1 AND a.state IN {_in(OPEN_STATES)}",  # nosec B608
        *only_applications("AND a.id", apps),
        "ORDER BY f.entered_at, a.id LIMIT %s",
        ("", [OLDEST_LIMIT]),
    )
    return [
        {
            "application_id": r["id"],
            "reference": r["reference"],
            "title": r["title"],
            "state": r["state"],
            "submitted_at": r["requested_at"],
            "in_state_since": r["since"],
            "days_open": as_float(r["days_open"]),
            "days_in_state": as_float(r["days_in_state"]),
            "holder": holder_label(r["state"], r["analyst"]),
            "alert": float(r["days_open"] or 0) >= settings.TURNAROUND_OPEN_ALERT_DAYS,
        }
        for r in run(sql, params)
    ]


def request_to_access_journeys(
    f: MetricsFilter, *, now: datetime.datetime | None = None
) -> list[dict[str, Any]]:
    """The values behind ``request_to_access``: for each application that got access in the
    period, the local day of first access and the days from first submission to it, oldest
    first. The ops dashboard draws the distribution and the monthly trend from them. One
    query (plus the calendar check)."""
    now = now or timezone.now()
    ensure_calendar()
    ctes = compose(visits_ctes(_apps(f), now), ",", _journeys_cte())
    q = Sql()
    access_day = q.local_date("j.access_at")
    sql, params = compose(
        "WITH",
        ctes,
        "SELECT",
        access_day,
        "AS access_on,",
        q.days_between("j.requested_at", "j.access_at"),
        "AS days FROM journeys j WHERE j.access_at IS NOT NULL AND j.requested_at IS NOT NULL AND",
        _in_period("j.access_at", f),
        "ORDER BY j.access_at",
    )
    return [
        {"access_on": _as_date(r["access_on"]), "days": as_float(r["days"])}
        for r in run(sql, params)
    ]
