"""Nobody analyses, reviews, decides or grants access to an application they belong to."""

from __future__ import annotations

import pytest

from tests.factories.workflow import World
from workflow.models import Application, Event, State, TrackKind
from workflow.route import services as route_services

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def team(world: World, *extra) -> list[dict]:
    return [
        {"user": world.pi, "project_role": "principal_investigator"},
        *({"user": user, "project_role": "researcher"} for user in extra),
    ]


def post(client, url, data=None):
    return client.post(url, data or {}, format="json")


def assert_refused(response, application: Application, events_before: int) -> None:
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "forbidden"
    application.refresh_from_db()
    assert application.events.count() == events_before


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("refer-to-panels/", {}),
        ("reject/", {"reason": "Not in the public interest."}),
        ("request-changes/", {"items": [{"section": "data", "text": "Fewer variables."}]}),
    ],
)
def test_reviewer_on_the_team_cannot_decide_internal_review(world, client_for, path, data):
    application = world.at(State.INTERNAL_REVIEW, members=team(world, world.reviewer))
    before = application.events.count()
    response = post(
        client_for(world.reviewer), f"/api/v1/applications/{application.pk}/{path}", data
    )
    assert_refused(response, application, before)
    assert application.state == State.INTERNAL_REVIEW


def test_submit_never_assigns_an_analyst_on_the_team(world):
    application = world.draft(members=team(world, world.analyst))
    route_services.application_submit(application=application, by=world.pi)
    application.refresh_from_db()
    assert application.analyst == world.analyst2


def test_submit_leaves_analyst_unassigned_when_every_named_analyst_is_on_the_team(world):
    application = world.draft(members=team(world, world.analyst, world.analyst2))
    route_services.application_submit(application=application, by=world.pi)
    application.refresh_from_db()
    assert application.analyst is None
    assigned = application.events.get(kind="analyst_assigned")
    assert assigned.payload["analyst_id"] is None


def test_ops_cannot_assign_an_analyst_on_the_team(world, client_for):
    application = world.draft(members=team(world, world.analyst))
    route_services.application_submit(application=application, by=world.pi)
    response = post(
        client_for(world.ops),
        f"/api/v1/applications/{application.pk}/assign-analyst/",
        {"analyst": world.analyst.pk},
    )
    assert response.status_code == 400
    assert "analyst" in response.json()["fields"]
    application.refresh_from_db()
    assert application.analyst == world.analyst2


def test_analyst_who_joins_the_team_cannot_complete_scoping(world, client_for):
    # Editing the team to include the analyst is refused (test_bad_input); should an analyst
    # become a member anyway (ops reassigning a member is refused too), policy still blocks them.
    application = world.at(State.SCOPING)
    application.members.create(user=world.analyst, project_role="researcher")
    route_services.scoping_update(
        application=application,
        by=world.analyst,
        data={"feasible": True, "scoped_variables": [world.year, world.grade]},
    )
    before = application.events.count()
    url = f"/api/v1/applications/{application.pk}/"
    response = post(client_for(world.analyst), url + "complete-scoping/")
    assert_refused(response, application, before)
    assert application.state == State.SCOPING


def test_panel_member_on_the_team_cannot_decide_a_track(world, client_for):
    application = world.at(State.IN_REVIEW, members=team(world, world.panel))
    track = application.tracks.get(kind=TrackKind.IGRP)
    before = application.events.count()
    response = post(
        client_for(world.panel),
        f"/api/v1/review-tracks/{track.pk}/decide/",
        {"outcome": "approved"},
    )
    assert_refused(response, application, before)
    track.refresh_from_db()
    assert track.state == "open"


def test_data_owner_on_the_team_cannot_sign_off_their_own_data(world, client_for):
    application = world.at(State.IN_REVIEW, members=team(world, world.owner))
    track = application.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    before = application.events.count()
    response = post(
        client_for(world.owner),
        f"/api/v1/review-tracks/{track.pk}/decide/",
        {"outcome": "approved"},
    )
    assert_refused(response, application, before)
    track.refresh_from_db()
    assert track.state == "open"


def test_ops_on_the_team_cannot_grant_access(world, client_for):
    application = world.at(State.APPROVED, members=team(world, world.ops))
    before = application.events.count()
    response = post(client_for(world.ops), f"/api/v1/applications/{application.pk}/grant-access/")
    assert_refused(response, application, before)
    assert application.state == State.APPROVED
    assert not Event.objects.filter(application=application, kind="access_granted").exists()


def test_ops_off_the_team_can_grant_access(world, client_for):
    application = world.at(State.APPROVED)
    response = post(client_for(world.ops), f"/api/v1/applications/{application.pk}/grant-access/")
    assert response.status_code == 200
    assert response.json()["state"] == State.ACTIVE
