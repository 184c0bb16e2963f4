"""Public involvement at the same moment (real PostgreSQL, real threads): two consumer panel
members answering one consultation, two team members asking the consumer panel at once, and
the vote that makes the quorum of a blind round racing another."""

from __future__ import annotations

import pytest
from django.db import connection

from access.models import Role
from notifications.models import Notification
from tests.factories import make_user
from tests.factories.workflow import World
from tests.integration.test_races import ROUNDS, one_winner, race
from workflow.involvement import services as involvement
from workflow.models import Consultation, Event, Panel, PanelMembership, State, TrackKind
from workflow.reviews import services as reviews_services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def world():
    world = World()
    world.consumer = Panel.objects.create(
        name="Consumer Panel", slug="consumer-panel", track_kind="consumer_panel", quorum=1
    )
    world.carys = make_user(Role.PANEL_MEMBER, full_name="Carys Consumer")
    world.dai = make_user(Role.PANEL_MEMBER, full_name="Dai Public")
    for person in (world.carys, world.dai):
        PanelMembership.objects.create(
            panel=world.consumer, user=person, is_independent=True, is_lay=True
        )
    return world


def test_two_consumer_panel_members_answering_at_once_one_feedback_is_kept(world):
    for _ in range(ROUNDS):
        app = world.at(State.IN_REVIEW)
        consultation = involvement.consultation_request(
            application=app, by=world.pi, question="Is it clear?"
        )
        results = race(
            lambda c=consultation: involvement.consultation_answer(
                consultation=c, by=world.carys, feedback="Carys's view."
            ),
            lambda c=consultation: involvement.consultation_answer(
                consultation=c, by=world.dai, feedback="Dai's view."
            ),
        )
        winner = one_winner(results)
        consultation.refresh_from_db()
        assert consultation.feedback == ("Carys's view." if winner == 0 else "Dai's view.")
        assert Event.objects.filter(application=app, kind="consultation_answered").count() == 1


def test_two_team_members_asking_at_once_one_consultation_waits(world):
    for _ in range(ROUNDS):
        app = world.at(State.IN_REVIEW)
        results = race(
            lambda a=app: involvement.consultation_request(
                application=a, by=world.pi, question="First?"
            ),
            lambda a=app: involvement.consultation_request(
                application=a, by=world.colleague, question="Second?"
            ),
        )
        one_winner(results)
        assert Consultation.objects.filter(application=app).count() == 1


def test_two_votes_making_a_blind_quorum_at_once_open_the_tally_once(world):
    world.igrp.quorum = 2
    world.igrp.blind_first_round = True
    world.igrp.save()
    for _ in range(ROUNDS):
        app = world.at(State.IN_REVIEW)
        igrp = app.tracks.get(kind=TrackKind.IGRP)
        before = Notification.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        results = race(
            lambda t=igrp: reviews_services.vote_cast(track=t, by=world.lay, choice="approved"),
            lambda t=igrp: reviews_services.vote_cast(track=t, by=world.expert, choice="approved"),
        )
        assert [kind for kind, _ in results] == ["ok", "ok"], results
        # The votes are serialised by the track's lock: exactly one made the quorum and told
        # the other voter.
        opened = Notification.objects.filter(pk__gt=before, kind="track.tally_opened")
        assert opened.count() == 1
