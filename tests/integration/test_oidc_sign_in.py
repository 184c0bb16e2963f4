"""Sign-in through a real OpenID Connect provider (npm's ``oidc-provider`` on loopback,
tests/oidc/provider.mjs): the authorization-code flow with PKCE, the account made from the
verified claims on the first sign-in and found again by the subject, and every bad answer
refused with a page that says why, signing nobody in and making no account."""

from __future__ import annotations

import threading
import urllib.parse

import pytest
from allauth.socialaccount.models import SocialAccount
from django.db import connection
from django.test import Client

from access.models import Affiliation, User
from tests.factories.access import OrganisationFactory, make_user
from tests.oidc import running_provider, through_provider
from tests.support.celery import celery_eager  # noqa: F401 (fixture)

# Registration and invitation emails go through the outbox; its delivery task runs in-process.
pytestmark = [
    pytest.mark.integration,
    pytest.mark.django_db,
    pytest.mark.usefixtures("celery_eager"),
]

CALLBACK = "http://testserver/accounts/oidc/uni/login/callback/"
ORCID_CALLBACK = "http://testserver/accounts/oidc/orcid/login/callback/"
ORCID_ID = "0000-0002-1825-0097"


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    accounts = {
        "ada": {"email": "ada@uni.example", "name": "Ada Byron", "organisation": "Uni of Tests"},
        "unverified": {"email": "u@uni.example", "email_verified": False},
        "clash": {"email": "taken@example.org", "name": "Someone Else"},
        ORCID_ID: {"email": "orcid-person@uni.example", "name": "Josiah Carberry"},
    }
    callbacks = [CALLBACK, ORCID_CALLBACK]
    with running_provider(tmp_path_factory.mktemp("oidc"), callbacks, accounts) as p:
        yield p


@pytest.fixture
def configured(provider, settings):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {"OAUTH_PKCE_ENABLED": True, "APPS": [provider.app()]}
    }
    return provider


def start(client: Client) -> str:
    """Press "Sign in with University sign-in": the provider's authorization URL."""
    response = client.post("/accounts/oidc/uni/login/")
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def sign_in(client: Client, login: str) -> tuple[str, object]:
    back = through_provider(start(client), login=login, stop_at=CALLBACK)
    path = back.removeprefix("http://testserver")
    return path, client.get(path)


def test_the_flow_is_authorization_code_with_pkce(configured):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(start(Client())).query)
    assert query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) >= 43
    assert query["state"][0]
    assert query["redirect_uri"] == [CALLBACK]


def test_first_sign_in_makes_the_account_from_the_claims_and_the_next_finds_it_by_subject(
    configured,
):
    organisation = OrganisationFactory(name="Uni of Tests", slug="uni-of-tests")
    client = Client()
    _, response = sign_in(client, "ada")
    assert response.status_code == 302
    assert response["Location"] == "/"
    person = User.objects.get(email="ada@uni.example")
    assert person.full_name == "Ada Byron"
    assert person.origin == "provider"
    assert not person.has_usable_password()
    assert SocialAccount.objects.get(user=person).uid == "ada"
    # The organisation the provider named is asked to confirm: pending, not yet vouched.
    affiliation = Affiliation.objects.get(person=person)
    assert (affiliation.organisation, affiliation.state) == (organisation, "pending")
    page = client.get("/account/")
    assert page.status_code == 200
    assert "No organisation has confirmed that you work there yet" in page.content.decode()

    # Signing in again (another browser) finds the same account by the subject.
    again = Client()
    sign_in(again, "ada")
    assert again.get("/account/").context["user"].pk == person.pk
    assert User.objects.filter(email="ada@uni.example").count() == 1


@pytest.mark.parametrize(
    ("mode", "reason", "words"),
    [
        ("tampered", "signature", "it was changed on the way"),
        ("wrong-audience", "audience", "issued for another service"),
        ("expired", "expired", "had expired"),
    ],
)
def test_a_bad_id_token_is_refused_with_a_page_saying_why(configured, mode, reason, words):
    configured.next_token(mode)
    client = Client()
    _, response = sign_in(client, f"bad-{mode}")
    assert response.status_code == 400
    text = response.content.decode()
    assert "You are not signed in" in text
    assert words in text
    assert f'data-reason="{reason}"' in text
    assert not User.objects.filter(email=f"bad-{mode}@uni.example").exists()
    assert client.get("/account/").status_code == 302  # still signed out


