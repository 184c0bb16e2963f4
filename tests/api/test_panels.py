"""Parallel review: panels vote, the chair closes by the rule, owners sign off or are covered by
a pre-approved category, and the application moves by one combined decision."""

import datetime

import pytest

from access.models import Role
from catalogue.services import category_retire, category_revise
from core.errors import InvalidTransition
from tests.factories import make_user
from tests.factories.catalogue import make_category
from tests.factories.workflow import World
from workflow.models import (
    Application,
    ConflictOfInterest,
    Event,
    LegalGateway,
    PreApprovedMatch,
    State,
    TrackKind,
    Vote,
)
from workflow.reviews import services as reviews_services

pytestmark = pytest.mark.django_db

TRACKS = "/api/v1/review-tracks/"


@pytest.fixture
def world():
    return World()


def dea_content(world):
    datasets = world.content()["datasets"]
    datasets[0]["legal_gateway"] = LegalGateway.DEA_RESEARCH
    return {"datasets": datasets}


def reload(app):
    return Application.objects.get(pk=app.pk)


def post(client, url, data=None):
    return client.post(url, data or {}, format="json")


# --- the tracks open together -----------------------------------------------------------------


@pytest.mark.parametrize("first", [TrackKind.IGRP, TrackKind.DEA_PANEL])
def test_dea_project_opens_igrp_and_dea_tracks_together_and_either_may_finish_first(world, first):
    app = world.at(State.IN_REVIEW, **dea_content(world))
    kinds = {t.kind: t for t in app.tracks.all()}
    assert set(kinds) == {TrackKind.IGRP, TrackKind.DEA_PANEL, TrackKind.OWNER_SIGNOFF}
    # Opened together, by the one referral, in its transaction.
    referral = app.events.get(kind="referred")
    assert sorted(referral.payload["tracks"]) == sorted(
        f"{t.kind}:{t.organisation_id}" if t.organisation_id else t.kind for t in kinds.values()
    )
    assert {t.state for t in kinds.values()} == {"open"}
    assert {t.version for t in kinds.values()} == {app.current_version}
    second = TrackKind.DEA_PANEL if first == TrackKind.IGRP else TrackKind.IGRP
    world.decide(kinds[TrackKind.OWNER_SIGNOFF], "approved")
    world.decide(kinds[first], "approved")
    assert reload(app).state == State.IN_REVIEW
    world.decide(kinds[second], "approved")
    assert reload(app).state == State.APPROVED


def test_standard_project_has_no_dea_track(world):
    app = world.at(State.IN_REVIEW)
    assert not app.tracks.filter(kind=TrackKind.DEA_PANEL).exists()
    assert app.tracks.get(kind=TrackKind.IGRP).panel == world.igrp


def test_referral_without_a_configured_panel_is_refused(world, client_for):
    app = world.at(State.INTERNAL_REVIEW, **dea_content(world))
    world.dea_panel.is_active = False
    world.dea_panel.save()
    response = post(client_for(world.reviewer), f"/api/v1/applications/{app.pk}/refer-to-panels/")
    assert response.status_code == 400
    assert "DEA accreditation panel" in response.json()["fields"]["panels"][0]
    assert reload(app).state == State.INTERNAL_REVIEW
    assert not app.tracks.exists()


# --- voting ----------------------------------------------------------------------------------


def test_member_sees_others_votes_only_after_voting_and_then_the_divergence(world, client_for):
    app = world.at(State.IN_REVIEW, **dea_content(world))
    dea = app.tracks.get(kind=TrackKind.DEA_PANEL)
    reviews_services.vote_cast(track=dea, by=world.lay, choice="rejected", rationale="Too broad.")
    expert = client_for(world.expert)
    before = expert.get(f"{TRACKS}{dea.pk}/votes/").json()
    assert before["my_vote"] is None
    assert before["votes"] is None
    assert before["tally"] is None
    cast = post(expert, f"{TRACKS}{dea.pk}/votes/", {"choice": "approved"})
    assert cast.status_code == 201, cast.json()
    after = expert.get(f"{TRACKS}{dea.pk}/votes/").json()
    assert {v["choice"] for v in after["votes"]} == {"approved", "rejected"}
    assert after["tally"]["diverges"] is True
    assert after["tally"]["counts"] == {"rejected": 1, "approved": 1}


