"""Who is told of what happens to a sitting (``notifications.notices``), computed from the
state after the change; the actor is never told of their own act.

* agenda published: the panel's current members; and the team of each application on it,
  with a link to their application (the sitting's page is the panel's);
* papers ready: the panel's current members (and ops, the secretariat);
* minutes published: the panel's current members, and the team of each application decided.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import User
from notifications.notices import notice
from workflow.models import AgendaItemState, ReviewTrack, Sitting
from workflow.sittings.selectors import members_of

Context = Mapping[str, Any]


def _about(sitting: Sitting) -> str:
    return f"sitting:{sitting.pk}"


def sitting_url(sitting: Sitting, context: Context | None = None) -> str:
    return f"/reviews/sittings/{sitting.pk}/"


def _team_url(sitting: Sitting, context: Context | None = None) -> str:
    return f"/sittings/{sitting.pk}/minutes/"


def _members(sitting: Sitting) -> list[User]:
    return [m.user for m in members_of(sitting) if m.user.is_active]


def _teams(sitting: Sitting, states: tuple[str, ...]) -> list[User]:
    people: list[User] = []
    for item in sitting.items.filter(state__in=states).select_related("track__application"):
        people.extend(item.track.application.team())
    return people


@notice(
    "sitting.agenda_published",
    subject="Agenda published: {{ panel }} on {{ date|date:'j F Y' }}",
    body="The agenda of the {{ panel }} sitting on {{ date|date:'l j F Y' }} is published "
    "({{ count }} application{{ count|pluralize }}; cut-off {{ cut_off|date:'j F Y' }}).",
    url=sitting_url,
    about=_about,
)
def _panel_members(sitting: Sitting, context: Context) -> list[User]:
    return _members(sitting)


@notice(
    "sitting.application_listed",
    subject="{{ app.reference }} is on the agenda of the {{ panel }} on {{ date|date:'j F Y' }}",
    body="The {{ panel }} decides application {{ app.reference }} at its sitting on "
    "{{ date|date:'l j F Y' }}. You will hear of its decision after the sitting.",
    url=lambda track, context: f"/applications/{track.application_id}/",
    about=lambda track: f"application:{track.application_id}",
)
def _listed_team(track: ReviewTrack, context: Context) -> list[User]:
    team: list[User] = track.application.team()
    return team


@notice(
    "sitting.papers_ready",
    subject="Papers ready: {{ panel }} on {{ date|date:'j F Y' }}",
    body="The papers for the {{ panel }} sitting on {{ date|date:'l j F Y' }} are ready: "
    "{{ count }} item{{ count|pluralize }}. Please read them before the sitting.",
    url=sitting_url,
    about=_about,
)
def _panel(sitting: Sitting, context: Context) -> list[User]:
    return _members(sitting)


@notice(
    "sitting.minutes_published",
    subject="Minutes published: {{ panel }} on {{ date|date:'j F Y' }}",
    body="The public minutes of the {{ panel }} sitting on {{ date|date:'l j F Y' }} are "
    "published.",
    url=_team_url,
    about=_about,
)
def _members_and_decided_teams(sitting: Sitting, context: Context) -> list[User]:
    return _members(sitting) + _teams(sitting, (AgendaItemState.DECIDED,))
