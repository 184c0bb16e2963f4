"""Each application's clocks and its forecast: from the event log, on the route it takes,
parallel tracks counting as the slowest one."""

from __future__ import annotations

import datetime

import pytest

from tests.factories.turnaround import T0, history, travel
from tests.factories.workflow import World
from workflow.models import Outcome, TrackKind
from workflow.route import services as route_services
from workflow.turnaround.calendar import add_workdays

pytestmark = pytest.mark.django_db

D = datetime.date
DAY = datetime.timedelta(days=1)


@pytest.fixture
def world():
    return World()


def forecast(client, app, day: datetime.date):
    with travel(day):
        response = client.get(f"/api/v1/applications/{app.pk}/forecast/")
    assert response.status_code == 200, response.json()
    return response.json()


def test_forecast_without_history_uses_the_default_targets(client_for, world):
    app = history(world, [("submit", 0)])
    data = forecast(client_for(world.pi), app, T0.date())
    scoping, internal, review, grant = data["steps"]
    assert scoping == {
        "stage": "scoping",
        "status": "current",
        "expected_end": "2026-03-30",  # 20 working days
        "estimate": {
            "days": 20.0,
            "unit": "working",
            "source": "target",
            "samples": 0,
            "rework_chance": 0.0,  # too little history: no further round is assumed
            "round_days": None,
        },
    }
    # Internal review: 5 working days, over Good Friday and Easter Monday.
    assert internal["expected_end"] == "2026-04-08"
    assert internal["status"] == "ahead"
    # Every track at once: the IGRP's 19 calendar days outlast the owner's 10 working days.
    assert {t["kind"]: t["expected_end"] for t in review["tracks"]} == {
        "igrp": "2026-04-27",
        "owner_signoff": "2026-04-22",
    }
    assert review["expected_end"] == "2026-04-27"
    # Grant access: 5 working days, over the early May bank holiday (4 May).
    assert grant["expected_end"] == "2026-05-05"
    assert data["predicted_access_date"] == "2026-05-05"
    assert data["route"] == "standard"
    assert data["warnings"] == []


def dea_history(world, *, owner=2, igrp=8, dea=30, grant=3):
    """A completed DEA project: owner signs off after 2 days, the IGRP after 10, the DEA panel
    after 40 (each step is days after the previous one)."""
    return history(
        world,
        [
            ("submit", 0),
            ("complete_scoping", 15),
            ("refer", 5),
            ("decide", owner, {"kind": TrackKind.OWNER_SIGNOFF}),
            ("decide", igrp, {"kind": TrackKind.IGRP}),
            ("decide", dea, {"kind": TrackKind.DEA_PANEL}),
            ("grant", grant),
        ],
        dea=True,
    )


def test_dea_forecast_takes_the_slowest_track_not_the_sum(client_for, world, settings):
    settings.TURNAROUND_FORECAST_MIN_HISTORY = 2
    dea_history(world)
    dea_history(world)
    # A standard project whose panel was very slow must not change the DEA route's figures.
    history(
        world,
        [("submit", 0), ("complete_scoping", 1), ("refer", 1), ("decide_all", 100), ("grant", 1)],
    )
    start = T0 + datetime.timedelta(days=60)
    app = history(world, [("submit", 0), ("complete_scoping", 15)], dea=True, start=start)
    referral_day = (start + datetime.timedelta(days=15)).date()
    data = forecast(client_for(world.ops), app, referral_day)
    assert data["route"] == "dea"
    internal, review, _grant = data["steps"]
    assert internal["estimate"] == {"days": 5.0, "unit": "calendar", "source": "history",
                                    "samples": 2, "rework_chance": 0.0,
                                    "round_days": None}  # fmt: skip
    tracks = {t["kind"]: t["estimate"]["days"] for t in review["tracks"]}
    assert tracks == {"igrp": 10.0, "dea_panel": 40.0, "owner_signoff": 2.0}
    review_days = (D.fromisoformat(review["expected_end"]) - referral_day).days
    assert review_days == 5 + 40  # internal review, then the slowest track, not 10 + 40 + 2
    assert D.fromisoformat(data["predicted_access_date"]) == referral_day + (5 + 40 + 3) * DAY