def test_vote_needs_a_rationale_unless_it_approves(world, client_for):
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    response = post(client_for(world.lay), f"{TRACKS}{igrp.pk}/votes/", {"choice": "rejected"})
    assert response.status_code == 400
    assert "rationale" in response.json()["fields"]
    conditions = post(
        client_for(world.lay),
        f"{TRACKS}{igrp.pk}/votes/",
        {"choice": "approved_with_conditions", "rationale": "Fine if..."},
    )
    assert conditions.status_code == 400
    assert "conditions" in conditions.json()["fields"]
    assert not Vote.objects.filter(track=igrp).exists()


def test_voting_twice_is_409_but_changing_the_vote_works_until_close(world, client_for):
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    lay = client_for(world.lay)
    assert post(lay, f"{TRACKS}{igrp.pk}/votes/", {"choice": "approved"}).status_code == 201
    again = post(lay, f"{TRACKS}{igrp.pk}/votes/", {"choice": "approved"})
    assert again.status_code == 409
    changed = lay.put(
        f"{TRACKS}{igrp.pk}/votes/",
        {"choice": "revise_and_resubmit", "rationale": "Say more about linkage."},
        format="json",
    )
    assert changed.status_code == 200
    assert Vote.objects.get(track=igrp, member=world.lay).choice == "revise_and_resubmit"
    assert Event.objects.filter(track=igrp, kind="vote_changed").count() == 1
    post(
        client_for(world.panel),
        f"{TRACKS}{igrp.pk}/close/",
        {"outcome": "revise_and_resubmit", "rationale": "Linkage."},
    )
    # Once decided, the track leaves the panel members' view: the change is refused.
    too_late = lay.put(f"{TRACKS}{igrp.pk}/votes/", {"choice": "approved"}, format="json")
    # The panel keeps sight of what it decided: a late change is "already decided", not "no
    # such track".
    assert too_late.status_code == 409
    assert too_late.json()["detail"] == "This track is already decided."
    assert Vote.objects.get(track=igrp, member=world.lay).choice == "revise_and_resubmit"


def test_non_member_of_the_panel_cannot_vote(world, client_for):
    outsider_panel = make_user(Role.PANEL_MEMBER, full_name="Not On This Panel")
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    response = post(client_for(outsider_panel), f"{TRACKS}{igrp.pk}/votes/", {"choice": "approved"})
    assert response.status_code == 404  # the track is not even visible to them
    assert not Vote.objects.exists()
    researcher = post(client_for(world.pi), f"{TRACKS}{igrp.pk}/votes/", {"choice": "approved"})
    assert researcher.status_code == 403


def test_panel_member_who_left_no_longer_votes(world, client_for):
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    membership = world.igrp.memberships.get(user=world.expert)
    reviews_services.panel_membership_end(membership=membership, by=world.ops)
    response = post(client_for(world.expert), f"{TRACKS}{igrp.pk}/votes/", {"choice": "approved"})
    assert response.status_code == 404


def test_vote_on_a_closed_track_is_refused(world, client_for):
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    world.decide(igrp, "approved")
    # The panel keeps sight of the track it decided, so a late vote is told it is too late (409),
    # not that the track does not exist.
    late = world.expert  # the IGRP's quorum of one was met by another member
    response = post(client_for(late), f"{TRACKS}{igrp.pk}/votes/", {"choice": "approved"})
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_state"
    assert client_for(late).get(f"{TRACKS}{igrp.pk}/").json()["outcome"] == "approved"
    with pytest.raises(InvalidTransition):
        reviews_services.vote_cast(track=igrp, by=late, choice="approved")
    assert not Vote.objects.filter(track=igrp, member=late).exists()


