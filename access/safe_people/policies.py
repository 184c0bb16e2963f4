"""Who may do what with safe people: accreditation, the agreement text, access grants.

Separation of duties: an officer never decides their own accreditation, nor one where they are
the supervisor who answers for the researcher.
"""

from __future__ import annotations

from django_fsm import can_proceed

from access.models import Accreditation, User
from access.policy import Permission, has_permission
from core.errors import NotAllowed
from core.transitions import check_state, transition_policy


def can_apply_for_accreditation(user: User) -> bool:
    return has_permission(user, Permission.ACCREDITATION_APPLY)


def check_apply_for_accreditation(user: User) -> None:
    if not can_apply_for_accreditation(user):
        raise NotAllowed("Only researchers apply for accreditation, and only for themselves.")


@transition_policy(Accreditation, "accredit", "refuse", "suspend", "reinstate", "revoke")
def may_decide_accreditation(user: User, accreditation: Accreditation) -> bool:
    """An accreditation officer who is neither the person nor their supervisor (any state)."""
    return has_permission(user, Permission.ACCREDITATION_DECIDE) and user.pk not in (
        accreditation.person_id,
        accreditation.supervisor_id,
    )


def can_decide_accreditation(user: User, accreditation: Accreditation, name: str) -> bool:
    """May ``user`` take decision ``name`` on ``accreditation`` now?"""
    return may_decide_accreditation(user, accreditation) and can_proceed(
        getattr(accreditation, name), check_conditions=False
    )


def check_decide_accreditation(user: User, accreditation: Accreditation, name: str) -> None:
    """403 unless ``user`` may decide this award; then 409 unless the state allows ``name``."""
    if not has_permission(user, Permission.ACCREDITATION_DECIDE):
        raise NotAllowed("Only accreditation officers decide accreditation.")
    if not may_decide_accreditation(user, accreditation):
        raise NotAllowed(
            "You cannot decide your own accreditation, nor one you supervise: another "
            "accreditation officer must."
        )
    check_state(accreditation, name, what="accreditation")


def can_see_every_accreditation(user: User) -> bool:
    return has_permission(user, Permission.ACCREDITATION_VIEW_ALL)


def can_see_every_grant(user: User) -> bool:
    return has_permission(user, Permission.ACCESS_GRANTS_VIEW_ALL)


def can_publish_agreement(user: User) -> bool:
    return has_permission(user, Permission.AGREEMENT_PUBLISH)


def check_publish_agreement(user: User) -> None:
    if not can_publish_agreement(user):
        raise NotAllowed("Only ops publish the data access agreement.")