def test_forecast_in_review_counts_the_open_tracks_from_their_opening(client_for, world, settings):
    settings.TURNAROUND_FORECAST_MIN_HISTORY = 1
    dea_history(world)
    app = history(
        world,
        [
            ("submit", 0),
            ("complete_scoping", 1),
            ("refer", 1),
            ("decide", 3, {"kind": TrackKind.IGRP}),
        ],
        dea=True,
        start=T0 + datetime.timedelta(days=100),
    )
    referred = (T0 + datetime.timedelta(days=102)).date()
    data = forecast(client_for(world.pi), app, referred + 5 * DAY)
    review, _grant = data["steps"]
    assert review["status"] == "current"
    ends = {t["kind"]: t["expected_end"] for t in review["tracks"]}
    assert ends["igrp"] == (referred + 3 * DAY).isoformat()  # decided: its real date
    assert ends["dea_panel"] == (referred + 40 * DAY).isoformat()
    # The owner's sign-off has run longer than the one past sign-off (2 days) but is not due
    # yet: expected by its due date (10 working days), not "today".
    assert ends["owner_signoff"] == add_workdays(referred, 10).isoformat()
    # The slowest track and 3 days to grant access: Saturday 25 July, so Monday 27 July, a
    # working day.
    assert (referred + 43 * DAY).isoformat() == "2026-07-25"
    assert data["predicted_access_date"] == "2026-07-27"


def test_forecast_is_recomputed_on_each_event(client_for, world):
    app = history(world, [("submit", 0)])
    client = client_for(world.pi)
    before = forecast(client, app, D(2026, 3, 10))["predicted_access_date"]
    with travel(D(2026, 3, 10)):
        route_services.scoping_update(
            application=app,
            by=app.analyst,
            data={"feasible": True, "scoped_variables": [world.year, world.grade]},
        )
        route_services.application_complete_scoping(application=app, by=app.analyst)
    after = forecast(client, app, D(2026, 3, 10))
    assert after["steps"][0]["stage"] == "internal_review"
    assert after["predicted_access_date"] < before


def test_forecast_warns_when_access_comes_after_the_start_or_the_end(client_for, world):
    app = history(
        world, [("submit", 0)], start_date=D(2026, 4, 1), end_date=D(2026, 4, 30), funder="UKRI"
    )
    data = forecast(client_for(world.pi), app, T0.date())
    assert [w["code"] for w in data["warnings"]] == ["after_start_date", "after_end_date"]
    assert "30 April 2026" in data["warnings"][1]["detail"]


def test_forecast_after_changes_requested_adds_the_applicants_time(client_for, world):
    app = history(world, [("submit", 0), ("request_changes", 0)])
    data = forecast(client_for(world.pi), app, T0.date())
    applicant, scoping, *_ = data["steps"]
    assert applicant["stage"] == "changes_requested"
    assert applicant["expected_end"] == add_workdays(T0.date(), 20).isoformat()
    assert scoping["stage"] == "scoping"
    assert scoping["status"] == "ahead"


def test_forecast_after_the_panels_asked_for_revision_reopens_only_those_tracks(client_for, world):
    app = history(
        world,
        [
            ("submit", 0),
            ("complete_scoping", 0),
            ("refer", 0),
            ("decide", 1, {"kind": TrackKind.OWNER_SIGNOFF}),
            ("decide", 1, {"kind": TrackKind.IGRP, "outcome": Outcome.REVISE_AND_RESUBMIT}),
        ],
    )
    data = forecast(client_for(world.pi), app, D(2026, 3, 4))
    applicant, review, _grant = data["steps"]
    assert applicant["stage"] == "changes_requested"
    assert [t["kind"] for t in review["tracks"]] == ["igrp"]


def test_forecast_of_a_draft_starts_today(client_for, world):
    with travel(T0.date()):
        app = world.draft()
    data = forecast(client_for(world.pi), app, T0.date())
    assert [s["stage"] for s in data["steps"]] == [
        "scoping",
        "internal_review",
        "in_review",
        "approved",
    ]
    assert data["predicted_access_date"] == "2026-05-05"


def test_forecast_of_a_live_project_gives_its_access_date(client_for, world):
    app = history(
        world,
        [("submit", 0), ("complete_scoping", 1), ("refer", 1), ("decide_all", 1), ("grant", 1)],
    )
    data = forecast(client_for(world.pi), app, D(2026, 6, 1))
    assert data["access_date"] == "2026-03-06"
    assert data["predicted_access_date"] is None
    assert data["steps"] == []