# --- conflicts -------------------------------------------------------------------------------


def test_conflicted_member_cannot_vote_and_does_not_count_to_the_quorum(world, client_for):
    app = world.at(State.IN_REVIEW, **dea_content(world))
    dea = app.tracks.get(kind=TrackKind.DEA_PANEL)
    reviews_services.vote_cast(track=dea, by=world.expert, choice="approved")
    declared = post(
        client_for(world.expert),
        f"{TRACKS}{dea.pk}/conflict/",
        {"reason": "I co-authored the protocol."},
    )
    assert declared.status_code == 201
    assert ConflictOfInterest.objects.filter(application=app, user=world.expert).exists()
    reviews_services.vote_cast(track=dea, by=world.lay, choice="approved")
    reviews_services.vote_cast(track=dea, by=world.panel, choice="approved")
    tally = reviews_services.tally(dea)
    assert tally.votes_cast == 2  # the conflicted member's vote no longer counts
    assert not tally.can_close
    refused = post(client_for(world.expert), f"{TRACKS}{dea.pk}/votes/", {"choice": "approved"})
    assert refused.status_code in (403, 409)
    close = post(client_for(world.panel), f"{TRACKS}{dea.pk}/close/", {"outcome": "approved"})
    assert close.status_code == 409
    assert "3 votes" in close.json()["detail"]
    assert reload(app).tracks.get(kind=TrackKind.DEA_PANEL).state == "open"


def test_conflict_needs_a_reason_and_is_declared_once(world, client_for):
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    lay = client_for(world.lay)
    assert post(lay, f"{TRACKS}{igrp.pk}/conflict/", {"reason": ""}).status_code == 400
    assert post(lay, f"{TRACKS}{igrp.pk}/conflict/", {"reason": "Family."}).status_code == 201
    assert post(lay, f"{TRACKS}{igrp.pk}/conflict/", {"reason": "Again."}).status_code in (403, 409)
    assert ConflictOfInterest.objects.filter(application=app).count() == 1


# --- closing ---------------------------------------------------------------------------------


def test_dea_vote_without_an_independent_member_cannot_close(world, client_for):
    third = make_user(Role.PANEL_MEMBER, full_name="Third Expert")
    world.dea_panel.memberships.create(user=third)
    app = world.at(State.IN_REVIEW, **dea_content(world))
    dea = app.tracks.get(kind=TrackKind.DEA_PANEL)
    for member in (world.panel, world.expert, third):  # three votes, none independent
        reviews_services.vote_cast(track=dea, by=member, choice="approved")
    response = post(client_for(world.panel), f"{TRACKS}{dea.pk}/close/", {"outcome": "approved"})
    assert response.status_code == 409
    assert "independent" in response.json()["detail"]
    reviews_services.vote_cast(track=dea, by=world.lay, choice="approved")  # the lay member votes
    closed = post(client_for(world.panel), f"{TRACKS}{dea.pk}/close/", {"outcome": "approved"})
    assert closed.status_code == 200, closed.json()
    assert closed.json()["state"] == "decided"


def test_chair_closing_without_quorum_is_409_and_only_the_chair_closes(world, client_for):
    world.igrp.quorum = 2
    world.igrp.save()
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    reviews_services.vote_cast(track=igrp, by=world.lay, choice="approved")
    early = post(client_for(world.panel), f"{TRACKS}{igrp.pk}/close/", {"outcome": "approved"})
    assert early.status_code == 409
    reviews_services.vote_cast(track=igrp, by=world.expert, choice="approved")
    not_chair = post(client_for(world.lay), f"{TRACKS}{igrp.pk}/close/", {"outcome": "approved"})
    assert not_chair.status_code == 403
    assert reload(app).tracks.get(pk=igrp.pk).state == "open"


