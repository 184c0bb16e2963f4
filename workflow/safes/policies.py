"""Who may do what in the Five Safes, and when: the team's safeguards and public-benefit
answers, reviewers' verdicts, panel members' public-benefit scores, conditions (evidence and
verification), and signing the data access agreement.

``can_<action>`` for pages and ``check_<action>`` (403, then 409) for services. Separation of
duties: nobody assesses, scores or verifies conditions on an application they belong to.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from access.models import OrganisationMembership, Role, SignatureCapacity
from access.policy import Permission, has_permission
from access.selectors import organisations_of
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from core.text import in_sentence
from workflow.models import (
    Application,
    Condition,
    ConditionState,
    PublicBenefitScore,
    State,
    TrackState,
)
from workflow.reviews.selectors import current_panel_ids, is_conflicted
from workflow.route.policies import EDITABLE_STATES, check_edit, is_member, visible_application
from workflow.route.selectors import applications_to_sign

# Reviewers give verdicts from internal review until access is granted.
VERDICT_STATES = (State.INTERNAL_REVIEW, State.IN_REVIEW, State.APPROVED)
# Panel members score public benefit while the panels review the application.
SCORING_STATES = (State.IN_REVIEW,)
# Conditions are worked on once they exist and until the project closes.
CONDITION_STATES = (
    State.INTERNAL_REVIEW,
    State.IN_REVIEW,
    State.APPROVED,
    State.ACTIVE,
    State.SUSPENDED,
)
# The agreement is signed once the project is decided on, before access is granted.
SIGNING_STATES = (State.IN_REVIEW, State.APPROVED)


# --- the team's answers -------------------------------------------------------------------------


def can_edit_safeguards(user: Any, application: Application) -> bool:
    """The team's safeguards and public-benefit answers follow the application: editable by
    its members while it is a draft or changes are requested."""
    return (
        has_permission(user, Permission.APPLICATION_EDIT)
        and is_member(user, application)
        and application.state in EDITABLE_STATES
    )


def check_edit_safeguards(user: Any, application: Application, what: str) -> None:
    check_edit(user, application, what)


# --- reviewers' verdicts ------------------------------------------------------------------------


def _reached_internal_review(application: Application) -> bool:
    return application.reached_review


def may_record_verdict(user: Any, application: Application) -> bool:
    return (
        has_permission(user, Permission.FIVE_SAFES_ASSESS)
        and not is_member(user, application)
        and _reached_internal_review(application)
    )


def can_record_verdict(user: Any, application: Application) -> bool:
    return application.state in VERDICT_STATES and may_record_verdict(user, application)


def check_record_verdict(user: Any, application: Application) -> None:
    if not may_record_verdict(user, application):
        raise NotAllowed("Only reviewers not on the team give verdicts on the Five Safes.")
    if application.state not in VERDICT_STATES:
        raise InvalidTransition(
            "Verdicts on the Five Safes are given from internal review until access is granted.",
            current_state=application.state,
        )


# --- panel members' public-benefit scores -------------------------------------------------------


def may_score_public_benefit(user: Any, application: Application) -> bool:
    """A member of a panel with an open track on the application, not conflicted and not on
    its team: the public-benefit assessment informs their vote."""
    panels = (
        current_panel_ids(user) if has_permission(user, Permission.PUBLIC_BENEFIT_SCORE) else set()
    )
    return (
        bool(panels)
        and not is_member(user, application)
        and not is_conflicted(user, application)
        and application.tracks.filter(
            superseded=False, state=TrackState.OPEN, panel_id__in=panels
        ).exists()
    )


def can_score_public_benefit(user: Any, application: Application) -> bool:
    return application.state in SCORING_STATES and may_score_public_benefit(user, application)


def check_score_public_benefit(user: Any, application: Application) -> None:
    if not may_score_public_benefit(user, application):
        raise NotAllowed("Only panel members reviewing the application score its public benefit.")
    if application.state not in SCORING_STATES:
        raise InvalidTransition(
            "Panel members score public benefit while the application is in review.",
            current_state=application.state,
        )


def can_see_panel_scores(user: Any, application: Application) -> bool:
    """Independent scoring: a panel member sees the others' scores once they have given their
    own; everyone else who sees the whole application sees them."""
    if not user.has_role(Role.PANEL_MEMBER):
        return True
    return PublicBenefitScore.objects.filter(
        assessment__application=application, scorer=user
    ).exists()


# --- conditions ---------------------------------------------------------------------------------


def _condition_open(condition: Condition) -> bool:
    return (
        condition.state == ConditionState.OPEN and condition.application.state in CONDITION_STATES
    )


def _check_condition_open(condition: Condition) -> None:
    if condition.state != ConditionState.OPEN:
        raise InvalidTransition(
            f"This condition is {in_sentence(condition.get_state_display())}.",
            current_state=condition.state,
        )
    if condition.application.state not in CONDITION_STATES:
        raise InvalidTransition(
            "Conditions are worked on until the project closes.",
            current_state=condition.application.state,
        )


def may_give_evidence(user: Any, condition: Condition) -> bool:
    return has_permission(user, Permission.CONDITION_EVIDENCE) and is_member(
        user, condition.application
    )


def can_give_evidence(user: Any, condition: Condition) -> bool:
    return may_give_evidence(user, condition) and _condition_open(condition)


def check_give_evidence(user: Any, condition: Condition) -> None:
    if not may_give_evidence(user, condition):
        raise NotAllowed("Only the team gives evidence for its conditions.")
    _check_condition_open(condition)


def may_verify_condition(user: Any, condition: Condition) -> bool:
    """Reviewers and ops, never on the team: they set a condition's terms and verify it."""
    return has_permission(user, Permission.CONDITION_VERIFY) and not is_member(
        user, condition.application
    )


