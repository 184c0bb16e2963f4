"""Who is told of what happens on the route (``notifications.notices``).

Each notice is declared once, with its words and a function that returns who is told, read
from the application as it stands when the service that raised it ends. Most go to whoever
holds the next step (``workflow.route.selectors.next_actors``) and to the research team. The
actor is never told of what they just did. Messages carry the reference and the step, not the
content: the page behind the link shows the rest to whoever may see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import Role, User
from access.selectors import users_with_role
from notifications.notices import notice
from workflow.models import Application, State
from workflow.reviews.selectors import reviewers_of
from workflow.route.selectors import next_actors

Context = Mapping[str, Any]


def _page(application: Application, context: Context) -> str:
    return f"/applications/{application.pk}/"


def _about(application: Application) -> str:
    return f"application:{application.pk}"


def _analyst(application: Application) -> list[User]:
    return [application.analyst] if application.analyst is not None else []


def _application_notice(kind: str, subject: str, body: str):
    return notice(kind, subject=subject, body=body, url=_page, about=_about)


@_application_notice(
    "application.submitted",
    "{{ app.reference }} was submitted for scoping",
    "Application {{ app.reference }} has been submitted and is now being scoped.",
)
def _submitted(application: Application, context: Context) -> list[User]:
    """The team, and whoever scopes it (the analyst, or ops while none is assigned)."""
    return [*application.team(), *next_actors(application)]


@_application_notice(
    "application.analyst_assigned",
    "{{ app.reference }}: analyst assigned",
    "{% if app.analyst %}{{ app.analyst.full_name }} is the analyst for application "
    "{{ app.reference }}.{% else %}Application {{ app.reference }} needs an analyst: no named "
    "analyst of its datasets is available.{% endif %}",
)
def _analyst_assigned(application: Application, context: Context) -> list[User]:
    """The new analyst and the one replaced; ops when nobody could be assigned."""
    previous = context.get("previous")
    people = [*_analyst(application), *([previous] if previous is not None else [])]
    return people or application.not_on_team(users_with_role(Role.OPS))


@_application_notice(
    "application.changes_requested",
    "{{ app.reference }}: changes requested",
    "Changes have been requested on application {{ app.reference }}. Every point is listed on "
    "the application; answer each one and resubmit.",
)
def _changes_requested(application: Application, context: Context) -> list[User]:
    return application.team()


@_application_notice(
    "application.resubmitted",
    "{{ app.reference }} was resubmitted",
    "Application {{ app.reference }} has been resubmitted and is back in "
    "{{ app.get_state_display|in_sentence }}.",
)
def _resubmitted(application: Application, context: Context) -> list[User]:
    """The team and whoever holds the stage it went back to. Back in review, each reopened
    track tells its own deciders (``track.reopened``), so they are not told twice."""
    if application.state == State.IN_REVIEW:
        return application.team()
    return [*application.team(), *next_actors(application)]


@_application_notice(
    "application.scoping_completed",
    "{{ app.reference }} is ready for internal review",
    "Scoping of application {{ app.reference }} is complete; it is now in internal review.",
)
def _scoping_completed(application: Application, context: Context) -> list[User]:
    return [*application.team(), *next_actors(application)]


@_application_notice(
    "application.referred",
    "{{ app.reference }} is in review",
    "Application {{ app.reference }} has been referred to the panels and the data owners, who "
    "review it at the same time.",
)
def _referred(application: Application, context: Context) -> list[User]:
    """The team. Each panel's members and each owner whose sign-off is needed are told by the
    track that opened for them (``track.opened``), with a link to it."""
    return application.team()


@_application_notice(
    "application.approved",
    "{{ app.reference }}: approved",
    "Application {{ app.reference }} has been approved. The decision and any conditions are on "
    "the application.",
)
def _approved(application: Application, context: Context) -> list[User]:
    return [*application.team(), *_analyst(application), *next_actors(application)]


@_application_notice(
    "application.rejected",
    "{{ app.reference }}: decision",
    "A decision has been made on application {{ app.reference }}: it was not approved. The "
    "reasons are on the application.",
)
def _rejected(application: Application, context: Context) -> list[User]:
    return [*application.team(), *_analyst(application), *reviewers_of(application)]


@_application_notice(
    "application.access_granted",
    "{{ app.reference }}: access granted",
    "Access for application {{ app.reference }} has been granted.",
)
def _access_granted(application: Application, context: Context) -> list[User]:
    return application.team()


@_application_notice(
    "application.suspended",
    "{{ app.reference }}: access suspended",
    "Access for application {{ app.reference }} has been suspended. The reason is on the "
    "application.",
)
def _suspended(application: Application, context: Context) -> list[User]:
    return application.team()


@_application_notice(
    "application.reinstated",
    "{{ app.reference }}: access reinstated",
    "Access for application {{ app.reference }} has been reinstated.",
)
def _reinstated(application: Application, context: Context) -> list[User]:
    return application.team()


@_application_notice(
    "application.closed",
    "{{ app.reference }} is closed",
    "Application {{ app.reference }} has been closed.",
)
def _closed(application: Application, context: Context) -> list[User]:
    return application.team()


@_application_notice(
    "application.withdrawn",
    "{{ app.reference }} was withdrawn",
    "Application {{ app.reference }} has been withdrawn by its team.",
)
def _withdrawn(application: Application, context: Context) -> list[User]:
    """The analyst, and the reviewers once it had been submitted (a draft concerned nobody)."""
    event = context.get("event")
    if event is not None and event.from_state == State.DRAFT:
        return []
    return [*_analyst(application), *reviewers_of(application)]


@_application_notice(
    "application.invitation_accepted",
    "{{ person.full_name }} joined the team of {{ app.reference }}",
    "{{ person.full_name }} accepted the invitation to the team of application "
    "{{ app.reference }} and can now see and edit it.",
)
def _invitation_accepted(application: Application, context: Context) -> list[User]:
    """The team (the new member, who acted, is left out)."""
    return list(application.team())
