"""The identity pages: registering by a signed, expiring link (once), your account (ORCID typed
in is unverified; asking an organisation to confirm you), an organisation's people page (its
signatory confirms and records departures; another organisation's signatory gets 403), and
the sign-in page's choices."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from access.models import Affiliation, OrganisationMembership, User
from tests.factories import make_user
from tests.factories.access import OrganisationFactory, make_signatory
from tests.support.celery import celery_eager  # noqa: F401 (fixture)

# Registration and invitation emails go through the outbox; its delivery task runs in-process.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("celery_eager")]


@pytest.fixture
def university():
    return OrganisationFactory(name="Swansea University", slug="swansea")


def register(client: Client, university, email="rhian@swansea.example", capture=None) -> str:
    data = {"full_name": "Rhian Registrant", "email": email, "organisation": university.slug}
    with capture(execute=True):
        response = client.post("/sign-up/", data)
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    match = re.search(r"/sign-up/([^/\s]+)/", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def test_registration_by_a_signed_link_works_once(university, django_capture_on_commit_callbacks):
    client = Client()
    token = register(client, university, capture=django_capture_on_commit_callbacks)
    assert not User.objects.filter(email="rhian@swansea.example").exists()
    page = client.get(f"/sign-up/{token}/")
    assert page.status_code == 200
    assert "Rhian Registrant" in page.content.decode()
    weak = client.post(f"/sign-up/{token}/", {"password": "123"})
    assert weak.status_code == 400
    assert not User.objects.filter(email="rhian@swansea.example").exists()
    done = client.post(f"/sign-up/{token}/", {"password": "a long enough passphrase 7"})
    assert done.status_code == 302
    person = User.objects.get(email="rhian@swansea.example")
    assert person.origin == "registration"
    assert not person.role_assignments.exists()  # no role until they apply or are added
    affiliation = Affiliation.objects.get(person=person)
    assert (affiliation.organisation, affiliation.state) == (university, "pending")
    account = client.get("/account/").content.decode()
    assert "No organisation has confirmed that you work there yet" in account
    # The link again: a clear page, nothing made.
    again = Client().post(f"/sign-up/{token}/", {"password": "another long passphrase 8"})
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert User.objects.filter(email="rhian@swansea.example").count() == 1


def test_an_expired_or_altered_registration_link_makes_nothing(
    university, django_capture_on_commit_callbacks, settings
):
    token = register(Client(), university, capture=django_capture_on_commit_callbacks)
    later = timezone.now() + datetime.timedelta(hours=settings.REGISTRATION_LINK_HOURS + 1)
    with time_machine.travel(later):
        expired = Client().post(f"/sign-up/{token}/", {"password": "a long enough passphrase 7"})
    assert expired.status_code == 410
    assert "This link has expired" in expired.content.decode()
    altered = Client().get(f"/sign-up/{token[:-2]}xx/")
    assert altered.status_code == 400
    assert "not valid" in altered.content.decode()
    assert not User.objects.filter(email="rhian@swansea.example").exists()


def test_registering_an_address_with_an_account_says_nothing_about_it(
    university, django_capture_on_commit_callbacks
):
    make_user(email="known@swansea.example")
    data = {"full_name": "X", "email": "known@swansea.example", "organisation": university.slug}
    with django_capture_on_commit_callbacks(execute=True):
        response = Client().post("/sign-up/", data)
    assert "Check your email" in response.content.decode()
    assert mail.outbox[-1].subject == "You already have an account"
    assert "/sign-up/" not in mail.outbox[-1].body


def test_registration_is_closed_when_a_sign_in_service_is_configured(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "APPS": [
                {
                    "provider_id": "uni",
                    "name": "University",
                    "client_id": "x",
                    "secret": "y",
                    "settings": {"server_url": "http://127.0.0.1:1"},
                }
            ]
        }
    }
    assert Client().get("/sign-up/").status_code == 404
    page = Client().get("/login/").content.decode()
    assert "Sign in with University" in page
    assert "/sign-up/" not in page
    settings.SELF_REGISTRATION = True
    assert Client().get("/sign-up/").status_code == 200


def test_orcid_typed_in_is_checked_and_shown_unverified():
    person = make_user("researcher")
    client = Client()
    client.force_login(person)
    wrong = client.post("/account/orcid/", {"orcid": "0000-0002-1825-0098"})
    assert wrong.status_code == 400
    assert "Enter an ORCID iD like" in wrong.content.decode()
    assert client.post("/account/orcid/", {"orcid": "0000-0002-1825-0097"}).status_code == 302
    person.refresh_from_db()
    assert (person.orcid, person.orcid_verified) == ("0000-0002-1825-0097", False)
    assert "Unverified" in client.get("/account/").content.decode()


def test_the_organisations_page_lets_its_signatory_vouch_and_no_one_else(university):
    signatory = make_signatory(university, full_name="Sian Signatory")
    person = make_user("researcher", full_name="Nia Newcomer", origin="registration")
    client = Client()
    client.force_login(person)
    assert (
        client.post("/account/affiliations/", {"organisation": university.slug}).status_code == 302
    )
    affiliation = Affiliation.objects.get(person=person)

    other = make_signatory(OrganisationFactory(name="Elsewhere", slug="elsewhere"))
    outsider = Client()
    outsider.force_login(other)
    assert outsider.get(f"/organisations/{university.slug}/people/").status_code == 403
    refused = outsider.post(f"/affiliations/{affiliation.pk}/confirm/")
    assert refused.status_code == 403
    affiliation.refresh_from_db()
    assert affiliation.state == "pending"

    vouching = Client()
    vouching.force_login(signatory)
    page = vouching.get(f"/organisations/{university.slug}/people/").content.decode()
    assert "Nia Newcomer" in page
    assert vouching.post(f"/affiliations/{affiliation.pk}/confirm/").status_code == 302
    affiliation.refresh_from_db()
    assert affiliation.state == "confirmed"
    # Recording a departure needs what happened.
    empty = vouching.post(f"/affiliations/{affiliation.pk}/lapse/", {"reason": ""})
    assert empty.status_code == 400
    assert "Enter what happened" in empty.content.decode()
    assert (
        vouching.post(f"/affiliations/{affiliation.pk}/lapse/", {"reason": "Left."}).status_code
        == 302
    )
    affiliation.refresh_from_db()
    assert affiliation.state == "lapsed"
    person.refresh_from_db()
    assert person.affiliation is None


def test_a_user_manager_is_listed_as_vouching_on_their_account(university):
    manager = make_user(full_name="Uma Manager")
    OrganisationMembership.objects.create(
        user=manager, organisation=university, capacity=OrganisationMembership.Capacity.USER_MANAGER
    )
    client = Client()
    client.force_login(manager)
    assert "People of Swansea University" in client.get("/account/").content.decode()


def test_ops_list_a_persons_sessions_sign_them_out_and_deactivate_them():
    from access.sessions import issue_token, sessions_of, tokens_of

    person = make_user("researcher", full_name="Pat Person")
    browser = Client()
    browser.post(
        "/login/", {"username": person.username, "password": "correct horse battery staple"}
    )
    issue_token(person)
    ops = make_user("ops")
    staff = Client()
    staff.force_login(ops)
    page = staff.get(f"/people/{person.pk}/sessions/").content.decode()
    assert "Sessions of Pat Person" in page
    assert "1 token in use" in page
    assert len(sessions_of(person)) == 1
    staff.post(f"/people/{person.pk}/sessions/", {"action": "sign-out"})
    assert sessions_of(person) == []
    assert tokens_of(person) == []
    assert browser.get("/account/").status_code == 302  # signed out there
    issue_token(person)
    staff.post(f"/people/{person.pk}/sessions/", {"action": "deactivate"})
    person.refresh_from_db()
    assert not person.is_active
    assert tokens_of(person) == []
    # Not ops: 403.
    other = Client()
    other.force_login(make_user("researcher"))
    assert other.get(f"/people/{person.pk}/sessions/").status_code == 403


def test_a_person_without_a_password_makes_an_api_token_in_the_browser(client_for):
    person = make_user("researcher", origin="provider")
    person.set_unusable_password()
    person.save()
    client = Client()
    client.force_login(person)
    page = client.post("/account/tokens/new/")
    key = re.search(r'<code id="token-key"[^>]*>([^<]+)</code>', page.content.decode()).group(1)
    me = Client().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert me.status_code == 200
    assert me.json()["id"] == person.pk
