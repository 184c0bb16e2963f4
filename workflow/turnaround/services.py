"""Write logic of turnaround: ops set the stage targets."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from access.models import User
from access.policy import Permission, has_permission
from core.errors import NotAllowed, ValidationFailed
from workflow.models import (
    StageTarget,
)
from workflow.turnaround.targets import DEFAULT_TARGETS, TARGET_FIELDS, target_errors


@transaction.atomic
def stage_target_set(
    *, stage: str, by: User, data: dict[str, Any], create: bool = False
) -> StageTarget:
    """Change the target of one stage, or with ``create`` add one for a stage without (ops).

    Before: ``data`` has any of days, unit, due_soon_days, escalate_after_days. After: the row
    exists with those values, stamped with who set it and when. Tracks already open keep the
    due date they were given; new tracks and every reminder and metric use the new target.
    """
    if not has_permission(by, Permission.TARGETS_MANAGE):
        raise NotAllowed("Only ops can set stage targets.")
    row = StageTarget.objects.select_for_update().filter(stage=stage).first()
    base = (
        {f: getattr(row, f) for f in TARGET_FIELDS}
        if row
        else (
            {
                "days": DEFAULT_TARGETS[stage].days,
                "unit": DEFAULT_TARGETS[stage].unit,
                "due_soon_days": DEFAULT_TARGETS[stage].due_soon_days,
                "escalate_after_days": DEFAULT_TARGETS[stage].escalate_after_days,
            }
            if stage in DEFAULT_TARGETS
            else {"due_soon_days": 3, "escalate_after_days": None}
        )
    )
    merged = {**base, **{k: v for k, v in data.items() if k in TARGET_FIELDS}}
    errors = target_errors(stage, merged, creating=create or row is None)
    for required in ("days", "unit"):
        if merged.get(required) is None:
            errors.setdefault(required, ["This field is required."])
    if errors:
        raise ValidationFailed("The target has invalid fields.", fields=errors)
    row = row or StageTarget(stage=stage)
    for name in TARGET_FIELDS:
        setattr(row, name, merged[name])
    row.updated_at = timezone.now()
    row.updated_by = by
    row.save()
    return row
