"""Lay members and the decision rule (a quorum with at least N independent and N lay votes),
the rule refused when the panel could never meet it, the blind first round, and the register
saying how many lay members took part in each panel decision."""

from __future__ import annotations

import pytest
from django.test import Client

from access.models import Role
from notifications.models import Notification
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.models import Application, Outcome, PanelMembership, State, TrackKind

pytestmark = pytest.mark.django_db

TRACKS = "/api/v1/review-tracks/"


@pytest.fixture
def world() -> World:
    world = World()
    # Lee Lay is a member of the public on both panels.
    PanelMembership.objects.filter(user=world.lay).update(is_lay=True)
    return world


def rule(client, panel, **fields):
    body = {
        "quorum": 2,
        "decision_rule": "majority",
        "min_independent_votes": 0,
        "min_lay_votes": 0,
        "blind_first_round": False,
        **fields,
    }
    return client.put(f"/api/v1/panels/{panel.pk}/rule/", body, format="json")


def vote(client, track, outcome=Outcome.APPROVED):
    body = {"outcome": outcome, "rationale": "Reasons given."}
    return client.post(f"{TRACKS}{track.pk}/votes/", body, format="json")


def close(client, track, outcome=Outcome.APPROVED):
    body = {"outcome": outcome, "rationale": "Reasons given."}
    return client.post(f"{TRACKS}{track.pk}/close/", body, format="json")


def igrp_track(app: Application):
    return app.tracks.get(kind=TrackKind.IGRP)


# --- the rule ---------------------------------------------------------------------------------


def test_ops_set_a_lay_quorum_and_the_panel_shows_it(world, client_for):
    response = rule(client_for(world.ops), world.igrp, min_lay_votes=1, blind_first_round=True)
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["min_lay_votes"] == 1
    assert body["blind_first_round"] is True
    lay = next(m for m in body["members"] if m["user"]["full_name"] == "Lee Lay")
    assert lay["is_lay"] is True
    assert lay["is_independent"] is True


def test_a_lay_quorum_larger_than_the_panels_lay_seats_is_refused(world, client_for):
    response = rule(client_for(world.ops), world.igrp, min_lay_votes=2)
    assert response.status_code == 400
    assert response.json()["fields"]["min_lay_votes"] == [
        "The panel has 1 lay member; it cannot need 2 lay votes."
    ]
    world.igrp.refresh_from_db()
    assert world.igrp.min_lay_votes == 0


def test_a_quorum_larger_than_the_panel_is_refused(world, client_for):
    response = rule(client_for(world.ops), world.igrp, quorum=4)
    assert response.status_code == 400
    assert "3 members" in response.json()["fields"]["quorum"][0]


def test_more_lay_votes_than_the_quorum_is_refused(world, client_for):
    world.lay2 = make_user(Role.PANEL_MEMBER, full_name="Lowri Lay")
    PanelMembership.objects.create(
        panel=world.igrp, user=world.lay2, is_independent=True, is_lay=True
    )
    response = rule(client_for(world.ops), world.igrp, quorum=1, min_lay_votes=2)
    assert response.status_code == 400
    assert response.json()["fields"]["min_lay_votes"] == [
        "Ask for no more lay votes than the quorum."
    ]


def test_the_dea_panels_three_votes_one_independent_stays(world, client_for):
    response = rule(client_for(world.ops), world.dea_panel, quorum=2, min_independent_votes=1)
    assert response.status_code == 400
    assert "three votes" in " ".join(response.json()["fields"]["quorum"])


def test_only_ops_set_a_panels_rule(world, client_for):
    assert rule(client_for(world.panel), world.igrp).status_code == 403


