"""Who may do what in transparency: add a project's outputs, read past decisions, export an
application as an RO-Crate. The register itself is public."""

from __future__ import annotations

from typing import Any

from access.policy import Permission, has_permission
from core.errors import InvalidTransition, NotAllowed
from workflow.models import Application, State
from workflow.route.policies import can_view, is_member

# Members of a project in these states may add links to its outputs.
OUTPUT_STATES = (State.ACTIVE, State.SUSPENDED, State.CLOSED)


def may_add_output(user: Any, application: Application) -> bool:
    return is_member(user, application)


def can_add_output(user: Any, application: Application) -> bool:
    return may_add_output(user, application) and application.state in OUTPUT_STATES


def check_add_output(user: Any, application: Application) -> None:
    if not may_add_output(user, application):
        raise NotAllowed("Only the project's members may add its outputs.")
    if application.state not in OUTPUT_STATES:
        raise InvalidTransition(
            "Outputs are added once the project has access (active or closed).",
            current_state=application.state,
        )


def can_read_decision_records(user: Any) -> bool:
    return has_permission(user, Permission.DECISION_RECORDS_VIEW)


def check_read_decision_records(user: Any) -> None:
    if not can_read_decision_records(user):
        raise NotAllowed("Decision records are for reviewers, panel members and ops.")


def can_export(user: Any, application: Application) -> bool:
    """Staff who may export any application, of an application they can see."""
    return has_permission(user, Permission.APPLICATION_EXPORT) and can_view(user, application)


def check_export(user: Any, application: Application) -> None:
    if not can_export(user, application):
        raise NotAllowed("Exporting an application is for reviewers and ops.")