def test_majority_rule_records_the_panels_outcome_not_the_chairs(world, client_for):
    world.igrp.quorum = 3
    world.igrp.save()
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    reviews_services.vote_cast(track=igrp, by=world.lay, choice="rejected", rationale="Risky.")
    reviews_services.vote_cast(track=igrp, by=world.expert, choice="rejected", rationale="Risky.")
    reviews_services.vote_cast(track=igrp, by=world.panel, choice="approved")
    chair = client_for(world.panel)
    wrong = post(chair, f"{TRACKS}{igrp.pk}/close/", {"outcome": "approved"})
    assert wrong.status_code == 400
    assert "outcome" in wrong.json()["fields"]
    right = post(chair, f"{TRACKS}{igrp.pk}/close/", {"outcome": "rejected", "rationale": "Risk."})
    assert right.status_code == 200
    assert reload(app).state == State.IN_REVIEW  # the owner has not signed off yet
    world.decide(app.tracks.get(kind=TrackKind.OWNER_SIGNOFF), "approved")
    assert reload(app).state == State.REJECTED


def test_unanimous_rule_cannot_close_while_members_disagree(world):
    world.igrp.quorum = 2
    world.igrp.decision_rule = "unanimous"
    world.igrp.save()
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    reviews_services.vote_cast(track=igrp, by=world.lay, choice="approved")
    reviews_services.vote_cast(track=igrp, by=world.expert, choice="rejected", rationale="No.")
    assert "unanimity" in " ".join(reviews_services.tally(igrp).blockers)


def test_chair_rule_lets_the_chair_decide_once_quorum_is_reached(world, client_for):
    world.igrp.decision_rule = "chair"
    world.igrp.save()
    app = world.at(State.IN_REVIEW)
    igrp = app.tracks.get(kind=TrackKind.IGRP)
    reviews_services.vote_cast(track=igrp, by=world.lay, choice="rejected", rationale="Unsure.")
    closed = post(
        client_for(world.panel),
        f"{TRACKS}{igrp.pk}/close/",
        {
            "outcome": "approved_with_conditions",
            "rationale": "Outputs reviewed.",
            "conditions": ["Aggregate outputs only."],
        },
    )
    assert closed.status_code == 200, closed.json()
    assert closed.json()["conditions"] == ["Aggregate outputs only."]


# --- owners ----------------------------------------------------------------------------------


def test_owner_cannot_decide_for_another_organisations_datasets(world, client_for):
    world.add_health_provider()
    app = world.at(State.IN_REVIEW, datasets=world.both_datasets())
    theirs = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF, organisation=world.provider2)
    response = post(
        client_for(world.owner), f"{TRACKS}{theirs.pk}/decide/", {"outcome": "approved"}
    )
    assert response.status_code in (403, 404)
    theirs.refresh_from_db()
    assert theirs.state == "open"


def test_project_outside_every_category_waits_for_the_owner(world):
    make_category(dataset=world.dataset, by=world.owner, permitted_purposes=["health_research"])
    app = world.at(State.IN_REVIEW)  # purpose public_policy: outside the category
    owner_track = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    assert owner_track.state == "open"
    world.decide(app.tracks.get(kind=TrackKind.IGRP), "approved")
    assert reload(app).state == State.IN_REVIEW  # still waiting for the owner
    world.decide(owner_track, "approved")
    assert reload(app).state == State.APPROVED


def test_project_in_a_pre_approved_category_needs_no_owner_action(world, client_for):
    category = make_category(
        dataset=world.dataset, by=world.owner, permitted_purposes=["public_policy"]
    )
    category = category_revise(
        category=category, by=world.owner, conditions="Aggregate outputs only, cells of 10 or more."
    )
    app = world.at(State.IN_REVIEW)
    owner_track = app.tracks.get(kind=TrackKind.OWNER_SIGNOFF)
    assert owner_track.state == "decided"
    assert owner_track.automatic is True
    assert owner_track.decided_by is None
    match = PreApprovedMatch.objects.get(track=owner_track)
    assert match.category_version.version == 2
    decided = Event.objects.get(track=owner_track, kind="track_decided")
    assert decided.actor_role == "system"
    assert decided.payload["pre_approved"][0]["category"] == f"{category.pk}@2"
    world.decide(app.tracks.get(kind=TrackKind.IGRP), "approved")
    app = reload(app)
    assert app.state == State.APPROVED
    letter = client_for(world.pi).get(f"/api/v1/applications/{app.pk}/decision-letter/").json()
    owner_part = next(t for t in letter["tracks"] if t["kind"] == "owner_signoff")
    assert owner_part["automatic"] is True
    assert owner_part["pre_approved"][0]["category"] == f"{category.pk}@2"
    assert "Aggregate outputs only, cells of 10 or more." in letter["conditions"]


