"""Withdrawing an invitation onto a team, in the API and on the team page: the matrix of who
may (team members; nobody else) × the invitation's state (invited: withdrawn, its link stops
working and the history says who; withdrawn: answered the same, nothing new recorded;
accepted: 409, nothing changed)."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.test import Client
from rest_framework.test import APIClient

from access.identity import services as identity
from access.models import Role
from notifications.models import EmailStatus, OutboundEmail
from tests.factories import make_user
from tests.factories.workflow import World
from tests.support.celery import celery_eager  # noqa: F401 (fixture)
from workflow.models import Application, TeamInvitation
from workflow.route import services as route

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


@pytest.fixture
def world() -> World:
    return World()


def invited(world, application, email="ines@elsewhere.example") -> TeamInvitation:
    invitation = route.team_member_invite(
        application=application, email=email, project_role="researcher", by=world.pi
    )
    assert invitation is not None
    return invitation


def withdraw(client, invitation, **headers):
    return client.post(
        f"/api/v1/applications/{invitation.application_id}/invitations/{invitation.pk}/withdraw/",
        format="json",
        **headers,
    )


# Who asks → the answer for an open invitation. Team members withdraw; staff who may see the
# application but are not on its team are refused (403); anyone else does not learn it exists.
WHO = {
    "pi": 200,
    "colleague": 200,
    "ops": 403,
    "outsider": 404,
}


@pytest.mark.parametrize(("who", "expected"), list(WHO.items()))
def test_who_may_withdraw_an_open_invitation(world, client_for, who, expected):
    application = world.draft()
    invitation = invited(world, application)
    response = withdraw(client_for(getattr(world, who)), invitation)
    assert response.status_code == expected, response.content
    invitation.refresh_from_db()
    if expected == 200:
        assert response.json()["status"] == "withdrawn"
        assert invitation.status == TeamInvitation.Status.WITHDRAWN
        actor = getattr(world, who)
        (event,) = application.events.filter(payload__withdrawn=invitation.email)
        assert event.actor_id == actor.pk
        assert event.payload == {"fields": ["invitations"], "withdrawn": invitation.email}
    else:
        assert invitation.status == TeamInvitation.Status.INVITED
        assert not application.events.filter(payload__withdrawn=invitation.email).exists()


def test_anonymous_is_refused(world):
    application = world.draft()
    invitation = invited(world, application)
    assert withdraw(APIClient(), invitation).status_code in {401, 403}
    invitation.refresh_from_db()
    assert invitation.status == TeamInvitation.Status.INVITED


def test_withdrawn_link_stops_working_and_withdrawing_again_changes_nothing(
    world, client_for, django_capture_on_commit_callbacks
):
    application = world.draft()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invited(world, application)
    token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    pi = client_for(world.pi)
    assert withdraw(pi, invitation).status_code == 200
    again = withdraw(pi, invitation)
    assert again.status_code == 200
    assert again.json()["status"] == "withdrawn"
    assert application.events.filter(payload__withdrawn=invitation.email).count() == 1
    assert not pi.get(f"/api/v1/applications/{application.pk}/invitations/").json()

    # Invited again after withdrawing: a new, open invitation; the old link still does not work.
    assert invited(world, application).status == TeamInvitation.Status.INVITED

    person = make_user(Role.RESEARCHER, email="ines@elsewhere.example")
    accepted = client_for(person).post(
        "/api/v1/invitations/accept/", {"token": token}, format="json"
    )
    assert accepted.status_code == 400
    assert not application.members.filter(user=person).exists()


def test_an_accepted_invitation_cannot_be_withdrawn(
    world, client_for, django_capture_on_commit_callbacks
):
    application = world.draft()
    with django_capture_on_commit_callbacks(execute=True):
        invitation = invited(world, application)
    token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)
    person = make_user(
        Role.RESEARCHER, email="ines@elsewhere.example", origin="provider", full_name="Ines"
    )
    affiliation = identity.affiliation_request(
        person=person, organisation=world.university, by=person
    )
    identity.affiliation_confirm(affiliation=affiliation, by=world.signatory)
    assert (
        client_for(person)
        .post("/api/v1/invitations/accept/", {"token": token}, format="json")
        .status_code
        == 200
    )
    response = withdraw(client_for(world.pi), invitation)
    assert response.status_code == 409, response.content
    assert "already accepted" in response.json()["detail"]
    invitation.refresh_from_db()
    assert invitation.status == TeamInvitation.Status.ACCEPTED
    assert application.members.filter(user=person).exists()


def test_an_invitation_of_another_application_is_not_found(world, client_for):
    application = world.draft()
    other = world.draft()
    invitation = invited(world, other)
    response = client_for(world.pi).post(
        f"/api/v1/applications/{application.pk}/invitations/{invitation.pk}/withdraw/"
    )
    assert response.status_code == 404


def test_an_email_still_waiting_for_the_mail_server_is_not_sent(world, client_for):
    application = world.draft()
    # In a test transaction no on-commit runs: the email waits, as when the server is down.
    invitation = invited(world, application)
    email = OutboundEmail.objects.get(about=f"invitation:{invitation.pk}")
    assert email.email_status == EmailStatus.PENDING
    assert withdraw(client_for(world.pi), invitation).status_code == 200
    email.refresh_from_db()
    assert email.email_status == EmailStatus.NOT_WANTED


def test_the_team_page_withdraws_an_invitation(world):
    application = world.draft()
    invitation = invited(world, application)
    page = Client()
    page.force_login(world.pi)
    team = page.get(f"/applications/{application.pk}/sections/team/").content.decode()
    action = f"/applications/{application.pk}/invitations/{invitation.pk}/withdraw/"
    assert action in team
    assert 'Withdraw<span class="govuk-visually-hidden"> the invitation to' in team
    response = page.post(action, follow=True)
    assert response.status_code == 200
    assert "The invitation to ines@elsewhere.example is withdrawn" in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.status == TeamInvitation.Status.WITHDRAWN
    # The outsider cannot, and gets no page that shows it.
    outsider = Client()
    outsider.force_login(world.outsider)
    other = invited(world, application, "second@elsewhere.example")
    refused = outsider.post(f"/applications/{application.pk}/invitations/{other.pk}/withdraw/")
    assert refused.status_code in {403, 404}
    other.refresh_from_db()
    assert other.status == TeamInvitation.Status.INVITED


@pytest.mark.parametrize("state", ["scoping", "withdrawn"])
def test_the_team_may_withdraw_after_the_application_moved_on(world, client_for, state):
    # Invited as a draft; then submitted (and withdrawn): the team can still take it back.
    application = world.draft()
    invitation = invited(world, application)
    route.application_submit(application=application, by=world.pi)
    if state == "withdrawn":
        route.application_withdraw(
            application=Application.objects.get(pk=application.pk), by=world.pi, reason="Plans"
        )
    assert Application.objects.get(pk=application.pk).state == state
    assert withdraw(client_for(world.outsider), invitation).status_code == 404
    assert withdraw(client_for(world.colleague), invitation).status_code == 200
    invitation.refresh_from_db()
    assert invitation.status == TeamInvitation.Status.WITHDRAWN
