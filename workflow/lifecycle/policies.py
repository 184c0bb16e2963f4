"""Who may see and do what with progress reports and close-outs, and when: one home for each rule
(matrix-tested in tests/api/test_lifecycle.py).

* The project's team writes and submits its progress reports (any member) while the project is
  active or suspended; ops, or the IGRP's members when ops set it so (``LifecycleSettings``),
  accept a report or ask for more, never on their own project (403).
* The principal investigator starts and submits the close-out (ops may start one for a project
  that reached its end date); the lead organisation's signatory countersigns it or sends it back.
* Ops see every report and close-out; a signatory sees the close-outs of their organisation's
  projects; the team sees their own.

``check_`` functions raise 403 (``NotAllowed``) before 409 (``InvalidTransition``); services call
them after locking the row.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from access.models import OrganisationMembership
from access.policy import Permission, has_permission
from access.selectors import organisations_of
from core.errors import InvalidTransition, NotAllowed
from core.transitions import Refusal, transition_policy
from workflow.models import (
    Acceptor,
    Application,
    Closure,
    ClosureState,
    LifecycleSettings,
    PanelMembership,
    ProgressReport,
    ReportState,
    State,
)
from workflow.route.policies import is_member

LIVE = (State.ACTIVE, State.SUSPENDED)


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_ops(user: Any) -> bool:
    return _signed_in(user) and has_permission(user, Permission.ACCESS_MANAGE)


def sees_all(user: Any) -> bool:
    return _signed_in(user) and (
        has_permission(user, Permission.ACCESS_MANAGE)
        or has_permission(user, Permission.VIEW_ALL_APPLICATIONS)
    )


def is_igrp_member(user: Any) -> bool:
    return _signed_in(user) and (
        PanelMembership.objects.filter(
            user=user, panel__track_kind="igrp", panel__is_active=True, left_on__isnull=True
        ).exists()
    )


def is_report_acceptor(user: Any) -> bool:
    """Who accepts reports under the settings in force: ops, or the IGRP's members."""
    if LifecycleSettings.current().accepted_by == Acceptor.IGRP:
        return is_igrp_member(user)
    return is_ops(user)


def is_pi(user: Any, application: Application) -> bool:
    return _signed_in(user) and application.principal_investigator() == user


def is_signatory_for(user: Any, application: Application) -> bool:
    """An authorised signatory of the project's lead organisation."""
    return (
        _signed_in(user)
        and application.lead_organisation_id is not None
        and application.lead_organisation_id
        in organisations_of(user, OrganisationMembership.Capacity.SIGNATORY)
    )


# --- progress reports: seeing ------------------------------------------------------------------


def reports_visible_to(user: Any) -> QuerySet[ProgressReport]:
    queryset: QuerySet[ProgressReport] = ProgressReport.objects.select_related("application")
    if not _signed_in(user):
        return queryset.none()
    if sees_all(user) or is_report_acceptor(user):
        return queryset
    return queryset.filter(application__members__user=user).distinct()


def can_view_report(user: Any, report: ProgressReport) -> bool:
    return (
        is_member(user, report.application) or sees_all(user) or is_report_acceptor(user)
    ) and _signed_in(user)


