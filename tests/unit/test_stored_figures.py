"""Slow-changing figures kept, not recomputed per request (issue 24): the public typical times
and the forecast's history, each stored with the moment it was worked out."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from workflow.models import State, StoredFigure
from workflow.turnaround import forecast
from workflow.turnaround.stage_guide import refresh_typical_days, stored_typical_days

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    from tests.factories.workflow import World

    return World()


def test_the_typical_times_are_read_from_the_store_and_the_page_says_as_of_when(world, client):
    typical, as_of = refresh_typical_days()
    with CaptureQueriesContext(connection) as captured:
        again, when = stored_typical_days()
    assert (again, when) == (typical, as_of)
    assert len(captured) == 1
    body = client.get("/how-to-get-access/").content.decode()
    assert f"Typical times as of {timezone.localtime(as_of):%-d %B %Y, %H:%M}" in body


def test_typical_times_a_day_old_are_worked_out_again(world):
    _, first = refresh_typical_days()
    StoredFigure.objects.filter(key="typical_days").update(
        computed_at=first - datetime.timedelta(days=2)
    )
    _, second = stored_typical_days()
    assert second > first - datetime.timedelta(days=1)


def test_the_forecast_reads_its_history_once_an_hour(world, settings):
    settings.TURNAROUND_FORECAST_HISTORY_MAX_AGE = 3600
    application = world.at(State.SCOPING)
    first = forecast.application_forecast(application)
    known_at = StoredFigure.objects.get(key=forecast.HISTORY_KEY).computed_at
    # Kept: the next forecast reads the stored moment, not every visit ranked again.
    with CaptureQueriesContext(connection) as captured:
        second = forecast.application_forecast(application)
    assert not any("ROW_NUMBER" in q["sql"] for q in captured.captured_queries)
    assert second["predicted_access_date"] == first["predicted_access_date"]
    assert StoredFigure.objects.get(key=forecast.HISTORY_KEY).computed_at == known_at
    # An hour on, it is read again.
    StoredFigure.objects.filter(key=forecast.HISTORY_KEY).update(
        computed_at=known_at - datetime.timedelta(hours=2)
    )
    forecast.application_forecast(application)
    assert StoredFigure.objects.get(key=forecast.HISTORY_KEY).computed_at > known_at


def test_the_stored_history_is_the_history_as_read(world):
    world.at(State.INTERNAL_REVIEW)
    world.at(State.IN_REVIEW)
    now = timezone.now()
    visits, tracks = forecast.history_rows(now)
    forecast.refresh_history(now)
    forecast._HISTORY_MEMO.clear()
    stored_visits, stored_tracks, at = forecast.stored_history(now)
    assert at == now
    assert stored_visits == visits
    assert stored_tracks == tracks


def test_beat_refreshes_the_figures():
    from config.celery import BEAT_SCHEDULE

    assert BEAT_SCHEDULE["workflow-refresh-figures"]["task"] == "workflow.tasks.refresh_figures"


def test_the_turnaround_page_reads_the_whole_history_from_the_store(world, client):
    from workflow.turnaround import dashboard

    world.at(State.ACTIVE)
    stored_at = dashboard.refresh_dashboard()
    client.force_login(world.ops)
    with CaptureQueriesContext(connection) as captured:
        body = client.get("/ops/turnaround/").content.decode()
    # No query reads the stage visits' whole history (the runs and journeys of the summary).
    assert not any("runs AS" in q["sql"] or "journeys AS" in q["sql"] for q in captured)
    local = timezone.localtime(stored_at)
    assert f"worked out at {local:%H:%M} on {local:%-d %B %Y}" in body
    assert StoredFigure.objects.get(key=dashboard.DASHBOARD_KEY).computed_at == stored_at
    # A filtered view is worked out for the request, and says nothing of a stored moment.
    filtered = client.get("/ops/turnaround/?route=standard").content.decode()
    assert "worked out at" not in filtered


def test_the_stored_turnaround_figures_are_the_figures_as_worked_out(world):
    from workflow.turnaround import dashboard, metrics

    world.at(State.ACTIVE)
    world.at(State.IN_REVIEW)
    now = timezone.now()
    live = metrics.turnaround_summary(metrics.MetricsFilter(), now=now)
    dashboard.refresh_dashboard(now)
    dashboard._MEMO.clear()
    stored = dashboard.dashboard(metrics.MetricsFilter(), now=now)
    assert stored.as_of == now
    assert stored.summary == live
    journeys = metrics.request_to_access_journeys(metrics.MetricsFilter())
    assert stored.distribution.bars == dashboard.charts.distribution(journeys).bars
    assert stored.trend.bars == (
        dashboard.charts.monthly_trend(journeys, target=dashboard._target()).bars
    )


def test_turnaround_figures_a_day_old_are_worked_out_again(world):
    from workflow.turnaround import dashboard, metrics

    first = dashboard.refresh_dashboard()
    StoredFigure.objects.filter(key=dashboard.DASHBOARD_KEY).update(
        computed_at=first - datetime.timedelta(days=2)
    )
    assert dashboard.dashboard(metrics.MetricsFilter()).as_of > first - datetime.timedelta(days=1)
