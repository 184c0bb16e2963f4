"""The Turnaround page's whole-history figures, kept rather than recomputed on every visit.

Unfiltered, the page showed every figure of ``metrics.turnaround_summary`` and the monthly
history of request to access (``metrics.request_to_access_journeys``), both read from every
stage visit of the TRE on every visit of the page: 8.8 s at 100,000 applications
(docs/benchmarks.md). Those figures change slowly (what *ended*, month by month), so they are
stored (``StoredFigure`` "turnaround_dashboard") with the moment they were worked out, refreshed
hourly by beat (``workflow.tasks.refresh_figures``) and on first use when missing or older than
``DASHBOARD_FOR``; the page says as of when. What is "as of now" (work in progress, the oldest
open applications) is counted apart (``StoredFigure`` "turnaround_live"): counting the open work
is a ``GROUP BY`` over every open application and track (0.2 s at 100,000 applications, growing
with the work open), so the counts are kept for ``TURNAROUND_LIVE_FIGURES_MAX_AGE`` (five
minutes), counted again by beat every four (``workflow.tasks.refresh_live_figures``) or, beat
being down, by the first visit after; the page says when they were counted.

A filtered view (a period, a legal gateway, a dataset) is computed on request, as before: it is
ops asking a question, not the landing figures, and the filter narrows what is read.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone

from workflow.turnaround import charts, metrics
from workflow.turnaround.models import StoredFigure

DASHBOARD_KEY = "turnaround_dashboard"
# Beat refreshes it hourly; a day is how stale it may get when beat is down.
DASHBOARD_FOR = datetime.timedelta(days=1)
# Figures as of now, read on every visit (cheap: indexed counts and a LIMIT).
LIVE = ("work_in_progress", "oldest_open")

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_MEMO: dict[str, Any] = {}


LIVE_KEY = "turnaround_live"


@dataclass(frozen=True)
class Dashboard:
    summary: dict[str, Any]
    distribution: charts.Chart
    trend: charts.Chart
    as_of: datetime.datetime | None  # None: computed for this request
    live_as_of: datetime.datetime | None = None  # when the open work was counted (None: now)


def _target() -> float:
    return float(settings.TURNAROUND_REQUEST_TO_ACCESS_TARGET_DAYS)


def _journey_charts(f: metrics.MetricsFilter) -> tuple[charts.Chart, charts.Chart]:
    journeys = metrics.request_to_access_journeys(f)
    return charts.distribution(journeys), charts.monthly_trend(journeys, target=_target())


def _plain(value: Any) -> Any:
    """JSON for the store: dates and moments as ISO text, decimals as floats."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def _revived(value: Any) -> Any:
    """The stored JSON with its dates and moments as dates and moments again (the summary's
    only text that looks like one is a date: codes, labels and names never do)."""
    if isinstance(value, dict):
        return {k: _revived(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_revived(v) for v in value]
    if isinstance(value, str):
        if _DAY.match(value):
            return datetime.date.fromisoformat(value)
        if _MOMENT.match(value):
            return datetime.datetime.fromisoformat(value)
    return value


def _chart_value(chart: charts.Chart) -> dict[str, Any]:
    return {
        "key": chart.key,
        "title": chart.title,
        "summary": chart.summary,
        "headers": list(chart.headers),
        "marker_label": chart.marker_label,
        "bars": [asdict(bar) for bar in chart.bars],
    }


def _chart(value: dict[str, Any]) -> charts.Chart:
    bars = [charts.Bar(**{**bar, "extra": tuple(bar["extra"])}) for bar in value["bars"]]
    return charts.Chart(
        value["key"],
        value["title"],
        value["summary"],
        tuple(value["headers"]),
        bars,
        marker_label=value["marker_label"],
    ).layout()


def refresh_dashboard(now: datetime.datetime | None = None) -> datetime.datetime:
    """Work the whole-history figures out again and store them (beat, hourly)."""
    now = now or timezone.now()
    f = metrics.MetricsFilter()
    summary = metrics.turnaround_summary(f, now=now, live=False)
    distribution, trend = _journey_charts(f)
    StoredFigure.objects.update_or_create(
        key=DASHBOARD_KEY,
        defaults={
            "value": {
                "summary": _plain(summary),
                "distribution": _chart_value(distribution),
                "trend": _chart_value(trend),
                "target": _target(),
            },
            "computed_at": now,
        },
    )
    _MEMO.clear()
    return now


def _stored(now: datetime.datetime) -> tuple[dict[str, Any], datetime.datetime]:
    """The stored figures, parsed once per process until they change (one small query)."""
    stored_at = (
        StoredFigure.objects.filter(key=DASHBOARD_KEY).values_list("computed_at", flat=True).first()
    )
    if stored_at is None or stored_at < now - DASHBOARD_FOR or stored_at > now:
        stored_at = refresh_dashboard(now)
    if _MEMO.get("at") != stored_at:
        value = StoredFigure.objects.get(key=DASHBOARD_KEY).value
        if value.get("target") != _target():
            # The request-to-access target changed since: the trend's line moved with it.
            stored_at = refresh_dashboard(now)
            value = StoredFigure.objects.get(key=DASHBOARD_KEY).value
        _MEMO.clear()
        _MEMO.update(
            at=stored_at,
            summary=_revived(value["summary"]),
            distribution=_chart(value["distribution"]),
            trend=_chart(value["trend"]),
        )
    return _MEMO, stored_at


def live_for() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.TURNAROUND_LIVE_FIGURES_MAX_AGE)


