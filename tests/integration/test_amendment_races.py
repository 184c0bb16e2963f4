"""Amendments at the same moment (real PostgreSQL, real threads): two asked for at once, the
last two tracks decided at once, a withdrawal against the last decision."""

from __future__ import annotations

import pytest
from django.db import connection

from tests.integration.test_races import ROUNDS, one_winner, race
from tests.support.amendments import Amendments
from workflow.amendments import services
from workflow.models import Amendment, AmendmentEvent, ApplicationVersion

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

DEA_DATA = {
    "type": "add_dataset",
    "dataset": "census",
    "legal_gateway": "dea_research",
    "justification": "A confounder.",
    "variables": ["household_size"],
}


@pytest.fixture
def a() -> Amendments:
    return Amendments()


def test_two_amendments_asked_at_once_one_is_refused(a):
    for _ in range(ROUNDS):
        results = race(
            lambda: services.amendment_create(
                application=a.project,
                by=a.pi,
                changes=[{"type": "add_member", "user": a.newcomer.pk}],
            ),
            lambda: services.amendment_create(
                application=a.project,
                by=a.ops,
                changes=[{"type": "add_member", "user": a.visitor.pk}],
            ),
        )
        winner = one_winner(results)
        created = results[winner][1]
        assert Amendment.objects.filter(application=a.project, state="draft").count() == 1
        services.amendment_withdraw(amendment=created, by=a.pi)


def test_the_last_two_tracks_decided_at_once_make_one_decision(a):
    versions = ApplicationVersion.objects.filter(application=a.project)
    for round_number in range(ROUNDS):
        draft = services.amendment_create(
            application=a.project,
            by=a.pi,
            changes=[{**DEA_DATA}]
            if round_number == 0
            else [{"type": "change_question", "research_question": f"Question {round_number}?"}],
        )
        services.amendment_submit(amendment=draft, by=a.pi)
        tracks = list(draft.tracks.order_by("id"))
        assert len(tracks) == 2
        for track in tracks:
            a.panel_votes(track)
        before = versions.count()
        deciders = {"data_owner": a.ons_owner, "dea_panel": a.chair, "igrp": a.chair}
        results = race(
            *[
                lambda t=t, by=deciders[t.reviewer]: services.amendment_track_decide(
                    track=t, by=by, outcome="approved"
                )
                for t in tracks
            ]
        )
        assert [kind for kind, _ in results] == ["ok", "ok"], results
        draft.refresh_from_db()
        assert draft.state == "approved"
        assert versions.count() == before + 1
        assert AmendmentEvent.objects.filter(amendment=draft, transition="approve").count() == 1


def test_withdrawal_against_the_last_decision_one_wins(a):
    for round_number in range(ROUNDS):
        draft = services.amendment_create(
            application=a.project,
            by=a.pi,
            changes=[{"type": "change_question", "research_question": f"Q{round_number}?"}],
        )
        services.amendment_submit(amendment=draft, by=a.pi)
        tracks = list(draft.tracks.all())
        for track in tracks:
            a.panel_votes(track)
        for track in tracks[:-1]:
            services.amendment_track_decide(track=track, by=a.chair, outcome="approved")
        results = race(
            lambda t=tracks[-1]: services.amendment_track_decide(
                track=t, by=a.chair, outcome="approved"
            ),
            lambda d=draft: services.amendment_withdraw(amendment=d, by=a.pi),
        )
        one_winner(results)
        draft.refresh_from_db()
        assert draft.state in ("approved", "withdrawn")
        a.project.refresh_from_db()
        changed = a.project.research_question == f"Q{round_number}?"
        assert changed == (draft.state == "approved")
