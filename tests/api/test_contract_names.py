"""One word for one thing across the API: a vote, a decision and a close all say ``outcome``
and ``conditions``; signing says ``signatory`` as /me/ does. The old names still work for one
release and the schema marks them deprecated (docs/api.md, "Deprecated names")."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from tests.factories.workflow import World
from workflow.models import State

pytestmark = pytest.mark.django_db

TRACKS = "/api/v1/review-tracks/"


@pytest.fixture
def world():
    return World()


def igrp_of(world):
    application = world.at(State.IN_REVIEW)
    return application, application.tracks.get(kind="igrp")


def test_a_vote_is_cast_and_read_as_outcome_and_conditions(world, client_for):
    _, igrp = igrp_of(world)
    voted = client_for(world.lay).post(
        f"{TRACKS}{igrp.pk}/votes/",
        {"outcome": "approved_with_conditions", "rationale": "Fine.", "conditions": ["No PII"]},
        format="json",
    )
    assert voted.status_code == 201, voted.json()
    vote = voted.json()
    assert (vote["outcome"], vote["conditions"]) == ("approved_with_conditions", ["No PII"])
    # The old names answer the same, for one release.
    assert (vote["choice"], vote["proposed_conditions"]) == (vote["outcome"], vote["conditions"])
    changed = client_for(world.lay).put(
        f"{TRACKS}{igrp.pk}/votes/", {"outcome": "approved"}, format="json"
    )
    assert changed.status_code == 200, changed.json()
    assert changed.json()["outcome"] == "approved"


def test_the_old_name_choice_still_casts_a_vote(world, client_for):
    _, igrp = igrp_of(world)
    voted = client_for(world.lay).post(
        f"{TRACKS}{igrp.pk}/votes/", {"choice": "approved"}, format="json"
    )
    assert voted.status_code == 201, voted.json()
    assert voted.json()["outcome"] == "approved"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "outcome"),
        ({"rationale": "No choice made."}, "outcome"),
        ({"outcome": "approved", "choice": "rejected"}, "choice"),
    ],
)
def test_a_vote_without_an_outcome_or_with_two_is_400(world, client_for, body, field):
    _, igrp = igrp_of(world)
    response = client_for(world.lay).post(f"{TRACKS}{igrp.pk}/votes/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["fields"]) == [field]
    assert not igrp.votes.exists()


@pytest.mark.parametrize("capacity", ["signatory", "organisation_signatory"])
def test_the_signatory_signs_as_signatory_the_word_me_uses(world, client_for, capacity):
    application = world.at(State.IN_REVIEW)
    signatory = client_for(world.signatory)
    me = signatory.get("/api/v1/me/").json()
    assert [m["capacity"] for m in me["memberships"]] == ["signatory"]
    signed = signatory.post(
        f"/api/v1/applications/{application.pk}/agreement/sign/",
        {"capacity": capacity},
        format="json",
    )
    assert signed.status_code == 201, signed.json()
    (signature,) = signed.json()["signatures"]
    assert signature["capacity"] == "signatory"
    assert signature["organisation"] == "Swansea University"
    assert signed.json()["organisation_signed_by"]["full_name"] == "Sian Signatory"


def test_the_schema_marks_the_old_names_deprecated():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    components = schema["components"]["schemas"]
    assert components["VoteInputRequest"]["properties"]["choice"]["deprecated"] is True
    assert "deprecated" not in components["VoteInputRequest"]["properties"]["outcome"]
    for old in ("choice", "proposed_conditions"):
        assert components["Vote"]["properties"][old]["deprecated"] is True
    sign = components["SignatureCapacityInputEnum"]["enum"]
    assert sign == ["member", "signatory", "organisation_signatory"]
    assert components["SignatureCapacityEnum"]["enum"] == ["member", "signatory"]
    metrics = schema["paths"]["/api/v1/metrics/turnaround/"]["get"]["parameters"]
    params = {p["name"]: p for p in metrics}
    assert params["route"]["deprecated"] is True
    assert params["legal_gateway"]["schema"]["enum"] == ["dea_research", "other"]
