"""Object rules for the Five Safes assessment, public benefit and conditions.

Separation of duties as everywhere else: nobody assesses, scores or verifies conditions on an
application they belong to.
"""

from __future__ import annotations

from access.policy import Permission, object_rule

from .models import Application, Condition
from .rules import (
    is_conflicted,
    is_member,
    reached_internal_review,
    sits_on_an_open_track,
)


@object_rule(Permission.FIVE_SAFES_ASSESS)
def may_assess(user, application: Application) -> bool:
    return not is_member(user, application) and reached_internal_review(application)


@object_rule(Permission.PUBLIC_BENEFIT_SCORE)
def may_score_public_benefit(user, application: Application) -> bool:
    # Members of a panel with an open track on the application, not conflicted and not on its
    # team: the public-benefit assessment informs their vote.
    return (
        not is_member(user, application)
        and not is_conflicted(user, application)
        and sits_on_an_open_track(user, application)
    )


@object_rule(Permission.CONDITION_EVIDENCE)
def may_give_evidence(user, condition: Condition) -> bool:
    return is_member(user, condition.application)


@object_rule(Permission.CONDITION_VERIFY)
def may_verify(user, condition: Condition) -> bool:
    return not is_member(user, condition.application)
