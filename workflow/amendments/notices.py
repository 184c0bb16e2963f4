"""Who is told of what happens to an amendment (``notifications.notices``), computed from the
state after the change; the actor is never told of their own act."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import OrganisationMembership, Role, User
from access.selectors import users_with_role
from notifications.notices import notice
from workflow.amendments.models import Amendment, AmendmentTrack, AmendmentTrackState, Reviewer
from workflow.amendments.policies import is_reviewer_for
from workflow.reviews.models import PanelMembership

Context = Mapping[str, Any]


def _about(amendment: Amendment) -> str:
    return f"amendment:{amendment.pk}"


def _page(amendment: Amendment, context: Context) -> str:
    return f"/applications/{amendment.application_id}/amendments/{amendment.pk}/"


def track_deciders(track: AmendmentTrack) -> list[User]:
    """Who may decide ``track``: everyone holding its reviewing capacity, off the team."""
    if track.reviewer == Reviewer.OPS:
        candidates = list(users_with_role(Role.OPS))
    elif track.reviewer == Reviewer.ANALYST:
        analyst = track.amendment.application.analyst
        candidates = [analyst] if analyst is not None else []
    elif track.reviewer in (Reviewer.IGRP, Reviewer.DEA_PANEL):
        candidates = [
            m.user
            for m in PanelMembership.objects.filter(
                panel__track_kind=track.reviewer,
                panel__is_active=True,
                is_chair=True,
                left_on__isnull=True,
            ).select_related("user")
        ]
    else:
        capacity = (
            OrganisationMembership.Capacity.DATA_OWNER
            if track.reviewer == Reviewer.DATA_OWNER
            else OrganisationMembership.Capacity.SIGNATORY
        )
        candidates = [
            m.user
            for m in OrganisationMembership.objects.filter(
                organisation_id=track.organisation_id or 0, capacity=capacity
            ).select_related("user")
        ]
    team = track.amendment.application.team_ids()
    return [u for u in candidates if u.is_active and u.pk not in team and is_reviewer_for(u, track)]


def _team(amendment: Amendment) -> list[User]:
    return list(amendment.application.team())


@notice(
    "amendment.submitted",
    subject="Amendment to decide: {{ reference }}",
    body="{{ reference }} asks for amendment {{ number }} ({{ types }}). Only the reviewers it "
    "affects are asked; the route says why you are one of them.",
    url=_page,
    about=_about,
)
def _deciders_of_open_tracks(amendment: Amendment, context: Context) -> list[User]:
    people: list[User] = []
    for track in amendment.tracks.filter(state=AmendmentTrackState.OPEN):
        people += track_deciders(track)
    return people + _team(amendment)


@notice(
    "amendment.track_decided",
    subject="{{ track_name }} has decided on amendment {{ number }} of {{ reference }}",
    body="{{ track_name }}: {{ outcome }}. {{ rationale }}",
    url=lambda track, context: _page(track.amendment, context),
    about=lambda track: _about(track.amendment),
)
def _team_of_track(track: AmendmentTrack, context: Context) -> list[User]:
    return _team(track.amendment)


@notice(
    "amendment.approved",
    subject="Amendment {{ number }} of {{ reference }} is approved",
    body="Amendment {{ number }} of {{ reference }} ({{ types }}) is approved and now in "
    "force as version {{ version }} of the project.",
    url=_page,
    about=_about,
)
@notice(
    "amendment.rejected",
    subject="Amendment {{ number }} of {{ reference }} is not approved",
    body="Amendment {{ number }} of {{ reference }} ({{ types }}) is not approved; the project "
    "goes on unchanged.",
    url=_page,
    about=_about,
)
@notice(
    "amendment.withdrawn",
    subject="Amendment {{ number }} of {{ reference }} was withdrawn",
    body="Amendment {{ number }} of {{ reference }} was withdrawn; nothing changed.",
    url=_page,
    about=_about,
)
def _team_and_reviewers(amendment: Amendment, context: Context) -> list[User]:
    people = _team(amendment)
    for track in amendment.tracks.all():
        people += track_deciders(track)
    return people
