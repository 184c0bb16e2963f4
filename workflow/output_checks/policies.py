"""Who may see and do what with output requests, and when: one home for each rule
(matrix-tested in tests/api/test_output_checks.py).

* The project's team makes requests, adds files, answers comments and resubmits, while the
  project is active; they download only released files (404 for anything else).
* Output checkers (the ``output_checker`` role, assigned by ops) check every submitted request
  **except their own project's** (403). Each round has exactly two blind reviews: a checker sees
  the other's verdicts only after submitting their own (403 before); once both are in, either of
  them, or a third checker settling a disagreement, records the consolidated decision.
* Ops see every request and the figures, and decide nothing here.

``check_`` functions raise 403 (``NotAllowed``) before 409 (``InvalidTransition``); services call
them after locking the row.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from access.policy import Permission, has_permission
from core.errors import InvalidTransition, NotAllowed
from core.transitions import transition_policy
from workflow.models import (
    Application,
    CheckerReview,
    OutputFile,
    OutputRequest,
    OutputRequestState,
    OutputRound,
    State,
)
from workflow.route.policies import is_member

S = OutputRequestState
REVIEWS_PER_ROUND = 2


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_team(user: Any, output_request: OutputRequest) -> bool:
    return _signed_in(user) and is_member(user, output_request.application)


def is_checker(user: Any) -> bool:
    return _signed_in(user) and has_permission(user, Permission.OUTPUT_CHECK)


def is_eligible_checker(user: Any, output_request: OutputRequest) -> bool:
    """An output checker who is not on the project's team (nobody checks their own outputs)."""
    return is_checker(user) and not is_member(user, output_request.application)


def sees_all(user: Any) -> bool:
    return _signed_in(user) and has_permission(user, Permission.OUTPUT_VIEW_ALL)


# --- seeing ---------------------------------------------------------------------------------


def requests_visible_to(user: Any) -> QuerySet[OutputRequest]:
    """Every request ``user`` may see: their projects', every submitted one for a checker, all
    for ops."""
    queryset: QuerySet[OutputRequest] = OutputRequest.objects.select_related("application")
    if not _signed_in(user):
        return queryset.none()
    if sees_all(user):
        return queryset
    own = Q(application__members__user=user)
    if is_checker(user):
        queryset = queryset.filter(own | ~Q(state=S.DRAFT))
    else:
        queryset = queryset.filter(own)
    return queryset.distinct()


def can_view(user: Any, output_request: OutputRequest) -> bool:
    if is_team(user, output_request) or sees_all(user):
        return True
    return is_checker(user) and output_request.state != S.DRAFT


def visible_request(user: Any, pk: Any) -> OutputRequest:
    """Request ``pk`` if ``user`` may see it; 404 otherwise."""
    found: OutputRequest | None = (
        OutputRequest.objects.select_related("application").filter(pk=pk).first()
        if str(pk).isdigit()
        else None
    )
    if found is None or not can_view(user, found):
        raise Http404("No such output request.")
    return found


def can_see_verdicts(user: Any, output_round: OutputRound) -> bool:
    """Individual checkers' verdicts: to ops; to a checker once they have submitted their own in
    that round; to a third (eligible) checker once both are in. Never to the team, who see the
    consolidated decision."""
    if sees_all(user):
        return True
    output_request = output_round.request
    if not is_eligible_checker(user, output_request):
        return False
    reviews = list(output_round.reviews.all())
    return any(r.checker_id == user.pk for r in reviews) or len(reviews) >= REVIEWS_PER_ROUND


def check_see_verdicts(user: Any, output_round: OutputRound) -> None:
    if not can_see_verdicts(user, output_round):
        raise NotAllowed(
            "The checkers' verdicts are blind: you see them once you have submitted your own."
        )


def can_download(user: Any, output_file: OutputFile) -> bool:
    """The team downloads released files only; checkers (not on the team) and ops any file of a
    submitted request, to check it."""
    output_request = output_file.request
    if is_eligible_checker(user, output_request) and output_request.state != S.DRAFT:
        return True
    if sees_all(user):
        return True
    return is_team(user, output_request) and output_file.released_at is not None