def can_verify_condition(user: Any, condition: Condition) -> bool:
    return may_verify_condition(user, condition) and _condition_open(condition)


def check_verify_condition(user: Any, condition: Condition, *, terms: bool = False) -> None:
    if not may_verify_condition(user, condition):
        if terms:
            raise NotAllowed("Only reviewers and ops off the team set the terms of a condition.")
        raise NotAllowed("Only reviewers and ops off the team verify conditions.")
    _check_condition_open(condition)


# --- the data access agreement ------------------------------------------------------------------


def is_signatory_for(user: Any, application: Application) -> bool:
    """An authorised signatory of the application's lead organisation."""
    return application.lead_organisation_id is not None and (
        application.lead_organisation_id
        in organisations_of(user, OrganisationMembership.Capacity.SIGNATORY)
    )


def may_sign(user: Any, application: Application, capacity: str) -> bool:
    if capacity == SignatureCapacity.MEMBER:
        return is_member(user, application)
    if capacity == SignatureCapacity.ORGANISATION_SIGNATORY:
        return is_signatory_for(user, application)
    return False


def can_sign(user: Any, application: Application, capacity: str) -> bool:
    return application.state in SIGNING_STATES and may_sign(user, application, capacity)


def check_sign(user: Any, application: Application, capacity: str, signer: Any = None) -> None:
    """Only the person themself signs, as a member or as a signatory of the lead organisation,
    while the application is in review or approved."""
    if signer is not None and signer.pk != user.pk:
        raise NotAllowed("You can sign only for yourself: each person accepts the agreement.")
    if capacity not in SignatureCapacity.values:
        raise ValidationFailed(
            "Unknown capacity.", fields={"capacity": ["Sign as member or organisation_signatory."]}
        )
    if not may_sign(user, application, capacity):
        if capacity == SignatureCapacity.MEMBER:
            raise NotAllowed("Only members of the application sign as a member.")
        raise NotAllowed("Only an authorised signatory of the lead organisation signs for it.")
    if application.state not in SIGNING_STATES:
        raise InvalidTransition(
            "The agreement is signed while the application is in review or approved.",
            current_state=application.state,
        )


def signing_application(user: Any, pk: Any) -> Application:
    """Application ``pk`` for its agreement page: whoever may see it, or a signatory of its
    lead organisation, who must reach the agreement without otherwise seeing the application
    (never a draft); 404 for anyone else."""
    try:
        return visible_application(user, pk)
    except Http404:
        application = (
            applications_to_sign(user).filter(pk=pk).first() if str(pk).isdigit() else None
        )
        if application is None:
            raise
        return application
