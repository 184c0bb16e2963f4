"""The combined outcome of the review tracks: as a function, and through the services."""

from __future__ import annotations

import itertools

import pytest

from tests.factories.workflow import World
from workflow.models import Application, Event, LegalGateway, Outcome, State, TrackKind
from workflow.reviews import services as reviews_services
from workflow.route import services as route_services

APPROVED = Outcome.APPROVED
CONDITIONS = Outcome.APPROVED_WITH_CONDITIONS
REVISE = Outcome.REVISE_AND_RESUBMIT
REJECTED = Outcome.REJECTED

# The rule, stated as the design states it: the worst outcome of any track wins, in this order.
WORST_FIRST = [REJECTED, REVISE, CONDITIONS, APPROVED]

# A few rows written out by hand, so the table above is not the only witness.
BY_HAND = [
    ((APPROVED,), APPROVED),
    ((CONDITIONS,), CONDITIONS),
    ((APPROVED, CONDITIONS), CONDITIONS),
    ((APPROVED, REVISE), REVISE),
    ((CONDITIONS, REVISE), REVISE),
    ((REVISE, REJECTED), REJECTED),
    ((APPROVED, APPROVED, REJECTED), REJECTED),
    ((APPROVED, APPROVED, APPROVED), APPROVED),
    ((CONDITIONS, APPROVED, CONDITIONS), CONDITIONS),
    ((REVISE, REVISE, APPROVED), REVISE),
]

EVERY_COMBINATION = [
    combo for size in (1, 2, 3) for combo in itertools.product(list(Outcome), repeat=size)
]


@pytest.mark.parametrize(("outcomes", "combined"), BY_HAND)
def test_combine_outcomes_hand_written_rows(outcomes, combined):
    assert reviews_services.combine_outcomes(outcomes) == combined


def test_combine_outcomes_every_combination_of_one_to_three_tracks():
    assert len(EVERY_COMBINATION) == 4 + 16 + 64
    wrong = []
    for combo in EVERY_COMBINATION:
        expected = next(o for o in WORST_FIRST if o in combo)
        for order in set(itertools.permutations(combo)):
            got = reviews_services.combine_outcomes(iter(order))  # any iterable, any order
            if got != expected:
                wrong.append((order, got, expected))
    assert not wrong


def test_combine_outcomes_of_nothing_is_an_error():
    with pytest.raises(ValueError, match="No outcomes"):
        reviews_services.combine_outcomes([])


# --- through the services ------------------------------------------------------------------


@pytest.fixture
def world(db):
    return World()


def three_tracks(world: World) -> Application:
    """In review with IGRP, DEA panel (the DEA gateway) and the owner's sign-off."""
    dataset = {**world.content()["datasets"][0], "legal_gateway": LegalGateway.DEA_RESEARCH}
    application = world.at(State.IN_REVIEW, datasets=[dataset])
    assert {t.kind for t in application.tracks.all()} == {
        TrackKind.IGRP,
        TrackKind.DEA_PANEL,
        TrackKind.OWNER_SIGNOFF,
    }
    return application


def decide(world: World, application: Application, kind: str, outcome: str, *conditions):
    track = application.tracks.get(kind=kind, superseded=False)
    rationale = "" if outcome == APPROVED else f"Reasons of the {kind}."
    return world.decide(track, outcome, rationale, list(conditions))


def state_of(application: Application) -> str:
    return Application.objects.get(pk=application.pk).state


def test_application_waits_until_the_last_track_is_decided(world):
    application = three_tracks(world)
    decide(world, application, TrackKind.IGRP, APPROVED)
    decide(world, application, TrackKind.OWNER_SIGNOFF, REJECTED)
    assert state_of(application) == State.IN_REVIEW
    decide(world, application, TrackKind.DEA_PANEL, APPROVED)
    assert state_of(application) == State.REJECTED


