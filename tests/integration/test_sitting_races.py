"""Two people editing one sitting's agenda at the same moment (real PostgreSQL, real threads):
the sitting's row lock serialises them and the agenda version refuses the one made on the
version the other replaced."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories.workflow import World
from tests.integration.test_races import ROUNDS, one_winner, race
from workflow.models import AgendaItem, PanelMode, Sitting, SittingEvent, State, TrackKind
from workflow.sittings import services as sittings

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def world():
    w = World()
    w.igrp.mode = PanelMode.SITTING
    w.igrp.save()
    return w


def test_two_chairs_editing_the_agenda_at_once_one_wins_the_other_gets_409(world):
    first = world.at(State.IN_REVIEW)
    second = world.at(State.IN_REVIEW, title="Another project")
    a = first.tracks.get(kind=TrackKind.IGRP).pk
    b = second.tracks.get(kind=TrackKind.IGRP).pk
    for n in range(ROUNDS):
        day = timezone.localdate() + datetime.timedelta(days=10 + n)
        sitting = sittings.sitting_create(panel=world.igrp, by=world.ops, date=day, cut_off=day)
        version = sitting.agenda_version
        results = race(
            lambda s=sitting, v=version: sittings.agenda_update(
                sitting=s, by=world.panel, agenda_version=v, tracks=[b, a]
            ),
            lambda s=sitting, v=version: sittings.agenda_update(
                sitting=s, by=world.ops, agenda_version=v, tracks=[a], reason="Not ready"
            ),
        )
        winner = one_winner(results)
        sitting.refresh_from_db()
        assert sitting.agenda_version == version + 1
        listed = list(
            AgendaItem.objects.filter(sitting=sitting, state="listed")
            .order_by("position")
            .values_list("track_id", flat=True)
        )
        assert listed == ([b, a] if winner == 0 else [a])
        edits = SittingEvent.objects.filter(sitting=sitting, transition="agenda_update")
        assert edits.count() == 1
        # The next round starts with both back on no upcoming agenda.
        sittings.agenda_update(
            sitting=sitting, by=world.ops, agenda_version=sitting.agenda_version, tracks=[]
        )
    assert Sitting.objects.count() == ROUNDS
