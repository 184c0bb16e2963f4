"""Consolidated feedback, rounds, versions and the difference between them."""

from __future__ import annotations

import pytest

from tests.factories.workflow import World
from workflow.models import Application, State, TrackKind
from workflow.reviews import services as reviews_services
from workflow.route import services as route_services

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"
THREE_POINTS = [
    {"section": "data", "text": "Justify the grade variable."},
    {"section": "summary", "text": "Say who benefits."},
    {"section": "dates", "text": "Is two years enough?"},
]


@pytest.fixture
def world():
    return World()


def url(application: Application, path: str = "") -> str:
    return f"{LIST}{application.pk}/{path}"


def answer_all(world: World, application: Application) -> None:
    request = application.feedback_requests.get(resolved_at__isnull=True)
    for item in request.items.all():
        reviews_services.feedback_item_respond(item=item, by=world.pi, response="Done.")


def test_resubmit_refused_until_every_point_is_answered(world, client_for):
    application = world.at(State.SCOPING)
    pi = client_for(world.pi)
    asked = client_for(world.analyst).post(
        url(application, "request-changes/"), {"items": THREE_POINTS}, format="json"
    )
    assert asked.status_code == 200
    items = pi.get(url(application, "feedback/")).json()[0]["items"]
    assert len(items) == 3

    for answered, item in enumerate(items):
        refused = pi.post(url(application, "resubmit/"), {}, format="json")
        assert refused.status_code == 400
        assert f"({3 - answered} unanswered)" in refused.json()["fields"]["items"][0]
        application.refresh_from_db()
        assert application.state == State.CHANGES_REQUESTED
        assert application.current_version == 1
        response = pi.post(
            url(application, f"feedback/{item['id']}/respond/"),
            {"response": "Done."},
            format="json",
        )
        assert response.status_code == 200

    back = pi.post(url(application, "resubmit/"), {}, format="json")
    assert back.status_code == 200
    assert back.json()["state"] == State.SCOPING
    assert back.json()["current_version"] == 2
    assert pi.get(url(application, "feedback/")).json()[0]["resolved_at"] is not None


@pytest.mark.parametrize(
    ("stage", "asker"), [(State.SCOPING, "analyst"), (State.INTERNAL_REVIEW, "reviewer")]
)
def test_resubmit_returns_to_the_stage_that_asked(world, client_for, stage, asker):
    application = world.at(stage)
    response = client_for(getattr(world, asker)).post(
        url(application, "request-changes/"), {"items": THREE_POINTS[:1]}, format="json"
    )
    assert response.json()["changes_requested_from"] == stage
    answer_all(world, application)
    back = client_for(world.pi).post(url(application, "resubmit/"), {}, format="json")
    assert back.status_code == 200
    assert back.json()["state"] == stage
    assert back.json()["changes_requested_from"] == ""
    event = application.events.get(transition="resubmit")
    assert (event.from_state, event.to_state) == (State.CHANGES_REQUESTED, stage)


def test_feedback_rounds_are_counted_across_stages(world, client_for):
    application = world.at(State.CHANGES_REQUESTED)  # round 1, from scoping
    answer_all(world, application)
    route_services.application_resubmit(application=application, by=world.pi)
    route_services.scoping_update(
        application=application,
        by=world.analyst,
        data={"feasible": True, "scoped_variables": [world.year, world.grade]},
    )
    route_services.application_complete_scoping(application=application, by=world.analyst)
    route_services.application_request_changes(
        application=application, by=world.reviewer, items=THREE_POINTS
    )
    feedback = client_for(world.pi).get(url(application, "feedback/")).json()
    assert [(f["round"], f["stage"], len(f["items"])) for f in feedback] == [
        (1, State.SCOPING, 1),
        (2, State.INTERNAL_REVIEW, 3),
    ]
    assert [f["version"] for f in feedback] == [1, 2]
    rounds = [e.payload["round"] for e in application.events.filter(kind="changes_requested")]
    assert rounds == [1, 2]


def test_answers_are_refused_once_resubmitted(world, client_for):
    application = world.at(State.CHANGES_REQUESTED)
    answer_all(world, application)
    route_services.application_resubmit(application=application, by=world.pi)
    item = application.feedback_requests.get().items.get()
    response = client_for(world.pi).post(
        url(application, f"feedback/{item.pk}/respond/"), {"response": "Again"}, format="json"
    )
    assert response.status_code == 409
    item.refresh_from_db()
    assert item.response == "Done."


