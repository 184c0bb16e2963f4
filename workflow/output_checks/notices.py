"""Who is told of what happens to an output request (``notifications.notices``), computed from
the state after the change; the actor is never told of their own act."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import Role, User
from access.selectors import users_with_role
from notifications.notices import notice
from workflow.models import OutputRequest

Context = Mapping[str, Any]


def _about(output_request: OutputRequest) -> str:
    return f"output-request:{output_request.pk}"


def _page(output_request: OutputRequest, context: Context) -> str:
    return f"/output-checks/{output_request.pk}/"


def eligible_checkers(output_request: OutputRequest) -> list[User]:
    """Every output checker not on the project's team."""
    team = output_request.application.team_ids()
    return [u for u in users_with_role(Role.OUTPUT_CHECKER) if u.pk not in team]


@notice(
    "output.submitted",
    subject="Outputs to check: {{ title }}",
    body="{{ reference }} asks for {{ count }} output file{{ count|pluralize }} to be released "
    "({{ title }}). Two checkers review each request blind.",
    url=_page,
    about=_about,
)
@notice(
    "output.resubmitted",
    subject="Outputs resubmitted: {{ title }}",
    body="{{ reference }} has answered the checkers' comments on {{ title }} and resubmitted "
    "(round {{ round }}).",
    url=_page,
    about=_about,
)
def _checkers(output_request: OutputRequest, context: Context) -> list[User]:
    return eligible_checkers(output_request)


@notice(
    "output.consolidation_opened",
    subject="Both checks are in: {{ title }}",
    body="Both checkers have reviewed {{ title }} ({{ reference }}, round {{ round }}). Compare "
    "your verdicts and record one decision per file.",
    url=_page,
    about=_about,
)
def _round_reviewers(output_request: OutputRequest, context: Context) -> list[User]:
    current = output_request.rounds.get(number=output_request.round)
    return [review.checker for review in current.reviews.select_related("checker")]


@notice(
    "output.released",
    subject="Outputs released: {{ title }}",
    body="{{ released }} file{{ released|pluralize }} of {{ title }} ({{ reference }}) "
    "{{ released|pluralize:'was,were' }} released. Download them from the request's page.",
    url=_page,
    about=_about,
)
@notice(
    "output.rejected",
    subject="Outputs not released: {{ title }}",
    body="The checkers could not release {{ title }} ({{ reference }}). Their comments are on "
    "the request's page.",
    url=_page,
    about=_about,
)
@notice(
    "output.changes_requested",
    subject="Changes asked on your outputs: {{ title }}",
    body="The checkers ask for changes to {{ title }} ({{ reference }}). Answer each comment, "
    "replace the files that need it and resubmit.",
    url=_page,
    about=_about,
)
def _team(output_request: OutputRequest, context: Context) -> list[User]:
    team: list[User] = output_request.application.team()
    return team
