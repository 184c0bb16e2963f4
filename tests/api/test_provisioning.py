"""Provisioning through the API: who reads entitlements, the change feed and visas, who manages
webhooks (a matrix), what the feed says as a project lives and ends, and the validation of
webhook receivers (SSRF, schemes, kinds)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import AccessGrant, GrantState
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.models import State
from workflow.provisioning.models import (
    EntitlementChange,
    ServiceAccount,
    WebhookDelivery,
    WebhookReceiver,
)
from workflow.provisioning.services import service_account_create
from workflow.route import services as route_services

pytestmark = pytest.mark.django_db

API = "/api/v1"


@pytest.fixture
def world():
    return World()


@pytest.fixture
def live(world):
    return world.at(State.ACTIVE, start_date=timezone.localdate())


def token_client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.fixture
def actors(world, live, client_for):
    _, key = service_account_create(by=None, name="tre", scopes=["entitlements:read"])
    bare_user = make_user()
    ServiceAccount.objects.create(user=bare_user, name="no-scope", scopes=[])
    return {
        "anonymous": APIClient(),
        "pi": client_for(world.pi),
        "outsider": client_for(make_user("researcher")),
        "ops": client_for(world.ops),
        "service": token_client(key),
        "service_no_scope": client_for(bare_user),
    }


def test_access_matrix_of_provisioning(world, live, actors):
    colleague, pi = world.colleague.pk, world.pi.pk
    ok_all = {"ops": 200, "service": 200}
    everyone_else = {"pi": 403, "outsider": 403, "service_no_scope": 403, "anonymous": 401}
    cases = {
        ("get", "/entitlements/"): {
            "pi": 200,
            "outsider": 200,
            "service_no_scope": 200,
            "anonymous": 401,
            **ok_all,
        },
        ("get", f"/entitlements/?person={colleague}"): {**everyone_else, **ok_all},
        ("get", f"/entitlements/?application={live.pk}"): {**everyone_else, **ok_all},
        ("get", "/entitlements/changes/"): {**everyone_else, **ok_all},
        ("get", "/entitlements/visas/"): {
            "pi": 200,
            "outsider": 200,
            "service_no_scope": 200,
            "anonymous": 401,
            **ok_all,
        },
        ("get", f"/entitlements/visas/?person={pi}"): {**everyone_else, "pi": 200, **ok_all},
        ("get", "/webhook-receivers/"): {**everyone_else, "service": 403, "ops": 200},
        ("post", "/webhook-receivers/"): {**everyone_else, "service": 403, "ops": 201},
        ("get", "/webhook-deliveries/"): {**everyone_else, "service": 403, "ops": 200},
        ("get", "/jwks/"): dict.fromkeys(["pi", "outsider", "ops", "service", "anonymous"], 200),
    }
    failures = []
    for (method, path), expected in cases.items():
        for actor, status in expected.items():
            body = {"url": "http://127.0.0.1:9/hook", "kinds": ["grant.suspended"]}
            client = actors[actor]
            answer = (
                client.post(API + path, body, format="json")
                if method == "post"
                else client.get(API + path)
            )
            if answer.status_code != status:
                failures.append(f"{actor} {method} {path}: {answer.status_code} != {status}")
            elif status == 403:
                assert answer.json()["code"] == "forbidden"
                assert answer.json()["detail"]  # says which rule refused
    assert failures == []


def test_people_read_only_their_own_entitlements(world, live, actors):
    mine = actors["pi"].get(f"{API}/entitlements/").json()
    assert [row["person"]["id"] for row in mine["results"]] == [world.pi.pk]
    assert mine["results"][0]["project"] == live.reference
    assert mine["results"][0]["datasets"] == ["education"]
    everyone = actors["service"].get(f"{API}/entitlements/?application={live.pk}").json()
    assert sorted(r["person"]["id"] for r in everyone["results"]) == sorted(
        [world.pi.pk, world.colleague.pk]
    )


def test_suspended_and_ended_grants_are_never_active(world, live, actors):
    service = actors["service"]
    route_services.application_suspend(application=live, by=world.ops, reason="Breach")
    assert service.get(f"{API}/entitlements/").json()["results"] == []
    assert actors["pi"].get(f"{API}/entitlements/visas/").json()["visas"] == []
    route_services.application_reinstate(application=live, by=world.ops)
    assert len(service.get(f"{API}/entitlements/").json()["results"]) == 2
    route_services.application_close(application=live, by=world.ops)
    assert service.get(f"{API}/entitlements/").json()["results"] == []
    assert set(AccessGrant.objects.values_list("state", flat=True)) == {GrantState.ENDED}


def test_change_feed_tells_every_change_in_order_and_never_repeats(world, live, actors):
    service = actors["service"]
    first = service.get(f"{API}/entitlements/changes/").json()
    kinds = [(c["type"], c["data"].get("person", {}).get("id")) for c in first["changes"]]
    members = sorted([world.pi.pk, world.colleague.pk])
    assert sorted(kinds) == sorted(
        [(k, p) for p in members for k in ("grant.created", "member.joined")]
    )
    assert first["more"] is False
    cursor = first["cursor"]
    assert service.get(f"{API}/entitlements/changes/?after={cursor}").json() == {
        "changes": [],
        "cursor": cursor,
        "more": False,
    }

    route_services.application_suspend(application=live, by=world.ops, reason="Breach")
    route_services.application_close(application=live, by=world.ops, reason="Done")
    later = service.get(f"{API}/entitlements/changes/?after={cursor}&limit=3").json()
    assert later["more"] is True
    # The close comes first, then what it did to each grant, as the service raised them.
    assert [c["type"] for c in later["changes"]] == [*["grant.suspended"] * 2, "project.closed"]
    rest = service.get(f"{API}/entitlements/changes/?after={later['cursor']}").json()
    assert [c["type"] for c in rest["changes"]] == ["grant.ended", "member.left"] * 2
    suspended = later["changes"][0]["data"]
    assert suspended["state"] == "suspended"
    assert "Breach" in suspended["reason"]
    cursors = [c["data"]["cursor"] for c in first["changes"] + later["changes"] + rest["changes"]]
    assert cursors == sorted(cursors)
    assert len(set(cursors)) == len(cursors)


def test_change_feed_refuses_a_bad_cursor(actors):
    answer = actors["service"].get(f"{API}/entitlements/changes/?after=-1")
    assert answer.status_code == 400
    assert "after" in answer.json()["fields"]
    answer = actors["service"].get(f"{API}/entitlements/changes/?after=abc")
    assert answer.status_code == 400


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "ftp://tre.example/hook", "kinds": ["grant.created"]}, "url"),
        ({"url": "file:///etc/passwd", "kinds": ["grant.created"]}, "url"),
        ({"url": "https://tre.example/hook", "kinds": ["grant.exploded"]}, "kinds"),
        ({"url": "https://tre.example/hook", "kinds": []}, "kinds"),
        ({"url": "http://127.0.0.1:8000/hook", "kinds": ["grant.created"]}, "url"),
        ({"url": "http://10.1.2.3/hook", "kinds": ["grant.created"]}, "url"),
        ({"url": "http://169.254.169.254/latest", "kinds": ["grant.created"]}, "url"),
        ({"url": "http://[::1]/hook", "kinds": ["grant.created"]}, "url"),
    ],
)
def test_webhook_receiver_refuses_bad_addresses_and_kinds(world, client_for, settings, body, field):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False  # production's rule
    answer = client_for(world.ops).post(f"{API}/webhook-receivers/", body, format="json")
    assert answer.status_code == 400, answer.json()
    assert field in answer.json()["fields"]
    assert not WebhookReceiver.objects.exists()


def test_webhook_receiver_shows_its_secret_once(world, client_for):
    ops = client_for(world.ops)
    created = ops.post(
        f"{API}/webhook-receivers/",
        {"url": "http://127.0.0.1:9/hook", "kinds": ["grant.created", "project.closed"]},
        format="json",
    )
    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    shown = ops.get(f"{API}/webhook-receivers/{created.json()['id']}/").json()
    assert "secret" not in shown
    patched = ops.patch(
        f"{API}/webhook-receivers/{created.json()['id']}/", {"active": False}, format="json"
    )
    assert patched.status_code == 200
    assert patched.json()["active"] is False


def test_each_change_queues_a_delivery_for_receivers_that_want_it(world, client_for):
    ops = client_for(world.ops)
    wants = {"suspensions": ["grant.suspended"], "closures": ["project.closed"]}
    ids = {
        name: ops.post(
            f"{API}/webhook-receivers/",
            {"url": "http://127.0.0.1:9/hook", "kinds": kinds},
            format="json",
        ).json()["id"]
        for name, kinds in wants.items()
    }
    live = world.at(State.ACTIVE, start_date=timezone.localdate())
    assert not WebhookDelivery.objects.exists()  # nobody wanted grant.created
    route_services.application_suspend(application=live, by=world.ops, reason="Breach")
    route_services.application_close(application=live, by=world.ops)
    queued = WebhookDelivery.objects.order_by("id")
    assert [(d.receiver_id, d.change.kind) for d in queued] == [
        (ids["suspensions"], "grant.suspended"),
        (ids["suspensions"], "grant.suspended"),
        (ids["closures"], "project.closed"),
    ]
    listed = ops.get(f"{API}/webhook-deliveries/?receiver={ids['closures']}").json()
    assert [d["kind"] for d in listed["results"]] == ["project.closed"]


def test_create_service_account_command_prints_a_working_token(world, live, capsys):
    call_command("create_service_account", "sail-tre", "--scope", "entitlements:read")
    out = capsys.readouterr().out
    key = out.split("Token (shown only now): ")[1].strip()
    account = ServiceAccount.objects.get(name="sail-tre")
    assert not account.user.has_usable_password()
    assert account.user.role_names == set() or not account.user.role_names
    client = token_client(key)
    assert client.get(f"{API}/entitlements/changes/").status_code == 200
    # No human role: it sees no application.
    assert client.get(f"{API}/applications/").json()["results"] == []
    assert EntitlementChange.objects.count() == 4
