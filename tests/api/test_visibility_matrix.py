"""One home for visibility: for every relation × state, what a person sees of an application.

``can_view`` (one object) and ``applications_visible_to`` (a queryset) must agree, and agree
with the table below; a data owner's projection (their organisation's part) must hold on every
endpoint and page under an application: the detail, the tracks, the timeline, the clocks, the
forecast, the pre-approval matches; the whole-application pages refuse them (403).
"""

from __future__ import annotations

import json

import pytest

from tests.factories.workflow import World
from workflow.models import Application, State, TrackKind
from workflow.route.policies import can_view
from workflow.route.selectors import applications_visible_to, view_of

pytestmark = pytest.mark.django_db

EVERY = frozenset(State)
# Reached internal review (rejected is rejected there; withdrawn and changes requested are
# reached from scoping in these builds).
REVIEWED = frozenset(
    {
        State.INTERNAL_REVIEW,
        State.IN_REVIEW,
        State.APPROVED,
        State.REJECTED,
        State.ACTIVE,
        State.SUSPENDED,
        State.CLOSED,
    }
)
# A panel has had a track on it from referral on, and keeps sight of it.
PANELLED = frozenset({State.IN_REVIEW, State.APPROVED, State.ACTIVE, State.SUSPENDED, State.CLOSED})

# relation → (states seen whole, states seen only as an owner's part)
EXPECTED: dict[str, tuple[frozenset, frozenset]] = {
    "pi": (EVERY, frozenset()),
    "member": (EVERY, frozenset()),
    "outsider": (frozenset(), frozenset()),
    "analyst": (EVERY - {State.DRAFT}, frozenset()),
    "other_analyst": (frozenset(), frozenset()),
    "reviewer": (REVIEWED, frozenset()),
    "panel_chair": (PANELLED, frozenset()),
    "panel_member": (PANELLED, frozenset()),
    "owner": (frozenset(), EVERY - {State.DRAFT}),
    "other_owner": (frozenset(), EVERY - {State.DRAFT}),
    "signatory": (frozenset(), frozenset()),
    "officer": (frozenset(), frozenset()),
    "ops": (EVERY, frozenset()),
}


def people(world: World, application: Application) -> dict:
    analyst = application.analyst or world.analyst
    return {
        "pi": world.pi,
        "member": world.colleague,
        "outsider": world.outsider,
        "analyst": analyst,
        "other_analyst": world.analyst2 if analyst == world.analyst else world.analyst,
        "reviewer": world.reviewer,
        "panel_chair": world.panel,
        "panel_member": world.lay,
        "owner": world.owner,
        "other_owner": world.owner2,
        "signatory": world.signatory,
        "officer": world.officer,
        "ops": world.ops,
    }


def build(*states: str) -> tuple[World, dict[str, Application]]:
    """Applications in ``states``, each asking data of both providers."""
    world = World()
    world.add_health_provider()
    return world, {state: world.at(state, datasets=world.both_datasets()) for state in states}


@pytest.fixture
def built():
    return build(*State)


@pytest.fixture
def in_review_and_after():
    return build(State.IN_REVIEW, State.APPROVED, State.ACTIVE)


def test_can_view_the_selector_and_the_table_agree_for_every_relation_and_state(built):
    world, applications = built
    problems = []
    for state, application in applications.items():
        visible_ids = {}
        for relation, user in people(world, application).items():
            whole_in, part_in = EXPECTED[relation]
            expected = "whole" if state in whole_in else "part" if state in part_in else None
            if relation not in visible_ids:
                visible_ids[relation] = set(
                    applications_visible_to(user).values_list("pk", flat=True)
                )
            fresh = Application.objects.get(pk=application.pk)  # no cached answers
            view = view_of(user, fresh)
            got = None if view is None else "whole" if view.whole else "part"
            listed = application.pk in visible_ids[relation]
            if got != expected:
                problems.append(f"{relation} in {state}: view {got}, expected {expected}")
            if can_view(user, Application.objects.get(pk=application.pk)) != (expected is not None):
                problems.append(f"{relation} in {state}: can_view disagrees with the table")
            if listed != (expected is not None):
                problems.append(f"{relation} in {state}: the selector disagrees with can_view")
    assert not problems, "\n".join(problems)


def _text(response) -> str:
    return response.content.decode() if hasattr(response, "content") else json.dumps(response)


