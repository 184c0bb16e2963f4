"""Who may do what with a panel's sittings, and when.

* The panel's chair and ops (the panel's secretariat) plan a sitting, edit its agenda, publish
  it, issue the papers, take the attendance, close the sitting and publish the minutes.
* The panel's current members and ops see the sitting and read its papers.
* Each item is decided by the panel's chair, not on the team and not conflicted on the
  application (``workflow.reviews.policies.may_close``, the rule of a rolling panel).
* Ops switch a panel between rolling review and sittings.

``can_<action>`` for pages, ``check_<action>`` (403, then 409) for services.
"""

from __future__ import annotations

from typing import Any

from access.policy import Permission, has_permission
from core.errors import InvalidTransition, NotAllowed
from core.transitions import Refusal, Verdict, transition_policy
from workflow.models import AgendaItem, AgendaItemState, Panel, PanelMode, Sitting, SittingState
from workflow.reviews.policies import is_open, may_close
from workflow.reviews.selectors import chaired_panel_ids, current_panel_ids, is_conflicted
from workflow.route.policies import is_member
from workflow.sittings.selectors import UPCOMING

# --- seeing ---------------------------------------------------------------------------------


def _active(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def may_see_sitting(user: Any, sitting: Sitting) -> bool:
    """The panel's current members, ops and staff who see every application."""
    if not _active(user):
        return False
    return (
        has_permission(user, Permission.PANEL_MANAGE)
        or has_permission(user, Permission.VIEW_ALL_APPLICATIONS)
        or sitting.panel_id in current_panel_ids(user)
    )


def may_read_papers(user: Any, sitting: Sitting) -> bool:
    """The panel's current members and ops, once the papers are issued."""
    return (
        _active(user)
        and (
            has_permission(user, Permission.PANEL_MANAGE)
            or sitting.panel_id in current_panel_ids(user)
        )
        and sitting.state != SittingState.PLANNED
        and sitting.state != SittingState.AGENDA_PUBLISHED
    )


def may_read_item_papers(user: Any, item: AgendaItem) -> bool:
    """An item's papers: as ``may_read_papers``, but not for a member conflicted on the
    application or on its team (they take no part in that item)."""
    application = item.track.application
    return (
        may_read_papers(user, item.sitting)
        and not is_conflicted(user, application.pk)
        and not is_member(user, application)
    )


# --- running the sitting ------------------------------------------------------------------------


def may_run_panel(user: Any, panel: Panel | int) -> Verdict:
    """The panel's chair, or ops (the panel's secretariat)."""
    panel_id = panel if isinstance(panel, int) else panel.pk
    if not _active(user):
        return False
    if has_permission(user, Permission.PANEL_MANAGE):
        return True
    if has_permission(user, Permission.PANEL_TRACK_DECIDE) and panel_id in chaired_panel_ids(user):
        return True
    return Refusal("Only the panel's chair or ops run its sittings.")


@transition_policy(Sitting, "publish_agenda", "issue_papers", "close", "publish_minutes")
def may_run_sitting(user: Any, sitting: Sitting) -> Verdict:
    """The panel's chair, or ops (the panel's secretariat)."""
    return may_run_panel(user, sitting.panel_id)


def check_plan(user: Any, panel: Panel) -> None:
    verdict = may_run_panel(user, panel)
    if not verdict:
        raise NotAllowed(
            verdict.reason if isinstance(verdict, Refusal) else "You may not plan sittings."
        )
    if panel.mode != PanelMode.SITTING:
        raise InvalidTransition(
            f"The {panel.name} reviews on a rolling basis: switch it to sittings first.",
            current_state=panel.mode,
        )


def check_run(user: Any, sitting: Sitting) -> None:
    verdict = may_run_sitting(user, sitting)
    if not verdict:
        raise NotAllowed(
            verdict.reason if isinstance(verdict, Refusal) else "You may not run this sitting."
        )


def can_edit_agenda(user: Any, sitting: Sitting) -> bool:
    return bool(may_run_sitting(user, sitting)) and sitting.state in UPCOMING


def check_edit_agenda(user: Any, sitting: Sitting) -> None:
    check_run(user, sitting)
    if sitting.state not in UPCOMING:
        raise InvalidTransition(
            f"The sitting is {sitting.get_state_display().lower()}: its agenda is final.",
            current_state=sitting.state,
        )


def check_at_sitting(sitting: Sitting, today: Any) -> None:
    """Attendance is taken and items decided at the sitting: papers issued, on or after its day."""
    if sitting.state != SittingState.PAPERS_ISSUED:
        raise InvalidTransition(
            f"The sitting is {sitting.get_state_display().lower()}: items are decided once the "
            "papers are issued and before the sitting is closed.",
            current_state=sitting.state,
        )
    if today < sitting.date:
        raise InvalidTransition(
            f"The sitting is on {sitting.date:%-d %B %Y}: attendance and decisions are recorded "
            "at the sitting.",
            current_state=sitting.state,
        )


def may_decide_item(user: Any, item: AgendaItem) -> bool:
    """The panel's chair, not on the team, not conflicted (as on a rolling panel)."""
    return may_close(user, item.track)


def can_decide_item(user: Any, item: AgendaItem, today: Any) -> bool:
    return (
        may_decide_item(user, item)
        and item.state == AgendaItemState.LISTED
        and is_open(item.track)
        and item.sitting.state == SittingState.PAPERS_ISSUED
        and today >= item.sitting.date
    )


def check_decide_item(user: Any, item: AgendaItem, today: Any) -> None:
    if not may_decide_item(user, item):
        raise NotAllowed("Only the chair of this panel, without a conflict, records its decisions.")
    check_at_sitting(item.sitting, today)
    if item.state != AgendaItemState.LISTED:
        raise InvalidTransition(
            f"This item is {item.get_state_display().lower()}.", current_state=item.state
        )


# --- the panel's mode -----------------------------------------------------------------------------


def can_set_mode(user: Any) -> bool:
    return _active(user) and has_permission(user, Permission.PANEL_MANAGE)


def check_set_mode(user: Any) -> None:
    if not can_set_mode(user):
        raise NotAllowed("Only ops change how a panel decides.")
