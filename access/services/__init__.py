"""Write logic of ``access``: accreditation, access grants, the data access agreement."""

from .accreditation import (
    accreditation_accredit,
    accreditation_apply,
    accreditation_expire_due,
    accreditation_refuse,
    accreditation_reinstate,
    accreditation_revoke,
    accreditation_suspend,
    holds,
    missing_requirements,
    supervisor_problem,
)
from .agreements import agreement_current, agreement_publish
from .grants import (
    access_grants_create,
    access_grants_end_due,
    access_grants_end_for_application,
    access_grants_hold_for_application,
    access_grants_release_for_application,
    access_grants_review_person,
)

__all__ = [
    "access_grants_create",
    "access_grants_end_due",
    "access_grants_end_for_application",
    "access_grants_hold_for_application",
    "access_grants_release_for_application",
    "access_grants_review_person",
    "accreditation_accredit",
    "accreditation_apply",
    "accreditation_expire_due",
    "accreditation_refuse",
    "accreditation_reinstate",
    "accreditation_revoke",
    "accreditation_suspend",
    "agreement_current",
    "agreement_publish",
    "holds",
    "missing_requirements",
    "supervisor_problem",
]
