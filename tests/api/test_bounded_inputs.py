"""Bounded inputs (security probe, finding 7): the lists a request carries are capped in the API
as on the pages, refused before any lookup, looked up in one query, and the caps are in the
schema. Before: a draft with 45,000 team members took 21 s (one query per member) and 10,000
feedback points were accepted (the page takes 50)."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from drf_spectacular.generators import SchemaGenerator

from access.models import User
from core.errors import ValidationFailed
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.models import (
    MAX_CONDITIONS,
    MAX_FEEDBACK_ITEMS,
    MAX_REQUESTED_DATASETS,
    MAX_SCOPED_VARIABLES,
    MAX_TEAM_MEMBERS,
    MAX_VARIABLES_PER_DATASET,
    FeedbackRequest,
    State,
    TrackKind,
    Vote,
)
from workflow.route import services as route_services
from workflow.route.serializers import NOT_NAMEABLE

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"


@pytest.fixture
def world():
    return World()


def team(world, colleagues: list[User]) -> list[dict]:
    return [
        {"user": world.pi.pk, "project_role": "principal_investigator"},
        # People not yet on the team are named by email (ids only name the team).
        *({"email": person.email, "project_role": "researcher"} for person in colleagues),
    ]


def test_a_huge_team_is_refused_at_once(world, client_for):
    application = world.draft()
    members = [{"user": 1_000_000 + i, "project_role": "researcher"} for i in range(45_000)]
    started = time.monotonic()
    with CaptureQueriesContext(connection) as queries:
        response = client_for(world.pi).patch(
            f"{LIST}{application.pk}/", {"members": members}, format="json"
        )
    elapsed = time.monotonic() - started
    assert response.status_code == 400
    body = response.json()
    assert body["fields"]["members"] == [
        f"Ensure this field has no more than {MAX_TEAM_MEMBERS} elements."
    ]
    assert len(response.content) < 1000  # one message, not one per member
    assert len(queries) < 10
    assert elapsed < 5, elapsed
    assert application.members.count() == 2
    figures = Path(os.environ.get("FIGURES_DIR", "test-artifacts/figures"))
    figures.mkdir(parents=True, exist_ok=True)
    (figures / "bounded_inputs.json").write_text(
        json.dumps(
            {
                "members_sent": len(members),
                "body_bytes": len(json.dumps({"members": members})),
                "seconds": round(elapsed, 3),
                "queries": len(queries),
                "answer_bytes": len(response.content),
            }
        )
    )


def test_the_team_is_looked_up_in_one_query_however_long(world, client_for):
    application = world.draft()
    people = [make_user("researcher") for _ in range(MAX_TEAM_MEMBERS - 1)]
    pi = client_for(world.pi)

    def queries_for(colleagues: list[User]) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = pi.patch(
                f"{LIST}{application.pk}/", {"members": team(world, colleagues)}, format="json"
            )
        assert response.status_code == 200, response.json()
        return len(queries)

    few, many = queries_for(people[:2]), queries_for(people)
    assert application.members.count() == MAX_TEAM_MEMBERS
    assert many == few, f"{few} queries for 3 members, {many} for {MAX_TEAM_MEMBERS}"


def test_unknown_and_inactive_people_are_named_by_their_place(world, client_for):
    application = world.draft()
    gone = make_user("researcher", is_active=False)
    members = [*team(world, []), {"user": 999_999, "project_role": "researcher"}]
    members.append({"user": gone.pk, "project_role": "researcher"})
    response = client_for(world.pi).patch(
        f"{LIST}{application.pk}/", {"members": members}, format="json"
    )
    assert response.status_code == 400
    fields = response.json()["fields"]
    # The same message for an unknown id and an inactive account: it names nobody.
    assert fields["members.1.user"] == [NOT_NAMEABLE]
    assert fields["members.2.user"] == [NOT_NAMEABLE]


def test_datasets_and_their_variables_are_capped(world, client_for):
    pi = client_for(world.pi)
    too_many = [
        {"dataset": f"d{i}", "legal_gateway": "public_task"}
        for i in range(MAX_REQUESTED_DATASETS + 1)
    ]
    response = pi.post(LIST, {"title": "T", "datasets": too_many}, format="json")
    assert response.status_code == 400
    assert "datasets" in response.json()["fields"]
    variables = [{"variable": f"v{i}"} for i in range(MAX_VARIABLES_PER_DATASET + 1)]
    response = pi.post(
        LIST,
        {
            "title": "T",
            "datasets": [
                {"dataset": "education", "legal_gateway": "public_task", "variables": variables}
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "datasets.0.variables" in response.json()["fields"]


def test_datasets_and_variables_are_looked_up_in_a_constant_number_of_queries(world, client_for):
    world.add_health_provider()
    application = world.draft()
    pi = client_for(world.pi)

    def queries_for(datasets: list[dict]) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = pi.patch(f"{LIST}{application.pk}/", {"datasets": datasets}, format="json")
        assert response.status_code == 200, response.json()
        return len(queries)

    one = [
        {
            "dataset": "education",
            "legal_gateway": "public_task",
            "variables": [{"variable": "grade"}],
        }
    ]
    both = [
        {
            "dataset": "education",
            "legal_gateway": "public_task",
            "variables": [{"variable": n} for n in ("grade", "school_year")],
        },
        {
            "dataset": "admissions",
            "legal_gateway": "public_task",
            "variables": [{"variable": n} for n in ("admitted_on", "diagnosis")],
        },
    ]
    few = queries_for(one)
    assert queries_for(both) == few
    assert application.requested_datasets.count() == 2


def test_more_feedback_points_than_the_page_takes_are_refused(world, client_for):
    application = world.at(State.SCOPING)
    analyst = client_for(application.analyst)
    point = {"section": "data", "text": "Fewer variables"}
    response = analyst.post(
        f"{LIST}{application.pk}/request-changes/", {"items": [point] * 10_000}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["fields"]["items"] == [
        f"Ensure this field has no more than {MAX_FEEDBACK_ITEMS} elements."
    ]
    assert not FeedbackRequest.objects.filter(application=application).exists()
    response = analyst.post(
        f"{LIST}{application.pk}/request-changes/",
        {"items": [point] * MAX_FEEDBACK_ITEMS},
        format="json",
    )
    assert response.status_code == 200, response.json()


def test_the_services_hold_the_same_caps_for_the_pages(world):
    application = world.draft()
    people = [make_user("researcher") for _ in range(MAX_TEAM_MEMBERS)]
    members = [
        {"user": world.pi, "project_role": "principal_investigator"},
        *({"user": p, "project_role": "researcher"} for p in people),
    ]
    with pytest.raises(ValidationFailed) as refused:
        route_services.application_update(
            application=application, by=world.pi, data={"members": members}
        )
    assert "members" in refused.value.fields
    scoping = world.at(State.SCOPING)
    with pytest.raises(ValidationFailed) as refused:
        route_services.application_request_changes(
            application=scoping,
            by=scoping.analyst,
            items=[{"section": "data", "text": "x"}] * (MAX_FEEDBACK_ITEMS + 1),
        )
    assert "items" in refused.value.fields


def test_vote_conditions_are_capped(world, client_for):
    application = world.at(State.IN_REVIEW)
    igrp = application.tracks.get(kind=TrackKind.IGRP)
    response = client_for(world.lay).post(
        f"/api/v1/review-tracks/{igrp.pk}/votes/",
        {
            "choice": "approved_with_conditions",
            "rationale": "Fine if...",
            "conditions": ["Aggregate outputs only"] * (MAX_CONDITIONS + 1),
        },
        format="json",
    )
    assert response.status_code == 400
    assert "conditions" in response.json()["fields"]
    assert not Vote.objects.filter(track=igrp).exists()


def test_scoped_variables_are_capped_and_looked_up_in_one_query(world, client_for):
    application = world.at(State.SCOPING)
    analyst = client_for(application.analyst)
    url = f"{LIST}{application.pk}/scoping/"
    response = analyst.patch(
        url, {"scoped_variables": [1] * (MAX_SCOPED_VARIABLES + 1)}, format="json"
    )
    assert response.status_code == 400
    assert "scoped_variables" in response.json()["fields"]

    def queries_for(ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as queries:
            response = analyst.patch(url, {"scoped_variables": ids}, format="json")
        assert response.status_code == 200, response.json()
        return len(queries)

    ids = [world.year.pk, world.grade.pk, world.postcode.pk]
    assert queries_for(ids) == queries_for(ids[:1])
    unknown = analyst.patch(url, {"scoped_variables": [999_999]}, format="json")
    assert unknown.json()["fields"]["scoped_variables"] == [
        'Invalid pk "999999" - object does not exist.'
    ]


def test_the_caps_are_stated_in_the_schema():
    schemas = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    application = schemas["ApplicationInputRequest"]["properties"]
    assert application["members"]["maxItems"] == MAX_TEAM_MEMBERS
    assert application["datasets"]["maxItems"] == MAX_REQUESTED_DATASETS
    dataset = schemas["RequestedDatasetInputRequest"]["properties"]
    assert dataset["variables"]["maxItems"] == MAX_VARIABLES_PER_DATASET
    assert schemas["RequestChangesInputRequest"]["properties"]["items"]["maxItems"] == (
        MAX_FEEDBACK_ITEMS
    )
    assert schemas["PatchedScopingInputRequest"]["properties"]["scoped_variables"]["maxItems"] == (
        MAX_SCOPED_VARIABLES
    )
    assert schemas["VoteInputRequest"]["properties"]["conditions"]["maxItems"] == MAX_CONDITIONS