def test_a_replayed_state_is_refused(configured):
    client = Client()
    callback, first = sign_in(client, "replayer")
    assert first.status_code == 302
    client.post("/logout/")
    replay = client.get(callback)
    assert replay.status_code == 400
    assert 'data-reason="state"' in replay.content.decode()
    assert "Each sign-in can be finished once" in replay.content.decode()
    assert client.get("/account/").status_code == 302
    # Nor does a callback whose state this browser never started.
    stranger = Client().get(callback)
    assert 'data-reason="state"' in stranger.content.decode()


def test_an_unverified_email_makes_no_account(configured):
    _, response = sign_in(Client(), "unverified")
    assert response.status_code == 400
    assert 'data-reason="email"' in response.content.decode()
    assert not User.objects.filter(email="u@uni.example").exists()


def test_an_email_another_account_uses_is_never_merged_silently(configured):
    existing = make_user("researcher", email="taken@example.org")
    _, response = sign_in(Client(), "clash")
    assert response.status_code == 409
    text = response.content.decode()
    assert "We do not join accounts by email" in text
    assert not SocialAccount.objects.filter(user=existing).exists()
    assert User.objects.filter(email__iexact="taken@example.org").count() == 1

    # The person confirms through the other account: signed in to it, they connect the
    # provider from Your account; from then on the provider signs them in to it.
    own = Client()
    own.force_login(existing)
    assert "Connect University sign-in to this account" in own.get("/account/").content.decode()
    response = own.post("/accounts/oidc/uni/login/?process=connect")
    back = through_provider(response["Location"], login="clash", stop_at=CALLBACK)
    assert own.get(back.removeprefix("http://testserver")).status_code == 302
    assert SocialAccount.objects.get(user=existing).uid == "clash"
    later = Client()
    sign_in(later, "clash")
    assert later.get("/account/").context["user"].pk == existing.pk


@pytest.mark.django_db(transaction=True)
def test_two_first_sign_ins_at_once_make_one_account(configured):
    """The same person's two browsers come back from the provider at the same moment."""
    callbacks = []
    clients = [Client(), Client()]
    for client in clients:
        back = through_provider(start(client), login="twice", stop_at=CALLBACK)
        callbacks.append(back.removeprefix("http://testserver"))
    results: list[int] = []
    barrier = threading.Barrier(2)

    def finish(client: Client, path: str) -> None:
        try:
            barrier.wait(timeout=10)
            results.append(client.get(path).status_code)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=finish, args=(c, p))
        for c, p in zip(clients, callbacks, strict=True)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results) == [302, 302]
    assert User.objects.filter(email="twice@uni.example").count() == 1
    assert SocialAccount.objects.filter(uid="twice").count() == 1


def test_password_sign_in_can_be_switched_off(configured, settings, api_client):
    make_user("researcher", email="pw@example.org")
    settings.PASSWORD_SIGN_IN = False
    page = Client().get("/login/").content.decode()
    assert "Sign in with University sign-in" in page
    assert 'name="password"' not in page
    refused = Client().post(
        "/login/", {"username": "pw@example.org", "password": "correct horse battery staple"}
    )
    assert refused.status_code == 403
    token = api_client.post(
        "/api/v1/auth/token/",
        {"login": "pw@example.org", "password": "correct horse battery staple"},
        format="json",
    )
    assert token.status_code == 403


def test_a_provider_error_or_a_cancel_is_a_clear_page(configured):
    client = Client()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(start(client)).query)
    state = query["state"][0]
    cancelled = client.get(
        "/accounts/oidc/uni/login/callback/", {"state": state, "error": "access_denied"}
    )
    assert cancelled.status_code == 400
    assert 'data-reason="cancelled"' in cancelled.content.decode()
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(start(client)).query)
    failed = client.get(
        "/accounts/oidc/uni/login/callback/",
        {"state": query["state"][0], "error": "server_error"},
    )
    assert 'data-reason="provider"' in failed.content.decode()


