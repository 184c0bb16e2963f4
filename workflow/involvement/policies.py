"""Who may do what about public involvement, and when.

- The team, or a reviewer, flags the project as likely to be of high public interest (or not);
  a reviewer can require public involvement.
- The team records the involvement done or planned, and requests a consultation of the TRE's
  consumer panel (one waiting at a time).
- A member of the consumer panel, not on the team, gives the panel's written feedback.
- Whoever sees the whole application sees its involvement (the panels among them); a consumer
  panel member sees the consultations of their panel.

Nothing changes once the application has ended (withdrawn, rejected, closed); involvement
continues after approval ("from design to output stage").
"""

from __future__ import annotations

from typing import Any

from access.policy import Permission, has_permission
from core.errors import InvalidTransition, NotAllowed
from workflow.involvement.selectors import consumer_panel, consumer_panel_ids, open_consultation
from workflow.models import Application, Consultation, State
from workflow.route.policies import can_view_whole, is_member

ENDED = (State.WITHDRAWN, State.REJECTED, State.CLOSED)


def _check_not_ended(application: Application) -> None:
    if application.state in ENDED:
        raise InvalidTransition(
            f"The application is {application.get_state_display().lower()}: its public "
            "involvement can no longer change.",
            current_state=application.state,
        )


def is_reviewer(user: Any, application: Application) -> bool:
    return has_permission(user, Permission.INTERNAL_REVIEW_DECIDE) and not is_member(
        user, application
    )


def is_team(user: Any, application: Application) -> bool:
    return has_permission(user, Permission.APPLICATION_EDIT) and is_member(user, application)


# --- seeing ------------------------------------------------------------------------------------


def can_see_involvement(user: Any, application: Application) -> bool:
    """Whoever sees the whole application (the team, staff, the members of its panels)."""
    return can_view_whole(user, application)


def can_see_consultation(user: Any, consultation: Consultation) -> bool:
    return consultation.panel_id in consumer_panel_ids(user) or can_see_involvement(
        user, consultation.application
    )


# --- flagging ----------------------------------------------------------------------------------


def may_flag(user: Any, application: Application) -> bool:
    """The team or a reviewer (any state)."""
    return is_team(user, application) or is_reviewer(user, application)


def can_flag(user: Any, application: Application) -> bool:
    return may_flag(user, application) and application.state not in ENDED


def check_flag(user: Any, application: Application) -> None:
    if not may_flag(user, application):
        raise NotAllowed("Only the team or a reviewer flags the project's public interest.")
    _check_not_ended(application)


def may_require(user: Any, application: Application) -> bool:
    """A reviewer, not on the team (any state)."""
    return is_reviewer(user, application)


def can_require(user: Any, application: Application) -> bool:
    return may_require(user, application) and application.state not in ENDED


def check_require(user: Any, application: Application) -> None:
    if not may_require(user, application):
        raise NotAllowed("Only a reviewer can require public involvement.")
    _check_not_ended(application)


# --- the team's record and requests ------------------------------------------------------------


def may_record(user: Any, application: Application) -> bool:
    """A member of the team (any state)."""
    return is_team(user, application)


def can_record(user: Any, application: Application) -> bool:
    return may_record(user, application) and application.state not in ENDED


def check_record(user: Any, application: Application) -> None:
    if not may_record(user, application):
        raise NotAllowed("Only the team records its public involvement.")
    _check_not_ended(application)


def can_request_consultation(user: Any, application: Application) -> bool:
    return (
        can_record(user, application)
        and consumer_panel() is not None
        and open_consultation(application) is None
    )


def check_request_consultation(user: Any, application: Application) -> None:
    if not may_record(user, application):
        raise NotAllowed("Only the team asks the consumer panel for a consultation.")
    _check_not_ended(application)
    if open_consultation(application) is not None:
        raise InvalidTransition(
            "A consultation is already waiting for the consumer panel's feedback.",
            current_state=application.state,
        )


# --- the consumer panel ------------------------------------------------------------------------


def may_answer(user: Any, consultation: Consultation) -> bool:
    """A member of the consulted consumer panel now, not on the team (any state)."""
    return (
        has_permission(user, Permission.PANEL_VOTE)
        and consultation.panel_id in consumer_panel_ids(user)
        and not is_member(user, consultation.application)
    )


def can_answer(user: Any, consultation: Consultation) -> bool:
    return (
        may_answer(user, consultation)
        and not consultation.is_answered
        and consultation.application.state not in ENDED
    )


def check_answer(user: Any, consultation: Consultation) -> None:
    if not may_answer(user, consultation):
        raise NotAllowed("Only members of the consumer panel, not on the team, give its feedback.")
    if consultation.is_answered:
        raise InvalidTransition(
            "The consumer panel has already given its feedback on this consultation.",
            current_state="answered",
        )
    _check_not_ended(consultation.application)