def test_forecast_of_a_rejected_application_is_empty(client_for, world):
    app = history(world, [("submit", 0), ("complete_scoping", 1), ("reject", 1)])
    data = forecast(client_for(world.pi), app, D(2026, 6, 1))
    assert data["predicted_access_date"] is None
    assert data["access_date"] is None


def test_forecast_and_clocks_are_visible_only_to_who_sees_the_application(
    client_for, world, api_client
):
    app = history(world, [("submit", 0)])
    for path in ("forecast", "clocks"):
        url = f"/api/v1/applications/{app.pk}/{path}/"
        assert client_for(world.outsider).get(url).status_code == 404
        assert client_for(world.ops).get(url).status_code == 200
        assert client_for(app.analyst).get(url).status_code == 200
        assert api_client.get(url).status_code == 401


def test_clocks_split_the_tre_and_the_applicant(client_for, world):
    app = history(
        world,
        [
            ("submit", 0),
            ("request_changes", 10),  # Thursday 12 March
            ("resubmit", 6),  # Wednesday 18 March: 4 working days later
            ("complete_scoping", 10),
            ("refer", 5),
            ("decide_all", 30),
            ("grant", 2),
        ],
    )
    with travel(D(2026, 6, 1)):
        data = client_for(world.pi).get(f"/api/v1/applications/{app.pk}/clocks/").json()
    states = [(v["state"], v["visit"], v["clock"]) for v in data["visits"]]
    assert states == [
        ("draft", 1, None),
        ("scoping", 1, "tre"),
        ("changes_requested", 1, "applicant"),
        ("scoping", 2, "tre"),
        ("internal_review", 1, "tre"),
        ("in_review", 1, "tre"),
        ("approved", 1, "tre"),
        ("active", 1, None),
    ]
    changes = data["visits"][2]
    assert (changes["calendar_days"], changes["working_days"]) == (6.0, 4)
    assert data["totals"]["tre"]["calendar_days"] == 57.0
    assert data["totals"]["applicant"] == {"calendar_days": 6.0, "working_days": 4}
    igrp = next(t for t in data["tracks"] if t["kind"] == "igrp")
    assert igrp["calendar_days"] == 30.0
    assert igrp["breached"] is True
    owner = next(t for t in data["tracks"] if t["kind"] == "owner_signoff")
    assert owner["breached"] is True
    scoping = data["visits"][1]
    assert scoping["target"] == {
        "stage": "scoping",
        "days": 20,
        "unit": "working",
        "effective_from": "2000-01-01T00:00:00Z",
    }
    assert scoping["breached"] is False


def test_withdrawal_closes_the_open_tracks_so_their_clocks_stop(client_for, world):
    """Finding 3: a withdrawn application's review tracks stayed open, so its clocks showed a
    DEA panel and an owner track running and late months after the withdrawal."""
    from notifications.models import Notification
    from workflow.models import EventKind, TrackState
    from workflow.turnaround.reminders import reminders_sweep

    app = history(
        world,
        [
            ("submit", 0),  # Monday 2 March
            ("complete_scoping", 1),
            ("refer", 1),  # Wednesday 4 March: three tracks open
            ("decide", 2, {"kind": TrackKind.IGRP}),
            ("withdraw", 3),  # Monday 9 March, the DEA panel and the owner still open
        ],
        dea=True,
    )
    assert not app.tracks.filter(state=TrackState.OPEN).exists()
    closed = app.events.filter(kind=EventKind.TRACK_CLOSED)
    assert sorted(e.payload["track"].split(":")[0] for e in closed) == [
        "dea_panel",
        "owner_signoff",
    ]
    with travel(D(2026, 9, 1)):  # six months later
        data = client_for(world.ops).get(f"/api/v1/applications/{app.pk}/clocks/").json()
        assert reminders_sweep()["track.overdue"] == 0
    tracks = {t["kind"]: t for t in data["tracks"]}
    for kind in ("dea_panel", "owner_signoff"):
        assert tracks[kind]["calendar_days"] == 5.0, kind  # 4 March to 9 March, then stopped
        assert tracks[kind]["breached"] is False, kind
    assert not Notification.objects.filter(kind__startswith="track.", kind__endswith="due").exists()