def refresh_live(now: datetime.datetime | None = None) -> datetime.datetime:
    """Count the open work again and store it (beat, every four minutes)."""
    now = now or timezone.now()
    figures = metrics.live_figures(metrics.MetricsFilter(), now=now)
    StoredFigure.objects.update_or_create(
        key=LIVE_KEY, defaults={"value": _plain(figures), "computed_at": now}
    )
    return now


def _live_revived(value: dict[str, Any]) -> dict[str, Any]:
    """The stored counts with the oldest applications' moments as moments again (only those
    fields: the titles beside them are anyone's words)."""
    oldest = [
        {
            **row,
            "submitted_at": row["submitted_at"]
            and datetime.datetime.fromisoformat(row["submitted_at"]),
            "in_state_since": row["in_state_since"]
            and datetime.datetime.fromisoformat(row["in_state_since"]),
        }
        for row in value["oldest_open"]
    ]
    return {"work_in_progress": value["work_in_progress"], "oldest_open": oldest}


def _stored_live(now: datetime.datetime) -> tuple[dict[str, Any], datetime.datetime]:
    """The stored counts of open work and when they were counted (one small query while they
    are fresh; counted again here when missing or older than ``live_for()``)."""
    row = StoredFigure.objects.filter(key=LIVE_KEY).values_list("computed_at", "value").first()
    if row is None or row[0] < now - live_for() or row[0] > now:
        counted_at = refresh_live(now)
        value = StoredFigure.objects.filter(key=LIVE_KEY).values_list("value", flat=True).get()
        return _live_revived(value), counted_at
    return _live_revived(row[1]), row[0]


def dashboard(f: metrics.MetricsFilter, *, now: datetime.datetime | None = None) -> Dashboard:
    """The Turnaround page's figures for ``f``: stored when unfiltered (the history's hourly,
    the open work's every five minutes, with when each was worked out); computed for this
    request when filtered."""
    now = now or timezone.now()
    if f != metrics.MetricsFilter():
        distribution, trend = _journey_charts(f)
        return Dashboard(metrics.turnaround_summary(f, now=now), distribution, trend, None)
    memo, stored_at = _stored(now)
    live, counted_at = _stored_live(now)
    summary = {**memo["summary"], **live}
    return Dashboard(summary, memo["distribution"], memo["trend"], stored_at, counted_at)