def test_answers_only_from_the_team(world, client_for):
    application = world.at(State.CHANGES_REQUESTED)
    item = application.feedback_requests.get().items.get()
    response = client_for(world.analyst).post(
        url(application, f"feedback/{item.pk}/respond/"), {"response": "I'll do it"}, format="json"
    )
    assert response.status_code == 403
    item.refresh_from_db()
    assert item.response == ""


def test_diff_between_versions_shows_what_changed(world, client_for):
    application = world.at(State.CHANGES_REQUESTED)
    pi = client_for(world.pi)
    dataset = {
        "dataset": "education",
        "legal_gateway": "public_task",
        "justification": "Attainment is the exposure.",
        "variables": [
            {"variable": "school_year"},
            {"variable": "grade", "justification": "The exposure itself."},
        ],
    }
    edited = pi.patch(
        url(application),
        {"lay_summary": "Families in Wales benefit.", "funder": "MRC", "datasets": [dataset]},
        format="json",
    )
    assert edited.status_code == 200
    answer_all(world, application)
    route_services.application_resubmit(application=application, by=world.pi)

    diff = client_for(world.analyst).get(url(application, "diff/"), {"from": 1, "to": 2}).json()
    changes = {c["path"]: c for c in diff["changes"]}
    assert set(changes) == {
        "lay_summary",
        "funder",
        "datasets.education.variables.grade.justification",
    }
    assert changes["funder"] == {
        "path": "funder",
        "label": "Funder",
        "change": "changed",
        "before": "Wellcome",
        "after": "MRC",
    }
    assert changes["datasets.education.variables.grade.justification"]["after"] == (
        "The exposure itself."
    )
    # Each change is named in words, as the versions page shows it.
    assert changes["lay_summary"]["label"] == "Lay summary"
    assert changes["datasets.education.variables.grade.justification"]["label"] == (
        "education: variable grade justification"
    )
    # Versions are frozen: version 1 still reads as it was submitted.
    v1 = pi.get(url(application, "versions/1/")).json()
    assert v1["content"]["funder"] == "Wellcome"
    assert [v["number"] for v in pi.get(url(application, "versions/")).json()] == [1, 2]
    assert pi.get(url(application, "diff/"), {"from": 2, "to": 2}).json()["changes"] == []


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"from", "to"}),
        ({"from": "1"}, {"to"}),
        ({"from": "one", "to": "1"}, {"from"}),
        ({"from": "-1", "to": "1"}, {"from"}),
        ({"from": "1", "to": "99"}, {"to"}),
        ({"from": "7", "to": "8"}, {"from", "to"}),
    ],
)
def test_diff_with_bad_parameters_is_400(world, client_for, params, fields):
    application = world.at(State.SCOPING)
    response = client_for(world.pi).get(url(application, "diff/"), params)
    assert response.status_code == 400
    assert set(response.json()["fields"]) == fields


def test_unknown_version_is_404(world, client_for):
    application = world.at(State.SCOPING)
    assert client_for(world.pi).get(url(application, "versions/2/")).status_code == 404


def test_decisions_record_the_version_they_were_made_on(world):
    application = world.at(State.CHANGES_REQUESTED)
    answer_all(world, application)
    route_services.application_resubmit(application=application, by=world.pi)  # version 2
    route_services.scoping_update(
        application=application,
        by=world.analyst,
        data={"feasible": True, "scoped_variables": [world.year, world.grade]},
    )
    route_services.application_complete_scoping(application=application, by=world.analyst)
    route_services.application_refer_to_panels(application=application, by=world.reviewer)
    igrp = application.tracks.get(kind=TrackKind.IGRP)
    owner = application.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    assert igrp.version == owner.version == 2
    reviews_services.review_track_decide(track=owner, by=world.owner, outcome="approved")
    world.decide(igrp, "revise_and_resubmit", "Clarify linkage.")
    decided = application.events.get(kind="track_decided", track=owner)
    assert decided.payload["version"] == decided.version == 2

    answer_all(world, application)
    route_services.application_resubmit(application=application, by=world.pi)  # version 3
    current = application.tracks.filter(superseded=False)
    assert {(t.kind, t.version) for t in current} == {
        (TrackKind.IGRP, 3),
        (TrackKind.OWNER_SIGNOFF, 2),
    }
