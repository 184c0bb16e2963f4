"""A 403 says which rule refused: the route's policies answer with a reason
(``core.transitions.Refusal``), and the error shape carries it in ``detail``."""

from __future__ import annotations

import pytest

from access.models import Role
from tests.factories import make_user
from tests.factories.access import accredit
from tests.factories.workflow import World
from workflow.models import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = World()
    # Staff who are also researchers on the project.
    world.ops_member = make_user(Role.OPS, Role.RESEARCHER, full_name="Ollie Ops-Researcher")
    world.reviewer_member = make_user(
        Role.REVIEWER, Role.RESEARCHER, full_name="Rita Reviewer-Researcher"
    )
    for person in (world.ops_member, world.reviewer_member):
        accredit(person)
    return world


def on_the_team(world, *people):
    return [
        {"user": world.pi, "project_role": "principal_investigator"},
        {"user": world.colleague, "project_role": "researcher"},
        *({"user": person, "project_role": "researcher"} for person in people),
    ]


def refused(client, application, step, body=None):
    response = client.post(
        f"/api/v1/applications/{application.pk}/{step}/", body or {}, format="json"
    )
    assert response.status_code == 403, response.json()
    assert response.json()["code"] == "forbidden"
    return response.json()["detail"]


def test_ops_on_the_team_are_told_someone_else_must_grant_access(world, client_for):
    application = world.at(State.APPROVED, members=on_the_team(world, world.ops_member))
    detail = refused(client_for(world.ops_member), application, "grant-access")
    assert detail == (
        "You are on this project's team, so someone else must grant or change its access."
    )
    granted = client_for(world.ops).post(f"/api/v1/applications/{application.pk}/grant-access/")
    assert granted.status_code == 200


def test_a_researcher_is_told_only_ops_grant_access(world, client_for):
    application = world.at(State.APPROVED)
    detail = refused(client_for(world.pi), application, "grant-access")
    assert detail == "Only ops grant, suspend, reinstate and close access."


def test_a_reviewer_on_the_team_is_told_another_reviewer_must_review(world, client_for):
    application = world.at(State.INTERNAL_REVIEW, members=on_the_team(world, world.reviewer_member))
    detail = refused(client_for(world.reviewer_member), application, "refer-to-panels")
    assert detail == "You are on this project's team, so another reviewer must review it."


def test_the_analyst_is_told_internal_review_is_for_reviewers(world, client_for):
    application = world.at(State.INTERNAL_REVIEW)
    detail = refused(client_for(world.analyst), application, "reject", {"reason": "No."})
    assert detail == "Only governance reviewers decide at internal review."


def test_a_team_member_is_told_only_analysts_scope(world, client_for):
    application = world.at(State.SCOPING)
    detail = refused(client_for(world.colleague), application, "complete-scoping")
    assert detail == "Only analysts scope applications."


def test_an_ops_member_not_on_the_team_is_told_only_the_team_submits(world, client_for):
    application = world.at(State.DRAFT, members=on_the_team(world, world.ops_member))
    # Ops see every application: on a draft they are not a member of, the team's step is not
    # theirs.
    detail = refused(client_for(world.ops), application, "submit")
    assert detail == "Only researchers on the application's team submit it."


def test_the_reason_reaches_the_web_page_too(world, client):
    application = world.at(State.APPROVED, members=on_the_team(world, world.ops_member))
    client.force_login(world.ops_member)
    response = client.post(f"/applications/{application.pk}/grant-access/")
    assert response.status_code == 403
    assert "someone else must grant or change its access" in response.content.decode()