@pytest.mark.parametrize("state", [State.IN_REVIEW, State.APPROVED, State.ACTIVE])
def test_an_owner_sees_only_their_organisations_part_everywhere(
    in_review_and_after, client_for, state
):
    world, applications = in_review_and_after
    application = applications[state]
    mine = world.provider
    theirs = world.provider2
    other_track = application.tracks.get(organisation=theirs, superseded=False)
    igrp = application.tracks.get(kind=TrackKind.IGRP, superseded=False)
    own_track = application.tracks.get(organisation=mine, superseded=False)
    api = client_for(world.owner)
    base = f"/api/v1/applications/{application.pk}/"

    detail = api.get(base).json()
    assert {d["dataset"] for d in detail["datasets"]} == {world.dataset.slug}
    assert {t["id"] for t in detail["tracks"]} == {own_track.pk}

    tracks = api.get("/api/v1/review-tracks/", {"application": application.pk}).json()
    assert {t["id"] for t in tracks["results"]} == {own_track.pk}
    assert api.get(f"/api/v1/review-tracks/{other_track.pk}/").status_code == 404
    assert api.get(f"/api/v1/review-tracks/{igrp.pk}/").status_code == 404

    timeline = api.get(base + "timeline/").json()["results"]
    track_ids = {e["track"] for e in timeline if e.get("track")}
    assert track_ids <= {own_track.pk}

    clocks = api.get(base + "clocks/").json()
    assert {t["track_id"] for t in clocks["tracks"]} == {own_track.pk}

    forecast = api.get(base + "forecast/").json()
    for step in forecast["steps"]:
        for track in step.get("tracks", []):
            assert track["organisation_id"] == mine.pk, step

    matches = api.get(base + "pre-approval/").json()
    assert {m["dataset"] for m in matches} == {world.dataset.slug}

    for whole_only in ("versions/", "feedback/", "decision-letter/", "five-safes/", "scoping/"):
        assert api.get(base + whole_only).status_code == 403, whole_only

    # The pages say the same.
    from django.test import Client

    page = Client()
    page.force_login(world.owner)
    overview = page.get(f"/applications/{application.pk}/").content.decode()
    assert world.dataset.title in overview
    assert world.dataset2.title not in overview
    assert theirs.name not in overview
    for whole_only in ("versions/", "feedback/", "decision-letter/", "five-safes/"):
        assert page.get(f"/applications/{application.pk}/{whole_only}").status_code == 403


def test_the_other_owner_sees_the_mirror_image(in_review_and_after, client_for):
    world, applications = in_review_and_after
    application = applications[State.IN_REVIEW]
    api = client_for(world.owner2)
    detail = api.get(f"/api/v1/applications/{application.pk}/").json()
    assert {d["dataset"] for d in detail["datasets"]} == {world.dataset2.slug}
    clocks = api.get(f"/api/v1/applications/{application.pk}/clocks/").json()
    own = application.tracks.get(organisation=world.provider2, superseded=False)
    assert {t["track_id"] for t in clocks["tracks"]} == {own.pk}


def test_a_panel_keeps_read_only_sight_of_what_it_decided(in_review_and_after, client_for):
    world, applications = in_review_and_after
    application = applications[State.APPROVED]
    igrp = application.tracks.get(kind=TrackKind.IGRP, superseded=False)
    for person in (world.panel, world.lay):
        api = client_for(person)
        assert api.get(f"/api/v1/applications/{application.pk}/").status_code == 200
        assert api.get(f"/api/v1/review-tracks/{igrp.pk}/").json()["outcome"] == "approved"
        letter = api.get(f"/api/v1/applications/{application.pk}/decision-letter/")
        assert letter.status_code == 200
        # Read-only: nothing can be taken or cast any more, and it says why.
        assert api.get(f"/api/v1/applications/{application.pk}/transitions/").json() == []
        late = api.post(f"/api/v1/review-tracks/{igrp.pk}/votes/", {"choice": "approved"})
        assert late.status_code == 409
        again = api.post(f"/api/v1/review-tracks/{igrp.pk}/close/", {"outcome": "approved"})
        assert again.status_code in (403, 409)
    # The chair's repeated close is "already decided" (409), not "no such track".
    repeat = client_for(world.panel).post(
        f"/api/v1/review-tracks/{igrp.pk}/close/", {"outcome": "approved"}, format="json"
    )
    assert repeat.status_code == 409
    assert repeat.json()["detail"] == "This track is already decided."


def test_a_draft_withdrawn_before_it_was_submitted_stays_the_teams(client_for):
    """The owners' part starts at submission: a draft the team withdrew without submitting it
    was never sent, so the data owners whose datasets it named never see it (the list, the
    detail, ``can_view``); one withdrawn after submission they still see."""
    from workflow.route import services as route_services

    world = World()
    world.add_health_provider()
    never_sent = world.draft(datasets=world.both_datasets())
    route_services.application_withdraw(application=never_sent, by=world.pi, reason="Not now.")
    sent = world.at(State.WITHDRAWN, datasets=world.both_datasets())
    for owner in (world.owner, world.owner2):
        visible = set(applications_visible_to(owner).values_list("pk", flat=True))
        assert never_sent.pk not in visible
        assert sent.pk in visible
        assert not can_view(owner, Application.objects.get(pk=never_sent.pk))
        api = client_for(owner)
        assert api.get(f"/api/v1/applications/{never_sent.pk}/").status_code == 404
        assert api.get(f"/api/v1/applications/{sent.pk}/").status_code == 200
        listed = {row["id"] for row in api.get("/api/v1/applications/").json()["results"]}
        assert never_sent.pk not in listed
        assert sent.pk in listed
    # The team still has it.
    assert client_for(world.pi).get(f"/api/v1/applications/{never_sent.pk}/").status_code == 200
