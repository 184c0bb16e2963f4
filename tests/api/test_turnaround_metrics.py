"""Ops metrics: every figure on a small known history, the filters, CSV, who may see them,
bad input, and a constant number of queries whatever the number of applications."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories.catalogue import make_category
from tests.factories.turnaround import T0, history, travel
from tests.factories.workflow import World
from workflow.models import TrackKind
from workflow.turnaround import metrics
from workflow.turnaround.sql import compose, run

pytestmark = pytest.mark.django_db

URL = "/api/v1/metrics/turnaround/"
D = datetime.date
NOW = D(2026, 6, 1)  # every request is made then, so ages do not depend on the real date


def standard_a(world):
    """48 days from request to access; scoping 20, internal review 5, panels 19, grant 4."""
    return history(
        world,
        [("submit", 0), ("complete_scoping", 20), ("refer", 5), ("decide_all", 19), ("grant", 4)],
    )


def standard_b(world):
    """Changes asked in scoping (6 days on the applicant's clock): 63 days, 57 on the TRE's."""
    return history(
        world,
        [
            ("submit", 0),
            ("request_changes", 10),
            ("resubmit", 6),
            ("complete_scoping", 10),
            ("refer", 5),
            ("decide_all", 30),
            ("grant", 2),
        ],
    )


def dea_c(world):
    """DEA: IGRP in 10 days, the DEA panel 40 days later, the owner the day after: 72 days."""
    return history(
        world,
        [
            ("submit", 0),
            ("complete_scoping", 15),
            ("refer", 3),
            ("decide", 10, {"kind": TrackKind.IGRP}),
            ("decide", 40, {"kind": TrackKind.DEA_PANEL}),
            ("decide", 1, {"kind": TrackKind.OWNER_SIGNOFF}),
            ("grant", 3),
        ],
        dea=True,
    )


@pytest.fixture
def world():
    return World()


@pytest.fixture
def known(world):
    apps = {
        "a": standard_a(world),
        "b": standard_b(world),
        "c": dea_c(world),
        "open": history(world, [("submit", 0)]),
        "rejected": history(world, [("submit", 0), ("complete_scoping", 10), ("reject", 2)]),
    }
    return apps


def get(client, **params):
    with travel(NOW):
        return client.get(URL, params)


def by(rows, key, value):
    return next(r for r in rows if r[key] == value)


def test_metrics_on_a_known_history(client_for, world, known):
    response = get(client_for(world.ops))
    assert response.status_code == 200, response.json()
    data = response.json()

    rta = data["request_to_access"]
    assert rta["count"] == 3
    assert rta["median_days"] == 63.0
    assert rta["p90_days"] == pytest.approx(70.2)  # percentile_cont: 63 + 0.8 × (72 − 63)
    assert rta["tre_clock_median_days"] == 57.0  # B without its 6 days on the applicant's clock
    assert rta["target_days"] == 90

    scoping = by(data["stages"], "stage", "scoping")
    # A, B (two visits, one stage on one clock), C and the rejected one; the open one is not
    # done. B's scoping took 10 + 10 days on the TRE's clock, around its applicant's 6.
    assert scoping["count"] == 4
    assert scoping["median_days"] == 17.5  # 10, 15, 20, 20
    assert (scoping["per_visit"]["count"], scoping["per_visit"]["median_days"]) == (5, 10.0)
    assert scoping["clock"] == "tre"
    assert scoping["target"] == {
        "stage": "scoping",
        "days": 20,
        "unit": "working",
        "effective_from": "2000-01-01T00:00:00Z",
    }
    changes = by(data["stages"], "stage", "changes_requested")
    assert changes["clock"] == "applicant"
    assert changes["median_days"] == 6.0

    igrp = by(data["panel_response"], "panel", "igrp")
    assert igrp["count"] == 3
    assert igrp["median_days"] == 19.0
    assert igrp["mean_days"] == pytest.approx(19.67, abs=0.01)
    assert igrp["target_days"] == 19
    assert igrp["within_target_rate"] == pytest.approx(0.667, abs=0.001)
    dea = by(data["panel_response"], "panel", "dea_panel")
    assert (dea["count"], dea["median_days"]) == (1, 50.0)  # 10 + 40 days after referral

    assert data["pushback"]["internal_review"] == {"count": 4, "hits": 1, "rate": 0.25}
    assert data["pushback"]["panels"] == {"count": 4, "hits": 0, "rate": 0.0}
    assert data["first_time_approval"] == {"count": 4, "hits": 3, "rate": 0.75}
    assert data["pre_approved"]["count"] == 3
    assert data["pre_approved"]["hits"] == 0

    breaches = {r["stage"]: r for r in data["target_breaches"]["by_stage"]}
    assert breaches["igrp"]["completed"] == 1  # B's 30 days
    assert breaches["dea_panel"]["completed"] == 1
    assert breaches["owner_signoff"]["completed"] == 3  # 10 working days, never met here
    assert breaches["scoping"] == {"stage": "scoping", "completed": 0, "open": 1}
    assert data["target_breaches"]["open"] == 1

    igrp_track = by(data["tracks"], "kind", "igrp")
    assert igrp_track["median_working_days"] is not None

    wip = data["work_in_progress"]
    assert by(wip["by_stage"], "state", "scoping")["count"] == 1
    assert wip["analysts"] == [
        {"user_id": known["open"].analyst_id, "name": known["open"].analyst.full_name, "open": 1}
    ]
    assert wip["reviewers"] == {"open": 0, "people": 1, "per_person": 0.0}

    (oldest,) = data["oldest_open"]
    assert oldest["reference"] == known["open"].reference
    assert oldest["days_open"] == pytest.approx((NOW - T0.date()).days, abs=1)
    assert oldest["holder"].startswith("analyst: ")
    assert oldest["alert"] is False


def test_legal_gateway_filter_separates_dea_projects(client_for, world, known):
    dea = get(client_for(world.ops), legal_gateway="dea_research").json()
    assert dea["request_to_access"]["count"] == 1
    assert dea["request_to_access"]["median_days"] == 72.0
    other = get(client_for(world.ops), legal_gateway="other").json()
    assert other["request_to_access"]["count"] == 2
    assert other["request_to_access"]["median_days"] == 55.5
    assert other["filters"]["legal_gateway"] == "other"


@pytest.mark.parametrize(("route", "gateway"), [("dea", "dea_research"), ("standard", "other")])
def test_deprecated_route_filter_still_means_the_legal_gateway(
    client_for, world, known, route, gateway
):
    old = get(client_for(world.ops), route=route).json()
    new = get(client_for(world.ops), legal_gateway=gateway).json()
    assert old["request_to_access"] == new["request_to_access"]
    assert old["filters"]["legal_gateway"] == gateway
    assert old["filters"]["route"] == route


def test_route_and_legal_gateway_that_disagree_are_400(client_for, world):
    response = client_for(world.ops).get(URL, {"route": "dea", "legal_gateway": "other"})
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["route"]


def test_period_counts_what_ended_in_it(client_for, world, known):
    data = get(client_for(world.ops), **{"from": "2026-05-01", "to": "2026-05-31"}).json()
    assert data["request_to_access"]["count"] == 2  # B on 4 May, C on 13 May (A in April)
    assert data["filters"] == {"from": "2026-05-01", "to": "2026-05-31", "legal_gateway": None,
                               "route": None, "dataset": None}  # fmt: skip
    # Work in progress is as of now, whatever the period.
    assert by(data["work_in_progress"]["by_stage"], "state", "scoping")["count"] == 1


def test_dataset_filter(client_for, world, known):
    world.add_health_provider()
    history(world, [("submit", 0)], datasets=world.both_datasets())
    data = get(client_for(world.ops), dataset="admissions").json()
    assert data["request_to_access"]["count"] == 0
    assert by(data["work_in_progress"]["by_stage"], "state", "scoping")["count"] == 1
    assert get(client_for(world.ops), dataset="education").json()["request_to_access"]["count"] == 3


def test_csv_export(client_for, world, known):
    client = client_for(world.ops)
    for response in (get(client, format="csv"), client.get("/api/v1/metrics/turnaround.csv")):
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/csv")
        assert "attachment" in response["Content-Disposition"]
        # A table: a header row, then one row per period and measure.
        rows = list(csv.DictReader(io.StringIO(response.content.decode())))
        assert list(rows[0]) == [
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
        ]
        by = {(r["measure"], r["name"]): r for r in rows}
        assert by["request_to_access", "request to access"]["median_days"] == "63.0"
        assert by["stage", "scoping"]["target"] == "20"
        assert by["panel_response", "igrp"]["target"] == "19"
        months = [r for r in rows if r["measure"] == "request_to_access_by_month"]
        assert months
        assert all(r["period_from"].endswith("-01") for r in months)


@pytest.mark.parametrize("role", ["researcher", "analyst", "reviewer", "panel_member"])
def test_metrics_are_for_ops_only(client_for, world, role):
    user = {
        "researcher": world.pi,
        "analyst": world.analyst,
        "reviewer": world.reviewer,
        "panel_member": world.panel,
    }[role]
    response = client_for(user).get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"


def test_metrics_need_a_login(api_client):
    response = api_client.get(URL)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"from": "yesterday"}, "from"),
        ({"to": "2026-13-01"}, "to"),
        ({"route": "fast"}, "route"),
        ({"legal_gateway": "dea"}, "legal_gateway"),
        ({"dataset": "no-such-dataset"}, "dataset"),
        ({"from": "2026-05-02", "to": "2026-05-01"}, "to"),
    ],
)
def test_bad_filters_are_400_with_field_messages(client_for, world, params, field):
    response = client_for(world.ops).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["fields"]) == [field]


def test_query_count_does_not_grow_with_the_data(client_for, world):
    client = client_for(world.ops)
    standard_a(world)
    get(client)  # the calendar is filled on first use
    with CaptureQueriesContext(connection) as few:
        assert get(client).status_code == 200
    standard_b(world)
    dea_c(world)
    for _ in range(3):
        history(world, [("submit", 0), ("complete_scoping", 3)])
    with CaptureQueriesContext(connection) as many:
        assert get(client).status_code == 200
    assert len(many) == len(few)
    assert len(few) <= 12


def test_portable_percentiles_equal_percentile_cont():
    """The SQLite form of the median and p90 gives what PostgreSQL's percentile_cont gives."""
    if connection.vendor != "postgresql":
        pytest.skip("compares with percentile_cont")
    values = [("a", 3.0), ("a", 1.0), ("a", 10.0), ("a", 4.5), ("b", 7.0), ("c", 2.0), ("c", 9.0)]
    source = compose(
        "WITH src AS (",
        (
            " UNION ALL ".join("SELECT 'm' AS measure, %s AS grp, %s::float AS v" for _ in values),
            [x for pair in values for x in pair],
        ),
        ")",
    )
    native = run(*compose(source, metrics.stats_select("src", portable=False)))
    portable = run(*compose(source, metrics.stats_select("src", portable=True)))
    key = {r["grp"]: r for r in native}
    assert len(portable) == 3
    for row in portable:
        assert float(row["median"]) == pytest.approx(float(key[row["grp"]]["median"]))
        assert float(row["p90"]) == pytest.approx(float(key[row["grp"]]["p90"]))
        assert int(row["n"]) == int(key[row["grp"]]["n"])


def test_summary_with_nothing_yet(client_for, world):
    data = get(client_for(world.ops)).json()
    assert data["request_to_access"]["count"] == 0
    assert data["request_to_access"]["median_days"] is None
    assert data["first_time_approval"]["rate"] is None
    assert data["oldest_open"] == []


def test_owner_figures_report_automatic_sign_offs_apart_from_people_s(client_for, world):
    """Finding 6: an owner track decided at once under a pre-approved category (0 days) was
    counted with the sign-offs people made, pulling the owner's times down. Every owner figure
    now counts people's decisions; the automatic ones are reported beside them."""
    standard_a(world)  # the owner signs off 19 days after referral
    make_category(dataset=world.dataset, by=world.owner, permitted_purposes=["public_policy"])
    covered = history(
        world,
        [("submit", 0), ("complete_scoping", 20), ("refer", 5), ("decide_all", 19), ("grant", 4)],
        start=T0 + datetime.timedelta(days=7),
    )
    assert covered.tracks.get(kind=TrackKind.OWNER_SIGNOFF).automatic is True
    data = get(client_for(world.ops)).json()
    owner = by(data["tracks"], "kind", "owner_signoff")
    assert (owner["count"], owner["median_days"]) == (1, 19.0)
    assert owner["breaches"] == 1  # 19 days against 10 working days: the person's, late
    assert owner["automatic"]["count"] == 1
    assert owner["automatic"]["median_days"] == 0.0
    assert data["pre_approved"] == {"count": 2, "hits": 1, "rate": 0.5}
    breaches = {r["stage"]: r for r in data["target_breaches"]["by_stage"]}
    assert breaches["owner_signoff"]["completed"] == 1
    igrp = by(data["tracks"], "kind", "igrp")
    assert igrp["automatic"]["count"] == 0


def test_csv_has_one_row_per_figure_each_with_a_unique_stable_key(client_for, world, known):
    """Finding 2: the open-longest rows were keyed by state, so two applications in the same
    state shared a row. Each row of the table is one period, measure, name and application."""
    second = history(world, [("submit", 0)], start=T0 + datetime.timedelta(days=1))
    response = get(client_for(world.ops), format="csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    keys = [
        (r["period_from"], r["period_to"], r["measure"], r["name"], r["application"]) for r in rows
    ]
    assert len(keys) == len(set(keys)), sorted(k for k in keys if keys.count(k) > 1)
    oldest = {r["application"] for r in rows if r["measure"] == "oldest_open"}
    for app in (known["open"], second):
        assert app.reference in oldest
    analyst = known["open"].analyst.full_name
    assert any(r["measure"] == "open_scoping_by_analyst" and r["name"] == analyst for r in rows)


def clocks_of(client, app):
    return client.get(f"/api/v1/applications/{app.pk}/clocks/").json()


def test_one_lateness_rule_late_is_ended_or_still_open_after_the_due_date(client_for, world):
    """Finding 1: the metrics counted a stage late only after more than N working days, while
    clocks and reminders said "after its due date"; they disagreed when the due date was
    followed by a weekend. Submitted on Friday 27 February, scoping is due on Friday 27 March:
    finished on Saturday 28 March it is late, and one still open that Saturday is late too."""
    from workflow.turnaround.reminders import reminders_sweep

    friday = datetime.datetime(2026, 2, 27, 9, 0, tzinfo=datetime.UTC)
    done = history(world, [("submit", 0), ("complete_scoping", 29)], start=friday)
    waiting = history(world, [("submit", 0)], start=friday)
    client = client_for(world.ops)
    with travel(D(2026, 3, 28)):
        raised = reminders_sweep()
        data = client.get(URL).json()
        done_clocks, waiting_clocks = clocks_of(client, done), clocks_of(client, waiting)
    assert raised["stage.overdue"] == 1  # the one still open, the day after its due date
    scoping = by(data["stages"], "stage", "scoping")
    assert (scoping["breaches"], scoping["open_breaches"]) == (1, 1)
    for clocks in (done_clocks, waiting_clocks):
        visit = by(clocks["visits"], "state", "scoping")
        assert visit["due_date"] == "2026-03-27"
        assert visit["breached"] is True


def test_a_request_for_changes_pauses_the_stage_clock_and_does_not_restart_it(client_for, world):
    """Finding 4: scoping for 15 working days, the applicant's 11, scoping again for 10: 25
    working days on the TRE's clock against a target of 20. Per visit neither was late, so the
    target restarted with each visit; on the cumulative clock scoping is due 5 working days
    after the resubmission, and late."""
    from workflow.route import services as route_services

    app = history(
        world,
        [
            ("submit", 0),  # Monday 2 March
            ("request_changes", 21),  # Monday 23 March: 15 working days of scoping
            ("resubmit", 15),  # Tuesday 7 April (after Easter): 5 working days are left
        ],
    )
    assert reminders_sweep_on(D(2026, 4, 14))["stage.overdue"] == 0  # due that day
    assert reminders_sweep_on(D(2026, 4, 15))["stage.overdue"] == 1
    with travel(D(2026, 4, 21)):  # 10 working days after the resubmission
        app.refresh_from_db()
        route_services.scoping_update(
            application=app,
            by=app.analyst,
            data={"feasible": True, "scoped_variables": [world.year, world.grade]},
        )
        route_services.application_complete_scoping(application=app, by=app.analyst)
    client = client_for(world.ops)
    data = get(client).json()
    scoping = by(data["stages"], "stage", "scoping")
    assert scoping["count"] == 1  # one application's scoping, over two visits
    assert scoping["median_working_days"] == 25.0
    assert scoping["breaches"] == 1
    assert scoping["per_visit"]["count"] == 2  # the visits, as a secondary view
    with travel(NOW):
        clocks = clocks_of(client, app)
    stage = by(clocks["stages"], "state", "scoping")
    assert (stage["visits"], stage["working_days"], stage["clock"]) == (2, 25, "tre")
    assert stage["due_date"] == "2026-04-14"
    assert stage["late"] is True
    assert [v["due_date"] for v in clocks["visits"] if v["state"] == "scoping"] == [
        "2026-03-30",
        "2026-04-14",
    ]


def reminders_sweep_on(day):
    from workflow.turnaround.reminders import reminders_sweep

    with travel(day):
        return reminders_sweep()


def test_changing_a_target_does_not_rewrite_history(client_for, world):
    """Finding 5: setting scoping to 15 working days turned past visits that met the 20 of
    their time into late ones. Each visit is judged by the target in force when it started,
    and the figures say which target that was."""
    history(world, [("submit", 0), ("complete_scoping", 25)])  # 19 working days: met 20
    client = client_for(world.ops)
    with travel(D(2026, 4, 20)):
        response = client.patch("/api/v1/stage-targets/scoping/", {"days": 15}, format="json")
    assert response.status_code == 200, response.json()
    later = history(
        world, [("submit", 0), ("complete_scoping", 25)], start=T0 + datetime.timedelta(days=56)
    )  # 27 April: 19 working days against the 15 in force then
    data = get(client).json()
    scoping = by(data["stages"], "stage", "scoping")
    assert scoping["breaches"] == 1  # only the later one
    assert scoping["target"]["days"] == 15
    judged = {(j["days"], j["effective_from"][:10]): j["count"] for j in scoping["judged_by"]}
    assert judged == {(20, "2000-01-01"): 1, (15, "2026-04-20"): 1}
    with travel(NOW):
        assert by(clocks_of(client, later)["visits"], "state", "scoping")["target"]["days"] == 15


@pytest.mark.parametrize("path", ["/api/v1/metrics/turnaround/", "/api/v1/metrics/turnaround.csv"])
def test_options_asking_for_csv_describes_the_endpoint_in_json(client_for, world, path):
    """Found by schemathesis: OPTIONS with ``?format=csv`` made the CSV renderer write the
    endpoint's description as table rows (a 500)."""
    response = client_for(world.ops).options(f"{path}?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert "name" in response.json()
