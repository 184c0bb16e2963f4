"""Who is told of what happens to the review tracks (``notifications.notices``).

A track that opens (at referral) or reopens (on resubmission after a panel asked for revision)
tells the people who can decide it now, with a link to the track: its panel's members and
chair, or the data owners of its organisation. A chair hears once when the vote can be closed;
on a panel with a blind first round, the members who voted hear once when the quorum has voted
(the tally is open to them);
reviewers hear of each decision. When the application ends (withdrawn, rejected, closed) with a
track still open, the people that track asked hear that nothing more is needed from them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import User
from notifications.notices import notice
from workflow.models import ReviewTrack, TrackKind
from workflow.reviews.selectors import (
    panel_chairs,
    reviewers_of,
    track_audience,
    track_deciders,
    track_voters,
)

Context = Mapping[str, Any]


def track_url(track: ReviewTrack, context: Context | None = None) -> str:
    """Where the people who decide a track do so."""
    if track.kind == TrackKind.OWNER_SIGNOFF:
        return f"/owner/sign-off/{track.pk}/"
    return f"/reviews/tracks/{track.pk}/"


def _about(track: ReviewTrack) -> str:
    return f"application:{track.application_id}"


OPENED_BODY = (
    "Application {{ app.reference }} needs {% if track.kind == 'owner_signoff' %}your "
    "organisation's sign-off ({{ track.organisation.name }}){% else %}a decision of the "
    "{{ track.panel.name|default:track.get_kind_display }}{% endif %}. It is due on "
    "{{ track.due_date|date:'l j F Y' }}."
)


@notice(
    "track.opened",
    subject="{{ app.reference }} needs your review",
    body=OPENED_BODY,
    url=track_url,
    about=_about,
)
def _deciders(track: ReviewTrack, context: Context) -> list[User]:
    return track_deciders(track)


notice(
    "track.reopened",
    subject="{{ app.reference }} was revised and needs your review again",
    body="Application {{ app.reference }} has been revised as asked and resubmitted. "
    + OPENED_BODY,
    url=track_url,
    about=_about,
)(_deciders)


@notice(
    "track.decided",
    subject="{{ app.reference }}: a review track was decided",
    body="One of the reviews of application {{ app.reference }} has been decided.",
    url=lambda track, context: f"/applications/{track.application_id}/",
    about=_about,
)
def _reviewers(track: ReviewTrack, context: Context) -> list[User]:
    return reviewers_of(track.application)


@notice(
    "track.ready_to_close",
    subject="{{ app.reference }}: the vote can be closed",
    body="Enough members have voted on a track you chair for application {{ app.reference }}; "
    "the panel's decision rule now allows you to close it.",
    url=track_url,
    about=_about,
    dedupe=lambda track, context: f"track-ready:{track.pk}",
)
def _chairs(track: ReviewTrack, context: Context) -> list[User]:
    return panel_chairs(track)


@notice(
    "track.tally_opened",
    subject="{{ app.reference }}: the panel's votes are open to read",
    body="The quorum has voted on application {{ app.reference }}. The first round was blind: "
    "you can now read the other members' votes and the tally.",
    url=track_url,
    about=_about,
    dedupe=lambda track, context: f"track-tally-open:{track.pk}",
)
def _voters(track: ReviewTrack, context: Context) -> list[User]:
    return track_voters(track)


@notice(
    "track.closed",
    subject="{{ app.reference }}: your review is no longer needed",
    body="Application {{ app.reference }} is {{ app.get_state_display|in_sentence }}, so the "
    "{% if track.kind == 'owner_signoff' %}sign-off of {{ track.organisation.name }}{% else %}"
    "review of the {{ track.panel.name|default:track.get_kind_display }}{% endif %} is closed "
    "undecided. Nothing more is needed from you.",
    url=lambda track, context: f"/applications/{track.application_id}/",
    about=_about,
)
def _asked(track: ReviewTrack, context: Context) -> list[User]:
    return track_audience(track)
