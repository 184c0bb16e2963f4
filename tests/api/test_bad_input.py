"""Bad input is a 400 naming the field (never a 500), and a refused request changes nothing."""

from __future__ import annotations

import datetime

import pytest

from tests.factories.workflow import World
from workflow.models import (
    Application,
    ApplicationVersion,
    FeedbackRequest,
    LegalGateway,
    RequestedDataset,
    RequestedVariable,
    State,
)

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"


@pytest.fixture
def world():
    return World()


@pytest.fixture
def pi(world, client_for):
    return client_for(world.pi)


def snapshot_of(application: Application) -> tuple:
    application.refresh_from_db()
    return (
        application.state,
        application.current_version,
        application.events.count(),
        ApplicationVersion.objects.filter(application=application).count(),
        application.updated_at,
    )


def assert_submit_refused(client, application: Application, field: str) -> dict:
    before = snapshot_of(application)
    response = client.post(f"{LIST}{application.pk}/submit/", {}, format="json")
    assert response.status_code == 400, response.json()
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"], body["fields"]
    assert snapshot_of(application) == before
    assert application.state == State.DRAFT
    assert application.versions.count() == 0
    return body


def words(n: int) -> str:
    return " ".join(["word"] * n)


# --- submission ----------------------------------------------------------------------------


def test_submit_with_empty_lay_summary_is_400(world, pi):
    assert_submit_refused(pi, world.draft(lay_summary=""), "lay_summary")


def test_submit_with_lay_summary_over_300_words_is_400(world, pi):
    body = assert_submit_refused(pi, world.draft(lay_summary=words(301)), "lay_summary")
    assert "301 words" in body["fields"]["lay_summary"][0]


