"""What the application's overview, the public register page and the Turnaround page cost in
queries: the same whatever the number of review tracks, entries or open applications, under a
ceiling (issue 24). The overview asked who holds the next step five queries a track, three times
a page; the register read every select's choices three times and the outputs it never shows;
the Turnaround page counted every open application and track for each visit."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from workflow.models import State, StoredFigure, TrackState
from workflow.turnaround import dashboard

pytestmark = pytest.mark.django_db

# The most queries each page may send (the session, the person and their roles, the
# navigation's counts, and what the page shows).
OVERVIEW_CEILING = {"ops": 25, "reviewer": 26, "pi": 23, "panel": 26}
REGISTER_CEILING = 6
TURNAROUND_CEILING = 15


def _get(client, path: str, *, anonymous: bool = False) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    queries = [q["sql"] for q in captured.captured_queries]
    if anonymous:
        # The throttle of anonymous pages counts in the cache: Redis in production, a table in
        # the tests' database (settings.CACHES), with its savepoints; not the page's.
        queries = [q for q in queries if "tre_cache" not in q and "SAVEPOINT" not in q]
    assert response.status_code == 200, response.content.decode()[-2000:]
    return len(queries), response.content.decode()


def _in_review(world, *, both_providers: bool):
    """An application in review: the IGRP's track and one owner's, or two owners'."""
    if both_providers:
        return world.at(State.IN_REVIEW, datasets=world.both_datasets())
    return world.at(State.IN_REVIEW)


@pytest.mark.parametrize("who", ["ops", "reviewer", "pi", "panel"])
def test_the_overview_costs_the_same_queries_whatever_its_tracks(page_client, world, who, settings):
    # As in production: the forecast's history kept (the tests' default reads it each time).
    settings.TURNAROUND_FORECAST_HISTORY_MAX_AGE = 3600
    world.add_health_provider()
    one_owner = _in_review(world, both_providers=False)
    two_owners = _in_review(world, both_providers=True)
    assert two_owners.tracks.filter(state=TrackState.OPEN).count() == (
        one_owner.tracks.filter(state=TrackState.OPEN).count() + 1
    )
    client = page_client(getattr(world, who))
    client.get(f"/applications/{one_owner.pk}/")  # the stored figures a first visit makes
    few, body = _get(client, f"/applications/{one_owner.pk}/")
    assert one_owner.reference in body
    many, body = _get(client, f"/applications/{two_owners.pk}/")
    assert "Sign-off: Hywel Dda Health Board" in body
    if who == "panel":
        # The chair's own next step, worked out once for the words and the banner.
        assert "You need to review this application for the Independent Governance" in body
    assert many == few
    assert many <= OVERVIEW_CEILING[who]


def test_the_register_page_costs_the_same_queries_for_n_and_3n_entries(page_client, world):
    made = [world.at(State.REJECTED, title=f"Declined {n}") for n in range(2)]
    client = page_client()
    few, body = _get(client, "/register/", anonymous=True)
    assert all(app.reference in body for app in made)
    made += [world.at(State.REJECTED, title=f"Declined {n}") for n in range(2, 6)]
    many, body = _get(client, "/register/", anonymous=True)
    assert all(app.reference in body for app in made)
    assert "Pupil attainment" in body  # the dataset filter's choices are still there
    assert many == few <= REGISTER_CEILING


def test_the_turnaround_page_counts_open_work_at_most_every_few_minutes(
    page_client, world, settings
):
    settings.TURNAROUND_LIVE_FIGURES_MAX_AGE = 300
    first = world.at(State.SCOPING)
    client = page_client(world.ops)
    client.get("/ops/turnaround/")  # the figures, worked out and kept from now
    few, body = _get(client, "/ops/turnaround/")
    assert first.reference in body  # among the oldest open applications
    counted = StoredFigure.objects.get(key=dashboard.LIVE_KEY).computed_at
    assert f"were counted at {timezone.localtime(counted):%H:%M}" in body
    later = [world.at(State.SCOPING) for _ in range(2)]
    many, body = _get(client, "/ops/turnaround/")
    # Kept: the same counts, the same moment, and no more queries for more open work.
    assert StoredFigure.objects.get(key=dashboard.LIVE_KEY).computed_at == counted
    assert later[0].reference not in body
    assert many == few <= TURNAROUND_CEILING
    # Older than the setting allows: counted again on the next visit.
    StoredFigure.objects.filter(key=dashboard.LIVE_KEY).update(
        computed_at=counted - datetime.timedelta(seconds=301)
    )
    body = client.get("/ops/turnaround/").content.decode()
    assert all(app.reference in body for app in later)


def test_beat_counts_the_open_work_again(world):
    import workflow.tasks  # noqa: F401  (registers the task)
    from config.celery import BEAT_SCHEDULE, app

    entry = BEAT_SCHEDULE["workflow-refresh-live-figures"]
    world.at(State.SCOPING)
    app.tasks[entry["task"]].apply()
    live = StoredFigure.objects.get(key=dashboard.LIVE_KEY).value["work_in_progress"]
    assert {row["state"]: row["count"] for row in live["by_stage"]}[State.SCOPING] == 1
