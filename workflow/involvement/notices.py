"""Who is told of public involvement (``notifications.notices``).

- A project flagged as of high public interest: the team when a reviewer flagged it, the
  reviewers when the team did (the flagger is never told of their own act).
- Public involvement required by a reviewer: the team.
- A consultation requested: the members of the consumer panel (never on the team).
- The consumer panel's feedback: the team, the reviewers, and the members of the panels
  reviewing the application now (its open tracks), who read it beside the public-benefit
  assessment.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import User
from notifications.notices import notice
from workflow.involvement.selectors import consumer_panel_members, reviewers_of, team_of
from workflow.models import Application, Consultation, PanelMembership, TrackState

Context = Mapping[str, Any]


def _involvement_url(application: Application, context: Context | None = None) -> str:
    return f"/applications/{application.pk}/public-involvement/"


def _about(application: Application) -> str:
    return f"application:{application.pk}"


@notice(
    "involvement.flagged",
    subject="{{ app.reference }} is flagged as of high public interest",
    body="Application {{ app.reference }} has been flagged as likely to be of high public "
    "interest. The team records the public involvement it has done or plans, and can ask "
    "the consumer panel for a consultation.",
    url=_involvement_url,
    about=_about,
)
def _flag_audience(application: Application, context: Context) -> list[User]:
    actor = context.get("actor")
    if actor is not None and any(m.user_id == actor.pk for m in application.members.all()):
        return reviewers_of(application)
    return team_of(application)


@notice(
    "involvement.required",
    subject="{{ app.reference }}: public involvement is required",
    body="A reviewer requires public involvement in application {{ app.reference }}: record "
    "what you have done or plan, and consider asking the consumer panel for a consultation.",
    url=_involvement_url,
    about=_about,
)
def _team(application: Application, context: Context) -> list[User]:
    return team_of(application)


def _consultation_url(consultation: Consultation, context: Context | None = None) -> str:
    return f"/consumer-panel/consultations/{consultation.pk}/"


def _consultation_about(consultation: Consultation) -> str:
    return f"application:{consultation.application_id}"


@notice(
    "consultation.requested",
    subject="{{ app.reference }}: the team asks the consumer panel for feedback",
    body="The team of application {{ app.reference }} asks the consumer panel for a "
    "consultation on their project. Read their question and give the panel's written feedback.",
    url=_consultation_url,
    about=_consultation_about,
)
def _consumer_panel(consultation: Consultation, context: Context) -> list[User]:
    return consumer_panel_members(consultation.panel, consultation.application)


@notice(
    "consultation.answered",
    subject="{{ app.reference }}: the consumer panel has given its feedback",
    body="The consumer panel has given its written feedback on application {{ app.reference }}. "
    "It is attached to the application, beside the public-benefit assessment.",
    url=lambda consultation, context: _involvement_url(consultation.application),
    about=_consultation_about,
)
def _readers(consultation: Consultation, context: Context) -> list[User]:
    application = consultation.application
    panel_ids = application.tracks.filter(
        superseded=False, state=TrackState.OPEN, panel__isnull=False
    ).values_list("panel_id", flat=True)
    seats = PanelMembership.objects.filter(
        panel_id__in=list(panel_ids), left_on__isnull=True, user__is_active=True
    ).select_related("user")
    panels = application.not_on_team(m.user for m in seats)
    return [*team_of(application), *reviewers_of(application), *panels]
