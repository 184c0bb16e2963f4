"""The routing table as the issue sets it out (issue 20), seeded into an empty table by the
migration and after a flush; ops change it from then on (disable a rule rather than delete it:
an emptied table is seeded again)."""

from __future__ import annotations

from workflow.amendments.models import ChangeType as C
from workflow.amendments.models import Reviewer as R
from workflow.amendments.models import RouteWhen as W

# (change type, reviewer, when, target in working days, note)
DEFAULT_RULES: tuple[tuple[str, str, str, int, str], ...] = (
    (C.ADD_MEMBER, R.NONE, W.SAME_ORGANISATION, 0, "No panel: a log entry."),
    (
        C.ADD_MEMBER,
        R.SAFE_PEOPLE,
        W.ALWAYS,
        0,
        "Their access starts once they are accredited and have signed the agreement.",
    ),
    (C.ADD_MEMBER, R.ORGANISATION_SIGNATORY, W.NEW_ORGANISATION, 10, ""),
    (C.REMOVE_MEMBER, R.NONE, W.ALWAYS, 0, "Their access ends that day."),
    (C.ADD_DATASET, R.DATA_OWNER, W.NOT_PRE_APPROVED, 10, ""),
    (C.ADD_DATASET, R.DEA_PANEL, W.DEA_GATEWAY, 19, ""),
    (C.ADD_VARIABLES, R.DATA_OWNER, W.NOT_PRE_APPROVED, 10, ""),
    (C.ADD_VARIABLES, R.DEA_PANEL, W.DEA_GATEWAY, 19, ""),
    (C.REMOVE_DATASET, R.NONE, W.ALWAYS, 0, ""),
    (C.CHANGE_QUESTION, R.IGRP, W.ALWAYS, 19, ""),
    (C.CHANGE_QUESTION, R.DEA_PANEL, W.PROJECT_USES_DEA, 19, ""),
    (C.EXTEND_END_DATE, R.OPS, W.WITHIN_MAXIMUM, 5, ""),
    (C.EXTEND_END_DATE, R.DATA_OWNER, W.BEYOND_MAXIMUM, 10, ""),
    (C.CHANGE_LEAD, R.IGRP, W.ALWAYS, 19, ""),
    (C.CHANGE_LEAD, R.ORGANISATION_SIGNATORY, W.NEW_ORGANISATION, 10, ""),
)


# Rules seeded switched off: ops switch them on to have the project's analyst scope such changes
# (in parallel with the other reviewers), as scoping is optional by kind of change.
SWITCHED_OFF_RULES: tuple[tuple[str, str, str, int, str], ...] = (
    (C.ADD_DATASET, R.ANALYST, W.ALWAYS, 10, "The analyst checks the data can answer it."),
    (C.ADD_VARIABLES, R.ANALYST, W.ALWAYS, 10, "The analyst checks the data can answer it."),
    (C.CHANGE_QUESTION, R.ANALYST, W.ALWAYS, 10, "The analyst checks the data can answer it."),
)


def seed_default_rules(rule_model: type | None = None, using: str = "default") -> int:
    """Fill an empty routing table with the defaults; returns how many rows it wrote."""
    if rule_model is None:
        from workflow.amendments.models import RouteRule

        rule_model = RouteRule
    manager = rule_model.objects.db_manager(using)  # type: ignore[attr-defined]
    if manager.exists():
        return 0
    manager.bulk_create(
        [
            rule_model(change_type=c, reviewer=r, when=w, target_days=days, note=note)
            for c, r, w, days, note in DEFAULT_RULES
        ]
        + [
            rule_model(change_type=c, reviewer=r, when=w, target_days=days, note=note, active=False)
            for c, r, w, days, note in SWITCHED_OFF_RULES
        ]
    )
    return len(DEFAULT_RULES) + len(SWITCHED_OFF_RULES)
