"""The ops dashboard's charts: values never written across the target line, whole days, and
months with no access kept in the trend."""

from __future__ import annotations

import datetime

from workflow.turnaround import charts


def _journey(day: datetime.date, days: float) -> dict:
    return {"access_on": day, "days": days}


def test_the_trend_keeps_months_with_no_access_and_writes_whole_days():
    journeys = [
        _journey(datetime.date(2026, 1, 10), 60.4),
        _journey(datetime.date(2026, 4, 2), 0.3),
    ]
    chart = charts.monthly_trend(journeys, target=70)
    assert [b.label for b in chart.bars] == ["2026 Jan", "2026 Feb", "2026 Mar", "2026 Apr"]
    assert [b.text for b in chart.bars] == ["60 days", "no access", "no access", "under 1 day"]
    assert "2 months with no access" in chart.summary


def test_a_value_is_written_after_the_target_line_not_across_it():
    journeys = [_journey(datetime.date(2026, 1, 10), 10)]
    chart = charts.monthly_trend(journeys, target=70)
    row = chart.rows[0]
    assert row["marker_x"] > row["bar_x"] + row["bar_width"]
    assert row["value_x"] > row["marker_x"]
    assert chart.width <= 440  # narrow enough to read on a phone


def test_an_empty_period_does_not_claim_every_stage_is_within_its_target():
    stage = {
        "stage": "scoping",
        "target": {"days": 20, "unit": "working"},
        "median_working_days": None,
        "p90_working_days": None,
        "median_days": None,
        "p90_days": None,
        "count": 0,
        "breaches": 0,
    }
    chart = charts.stages_against_targets([stage], [], {"scoping": "Scoping"})
    assert "within" not in chart.summary
    assert "No stage ended in this period" in chart.summary