def test_pre_approval_explains_why_each_category_does_not_match(world, client_for):
    make_category(
        dataset=world.dataset,
        by=world.owner,
        title="Health only",
        permitted_purposes=["health_research"],
        max_sensitivity="deidentified",
        all_non_identifying_variables=False,
        permitted_variables=[world.year],
    )
    expired = make_category(
        dataset=world.dataset,
        by=world.owner,
        title="Old policy category",
        permitted_purposes=["public_policy"],
        valid_until=datetime.date(2025, 1, 1),
    )
    retired = make_category(
        dataset=world.dataset, by=world.owner, title="Retired", permitted_purposes=["public_policy"]
    )
    category_retire(category=retired, by=world.owner, reason="Superseded")
    app = world.at(State.SCOPING)
    body = client_for(world.pi).get(f"/api/v1/applications/{app.pk}/pre-approval/").json()
    (dataset,) = body
    assert dataset["matched"] is None
    verdicts = {v["title"]: v for v in dataset["verdicts"]}
    assert set(verdicts) == {"Health only", "Old policy category"}  # retired ones are not offered
    reasons = " ".join(verdicts["Health only"]["reasons"])
    assert "purpose" in reasons
    assert "pseudonymised" in reasons
    assert "grade" in reasons  # a variable outside the category
    assert "expired" in " ".join(verdicts["Old policy category"]["reasons"])
    assert expired.pk == verdicts["Old policy category"]["category_id"]


def test_owner_only_sees_matches_for_their_own_datasets(world, client_for):
    world.add_health_provider()
    app = world.at(State.SCOPING, datasets=world.both_datasets())
    body = client_for(world.owner2).get(f"/api/v1/applications/{app.pk}/pre-approval/").json()
    assert [d["dataset"] for d in body] == ["admissions"]


# --- the letter ------------------------------------------------------------------------------


def test_one_decision_letter_with_every_tracks_outcome_rationale_and_conditions(world, client_for):
    app = world.at(State.IN_REVIEW, **dea_content(world))
    tracks = {t.kind: t for t in app.tracks.all()}
    world.decide(
        tracks[TrackKind.OWNER_SIGNOFF], "approved_with_conditions", "Fine.", ["Cite the source."]
    )
    world.decide(
        tracks[TrackKind.DEA_PANEL], "approved_with_conditions", "Good.", ["Publish results."]
    )
    world.decide(tracks[TrackKind.IGRP], "approved")
    pi = client_for(world.pi)
    url = f"/api/v1/applications/{app.pk}/decision-letter/"
    letter = pi.get(url).json()
    assert letter["outcome"] == "approved"
    assert {t["kind"] for t in letter["tracks"]} == {"igrp", "dea_panel", "owner_signoff"}
    assert letter["conditions"] == ["Cite the source.", "Publish results."] or set(
        letter["conditions"]
    ) == {"Cite the source.", "Publish results."}
    dea = next(t for t in letter["tracks"] if t["kind"] == "dea_panel")
    assert dea["rationale"] == "Good."
    assert dea["name"] == "DEA accreditation panel"


def test_no_letter_before_a_decision(world, client_for):
    app = world.at(State.IN_REVIEW)
    response = client_for(world.pi).get(f"/api/v1/applications/{app.pk}/decision-letter/")
    assert response.status_code == 409
