"""Finding someone to add to a team by their exact email address (``applications_people``):
only the team, while it may edit the application, and only a whole address matches, so nobody
can list the people of the service through it."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from access.models import Role
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.models import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    world = World()
    world.tomos = make_user(
        Role.RESEARCHER,
        full_name="Tomos Price",
        email="tomos.price@cardiff-university.example",
        affiliation=world.university,
    )
    return world


def people(client, application, email="tomos.price@cardiff-university.example"):
    return client.get(f"/api/v1/applications/{application.pk}/people/", {"email": email})


# Who asks × the application's state → what they get: 200 (the team, while it may edit),
# 409 (the team, later), 403 (sees the application, not on its team), 404 (does not see it).
MATRIX = [
    ("pi", State.DRAFT, 200),
    ("colleague", State.DRAFT, 200),
    ("pi", State.CHANGES_REQUESTED, 200),
    ("pi", State.SCOPING, 409),
    ("pi", State.ACTIVE, 409),
    ("ops", State.DRAFT, 403),
    ("analyst", State.SCOPING, 403),
    ("reviewer", State.INTERNAL_REVIEW, 403),
    ("owner", State.IN_REVIEW, 403),
    ("panel", State.IN_REVIEW, 403),
    ("outsider", State.DRAFT, 404),
    ("tomos", State.DRAFT, 404),
    ("analyst", State.DRAFT, 404),
]


@pytest.mark.parametrize(("who", "state", "status"), MATRIX)
def test_who_may_look_people_up_in_which_state(world, client_for, who, state, status):
    application = world.at(state)
    response = people(client_for(getattr(world, who)), application)
    assert response.status_code == status, response.json()
    if status == 200:
        assert response.json() == [
            {"id": world.tomos.pk, "full_name": "Tomos Price", "affiliation": "Swansea University"}
        ]
    else:
        assert {"code", "detail", "fields"} <= set(response.json())


def test_signed_out_is_401(world):
    assert people(APIClient(), world.at(State.DRAFT)).status_code == 401


@pytest.mark.parametrize(
    "email",
    [
        "tomos.price@cardiff-university.exampl",  # a prefix of the address
        "tomos.price@cardiff-university.example.org",
        "price@cardiff-university.example",
        "nobody@example.org",
    ],
)
def test_only_the_whole_address_matches(world, client_for, email):
    response = people(client_for(world.pi), world.at(State.DRAFT), email)
    assert response.status_code == 200
    assert response.json() == []


def test_the_address_matches_whatever_its_case_and_an_inactive_account_never(world, client_for):
    application = world.at(State.DRAFT)
    found = people(client_for(world.pi), application, "Tomos.Price@Cardiff-University.EXAMPLE")
    assert [p["id"] for p in found.json()] == [world.tomos.pk]
    world.tomos.is_active = False
    world.tomos.save(update_fields=["is_active"])
    assert people(client_for(world.pi), application).json() == []


@pytest.mark.parametrize("query", [{}, {"email": ""}, {"email": "tomos"}, {"email": "a@b@c"}])
def test_a_missing_or_malformed_address_is_400(world, client_for, query):
    application = world.at(State.DRAFT)
    response = client_for(world.pi).get(f"/api/v1/applications/{application.pk}/people/", query)
    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["email"]


def test_the_person_found_is_added_by_email(world, client_for):
    application = world.at(State.DRAFT)
    pi = client_for(world.pi)
    (person,) = people(pi, application).json()
    members = [
        {"user": world.pi.pk, "project_role": "principal_investigator"},
        {"user": world.colleague.pk, "project_role": "researcher"},
        {"email": "tomos.price@cardiff-university.example", "project_role": "researcher"},
    ]
    updated = pi.patch(
        f"/api/v1/applications/{application.pk}/", {"members": members}, format="json"
    )
    assert updated.status_code == 200, updated.json()
    assert person["id"] in {m["user"]["id"] for m in updated.json()["members"]}
