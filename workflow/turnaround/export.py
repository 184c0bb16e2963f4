"""The turnaround figures as one table for a spreadsheet: one row per period and measure
(stage, review track, panel, the whole journey), every row with the same headed columns, so
it can be filtered, sorted and pivoted as it is."""

from __future__ import annotations

import calendar
import datetime
import statistics
from typing import Any

COLUMNS = (
    "period_from",
    "period_to",
    "measure",
    "name",
    "count",
    "mean_days",
    "median_days",
    "p90_days",
    "median_working_days",
    "p90_working_days",
    "target",
    "target_unit",
    "breaches",
    "open_breaches",
    "application",
    "title",
)


def _row(period: tuple[Any, Any], measure: str, name: str, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = dict.fromkeys(COLUMNS, "")
    row.update(period_from=period[0] or "", period_to=period[1] or "", measure=measure, name=name)
    for key, value in values.items():
        row[key] = "" if value is None else value
    return row


def _stats(item: dict[str, Any]) -> dict[str, Any]:
    return {
        key: item.get(key)
        for key in (
            "count",
            "mean_days",
            "median_days",
            "p90_days",
            "median_working_days",
            "p90_working_days",
            "breaches",
            "open_breaches",
        )
    }


def _month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def turnaround_table(summary: dict[str, Any], journeys: list[dict[str, Any]]) -> list[dict]:
    """Rows for ``summary`` (``metrics.turnaround_summary``) over its filter's period, then the
    request-to-access journeys month by month (every month from the first to the last, those
    with no access included), then the open applications waiting longest."""
    filters = summary.get("filters") or {}
    period = (filters.get("from"), filters.get("to"))
    whole = summary["request_to_access"]
    rows = [
        _row(
            period,
            "request_to_access",
            "request to access",
            **_stats(whole),
            target=whole.get("target_days"),
            target_unit="days",
        )
    ]
    for stage in summary["stages"]:
        target = stage.get("target") or {}
        rows.append(
            _row(
                period,
                "stage",
                stage["stage"],
                **_stats(stage),
                target=target.get("days"),
                target_unit=target.get("unit"),
            )
        )
    for track in summary["tracks"]:
        target = track.get("target") or {}
        rows.append(
            _row(
                period,
                "review_track",
                track["kind"],
                **_stats(track),
                target=target.get("days"),
                target_unit=target.get("unit"),
            )
        )
    for panel in summary["panel_response"]:
        rows.append(
            _row(
                period,
                "panel_response",
                panel["panel"],
                **_stats(panel),
                target=panel.get("target_days"),
                target_unit=panel.get("target_unit"),
            )
        )
    by_month: dict[datetime.date, list[float]] = {}
    for journey in journeys:
        if journey["days"] is not None:
            first = journey["access_on"].replace(day=1)
            by_month.setdefault(first, []).append(journey["days"])
    if by_month:
        month, last = min(by_month), max(by_month)
        while month <= last:
            days = by_month.get(month, [])
            rows.append(
                _row(
                    (month, _month_end(month)),
                    "request_to_access_by_month",
                    "request to access",
                    count=len(days),
                    mean_days=round(statistics.fmean(days), 1) if days else None,
                    median_days=round(statistics.median(days), 1) if days else None,
                    target=whole.get("target_days"),
                    target_unit="days",
                )
            )
            month = (month + datetime.timedelta(days=32)).replace(day=1)
    wip = summary["work_in_progress"]
    for item in wip["by_stage"]:
        rows.append(_row(period, "open_now", item["state"], count=item["count"]))
    for item in wip["open_tracks"]:
        rows.append(_row(period, "open_review_tracks_now", item["kind"], count=item["count"]))
    for person in wip["analysts"]:
        rows.append(_row(period, "open_scoping_by_analyst", person["name"], count=person["open"]))
    for item in summary["oldest_open"]:
        rows.append(
            _row(
                period,
                "oldest_open",
                item["state"],
                count=1,
                mean_days=item.get("days_open"),
                application=item.get("reference"),
                title=item.get("title"),
            )
        )
    return rows
