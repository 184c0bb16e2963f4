"""Object rules for what ``access`` owns (accreditation): registered with ``access.policy``.

Separation of duties: an officer never decides their own accreditation, nor one where they are
the supervisor who answers for the researcher.
"""

from __future__ import annotations

from access.policy import Permission, object_rule


@object_rule(Permission.ACCREDITATION_DECIDE)
def may_decide_accreditation(user, accreditation) -> bool:
    return user.pk not in (accreditation.person_id, accreditation.supervisor_id)
