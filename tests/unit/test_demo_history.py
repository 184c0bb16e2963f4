"""The demo's history: plausible turnaround figures, a DEA forecast that waits for the slowest
panel, and a loader that can run again without adding anything."""

from __future__ import annotations

import datetime
import math
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import transaction
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import User
from notifications.models import EmailStatus, Notification
from workflow.management.commands.demo_history import PLANS
from workflow.models import Application, StageVisit, State, TrackState
from workflow.turnaround.visits import derived_stage_visits, rebuild_stage_visits

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo and its year and a half of history, loaded once for the module (about 25 s on
    two cores) inside a transaction that is rolled back at the end. Each test runs in a
    savepoint within it (pytest-django's ``db``), so what a test changes is undone after it."""
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            call_command("load_demo", stdout=StringIO())
            out = StringIO()
            call_command("demo_history", stdout=out)
            yield out.getvalue()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def ops_client() -> APIClient:
    client = APIClient()
    client.force_authenticate(User.objects.get(username="owain.ops"))
    return client


# First: the module's demo is loaded by the first test that asks for it.
def test_demo_history_needs_the_demo_first():
    with pytest.raises(CommandError, match="load_demo"):
        call_command("demo_history", stdout=StringIO())


def test_demo_history_shows_public_involvement_the_igrp_can_read(demo):
    from workflow.management.commands.demo_history import INVOLVED
    from workflow.models import Application

    application = Application.objects.get(title=INVOLVED)
    assert application.public_interest.high
    assert application.involvement_activities.get().what_changed
    consultation = application.consultations.get()
    assert consultation.answered_by.username == "sian.panel"
    assert application.tracks.filter(kind="igrp", state="open").exists()
    # Run again: nothing is added twice.
    call_command("demo_history", stdout=StringIO())
    assert application.consultations.count() == 1


def test_demo_history_leaves_a_consultation_unanswered_for_the_reminder_sweep(demo):
    from workflow.management.commands.demo_history import UNANSWERED
    from workflow.models import Application
    from workflow.turnaround.reminders import reminders_sweep

    application = Application.objects.get(title=UNANSWERED)
    consultation = application.consultations.get()
    assert not consultation.is_answered
    assert reminders_sweep()["consultation.unanswered"] >= 1
    call_command("demo_history", stdout=StringIO())
    assert application.consultations.count() == 1


def test_demo_history_gives_plausible_metrics(demo):
    assert f"{len(PLANS)} applications added" in demo
    data = ops_client().get("/api/v1/metrics/turnaround/").json()
    rta = data["request_to_access"]
    assert rta["count"] >= 15
    # SAIL: "roughly 3 months", "as little as 1.5 months".
    assert 45 <= rta["median_days"] <= 100
    assert rta["p90_days"] <= 150
    igrp = next(p for p in data["panel_response"] if p["panel"] == "igrp")
    assert 12 <= igrp["median_days"] <= 30
    assert data["pushback"]["internal_review"]["hits"] >= 1
    assert 0.5 <= data["first_time_approval"]["rate"] < 1
    assert sum(r["count"] for r in data["work_in_progress"]["by_stage"]) >= 6
    assert any(item["alert"] for item in data["oldest_open"])  # one open for over a year
    dea = ops_client().get("/api/v1/metrics/turnaround/", {"route": "dea"}).json()
    assert 0 < dea["request_to_access"]["count"] < rta["count"]


def test_demo_dea_forecast_waits_for_the_slowest_track_not_the_sum(demo):
    app = Application.objects.get(title="Teenage pregnancy and school attendance")
    assert app.state == State.IN_REVIEW
    assert app.tracks.filter(state=TrackState.OPEN).count() == 3
    data = ops_client().get(f"/api/v1/applications/{app.pk}/forecast/").json()
    assert data["route"] == "dea"
    review = data["steps"][0]
    ends = [datetime.date.fromisoformat(t["expected_end"]) for t in review["tracks"]]
    expected_end = datetime.date.fromisoformat(review["expected_end"])
    # Each track's remaining time is drawn from the past ones of its kind that had lasted as
    # long; the stage ends with the slowest track of each draw, never before the slowest
    # track's typical end, and well before the tracks one after the other would.
    assert expected_end >= max(ends)
    left = [math.ceil(t["estimate"]["days"]) for t in review["tracks"]]
    assert expected_end < timezone.localdate() + datetime.timedelta(sum(left))
    sources = {t["estimate"]["source"] for t in review["tracks"]}
    assert sources <= {"history", "history_all_routes", "due_date", "overdue_history"}
    assert data["range"]["low"] <= data["predicted_access_date"] <= data["range"]["high"]


def test_demo_history_runs_again_without_adding_anything(demo):
    count = Application.objects.count()
    out = StringIO()
    call_command("demo_history", stdout=out)
    assert "0 applications added" in out.getvalue()
    assert Application.objects.count() == count
    # The past's notifications are history: read, and not emailed.
    assert not Notification.objects.filter(email_status=EmailStatus.PENDING).exists()


def test_stage_visits_written_as_events_are_appended_match_the_event_log(demo):
    """The visits the event writer keeps are exactly what the log says, for a year and a half
    of demo history (revisits after changes, withdrawals, DEA reviews); rebuilding from the
    log gives the same rows."""
    columns = (
        "event_id",
        "application_id",
        "state",
        "from_state",
        "visit",
        "entered_at",
        "left_at",
        "next_state",
        "entered_on",
        "left_on",
        "due_on",
        "target_id",
    )
    kept = list(StageVisit.objects.order_by("event_id").values_list(*columns))
    derived = derived_stage_visits()
    assert len(kept) > 100
    assert any(v[4] > 1 for v in kept)  # some state visited twice
    assert any(v[10] is not None for v in kept if v[4] > 1)  # resumed clocks have due dates
    assert kept == [tuple(row) for row in derived]
    assert StageVisit.objects.filter(left_at__isnull=True).count() == Application.objects.count()
    rebuild_stage_visits()
    assert list(StageVisit.objects.order_by("event_id").values_list(*columns)) == kept


def test_replaying_the_demo_history_measures_the_forecast_against_the_baselines(demo):
    """The replay (``manage.py forecast_accuracy``): at past moments every open application
    is forecast from what was known then. On the demo's year and a half the forecast beats both
    naive baselines close to access and overall, holds its own more than 45 days ahead (where
    one unforeseeable revision weighs heavily on so few applications), and its 80% range holds
    the actual day at about that rate. The report is kept for the Turnaround page."""
    from workflow.models import ForecastReplay

    out = StringIO()
    call_command("forecast_accuracy", stdout=out)
    assert "Forecast replay:" in out.getvalue()
    report = ForecastReplay.objects.get().report
    rows = {row["horizon"]: row for row in report["horizons"]}
    assert set(rows) == {"0-45", "over 45", "all"}
    assert report["cases"] >= 100
    assert report["never_reached_access"] >= 1  # withdrawn, rejected, still open: not scored
    for name in ("0-45", "all"):
        row = rows[name]
        assert row["forecast"]["mae"] < row["median_so_far"]["mae"], row
        assert row["forecast"]["mae"] < row["three_months"]["mae"], row
    far = rows["over 45"]
    assert far["forecast"]["mae"] < far["median_so_far"]["mae"], far
    assert far["forecast"]["mae"] <= far["three_months"]["mae"] + 2, far
    assert 0.65 <= rows["all"]["range_coverage"] <= 0.95
    page = ops_client()
    page.force_login(User.objects.get(username="owain.ops"))
    body = page.get("/ops/turnaround/").content.decode()
    assert "How accurate the forecast is" in body
    assert "Submission + 3 months" in body


def test_the_demo_shows_a_projects_life_after_access(demo):
    from workflow.management.lifecycle_demo import CLOSING, SUSPENDED
    from workflow.models import Closure, ProgressReport

    suspended = Application.objects.get(title=SUSPENDED)
    assert suspended.state == State.SUSPENDED
    assert suspended.progress_reports.get(number=1).suspended_project
    assert ProgressReport.objects.filter(state="submitted").count() >= 1
    assert ProgressReport.objects.filter(state="accepted").exists()
    assert Closure.objects.get(application__title=CLOSING).state == "submitted"
    again = StringIO()
    call_command("demo_history", stdout=again)
    assert "0 progress reports" in again.getvalue()


def test_the_demo_has_an_invitation_the_team_can_withdraw(demo):
    from workflow.models import TeamInvitation

    (invitation,) = TeamInvitation.objects.filter(email="new.colleague@elsewhere.example")
    assert invitation.status == TeamInvitation.Status.INVITED
    assert invitation.application.state in {State.DRAFT, State.CHANGES_REQUESTED}


def test_the_demo_shows_an_amendment_on_the_igrps_blind_first_round(demo):
    from workflow.amendments.policies import can_see_votes, votes_hidden_because
    from workflow.models import AmendmentTrack

    track = AmendmentTrack.objects.get(reviewer="igrp", state="open")
    assert [v.member.username for v in track.votes.all()] == ["david.panel"]
    david = User.objects.get(username="david.panel")
    assert not can_see_votes(david, track)
    assert "the tally opens when the quorum has voted" in votes_hidden_because(david, track)
    # On the application's timeline too.
    from workflow.timeline import entries, timeline_for

    rhian = User.objects.get(username="rhian.researcher")
    labels = [
        e.get_kind_display() for e in entries(timeline_for(rhian, track.amendment.application))
    ]
    assert f"Amendment {track.amendment.number} submitted" in labels