@pytest.mark.parametrize(
    "outcomes",
    [
        (REJECTED, APPROVED, APPROVED),
        (APPROVED, REVISE, REJECTED),
        (CONDITIONS, CONDITIONS, REJECTED),
    ],
)
def test_any_rejected_track_rejects_the_application(world, outcomes):
    application = three_tracks(world)
    kinds = (TrackKind.IGRP, TrackKind.DEA_PANEL, TrackKind.OWNER_SIGNOFF)
    for kind, outcome in zip(kinds, outcomes, strict=True):
        if outcome == REVISE and kind == TrackKind.OWNER_SIGNOFF:
            outcome = APPROVED  # owners cannot ask for revision
        decide(
            world, application, kind, outcome, *(["A condition."] if outcome == CONDITIONS else [])
        )
    application.refresh_from_db()
    assert application.state == State.REJECTED
    assert application.decided_at is not None
    combined = application.events.get(transition="decline")
    assert combined.payload["combined_outcome"] == REJECTED
    assert not application.events.filter(kind="approved").exists()


def test_revision_reopens_only_the_tracks_that_asked(world):
    application = three_tracks(world)
    decide(world, application, TrackKind.IGRP, REVISE)
    decide(world, application, TrackKind.DEA_PANEL, CONDITIONS, "Outputs checked twice.")
    owner_track = decide(world, application, TrackKind.OWNER_SIGNOFF, APPROVED)
    application.refresh_from_db()
    assert application.state == State.CHANGES_REQUESTED
    assert application.changes_requested_from == State.IN_REVIEW
    request = application.feedback_requests.get()
    assert [i.text for i in request.items.all()] == [
        "Independent Governance Review Panel: Reasons of the igrp."
    ]

    for item in request.items.all():
        reviews_services.feedback_item_respond(item=item, by=world.pi, response="Clarified.")
    route_services.application_resubmit(application=application, by=world.pi)
    application.refresh_from_db()
    assert application.state == State.IN_REVIEW

    igrp = application.tracks.filter(kind=TrackKind.IGRP).order_by("round")
    assert [(t.round, t.superseded, t.state) for t in igrp] == [
        (1, True, "decided"),
        (2, False, "open"),
    ]
    dea = application.tracks.get(kind=TrackKind.DEA_PANEL)
    assert (dea.round, dea.superseded, dea.outcome) == (1, False, CONDITIONS)
    owner_track.refresh_from_db()
    assert (owner_track.superseded, owner_track.outcome) == (False, APPROVED)
    reopened = application.events.get(kind="track_reopened")
    assert reopened.track == igrp.last()

    # The reopened track alone decides the rest, and the kept conditions still count.
    decide(world, application, TrackKind.IGRP, APPROVED)
    application.refresh_from_db()
    assert application.state == State.APPROVED
    approved = application.events.get(kind="approved")
    assert approved.payload["conditions"] == ["Outputs checked twice."]
    assert approved.payload["tracks"] == {
        "igrp": APPROVED,
        "dea_panel": CONDITIONS,
        f"owner_signoff:{world.provider.pk}": APPROVED,
    }


def test_approval_carries_the_union_of_conditions(world):
    application = three_tracks(world)
    decide(world, application, TrackKind.IGRP, CONDITIONS, "Annual report.", "Outputs checked.")
    decide(world, application, TrackKind.DEA_PANEL, CONDITIONS, "Outputs checked.")
    decide(world, application, TrackKind.OWNER_SIGNOFF, CONDITIONS, "No linkage to census.")
    application.refresh_from_db()
    assert application.state == State.APPROVED
    (approved,) = Event.objects.filter(application=application, kind="approved")
    assert approved.payload["combined_outcome"] == CONDITIONS
    # A union: every condition once.
    conditions = approved.payload["conditions"]
    assert sorted(conditions) == ["Annual report.", "No linkage to census.", "Outputs checked."]
    assert approved.actor_role == "system"