def visible_report(user: Any, pk: Any) -> ProgressReport:
    found: ProgressReport | None = (
        ProgressReport.objects.select_related("application").filter(pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if found is None or not can_view_report(user, found):
        raise Http404("No such progress report.")
    return found


# --- progress reports: doing --------------------------------------------------------------------


@transition_policy(ProgressReport, "submit", "resubmit")
def may_write_report(user: Any, report: ProgressReport) -> Any:
    """A member of the project's team."""
    if not (_signed_in(user) and is_member(user, report.application)):
        return Refusal("Only the project's team writes its progress report.")
    return True


def check_write_report(user: Any, report: ProgressReport, *states: str) -> None:
    if not may_write_report(user, report):
        raise NotAllowed("Only the project's team writes its progress report.")
    if report.application.state not in LIVE:
        raise InvalidTransition(
            "The project is closed: its reports cannot change.", current_state=report.state
        )
    if report.state not in states:
        raise InvalidTransition(
            f"This cannot be done while the report is {report.get_state_display().lower()}.",
            current_state=report.state,
        )


@transition_policy(ProgressReport, "accept", "request_more")
def may_decide_report(user: Any, report: ProgressReport) -> Any:
    """Ops (or the IGRP's members, by setting), never on the project's team."""
    if not is_report_acceptor(user):
        who = LifecycleSettings.current().get_accepted_by_display()
        return Refusal(f"Progress reports are accepted by {who[0].lower()}{who[1:]}.")
    if is_member(user, report.application):
        return Refusal("You are on this project's team: someone else decides on its report.")
    return True


def check_decide_report(user: Any, report: ProgressReport) -> None:
    verdict = may_decide_report(user, report)
    if not verdict:
        raise NotAllowed(str(getattr(verdict, "reason", "You may not decide on this report.")))
    if report.state != ReportState.SUBMITTED:
        raise InvalidTransition(
            "Only a submitted report can be accepted or sent back for more.",
            current_state=report.state,
        )


def report_actions(user: Any, report: ProgressReport) -> list[str]:
    actions: list[str] = []
    live = report.application.state in LIVE
    if live and may_write_report(user, report):
        if report.state == ReportState.DUE:
            actions.append("submit")
        if report.state == ReportState.MORE_REQUESTED:
            actions.append("resubmit")
    if live and report.state == ReportState.SUBMITTED and may_decide_report(user, report):
        actions += ["accept", "request_more"]
    return actions


# --- closure ------------------------------------------------------------------------------------


def closures_visible_to(user: Any) -> QuerySet[Closure]:
    queryset: QuerySet[Closure] = Closure.objects.select_related(
        "application", "application__lead_organisation"
    )
    if not _signed_in(user):
        return queryset.none()
    if sees_all(user):
        return queryset
    signs_for = organisations_of(user, OrganisationMembership.Capacity.SIGNATORY)
    return queryset.filter(
        Q(application__members__user=user)
        | Q(application__lead_organisation_id__in=signs_for, state__in=_SIGNATORY_SEES)
    ).distinct()


_SIGNATORY_SEES = (ClosureState.SUBMITTED, ClosureState.RETURNED, ClosureState.COUNTERSIGNED)


def can_view_closure(user: Any, closure: Closure) -> bool:
    application = closure.application
    if is_member(user, application) or sees_all(user):
        return _signed_in(user)
    return is_signatory_for(user, application) and closure.state in _SIGNATORY_SEES


def visible_closure(user: Any, pk: Any) -> Closure:
    found: Closure | None = (
        Closure.objects.select_related("application").filter(pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if found is None or not can_view_closure(user, found):
        raise Http404("No such close-out.")
    return found


def check_start_closure(user: Any, application: Application) -> None:
    """The PI closes their project; ops may start the close-out of a project on their behalf."""
    if not (is_pi(user, application) or (is_ops(user) and not is_member(user, application))):
        raise NotAllowed("Only the principal investigator (or ops) starts a project's close-out.")
    if application.state not in LIVE:
        raise InvalidTransition(
            "Only an active or suspended project can be closed.", current_state=application.state
        )
    if hasattr(application, "closure"):
        raise InvalidTransition(
            f"The close-out of {application.reference} is already started "
            f"(close-out {application.closure.pk}).",
            current_state=application.state,
        )


@transition_policy(Closure, "submit", "resubmit")
def may_submit_closure(user: Any, closure: Closure) -> Any:
    """The project's principal investigator."""
    if not is_pi(user, closure.application):
        return Refusal("Only the principal investigator completes the close-out form.")
    return True


def check_edit_closure(user: Any, closure: Closure) -> None:
    if not may_submit_closure(user, closure):
        raise NotAllowed("Only the principal investigator completes the close-out form.")
    if closure.state not in (ClosureState.DRAFT, ClosureState.RETURNED):
        raise InvalidTransition(
            "The close-out form is with the signatory.", current_state=closure.state
        )


@transition_policy(Closure, "countersign", "send_back")
def may_countersign(user: Any, closure: Closure) -> Any:
    """An authorised signatory of the lead organisation, not on the project's team."""
    if not is_signatory_for(user, closure.application):
        return Refusal("Only the lead organisation's signatory countersigns the close-out.")
    if is_member(user, closure.application):
        return Refusal("You are on this project's team: another signatory must countersign.")
    return True


def check_countersign(user: Any, closure: Closure) -> None:
    verdict = may_countersign(user, closure)
    if not verdict:
        raise NotAllowed(str(getattr(verdict, "reason", "You may not countersign this.")))
    if closure.state != ClosureState.SUBMITTED:
        raise InvalidTransition(
            "Only a submitted close-out can be countersigned or sent back.",
            current_state=closure.state,
        )


def closure_actions(user: Any, closure: Closure) -> list[str]:
    actions: list[str] = []
    if closure.state in (ClosureState.DRAFT, ClosureState.RETURNED) and may_submit_closure(
        user, closure
    ):
        actions += ["save", "submit" if closure.state == ClosureState.DRAFT else "resubmit"]
    if closure.state == ClosureState.SUBMITTED and may_countersign(user, closure):
        actions += ["countersign", "send_back"]
    return actions


def check_see_settings(user: Any) -> None:
    if not is_ops(user):
        raise NotAllowed("The progress report settings are for ops.")


def check_change_settings(user: Any) -> None:
    if not is_ops(user):
        raise NotAllowed("Only ops change the progress report settings.")
