"""``Idempotency-Key`` on every create and transition of the API, not only the application's
(security probe, finding 4: a client that retries after a lost answer must not make the change
twice). The application's own writes are tried in ``tests/integration/test_honest_answers.py``
with killed connections; here the other topics' writes: votes and the chair's close, a data
owner's sign-off, a conflict, an accreditation decision, a published agreement, a panel
membership, and what the schema says about each."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

from access.models import AccreditationEvent, AgreementText
from tests.factories import make_user
from tests.factories.access import accredit
from tests.factories.workflow import World
from workflow.models import PanelMembership, State, TrackKind, Vote

pytestmark = pytest.mark.django_db

TRACKS = "/api/v1/review-tracks/"
# Writes that are neither a create nor a transition: signing in and out, reading notices, and
# PATCH/PUT edits that set a whole value (sending one twice leaves the same state).
NOT_KEYED = {
    ("post", "/api/v1/auth/token/"),
    ("delete", "/api/v1/auth/token/"),
    ("post", "/api/v1/auth/sign-out-everywhere/"),
    ("post", "/api/v1/notifications/{id}/read/"),
    ("post", "/api/v1/notifications/read-all/"),
    ("put", "/api/v1/notifications/preferences/"),
}


@pytest.fixture
def world():
    return World()


def key(value: str) -> dict:
    return {"HTTP_IDEMPOTENCY_KEY": value}


def test_every_create_and_transition_documents_the_header():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    missing, on_reads = [], []
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            names = {p["name"] for p in operation.get("parameters", [])}
            keyed = "Idempotency-Key" in names
            if method == "get" and keyed:
                on_reads.append(path)
            if method in ("post", "put") and (method, path) not in NOT_KEYED and not keyed:
                missing.append(f"{method.upper()} {path}")
    assert missing == []
    assert on_reads == []


def test_a_vote_retried_with_its_key_is_cast_once(world, client_for):
    igrp = world.at(State.IN_REVIEW).tracks.get(kind=TrackKind.IGRP)
    lay = client_for(world.lay)
    url = f"{TRACKS}{igrp.pk}/votes/"
    body = {"choice": "approved", "rationale": "Proportionate"}
    first = lay.post(url, body, format="json", **key("vote-1"))
    again = lay.post(url, body, format="json", **key("vote-1"))
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Vote.objects.filter(track=igrp, member=world.lay).count() == 1
    # Without the key the second POST is what it is: a second vote, refused.
    assert lay.post(url, body, format="json").status_code == 409


def test_an_error_is_not_kept_so_the_key_can_be_used_for_the_corrected_request(world, client_for):
    igrp = world.at(State.IN_REVIEW).tracks.get(kind=TrackKind.IGRP)
    lay = client_for(world.lay)
    url = f"{TRACKS}{igrp.pk}/votes/"
    wrong = lay.post(url, {"choice": "perhaps"}, format="json", **key("vote-2"))
    assert wrong.status_code == 400
    right = lay.post(url, {"choice": "approved"}, format="json", **key("vote-2"))
    assert right.status_code == 201
    assert "Idempotent-Replayed" not in right


def test_the_same_key_for_another_vote_is_refused(world, client_for):
    igrp = world.at(State.IN_REVIEW).tracks.get(kind=TrackKind.IGRP)
    lay = client_for(world.lay)
    url = f"{TRACKS}{igrp.pk}/votes/"
    assert lay.post(url, {"choice": "approved"}, format="json", **key("k")).status_code == 201
    other = lay.put(url, {"choice": "rejected"}, format="json", **key("k"))
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency_key_reused"
    assert Vote.objects.get(track=igrp, member=world.lay).choice == "approved"


def test_a_chairs_close_and_an_owners_sign_off_replay(world, client_for):
    world.add_health_provider()
    application = world.at(State.IN_REVIEW, datasets=world.both_datasets())
    igrp = application.tracks.get(kind=TrackKind.IGRP)
    chair = client_for(world.panel)
    assert chair.post(f"{TRACKS}{igrp.pk}/votes/", {"choice": "approved"}, format="json")
    close = {"outcome": "approved"}
    first = chair.post(f"{TRACKS}{igrp.pk}/close/", close, format="json", **key("close"))
    again = chair.post(f"{TRACKS}{igrp.pk}/close/", close, format="json", **key("close"))
    assert first.status_code == again.status_code == 200, first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert chair.post(f"{TRACKS}{igrp.pk}/close/", close, format="json").status_code == 409

    owner_track = application.tracks.filter(kind=TrackKind.OWNER_SIGNOFF).first()
    owner = client_for(world.owner_of(owner_track.organisation_id))
    url = f"{TRACKS}{owner_track.pk}/decide/"
    first = owner.post(url, {"outcome": "approved"}, format="json", **key("sign"))
    again = owner.post(url, {"outcome": "approved"}, format="json", **key("sign"))
    assert first.status_code == again.status_code == 200, first.json()
    assert again.json() == first.json()


def test_an_accreditation_decision_retried_is_made_once(world, client_for):
    person = make_user("researcher", full_name="New Starter")
    applied = accredit(person, state="applied")
    officer = client_for(world.officer)
    url = f"/api/v1/accreditations/{applied.pk}/accredit/"
    body = {"reason": "Certificate checked"}
    first = officer.post(url, body, format="json", **key("accredit-1"))
    again = officer.post(url, body, format="json", **key("accredit-1"))
    assert first.status_code == again.status_code == 200, first.json()
    assert first.json()["state"] == again.json()["state"] == "accredited"
    decided = AccreditationEvent.objects.filter(accreditation=applied, to_state="accredited")
    assert decided.count() == 1


def test_a_published_agreement_and_a_new_panel_member_are_made_once(world, client_for):
    ops = client_for(world.ops)
    versions = AgreementText.objects.count()
    body = {"title": "Data access agreement v2", "body": "Version two of the agreement."}
    first = ops.post("/api/v1/agreements/", body, format="json", **key("publish"))
    again = ops.post("/api/v1/agreements/", body, format="json", **key("publish"))
    assert first.status_code == again.status_code == 201, first.json()
    assert AgreementText.objects.count() == versions + 1

    newcomer = make_user("panel_member", full_name="Nia Newcomer")
    url = f"/api/v1/panels/{world.igrp.pk}/members/"
    body = {"user": newcomer.pk}
    first = ops.post(url, body, format="json", **key("join"))
    again = ops.post(url, body, format="json", **key("join"))
    assert first.status_code == again.status_code == 201, first.json()
    assert PanelMembership.objects.filter(panel=world.igrp, user=newcomer).count() == 1