def test_ops_seat_a_lay_member_who_is_independent_too(world, client_for):
    person = make_user(Role.PANEL_MEMBER, full_name="Morgan Public")
    response = client_for(world.ops).post(
        f"/api/v1/panels/{world.igrp.pk}/members/",
        {"user": person.pk, "is_lay": True},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["is_lay"] is True
    assert response.json()["is_independent"] is True


def test_without_a_lay_vote_the_chair_cannot_close(world, client_for):
    rule(client_for(world.ops), world.igrp, min_lay_votes=1)
    track = igrp_track(world.at(State.IN_REVIEW))
    assert vote(client_for(world.expert), track).status_code == 201
    assert vote(client_for(world.panel), track).status_code == 201
    chair = client_for(world.panel)
    tally = chair.get(f"{TRACKS}{track.pk}/votes/").json()["tally"]
    assert tally["lay_votes"] == 0
    assert tally["min_lay_votes"] == 1
    response = close(chair, track)
    assert response.status_code == 409
    assert "must come from a lay member" in response.json()["detail"]
    assert vote(client_for(world.lay), track).status_code == 201
    assert close(chair, track).status_code == 200
    track.refresh_from_db()
    assert (track.votes_counted, track.lay_votes_counted) == (3, 1)
    decided = track.application.events.get(kind="track_decided", track=track)
    assert decided.payload["lay_votes"] == 1


def test_the_register_says_how_many_lay_members_took_part(world, client_for):
    rule(client_for(world.ops), world.igrp, min_lay_votes=1)
    app = world.at(State.IN_REVIEW)
    track = igrp_track(app)
    for member in (world.lay, world.expert):
        vote(client_for(member), track)
    close(client_for(world.panel), track)
    world.decide(app.tracks.get(kind=TrackKind.OWNER_SIGNOFF), Outcome.APPROVED)
    app.refresh_from_db()
    assert app.state == State.APPROVED

    entry = Client().get(f"/api/v1/register/{app.reference}/").json()
    [decision] = entry["panel_decisions"]
    assert decision["panel"] == "Independent Governance Review Panel"
    assert (decision["votes"], decision["lay_votes"]) == (2, 1)
    csv = b"".join(Client().get("/api/v1/register.csv").streaming_content).decode()
    assert "Panel decisions (lay members taking part)" in csv
    assert "2 votes, 1 lay member took part" in csv
    page = Client().get(f"/register/{app.reference}/").content.decode()
    assert "1 lay member took part" in page
    record = app.decision_records.get()
    igrp = next(t for t in record.tracks if t["kind"] == TrackKind.IGRP)
    assert (igrp["votes"], igrp["lay_votes"]) == (2, 1)
    # The RO-Crate's decision says it too.
    from workflow.transparency.rocrate import application_crate

    crate = application_crate(app)
    decision = crate.dereference(f"#decision-{record.pk}")
    assert "[2 votes, 1 from lay members]" in decision["text"]


# --- the blind first round ----------------------------------------------------------------------


def test_blind_first_round_hides_votes_until_voted_and_quorum(world, client_for):
    rule(client_for(world.ops), world.igrp, quorum=2, blind_first_round=True)
    track = igrp_track(world.at(State.IN_REVIEW))
    expert, chair, lay = (client_for(p) for p in (world.expert, world.panel, world.lay))

    assert vote(expert, track, Outcome.REJECTED).status_code == 201
    # The first voter sees nothing of the others until the quorum has voted.
    seen = expert.get(f"{TRACKS}{track.pk}/votes/").json()
    assert seen["votes"] is None
    assert seen["tally"] is None
    assert seen["blind_first_round"] is True
    assert "the tally opens when the quorum has voted" in seen["hidden_because"]
    # The chair, who has not voted, sees neither the votes nor the tally, and cannot close.
    seen = chair.get(f"{TRACKS}{track.pk}/votes/").json()
    assert seen["votes"] is None
    assert seen["tally"] is None
    assert "once you have voted" in seen["hidden_because"]
    response = close(chair, track, Outcome.REJECTED)
    assert response.status_code == 409
    assert "vote yourself before you close" in response.json()["detail"]
    # A reviewer, who sits on no panel, sees none of them while the panel votes.
    seen = client_for(world.reviewer).get(f"{TRACKS}{track.pk}/votes/").json()
    assert seen["votes"] is None
    assert seen["hidden_because"] == "Only the panel's members see its votes."
    # Ops, who do not vote, see the votes as they come.
    assert client_for(world.ops).get(f"{TRACKS}{track.pk}/votes/").json()["votes"]

    before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
    assert vote(lay, track, Outcome.REJECTED).status_code == 201
    # The quorum has voted: those who voted see the votes, and the first voter is told.
    seen = expert.get(f"{TRACKS}{track.pk}/votes/").json()
    assert len(seen["votes"]) == 2
    assert seen["tally"]["votes_cast"] == 2
    assert seen["hidden_because"] == ""
    told = Notification.objects.filter(pk__gt=before, kind="track.tally_opened")
    assert [n.recipient for n in told] == [world.expert]
    # The chair still has not voted: still blind.
    assert chair.get(f"{TRACKS}{track.pk}/votes/").json()["votes"] is None
    assert vote(chair, track, Outcome.REJECTED).status_code == 201
    assert len(chair.get(f"{TRACKS}{track.pk}/votes/").json()["votes"]) == 3
    assert close(chair, track, Outcome.REJECTED).status_code == 200


def test_without_a_blind_round_the_chair_still_sees_before_voting(world, client_for):
    track = igrp_track(world.at(State.IN_REVIEW))
    vote(client_for(world.expert), track)
    seen = client_for(world.panel).get(f"{TRACKS}{track.pk}/votes/").json()
    assert len(seen["votes"]) == 1
    assert seen["blind_first_round"] is False
