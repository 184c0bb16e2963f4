"""Adding a team member by email: a known person is added at once; an unknown address gets an
invitation (a signed, expiring link) and shows on the team as invited until they sign in and
accept. A link used twice, expired, or opened by someone with another email address gets a
clear answer, and nothing changes."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from access.identity import services as identity
from access.models import Role
from tests.factories import make_user
from tests.factories.workflow import World
from tests.support.celery import celery_eager  # noqa: F401 (fixture)
from workflow.models import TeamInvitation

# Registration and invitation emails go through the outbox; its delivery task runs in-process.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


@pytest.fixture
def world() -> World:
    return World()


def invite(client, application, email: str, role: str = "researcher"):
    return client.post(
        f"/api/v1/applications/{application.pk}/invitations/",
        {"email": email, "project_role": role},
        format="json",
    )


def token_in_last_email() -> str:
    match = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def newcomer_confirmed(world, email: str):
    """A person who signed up with ``email`` and whom the university confirmed."""
    person = make_user(Role.RESEARCHER, email=email, full_name="Ines Invitee", origin="provider")
    affiliation = identity.affiliation_request(
        person=person, organisation=world.university, by=person
    )
    identity.affiliation_confirm(affiliation=affiliation, by=world.signatory)
    return person


def test_a_known_person_is_added_at_once(world, client_for):
    application = world.draft()
    known = make_user(Role.RESEARCHER, full_name="Kim Known")
    response = invite(client_for(world.pi), application, known.email.upper())
    assert response.status_code == 201
    assert response.json() == {"added": True, "invitation": None}
    assert application.members.filter(user=known).exists()


def test_an_unknown_email_is_invited_accepted_once_and_the_team_is_told(
    world, client_for, django_capture_on_commit_callbacks
):
    application = world.draft()
    pi = client_for(world.pi)
    with django_capture_on_commit_callbacks(execute=True):
        response = invite(pi, application, "Ines@Elsewhere.example", "co_investigator")
    assert response.status_code == 201
    body = response.json()
    assert body["added"] is False
    assert body["invitation"]["status"] == "invited"
    assert mail.outbox[-1].to == ["ines@elsewhere.example"]
    token = token_in_last_email()
    listed = pi.get(f"/api/v1/applications/{application.pk}/invitations/").json()
    assert [i["email"] for i in listed] == ["ines@elsewhere.example"]
    # Invited twice: refused, one invitation.
    assert invite(pi, application, "ines@elsewhere.example").status_code == 400
    # The team page shows them as invited.
    page = Client()
    page.force_login(world.pi)
    team = page.get(f"/applications/{application.pk}/sections/team/").content.decode()
    assert "ines@elsewhere.example" in team
    assert "Invited" in team

    person = newcomer_confirmed(world, "ines@elsewhere.example")
    accepted = client_for(person).post(
        "/api/v1/invitations/accept/", {"token": token}, format="json"
    )
    assert accepted.status_code == 200, accepted.content
    member = application.members.get(user=person)
    assert member.project_role == "co_investigator"
    assert TeamInvitation.objects.get().status == "accepted"
    assert world.pi.notifications.filter(kind="application.invitation_accepted").exists()
    assert not pi.get(f"/api/v1/applications/{application.pk}/invitations/").json()

    # The same link again: a clear answer, nothing changed.
    again = client_for(person).post("/api/v1/invitations/accept/", {"token": token}, format="json")
    assert again.status_code == 400
    assert "already been used" in again.json()["fields"]["token"][0]
    assert application.members.filter(user=person).count() == 1
    used_page = Client()
    used_page.force_login(person)
    response = used_page.get(f"/invitations/{token}/")
    assert response.status_code == 410
    assert "already been used" in response.content.decode()


def test_a_link_for_another_email_changes_nothing(
    world, client_for, django_capture_on_commit_callbacks
):
    application = world.draft()
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(world.pi), application, "meant@elsewhere.example")
    token = token_in_last_email()
    someone = newcomer_confirmed(world, "someone@elsewhere.example")
    response = client_for(someone).post(
        "/api/v1/invitations/accept/", {"token": token}, format="json"
    )
    assert response.status_code == 403
    assert "sent to another email address" in response.json()["detail"]
    assert not application.members.filter(user=someone).exists()
    assert TeamInvitation.objects.get().status == "invited"
    # The page says so too, and offers no button.
    page = Client()
    page.force_login(someone)
    text = page.get(f"/invitations/{token}/").content.decode()
    assert "this invitation was sent to meant@elsewhere.example" in text
    assert "Accept and join the team" not in text


def test_an_expired_or_altered_link_changes_nothing(
    world, client_for, django_capture_on_commit_callbacks, settings
):
    application = world.draft()
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(world.pi), application, "late@elsewhere.example")
    token = token_in_last_email()
    person = newcomer_confirmed(world, "late@elsewhere.example")
    later = timezone.now() + datetime.timedelta(days=settings.INVITATION_LINK_DAYS, hours=1)
    with time_machine.travel(later):
        response = client_for(person).post(
            "/api/v1/invitations/accept/", {"token": token}, format="json"
        )
        assert response.status_code == 400
        assert "expired" in response.json()["fields"]["token"][0]
        page = Client().get(f"/invitations/{token}/")
        assert page.status_code == 410
        assert "This link has expired" in page.content.decode()
    altered = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")
    response = client_for(person).post(
        "/api/v1/invitations/accept/", {"token": altered}, format="json"
    )
    assert response.status_code == 400
    assert not application.members.filter(user=person).exists()
    assert TeamInvitation.objects.get().status == "invited"


def test_someone_no_organisation_vouches_for_waits(
    world, client_for, django_capture_on_commit_callbacks
):
    application = world.draft()
    with django_capture_on_commit_callbacks(execute=True):
        invite(client_for(world.pi), application, "new@elsewhere.example")
    token = token_in_last_email()
    person = make_user(Role.RESEARCHER, email="new@elsewhere.example", origin="registration")
    response = client_for(person).post(
        "/api/v1/invitations/accept/", {"token": token}, format="json"
    )
    assert response.status_code == 400
    assert "No organisation has confirmed" in str(response.json()["fields"])
    assert TeamInvitation.objects.get().status == "invited"
