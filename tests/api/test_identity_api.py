"""Organisations vouch for their people, through the API: a person asks, the organisation's
signatory or a user manager it delegated confirms (another organisation's signatory gets 403,
the person themselves too), a confirmed person can be named on an application, and when the
organisation says they have left, their access is suspended."""

from __future__ import annotations

import pytest

from access.models import (
    AccessGrant,
    Affiliation,
    OrganisationMembership,
    Role,
)
from tests.factories import make_user
from tests.factories.access import OrganisationFactory, accredit, make_signatory
from tests.factories.workflow import World
from workflow.models import State

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def newcomer():
    return make_user(Role.RESEARCHER, full_name="Nia Newcomer", origin="provider")


def ask(client, organisation) -> dict:
    response = client.post(
        "/api/v1/affiliations/",
        {"organisation": organisation.slug, "position": "Research fellow"},
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_a_person_asks_and_their_organisations_signatory_confirms(world, newcomer, client_for):
    body = ask(client_for(newcomer), world.university)
    assert body["state"] == "pending"
    assert body["organisation"] == world.university.slug
    # Asking again returns the same one.
    assert ask(client_for(newcomer), world.university)["id"] == body["id"]
    # The signatory sees it waiting; the person cannot confirm themselves.
    signatory = client_for(world.signatory)
    listed = signatory.get("/api/v1/affiliations/?state=pending").json()["results"]
    assert [a["id"] for a in listed] == [body["id"]]
    own = client_for(newcomer).post(
        f"/api/v1/affiliations/{body['id']}/confirm/", {}, format="json"
    )
    assert own.status_code == 403
    confirmed = signatory.post(f"/api/v1/affiliations/{body['id']}/confirm/", {}, format="json")
    assert confirmed.status_code == 200
    assert confirmed.json()["state"] == "confirmed"
    assert confirmed.json()["decided_by"] == world.signatory.full_name
    newcomer.refresh_from_db()
    assert newcomer.affiliation == world.university
    # Twice is a conflict with the state, not a second confirmation.
    again = signatory.post(f"/api/v1/affiliations/{body['id']}/confirm/", {}, format="json")
    assert again.status_code == 409


def test_a_signatory_of_another_organisation_gets_403_and_changes_nothing(
    world, newcomer, client_for
):
    body = ask(client_for(newcomer), world.university)
    elsewhere = make_signatory(OrganisationFactory(name="Elsewhere University", slug="elsewhere"))
    for action in ("confirm", "decline"):
        response = client_for(elsewhere).post(
            f"/api/v1/affiliations/{body['id']}/{action}/", {"reason": "x"}, format="json"
        )
        # Not theirs to see either: 404 (the list never showed it to them).
        assert response.status_code in (403, 404)
    assert Affiliation.objects.get(pk=body["id"]).state == "pending"
    # An ops person sees the university's people but is not its signatory: 403.
    ops = client_for(world.ops)
    assert ops.get(f"/api/v1/organisations/{world.university.slug}/people/").status_code == 200
    assert (
        client_for(elsewhere)
        .get(f"/api/v1/organisations/{world.university.slug}/people/")
        .status_code
        == 403
    )


def test_the_403_for_another_organisation_says_which_rule(world, newcomer, client_for):
    """A user manager of another organisation who can see the affiliation (it is also theirs
    to see as the person's) is refused by the rule, with the rule in the answer."""
    other = OrganisationFactory(name="Elsewhere University", slug="elsewhere")
    body = ask(client_for(newcomer), world.university)
    OrganisationMembership.objects.create(
        user=newcomer, organisation=other, capacity=OrganisationMembership.Capacity.USER_MANAGER
    )
    response = client_for(newcomer).post(
        f"/api/v1/affiliations/{body['id']}/confirm/", {}, format="json"
    )
    assert response.status_code == 403
    assert "Swansea University" in response.json()["detail"]


def test_a_delegated_user_manager_confirms_and_declines(world, newcomer, client_for):
    manager = make_user(full_name="Uma Manager")
    OrganisationMembership.objects.create(
        user=manager,
        organisation=world.university,
        capacity=OrganisationMembership.Capacity.USER_MANAGER,
    )
    body = ask(client_for(newcomer), world.university)
    missing = client_for(manager).post(
        f"/api/v1/affiliations/{body['id']}/decline/", {}, format="json"
    )
    assert missing.status_code == 400
    assert "reason" in missing.json()["fields"]
    declined = client_for(manager).post(
        f"/api/v1/affiliations/{body['id']}/decline/",
        {"reason": "Not known in the department."},
        format="json",
    )
    assert declined.status_code == 200
    assert declined.json()["state"] == "declined"


def test_only_a_confirmed_person_can_be_named_on_an_application(world, newcomer, client_for):
    application = world.draft()
    pi = client_for(world.pi)
    members = [
        {"user": m.user_id, "project_role": m.project_role} for m in application.members.all()
    ]
    add = {"members": [*members, {"email": newcomer.email, "project_role": "researcher"}]}
    refused = pi.patch(f"/api/v1/applications/{application.pk}/", add, format="json")
    assert refused.status_code == 400
    message = next(iter(refused.json()["fields"].values()))[0]
    assert "No organisation has confirmed" in message
    body = ask(client_for(newcomer), world.university)
    client_for(world.signatory).post(
        f"/api/v1/affiliations/{body['id']}/confirm/", {}, format="json"
    )
    added = pi.patch(f"/api/v1/applications/{application.pk}/", add, format="json")
    assert added.status_code == 200, added.content
    assert application.members.filter(user=newcomer).exists()


def test_leaving_suspends_the_persons_access_with_notices(world, client_for):
    from workflow.route import services as route_services

    app = world.at(State.APPROVED)
    route_services.application_grant_access(application=app, by=world.ops)
    body = ask(client_for(world.colleague), world.university)
    signatory = client_for(world.signatory)
    signatory.post(f"/api/v1/affiliations/{body['id']}/confirm/", {}, format="json")
    assert AccessGrant.objects.get(application=app, person=world.colleague).state == "active"
    left = signatory.post(
        f"/api/v1/affiliations/{body['id']}/lapse/",
        {"reason": "Left on 31 October."},
        format="json",
    )
    assert left.status_code == 200
    assert left.json()["state"] == "lapsed"
    grant = AccessGrant.objects.get(application=app, person=world.colleague)
    assert grant.state == "suspended"
    assert "Swansea University says Colin Colleague has left" in grant.suspension_reason
    # The PI's grant (not vouched away) is untouched.
    assert AccessGrant.objects.get(application=app, person=world.pi).state == "active"
    kinds = set(world.colleague.notifications.values_list("kind", flat=True))
    assert {"affiliation.lapsed", "access_grant.suspended"} <= kinds
    # Confirmed again (a new affiliation), access comes back in the same commit.
    again = ask(client_for(world.colleague), world.university)
    signatory.post(f"/api/v1/affiliations/{again['id']}/confirm/", {}, format="json")
    assert AccessGrant.objects.get(application=app, person=world.colleague).state == "active"


def test_the_organisations_people_list_their_accreditations(world, newcomer, client_for):
    accredit(newcomer)
    body = ask(client_for(newcomer), world.university)
    client_for(world.signatory).post(
        f"/api/v1/affiliations/{body['id']}/confirm/", {}, format="json"
    )
    people = (
        client_for(world.signatory)
        .get(f"/api/v1/organisations/{world.university.slug}/people/")
        .json()["results"]
    )
    row = next(p for p in people if p["person"] == newcomer.pk)
    assert row["state"] == "confirmed"
    assert [a["kind"] for a in row["accreditations"]] == ["safe_researcher"]


def test_a_registered_person_has_no_role_until_vouched_for_and_applying(world, client_for):
    person = make_user(full_name="Rhys Registered", origin="registration")
    assert not person.role_names
    new = {"title": "My first project"}
    refused = client_for(person).post("/api/v1/applications/", new, format="json")
    assert refused.status_code == 403
    assert "your organisation must first confirm" in refused.json()["detail"]
    body = ask(client_for(person), world.university)
    client_for(world.signatory).post(
        f"/api/v1/affiliations/{body['id']}/confirm/", {}, format="json"
    )
    person.refresh_from_db()
    assert not person.role_assignments.exists()  # confirmed, still no role
    created = client_for(person).post("/api/v1/applications/", new, format="json")
    assert created.status_code == 201, created.content
    assert set(person.role_assignments.values_list("role", flat=True)) == {"researcher"}


def test_joining_a_team_makes_a_registered_person_a_researcher(world, client_for):
    person = make_user(full_name="Rhys Registered", origin="registration")
    body = ask(client_for(person), world.university)
    client_for(world.signatory).post(
        f"/api/v1/affiliations/{body['id']}/confirm/", {}, format="json"
    )
    application = world.draft()
    members = [
        {"user": m.user_id, "project_role": m.project_role} for m in application.members.all()
    ]
    client_for(world.pi).patch(
        f"/api/v1/applications/{application.pk}/",
        {"members": [*members, {"email": person.email, "project_role": "researcher"}]},
        format="json",
    )
    assert set(person.role_assignments.values_list("role", flat=True)) == {"researcher"}
    # As a researcher on the team they see and edit it.
    mine = client_for(person).get(f"/api/v1/applications/{application.pk}/")
    assert mine.status_code == 200
