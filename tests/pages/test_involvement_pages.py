"""The public involvement pages: the team flags, records and asks the consumer panel; the
panel gives its feedback; the IGRP reads it beside the public-benefit assessment and on its
track; a blind first round hides the votes on the track page."""

from __future__ import annotations

import pytest

from access.models import Role
from tests.factories import make_user
from workflow.models import Panel, PanelMembership, State, TrackKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def consumer(world):
    panel = Panel.objects.create(
        name="Consumer Panel", slug="consumer-panel", track_kind="consumer_panel", quorum=1
    )
    person = make_user(Role.PANEL_MEMBER, full_name="Carys Consumer")
    PanelMembership.objects.create(
        panel=panel, user=person, is_chair=True, is_independent=True, is_lay=True
    )
    return person


def body(response) -> str:
    return response.content.decode()


def test_the_team_flags_records_and_asks_and_the_igrp_reads_the_feedback(
    world, consumer, page_client
):
    app = world.at(State.IN_REVIEW)
    pi = page_client(world.pi)
    base = f"/applications/{app.pk}/public-involvement/"
    page = body(pi.get(base))
    assert "Say whether the project is of high public interest" in page
    assert "Ask the consumer panel for a consultation" in page

    empty = pi.post(base + "flag/", {})
    assert empty.status_code == 400
    assert "Select whether the project is likely to be of high public interest" in body(empty)
    saved = pi.post(base + "flag/", {"high": "yes", "reason": "Data about children."})
    assert saved.status_code == 302

    wrong = pi.post(
        base + "record/",
        {
            "status": "done",
            "held_on-day": "1",
            "held_on-month": "1",
            "held_on-year": "2020",
            "who": "Parents' group",
            "what": "Acceptability",
        },
    )
    assert wrong.status_code == 400
    assert "Say what changed in the project as a result" in body(wrong)

    assert pi.post(base + "consult/", {"question": "Is our summary clear?"}).status_code == 302
    consultation = app.consultations.get()

    panel = page_client(consumer)
    assert app.title in body(panel.get("/consumer-panel/"))
    page = panel.get(f"/consumer-panel/consultations/{consultation.pk}/")
    assert "We will look at how results at school relate to health" in body(page)
    answered = panel.post(
        f"/consumer-panel/consultations/{consultation.pk}/", {"feedback": "Say who sees what."}
    )
    assert answered.status_code == 302

    igrp = page_client(world.expert)
    beside = body(igrp.get(f"/applications/{app.pk}/public-benefit/"))
    assert "Public involvement" in beside
    assert "Say who sees what." in beside
    track = app.tracks.get(kind=TrackKind.IGRP)
    assert "Say who sees what." in body(igrp.get(f"/reviews/tracks/{track.pk}/"))
    # Someone who does not sit on the consumer panel does not find the consultation.
    outsider = page_client(world.outsider)
    assert outsider.get(f"/consumer-panel/consultations/{consultation.pk}/").status_code == 404
    assert outsider.get("/consumer-panel/").status_code == 403


def test_a_panel_member_cannot_take_the_teams_steps(world, page_client):
    app = world.at(State.IN_REVIEW)
    response = page_client(world.expert).get(f"/applications/{app.pk}/public-involvement/flag/")
    assert response.status_code == 403


def test_the_track_page_of_a_blind_round_hides_the_votes_until_the_quorum(world, page_client):
    from workflow.reviews import services as reviews_services

    world.igrp.quorum = 2
    world.igrp.blind_first_round = True
    world.igrp.save()
    PanelMembership.objects.filter(user=world.lay).update(is_lay=True)
    app = world.at(State.IN_REVIEW)
    track = app.tracks.get(kind=TrackKind.IGRP)
    reviews_services.vote_cast(
        track=track, by=world.expert, choice="rejected", rationale="Too broad."
    )
    chair = body(page_client(world.panel).get(f"/reviews/tracks/{track.pk}/"))
    assert "Too broad." not in chair
    assert "cast your own vote before you close the vote" in chair
    lay = body(page_client(world.lay).get(f"/reviews/tracks/{track.pk}/"))
    assert "Too broad." not in lay
    assert "once you have voted and the quorum has voted" in lay
    expert = body(page_client(world.expert).get(f"/reviews/tracks/{track.pk}/"))
    assert "the tally opens when the quorum has voted" in expert
    reviews_services.vote_cast(
        track=track, by=world.lay, choice="approved", rationale="Fine by me."
    )
    expert = body(page_client(world.expert).get(f"/reviews/tracks/{track.pk}/"))
    assert "Fine by me." in expert
    assert "1 from lay members" in expert


def test_ops_set_a_panels_rule_on_its_page_and_an_impossible_lay_quorum_is_refused(
    world, page_client
):
    PanelMembership.objects.filter(user=world.lay).update(is_lay=True)
    ops = page_client(world.ops)
    listing = body(ops.get("/ops/panels/"))
    assert "Independent Governance Review Panel" in listing
    assert "Lay" in listing
    url = f"/ops/panels/{world.igrp.pk}/rule/"
    form = {
        "quorum": "2",
        "decision_rule": "majority",
        "min_independent_votes": "1",
        "min_lay_votes": "2",
    }
    refused = ops.post(url, form)
    assert refused.status_code == 400
    assert "The panel has 1 lay member; it cannot need 2 lay votes." in body(refused)
    saved = ops.post(url, {**form, "min_lay_votes": "1", "blind_first_round": "on"})
    assert saved.status_code == 302
    world.igrp.refresh_from_db()
    assert (world.igrp.min_lay_votes, world.igrp.blind_first_round) == (1, True)
    assert page_client(world.panel).get(url).status_code == 403
