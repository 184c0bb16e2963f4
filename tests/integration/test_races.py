"""Conflicting steps at the same moment on real PostgreSQL: exactly one wins, once.

Each thread has its own database connection (Django's are per thread), opens it before the
barrier so both start together, and closes it at the end.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.db import connection
from rest_framework.test import APIClient

from access.models import Role
from core.errors import ConcurrentChange, InvalidTransition
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.models import Application, Event, State, TrackKind
from workflow.reviews import services as reviews_services
from workflow.route import services as route_services

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]

ROUNDS = 3  # each race a few times, so a lucky ordering does not hide a bug


def race(*calls: Callable[[], object]) -> list[tuple[str, object]]:
    """Run ``calls`` in threads released together; each result is ("ok", value) or
    ("error", exception)."""
    barrier = threading.Barrier(len(calls))
    results: list[tuple[str, object]] = [("missing", None)] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        try:
            connection.ensure_connection()
            barrier.wait(timeout=10)
            results[index] = ("ok", call())
        except Exception as exc:
            results[index] = ("error", exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(t.is_alive() for t in threads), "a racer hung"
    return results


def one_winner(results) -> int:
    """The index of the only success; the other was told of the conflict (409)."""
    winners = [i for i, (kind, _) in enumerate(results) if kind == "ok"]
    assert len(winners) == 1, results
    for kind, value in results:
        if kind == "error":
            assert isinstance(value, InvalidTransition | ConcurrentChange), repr(value)
            assert value.status == 409
    return winners[0]


def transitions_of(application: Application, *names: str) -> list[str]:
    return list(
        Event.objects.filter(application=application, transition__in=names).values_list(
            "transition", flat=True
        )
    )


@pytest.fixture
def world():
    return World()


def test_refer_and_reject_at_once_one_wins(world):
    second_reviewer = make_user(Role.REVIEWER, full_name="Second Reviewer")
    for _ in range(ROUNDS):
        app = world.at(State.INTERNAL_REVIEW)
        results = race(
            lambda app=app: route_services.application_refer_to_panels(
                application=app, by=world.reviewer
            ),
            lambda app=app: route_services.application_reject(
                application=app, by=second_reviewer, reason="Not in the public interest."
            ),
        )
        winner = one_winner(results)
        app.refresh_from_db()
        assert app.state == (State.IN_REVIEW, State.REJECTED)[winner]
        assert transitions_of(app, "refer_to_panels", "reject") == [
            ("refer_to_panels", "reject")[winner]
        ]
        # A rejected application opened no review tracks.
        assert app.tracks.exists() == (winner == 0)


def test_withdraw_and_reject_at_once_one_wins(world):
    for _ in range(ROUNDS):
        app = world.at(State.INTERNAL_REVIEW)
        results = race(
            lambda app=app: route_services.application_withdraw(application=app, by=world.pi),
            lambda app=app: route_services.application_reject(
                application=app, by=world.reviewer, reason="Not in the public interest."
            ),
        )
        winner = one_winner(results)
        app.refresh_from_db()
        assert app.state == (State.WITHDRAWN, State.REJECTED)[winner]
        assert transitions_of(app, "withdraw", "reject") == [("withdraw", "reject")[winner]]


def test_withdraw_and_complete_scoping_at_once_serialise(world):
    # Not exclusive: withdrawing is still allowed once scoping is complete. Whatever the order,
    # the result is one of the two serial orders, never a lost or doubled step.
    for _ in range(ROUNDS):
        app = world.at(State.SCOPING)
        route_services.scoping_update(
            application=app,
            by=world.analyst,
            data={"feasible": True, "scoped_variables": [world.year, world.grade]},
        )
        results = race(
            lambda app=app: route_services.application_withdraw(application=app, by=world.pi),
            lambda app=app: route_services.application_complete_scoping(
                application=app, by=world.analyst
            ),
        )
        app.refresh_from_db()
        assert app.state == State.WITHDRAWN
        assert results[0][0] == "ok", results
        moves = list(
            Event.objects.filter(application=app)
            .exclude(transition="")
            .filter(transition__in=["withdraw", "complete_scoping"])
            .values_list("transition", "from_state", "to_state")
        )
        if results[1][0] == "ok":
            assert moves == [
                ("complete_scoping", State.SCOPING, State.INTERNAL_REVIEW),
                ("withdraw", State.INTERNAL_REVIEW, State.WITHDRAWN),
            ]
        else:
            assert isinstance(results[1][1], InvalidTransition | ConcurrentChange)
            assert moves == [("withdraw", State.SCOPING, State.WITHDRAWN)]


def test_withdraw_and_reject_at_once_through_the_api(world):
    for _ in range(ROUNDS):
        app = world.at(State.INTERNAL_REVIEW)
        pi, reviewer = APIClient(), APIClient()
        pi.force_authenticate(user=world.pi)
        reviewer.force_authenticate(user=world.reviewer)
        base = f"/api/v1/applications/{app.pk}/"
        results = race(
            lambda pi=pi, base=base: pi.post(base + "withdraw/", {}, format="json"),
            lambda reviewer=reviewer, base=base: reviewer.post(
                base + "reject/", {"reason": "No."}, format="json"
            ),
        )
        assert all(kind == "ok" for kind, _ in results), results
        codes = [response.status_code for _, response in results]
        assert sorted(codes) == [200, 409]
        loser = results[codes.index(409)][1]
        assert loser.json()["code"] in {"invalid_state", "conflict"}
        app.refresh_from_db()
        assert app.state == (State.WITHDRAWN, State.REJECTED)[codes.index(200)]
        assert len(transitions_of(app, "withdraw", "reject")) == 1


def test_last_two_tracks_decided_at_once_combine_exactly_once(world):
    for _ in range(ROUNDS):
        app = world.at(State.IN_REVIEW)
        igrp = app.tracks.get(kind=TrackKind.IGRP)
        owner_track = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
        reviews_services.vote_cast(track=igrp, by=world.panel, choice="approved")
        results = race(
            lambda igrp=igrp: reviews_services.panel_track_close(
                track=igrp, by=world.panel, outcome="approved"
            ),
            lambda track=owner_track: reviews_services.review_track_decide(
                track=track, by=world.owner, outcome="approved"
            ),
        )
        assert [kind for kind, _ in results] == ["ok", "ok"], results
        app.refresh_from_db()
        assert app.state == State.APPROVED
        assert Event.objects.filter(application=app, kind="approved").count() == 1
        assert Event.objects.filter(application=app, kind="track_decided").count() == 2


def test_same_track_decided_twice_at_once_only_one_counts(world):
    second_owner = make_user(
        Role.DATA_OWNER, full_name="Second Owner", data_owner_of=world.provider
    )
    app = world.at(State.IN_REVIEW)
    track = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    results = race(
        lambda: reviews_services.review_track_decide(
            track=track, by=world.owner, outcome="approved"
        ),
        lambda: reviews_services.review_track_decide(
            track=track, by=second_owner, outcome="rejected", rationale="No."
        ),
    )
    winner = one_winner(results)
    track.refresh_from_db()
    assert track.outcome == ("approved", "rejected")[winner]
    assert Event.objects.filter(application=app, kind="track_decided").count() == 1
    app.refresh_from_db()
    # The IGRP has not decided yet, whoever won.
    assert app.state == State.IN_REVIEW
