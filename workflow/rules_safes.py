"""Object rules for the Five Safes assessment, public benefit and conditions.

Separation of duties as everywhere else: nobody assesses, scores or verifies conditions on an
application they belong to.
"""

from __future__ import annotations

from access.policy import Permission, object_rule

from .models import Application, Condition
from .rules import is_member, may_view, reached_internal_review


@object_rule(Permission.FIVE_SAFES_ASSESS)
def may_assess(user, application: Application) -> bool:
    return not is_member(user, application) and reached_internal_review(application)


@object_rule(Permission.PUBLIC_BENEFIT_SCORE)
def may_score_public_benefit(user, application: Application) -> bool:
    # Any panel member who can see the application (the panels' own membership can narrow it).
    return not is_member(user, application) and may_view(user, application)


@object_rule(Permission.CONDITION_EVIDENCE)
def may_give_evidence(user, condition: Condition) -> bool:
    return is_member(user, condition.application)


@object_rule(Permission.CONDITION_VERIFY)
def may_verify(user, condition: Condition) -> bool:
    return not is_member(user, condition.application)
