"""Votes and the chair's close at the same moment (real PostgreSQL, real threads)."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.factories.workflow import World
from tests.integration.test_races import ROUNDS, one_winner, race
from workflow.models import Event, State, TrackKind, TrackState, Vote
from workflow.reviews import services as reviews_services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def world():
    return World()


def test_two_votes_and_the_chairs_close_at_once_keep_the_tally_consistent(world):
    world.igrp.quorum = 2
    world.igrp.save()
    for _ in range(ROUNDS):
        app = world.at(State.IN_REVIEW)
        igrp = app.tracks.get(kind=TrackKind.IGRP)
        results = race(
            lambda t=igrp: reviews_services.vote_cast(track=t, by=world.lay, choice="approved"),
            lambda t=igrp: reviews_services.vote_cast(track=t, by=world.expert, choice="approved"),
            lambda t=igrp: reviews_services.panel_track_close(
                track=t, by=world.panel, outcome="approved"
            ),
        )
        # Votes are never lost: the close either came after both, or was refused for want of
        # a quorum and left the track open.
        assert [kind for kind, _ in results[:2]] == ["ok", "ok"], results
        assert Vote.objects.filter(track=igrp).count() == 2
        igrp.refresh_from_db()
        decided = Event.objects.filter(track=igrp, kind="track_decided")
        if results[2][0] == "ok":
            assert igrp.state == TrackState.DECIDED
            assert decided.count() == 1
            assert decided.get().payload["tally"] == {"approved": 2}
        else:
            assert results[2][1].status == 409
            assert igrp.state == TrackState.OPEN
            assert decided.count() == 0


def test_vote_change_and_close_at_once_exactly_one_wins(world):
    world.igrp.quorum = 2
    world.igrp.save()
    for _ in range(ROUNDS):
        app = world.at(State.IN_REVIEW)
        igrp = app.tracks.get(kind=TrackKind.IGRP)
        reviews_services.vote_cast(track=igrp, by=world.lay, choice="approved")
        vote = reviews_services.vote_cast(track=igrp, by=world.expert, choice="approved")
        results = race(
            lambda t=igrp: reviews_services.panel_track_close(
                track=t, by=world.panel, outcome="approved"
            ),
            lambda v=vote: reviews_services.vote_change(
                vote=v, by=world.expert, choice="rejected", rationale="On reflection, no."
            ),
        )
        winner = one_winner(results)
        igrp.refresh_from_db()
        if winner == 0:  # closed on two approvals; the late change was refused
            assert igrp.outcome == "approved"
            assert Vote.objects.get(pk=vote.pk).choice == "approved"
        else:  # the change came first: a tie, which the majority rule cannot close
            assert igrp.state == TrackState.OPEN
            assert Vote.objects.get(pk=vote.pk).choice == "rejected"
        assert Event.objects.filter(track=igrp, kind="track_decided").count() == (winner == 0)