# --- the team -------------------------------------------------------------------------------


def check_create(user: Any, application: Application) -> None:
    if not (_signed_in(user) and is_member(user, application)):
        raise NotAllowed("Only the project's team may ask for outputs to be released.")
    if application.state != State.ACTIVE:
        raise InvalidTransition(
            "Outputs can be requested only while the project is active.",
            current_state=application.state,
        )


@transition_policy(OutputRequest, "submit", "resubmit")
def can_change(user: Any, output_request: OutputRequest) -> bool:
    """A member of the project's team."""
    return is_team(user, output_request)


def check_change(user: Any, output_request: OutputRequest, *states: str) -> None:
    """The team may change the request in ``states`` while the project is active."""
    if not can_change(user, output_request):
        raise NotAllowed("Only the project's team may change this request.")
    if output_request.application.state != State.ACTIVE:
        raise InvalidTransition(
            "The project is not active: its outputs cannot be changed.",
            current_state=output_request.state,
        )
    if output_request.state not in states:
        raise InvalidTransition(
            f"This cannot be done while the request is {output_request.get_state_display()}.",
            current_state=output_request.state,
        )


# --- the checkers ---------------------------------------------------------------------------


def check_review(
    user: Any, output_request: OutputRequest, output_round: OutputRound | None
) -> None:
    if not is_checker(user):
        raise NotAllowed("Only output checkers check outputs.")
    if is_member(user, output_request.application):
        raise NotAllowed("You may not check the outputs of a project you are on.")
    if output_request.state != S.SUBMITTED or output_round is None:
        raise InvalidTransition(
            "This request is not waiting for a checker's review.",
            current_state=output_request.state,
        )
    reviews = list(CheckerReview.objects.filter(round=output_round))
    if any(r.checker_id == user.pk for r in reviews):
        raise InvalidTransition(
            "You have already submitted your review of this round.",
            current_state=output_request.state,
        )
    if len(reviews) >= REVIEWS_PER_ROUND:
        raise InvalidTransition(
            "Two checkers have already reviewed this round.", current_state=output_request.state
        )


@transition_policy(OutputRequest, "release", "reject", "request_changes")
def can_consolidate(user: Any, output_request: OutputRequest) -> bool:
    """An output checker not on the project's team (one of the round's two, or a third)."""
    return is_eligible_checker(user, output_request)


def check_consolidate(user: Any, output_request: OutputRequest) -> None:
    if not is_checker(user):
        raise NotAllowed("Only output checkers decide on outputs.")
    if not can_consolidate(user, output_request):
        raise NotAllowed("You may not check the outputs of a project you are on.")
    if output_request.state != S.CONSOLIDATING:
        raise InvalidTransition(
            "The consolidated decision is recorded once both checkers have reviewed.",
            current_state=output_request.state,
        )


def actions_for(user: Any, output_request: OutputRequest) -> list[str]:
    """What ``user`` may do on the request now (for pages and the API)."""
    actions = []
    state = output_request.state
    active = output_request.application.state == State.ACTIVE
    if is_team(user, output_request) and active:
        if state == S.DRAFT:
            actions += ["add_file", "attach_acro", "submit"]
        if state == S.CHANGES_REQUESTED:
            actions += ["replace_file", "attach_acro", "resubmit"]
    if is_eligible_checker(user, output_request):
        current = output_request.rounds.filter(number=output_request.round).first()
        if state == S.SUBMITTED and current is not None:
            reviewers = set(current.reviews.values_list("checker_id", flat=True))
            if user.pk not in reviewers and len(reviewers) < REVIEWS_PER_ROUND:
                actions.append("review")
        if state == S.CONSOLIDATING:
            actions.append("consolidate")
    return actions


def check_see_figures(user: Any) -> None:
    if not sees_all(user):
        raise NotAllowed("The output-checking figures are for ops.")
