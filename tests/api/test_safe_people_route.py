"""The route with safe people running alongside: a new researcher on a DEA project is told at
submission what to get, applies during scoping, is accredited while the panels review, and the
project goes live the day it is approved. Then time passes: their training lapses and their
access stops that night, and comes back when they renew."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from access.models import Role
from access.tasks import expire_accreditations
from notifications.models import Notification
from tests.factories import make_user
from tests.factories.access import accredit
from tests.factories.workflow import World
from workflow.models import TrackKind

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def on(year, month, day, hour=10):
    return time_machine.travel(datetime.datetime(year, month, day, hour, tzinfo=UTC), tick=False)


def post(client, url, data=None):
    response = client.post(url, data or {}, format="json")
    assert response.status_code in (200, 201), (url, response.status_code, response.content)
    return response.json()


def test_accreditation_runs_in_parallel_and_access_starts_the_day_of_approval(client_for):
    with on(2027, 1, 4):
        world = World()
        newcomer = make_user(
            Role.RESEARCHER, full_name="Nia Newcomer", affiliation=world.university
        )
        # The PI supervises: fully DEA-accredited, at the same university.
        accredit(world.pi, "dea_full")
        app = world.draft(
            start_date=datetime.date(2027, 3, 1),
            end_date=datetime.date(2028, 2, 28),
            members=[
                {"user": world.pi, "project_role": "principal_investigator"},
                {"user": newcomer, "project_role": "researcher"},
            ],
            datasets=[
                {**world.content()["datasets"][0], "legal_gateway": "dea_research"},
            ],
        )
        url = f"/api/v1/applications/{app.pk}/"
        post(client_for(world.pi), url + "submit/")
        # Told at once what to get: safe-researcher training and DEA accreditation.
        told = Notification.objects.filter(recipient=newcomer, kind="accreditation.needed")
        assert {n.subject.split(": you need ")[1] for n in told} == {
            "safe researcher training",
            "DEA accredited researcher (full or provisional)",
        }

    newcomer_api = client_for(newcomer)
    with on(2027, 1, 11):  # during scoping, the newcomer applies for both
        training = post(
            newcomer_api,
            "/api/v1/accreditations/",
            {
                "kind": "safe_researcher",
                "issuer": "ONS Safe Researcher Training",
                "certificate_number": "SRT-2027-88",
                "issued_on": "2027-01-08",
            },
        )
        provisional = post(
            newcomer_api,
            "/api/v1/accreditations/",
            {
                "kind": "dea_provisional",
                "issuer": "UK Statistics Authority",
                "certificate_number": "DEA-P-4412",
                "issued_on": "2027-01-08",
                "supervisor": world.pi.pk,
            },
        )
        assert training["expires_on"] == "2029-01-07"
        assert provisional["expires_on"] == "2030-01-07"
        analyst = client_for(world.analyst)
        scoped = analyst.patch(
            url + "scoping/",
            {"feasible": True, "scoped_variables": [world.year.pk, world.grade.pk]},
            format="json",
        )
        assert scoped.status_code == 200
        post(analyst, url + "complete-scoping/")

    with on(2027, 1, 18):
        reviewer = client_for(world.reviewer)
        five_safes = reviewer.get(url + "five-safes/").json()
        people = {c["code"]: c["result"] for c in five_safes["safes"][0]["checks"]}
        assert people["people.accreditation_valid"] == "pending"  # applied, not yet decided
        assert five_safes["gates"]["refer_to_panels"]["open"] is True
        post(reviewer, url + "refer-to-panels/")

    officer = client_for(world.officer)
    with on(2027, 1, 25):  # while the panels review, the officer accredits both
        post(officer, f"/api/v1/accreditations/{training['id']}/accredit/")
        post(officer, f"/api/v1/accreditations/{provisional['id']}/accredit/")
        for signer, capacity in (
            (world.pi, "member"),
            (newcomer, "member"),
            (world.signatory, "organisation_signatory"),
        ):
            post(client_for(signer), url + "agreement/sign/", {"capacity": capacity})

    with on(2027, 2, 15, hour=9):  # the last track is decided, and ops grant access that day
        for track in app.tracks.filter(superseded=False).order_by("id"):
            if track.kind == TrackKind.OWNER_SIGNOFF:
                post(
                    client_for(world.owner),
                    f"/api/v1/review-tracks/{track.pk}/decide/",
                    {"outcome": "approved"},
                )
            else:  # the panel's members vote and its chair closes
                world.decide(track, "approved")
    with on(2027, 2, 15, hour=15):
        live = post(client_for(world.ops), url + "grant-access/")
    assert live["state"] == "active"
    approved_on = app.events.get(kind="approved").created_at.date()
    granted_on = app.events.get(kind="access_granted").created_at.date()
    assert approved_on == granted_on == datetime.date(2027, 2, 15)
    grants = client_for(world.ops).get(f"/api/v1/access-grants/?application={app.pk}").json()
    assert {(g["person"]["full_name"], g["state"], g["end_on"]) for g in grants["results"]} == {
        ("Priya Investigator", "active", "2028-02-28"),
        ("Nia Newcomer", "active", "2028-02-28"),
    }

    # Later the officer suspends the newcomer's training: their access stops at once, they and
    # ops are told; lifting the suspension restores it.
    with on(2027, 6, 1):
        post(
            officer,
            f"/api/v1/accreditations/{training['id']}/suspend/",
            {"reason": "Data left the TRE in a screenshot."},
        )
        mine = newcomer_api.get("/api/v1/access-grants/").json()["results"]
        assert mine[0]["state"] == "suspended"
        assert "screenshot" in mine[0]["suspension_reason"]
        assert Notification.objects.filter(
            kind="access_grant.suspended", recipient=world.ops
        ).exists()
        post(officer, f"/api/v1/accreditations/{training['id']}/reinstate/")
        assert newcomer_api.get("/api/v1/access-grants/").json()["results"][0]["state"] == "active"


def test_accreditation_expiry_suspends_a_live_grant_with_time_travel(client_for):
    with on(2026, 11, 21):
        world = World()
        app = world.at("active", end_date=datetime.date(2029, 6, 30))
    pi_api = client_for(world.pi)
    # The PI's training was issued on 21 Nov 2026: its last day is 20 Nov 2028.
    with on(2028, 11, 20, hour=23):
        expire_accreditations.run()
        assert pi_api.get("/api/v1/access-grants/").json()["results"][0]["state"] == "active"
    with on(2028, 11, 21, hour=0):
        expire_accreditations.run()
        grant = pi_api.get("/api/v1/access-grants/").json()["results"][0]
        assert grant["state"] == "suspended"
        assert grant["history"][-1]["actor_name"] == "System"
        told = Notification.objects.filter(kind="access_grant.suspended").values_list(
            "recipient__full_name", flat=True
        )
        assert {"Priya Investigator", "Olive Ops"} <= set(told)
        # Renewal: a new certificate, accredited, and access is back the same day.
        renewal = post(
            pi_api,
            "/api/v1/accreditations/",
            {
                "kind": "safe_researcher",
                "issuer": "ONS Safe Researcher Training",
                "certificate_number": "SRT-2028-1",
                "issued_on": "2028-11-21",
            },
        )
        post(client_for(world.officer), f"/api/v1/accreditations/{renewal['id']}/accredit/")
        assert pi_api.get("/api/v1/access-grants/").json()["results"][0]["state"] == "active"
    assert app.access_grants.count() == 2