def test_orcid_as_a_provider_records_the_orcid_id_confirmed(provider, settings):
    """The same provider, configured as ``orcid``: its subject is the ORCID iD. A person
    signed in with a password connects it from Your account, and it is recorded confirmed."""
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [provider.app("orcid", "ORCID", affiliation_claim="")],
        }
    }
    person = make_user("researcher", email="josiah@example.org")
    client = Client()
    client.force_login(person)
    page = client.get("/account/").content.decode()
    assert "Confirm your ORCID iD by signing in to ORCID" in page
    response = client.post("/accounts/oidc/orcid/login/?process=connect")
    back = through_provider(response["Location"], login=ORCID_ID, stop_at=ORCID_CALLBACK)
    done = client.get(back.removeprefix("http://testserver"))
    assert done.status_code == 302
    person.refresh_from_db()
    assert (person.orcid, person.orcid_verified) == (ORCID_ID, True)
    assert SocialAccount.objects.get(user=person).provider == "orcid"
    assert "Confirmed by ORCID" in client.get("/account/").content.decode()


def test_a_sign_in_link_opened_with_get_asks_before_leaving(configured):
    page = Client().get("/accounts/oidc/uni/login/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Continue to University sign-in" in text
    assert configured.issuer in page["Content-Security-Policy"]


def test_a_deactivated_account_is_not_signed_in_through_the_provider(configured):
    sign_in(Client(), "leaver")
    person = User.objects.get(email="leaver@uni.example")
    person.is_active = False
    person.save()
    client = Client()
    _, response = sign_in(client, "leaver")
    assert response.status_code == 403
    assert 'data-reason="inactive"' in response.content.decode()
    assert client.get("/account/").status_code == 302


def test_the_newcomers_route_through_the_api(configured, django_capture_on_commit_callbacks):
    """Done when, through the API: a new researcher signs in through the provider, makes an
    API token, asks their organisation to confirm them, is confirmed by its signatory, and
    accepts an invitation onto an application by email."""
    import re

    from django.core import mail
    from rest_framework.test import APIClient

    from tests.factories.workflow import World

    world = World()
    application = world.draft()
    pi = APIClient()
    pi.force_authenticate(world.pi)
    with django_capture_on_commit_callbacks(execute=True):
        invited = pi.post(
            f"/api/v1/applications/{application.pk}/invitations/",
            {"email": "api-newcomer@uni.example", "project_role": "researcher"},
            format="json",
        )
    assert invited.status_code == 201
    invitation_token = re.search(r"/invitations/([^/\s]+)/", mail.outbox[-1].body).group(1)

    browser = Client()
    sign_in(browser, "api-newcomer")
    page = browser.post("/account/tokens/new/").content.decode()
    key = re.search(r'<code id="token-key"[^>]*>([^<]+)</code>', page).group(1)
    newcomer = APIClient()
    newcomer.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    asked = newcomer.post(
        "/api/v1/affiliations/", {"organisation": world.university.slug}, format="json"
    )
    assert asked.status_code == 201
    waiting = newcomer.post("/api/v1/invitations/accept/", {"token": invitation_token})
    assert waiting.status_code == 400  # not vouched for yet; the invitation waits
    signatory = APIClient()
    signatory.force_authenticate(world.signatory)
    confirmed = signatory.post(f"/api/v1/affiliations/{asked.json()['id']}/confirm/", {})
    assert confirmed.status_code == 200
    accepted = newcomer.post("/api/v1/invitations/accept/", {"token": invitation_token})
    assert accepted.status_code == 200, accepted.content
    mine = newcomer.get(f"/api/v1/applications/{application.pk}/")
    assert mine.status_code == 200
    assert "api-newcomer" in {m["user"]["full_name"] for m in mine.json()["members"]}