def test_submit_with_lay_summary_of_exactly_300_words_succeeds(world, pi):
    application = world.draft(lay_summary=words(300))
    response = pi.post(f"{LIST}{application.pk}/submit/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["state"] == State.SCOPING


def test_submit_with_end_before_start_is_400(world, pi):
    application = world.draft()
    # Edits refuse such dates (below); this is content saved before that rule existed.
    Application.objects.filter(pk=application.pk).update(end_date=datetime.date(2026, 12, 31))
    assert_submit_refused(pi, application, "end_date")


def test_edit_with_end_before_start_is_400(world, pi):
    application = world.draft()
    before = snapshot_of(application)
    response = pi.patch(f"{LIST}{application.pk}/", {"end_date": "2026-06-30"}, format="json")
    assert response.status_code == 400
    assert "end_date" in response.json()["fields"]
    assert snapshot_of(application) == before


def test_create_with_end_before_start_is_400_and_creates_nothing(world, pi):
    response = pi.post(
        LIST,
        {"title": "Backwards", "start_date": "2027-01-01", "end_date": "2026-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "end_date" in response.json()["fields"]
    assert not Application.objects.exists()


def test_edit_with_variable_not_in_dataset_is_400(world, pi):
    world.add_health_provider()
    application = world.draft()
    before = snapshot_of(application)
    for name in ("shoe_size", "diagnosis"):  # unknown anywhere; in another dataset
        response = pi.patch(
            f"{LIST}{application.pk}/",
            {
                "datasets": [
                    {
                        "dataset": "education",
                        "legal_gateway": "public_task",
                        "justification": "Exposure.",
                        "variables": [{"variable": name}],
                    }
                ]
            },
            format="json",
        )
        assert response.status_code == 400
        assert "datasets.0.variables.0.variable" in response.json()["fields"]
    assert snapshot_of(application) == before
    assert RequestedVariable.objects.filter(requested_dataset__application=application).count() == 2


def test_submit_with_variable_of_another_dataset_is_400(world, pi):
    world.add_health_provider()
    application = world.draft()
    requested = application.requested_datasets.get()
    RequestedVariable.objects.create(requested_dataset=requested, variable=world.diagnosis)
    assert_submit_refused(pi, application, "datasets.0.variables.2.variable")


def test_submit_identifying_variable_without_its_own_justification_is_400(world, pi):
    content = world.content()["datasets"][0]
    content["variables"] = [{"variable": "school_year"}, {"variable": "postcode"}]
    application = world.draft(datasets=[content])
    body = assert_submit_refused(pi, application, "datasets.0.variables.1.justification")
    assert "postcode" in body["fields"]["datasets.0.variables.1.justification"][0]


def test_submit_identifying_variable_with_its_own_justification_succeeds(world, pi):
    content = world.content()["datasets"][0]
    content["variables"] = [
        {"variable": "school_year"},
        {"variable": "postcode", "justification": "Linkage to deprivation indices."},
    ]
    application = world.draft(datasets=[content])
    assert pi.post(f"{LIST}{application.pk}/submit/", {}, format="json").status_code == 200


def test_edit_dea_gateway_for_health_service_dataset_is_400(world, pi):
    world.add_health_provider()
    application = world.draft()
    before = snapshot_of(application)
    response = pi.patch(
        f"{LIST}{application.pk}/",
        {
            "datasets": [
                {
                    "dataset": "admissions",
                    "legal_gateway": "dea_research",
                    "justification": "Outcome.",
                    "variables": [{"variable": "diagnosis"}],
                }
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    assert "health-service" in response.json()["fields"]["datasets.0.legal_gateway"][0]
    assert snapshot_of(application) == before


def test_submit_dea_gateway_for_health_service_dataset_is_400(world, pi):
    world.add_health_provider()
    application = world.draft(datasets=world.both_datasets())
    RequestedDataset.objects.filter(application=application, dataset=world.dataset2).update(
        legal_gateway=LegalGateway.DEA_RESEARCH
    )
    assert_submit_refused(pi, application, "datasets.1.legal_gateway")


# --- request for changes -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([], "items"),
        ([{"section": "data"}], "items.0.text"),
        ([{"section": "data", "text": "   "}], "items.0.text"),
        (
            [{"section": "data", "text": "Fine."}, {"section": "budget", "text": "?"}],
            "items.1.section",
        ),
        ("everything", "items"),
    ],
)
def test_request_changes_with_bad_items_is_400(world, client_for, items, field):
    application = world.at(State.SCOPING)
    before = snapshot_of(application)
    response = client_for(world.analyst).post(
        f"{LIST}{application.pk}/request-changes/", {"items": items}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    assert snapshot_of(application) == before
    assert not FeedbackRequest.objects.filter(application=application).exists()


# --- who may edit, and when ----------------------------------------------------------------


def test_edit_by_outsider_is_404(world, client_for):
    application = world.draft()
    before = snapshot_of(application)
    response = client_for(world.outsider).patch(
        f"{LIST}{application.pk}/", {"title": "Mine now"}, format="json"
    )
    assert response.status_code == 404
    assert snapshot_of(application) == before


@pytest.mark.parametrize(("who", "state"), [("ops", State.DRAFT), ("owner", State.SCOPING)])
def test_edit_by_non_member_who_can_see_it_is_403(world, client_for, who, state):
    application = world.at(state)
    before = snapshot_of(application)
    response = client_for(getattr(world, who)).patch(
        f"{LIST}{application.pk}/", {"title": "Improved"}, format="json"
    )
    assert response.status_code == 403
    assert snapshot_of(application) == before
    assert application.title != "Improved"


def test_edit_in_scoping_is_409_with_current_state(world, pi):
    application = world.at(State.SCOPING)
    before = snapshot_of(application)
    response = pi.patch(f"{LIST}{application.pk}/", {"title": "Late change"}, format="json")
    assert response.status_code == 409
    assert response.json()["current_state"] == State.SCOPING
    assert snapshot_of(application) == before


def test_edit_cannot_set_the_state(world, pi):
    application = world.draft()
    response = pi.patch(
        f"{LIST}{application.pk}/", {"title": "Retitled", "state": "approved"}, format="json"
    )
    assert response.status_code == 400
    assert "transitions" in response.json()["fields"]["state"][0]
    application.refresh_from_db()
    assert application.state == State.DRAFT
    assert application.title != "Retitled"


def test_edit_with_an_unknown_field_is_400(world, pi):
    application = world.draft()
    response = pi.patch(f"{LIST}{application.pk}/", {"colour": "blue"}, format="json")
    assert response.status_code == 400
    assert response.json()["fields"] == {"colour": ["Not a field of this resource."]}


def test_team_cannot_add_the_assigned_analyst(world, pi, client_for):
    application = world.at(State.CHANGES_REQUESTED)
    members = [
        {"user": world.pi.pk, "project_role": "principal_investigator"},
        {"user": application.analyst_id, "project_role": "researcher"},
    ]
    response = pi.patch(f"{LIST}{application.pk}/", {"members": members}, format="json")
    assert response.status_code == 400
    assert "members.1.user" in response.json()["fields"]
    assert not application.members.filter(user_id=application.analyst_id).exists()


# --- malformed requests --------------------------------------------------------------------


def test_create_with_malformed_json_is_400(pi):
    response = pi.post(LIST, data='{"title": "half', content_type="application/json")
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": {"nested": "object"}}, "title"),
        ({"title": "T", "start_date": "next tuesday"}, "start_date"),
        ({"title": "T", "members": "everyone"}, "members"),
        ({"title": "T", "datasets": {"dataset": "education"}}, "datasets"),
        ({"title": "T", "purpose": "profit"}, "purpose"),
        ({"title": "T", "lead_organisation": "atlantis"}, "lead_organisation"),
        (
            {"title": "T", "datasets": [{"dataset": "no-such-data", "legal_gateway": "consent"}]},
            "datasets.0.dataset",
        ),
        (
            {"title": "T", "datasets": [{"dataset": "education", "legal_gateway": "vibes"}]},
            "datasets.0.legal_gateway",
        ),
        (
            {"title": "T", "members": [{"user": 999999, "project_role": "researcher"}]},
            "members.0.user",
        ),
        (
            {"title": "T", "members": [{"user": "ada", "project_role": "researcher"}]},
            "members.0.user",
        ),
        (
            {"title": "T", "members": [{"user": 1, "project_role": "boss"}]},
            "members.0.project_role",
        ),
    ],
)
def test_create_with_wrong_types_or_unknown_references_is_400(world, pi, data, field):
    response = pi.post(LIST, data, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"], body["fields"]
    assert not Application.objects.exists()


def test_create_with_the_same_dataset_twice_is_400(world, pi):
    dataset = {"dataset": "education", "legal_gateway": "public_task", "justification": "x"}
    response = pi.post(LIST, {"title": "T", "datasets": [dataset, dataset]}, format="json")
    assert response.status_code == 400
    assert "datasets.1.dataset" in response.json()["fields"]
    assert not Application.objects.exists()


def test_edit_with_the_same_member_twice_is_400(world, pi):
    application = world.draft()
    member = {"user": world.pi.pk, "project_role": "principal_investigator"}
    response = pi.patch(f"{LIST}{application.pk}/", {"members": [member, member]}, format="json")
    assert response.status_code == 400
    assert application.members.count() == 2


@pytest.mark.parametrize("pk", ["abc", "99999999"])
def test_unknown_or_malformed_application_id_is_404(pi, pk):
    assert pi.get(f"{LIST}{pk}/").status_code == 404
    assert pi.post(f"{LIST}{pk}/submit/", {}, format="json").status_code == 404


def test_assign_unknown_analyst_is_400(world, client_for):
    application = world.at(State.SCOPING)
    response = client_for(world.ops).post(
        f"{LIST}{application.pk}/assign-analyst/", {"analyst": 999999}, format="json"
    )
    assert response.status_code == 400
    assert "analyst" in response.json()["fields"]


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"outcome": "maybe"}, "outcome"),
        ({"outcome": "rejected"}, "rationale"),
        ({"outcome": "approved_with_conditions", "rationale": "ok"}, "conditions"),
        ({"outcome": "approved", "conditions": "not a list"}, "conditions"),
    ],
)
def test_track_decision_with_bad_input_is_400(world, client_for, data, field):
    application = world.at(State.IN_REVIEW)
    track = application.tracks.get(kind="owner_signoff")
    response = client_for(world.owner).post(
        f"/api/v1/review-tracks/{track.pk}/decide/", data, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()
    track.refresh_from_db()
    assert track.state == "open"