def test_closing_a_project_closes_its_open_conditions_so_their_reminders_stop(world):
    from workflow.models import ConditionState, ConditionTiming
    from workflow.route import services as route_services
    from workflow.safes import services as safes_services
    from workflow.turnaround.reminders import reminders_sweep

    app = history(
        world,
        [
            ("submit", 0),
            ("complete_scoping", 1),
            ("refer", 1),
            ("decide_all", 2),
            ("grant", 1),
        ],
    )
    with travel(D(2026, 3, 10)):
        condition = app.conditions.create(
            text="Report outputs each quarter",
            origin="safe",
            safe="outputs",
            responsible=world.pi,
            timing=ConditionTiming.DURING_PROJECT,
        )
        safes_services.condition_update(
            condition=condition, by=world.reviewer, data={"due_date": D(2026, 6, 30)}
        )
        route_services.application_close(application=app, by=world.ops, reason="Finished early.")
    condition.refresh_from_db()
    assert condition.state == ConditionState.WITHDRAWN
    with travel(D(2026, 6, 29)):
        assert reminders_sweep()["condition.due"] == 0


def test_the_forecast_expects_rework_gives_a_working_day_and_a_range_and_says_so(client_for, world):
    """Finding 7: the forecast was a median path with no rework, could fall on a weekend and
    gave one date. Here two of the three past scopings needed another round of feedback (10
    days, the applicant's 10, then 10 more): a new application's forecast counts that chance
    and its cost, lands on a working day, gives an 80% range and says what it assumes."""
    from workflow.turnaround.calendar import is_working_day

    reworked = [
        ("submit", 0),
        ("request_changes", 10),
        ("resubmit", 10),
        ("complete_scoping", 10),
        ("refer", 5),
        ("decide_all", 19),
        ("grant", 4),
    ]
    smooth = [("submit", 0), ("complete_scoping", 12), ("refer", 5), ("decide_all", 19),
              ("grant", 4)]  # fmt: skip
    for start, steps in ((0, reworked), (10, reworked), (20, smooth), (30, smooth)):
        history(world, steps, start=T0 + datetime.timedelta(days=start))
    app = history(world, [("submit", 0)], start=T0 + datetime.timedelta(days=120))
    data = forecast(client_for(world.pi), app, (T0 + datetime.timedelta(days=120)).date())
    scoping = data["steps"][0]
    assert scoping["stage"] == "scoping"
    assert 0.3 < scoping["estimate"]["rework_chance"] < 0.7  # 2 of 4, counted with caution
    assert scoping["estimate"]["round_days"] >= 15  # the applicant's 10 and scoping again
    predicted = D.fromisoformat(data["predicted_access_date"])
    assert is_working_day(predicted)
    low, high = D.fromisoformat(data["range"]["low"]), D.fromisoformat(data["range"]["high"])
    assert data["range"]["probability"] == 0.8
    assert low <= predicted <= high
    assert (high - low).days >= 14  # a round of feedback or not: a real range
    codes = {a["code"] for a in data["assumptions"]}
    assert {"rework:scoping", "working_day", "reaches_access"} <= codes


def test_an_overdue_stage_is_forecast_from_how_long_overdue_ones_still_took(client_for, world):
    """Finding 7: an overdue stage was assumed to end today. Three past scopings each ran
    about 10 days past their due date; one now 14 days overdue, longer than any of them, is
    expected to take as long again as they took after theirs, not to end today."""
    late = [("submit", 0), ("complete_scoping", 38), ("refer", 5), ("decide_all", 19),
            ("grant", 4)]  # fmt: skip
    for start in (0, 7, 14):
        history(world, late, start=T0 + datetime.timedelta(days=start))
    app = history(world, [("submit", 0)], start=T0 + datetime.timedelta(days=60))
    today = (T0 + datetime.timedelta(days=60 + 42)).date()  # due after 28 days: 14 overdue
    data = forecast(client_for(world.ops), app, today)
    scoping = data["steps"][0]
    assert scoping["status"] == "current"
    assert scoping["estimate"]["source"] == "overdue_history"
    assert D.fromisoformat(scoping["expected_end"]) > today
    assert any(a["code"] == "overdue:scoping" for a in data["assumptions"])
