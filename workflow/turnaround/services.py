"""Write logic of turnaround: ops set the stage targets, as versions; the forecast's measured
accuracy is recorded."""

from __future__ import annotations

import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from access.models import User
from access.policy import Permission, has_permission
from core.errors import NotAllowed, ValidationFailed
from workflow.models import (
    ForecastReplay,
    StageTarget,
)
from workflow.turnaround.targets import (
    DEFAULT_TARGETS,
    TARGET_FIELDS,
    TargetBook,
    target_errors,
)


def _start_of(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_current_timezone())


@transaction.atomic
def stage_target_set(
    *, stage: str, by: User, data: dict[str, Any], create: bool = False
) -> StageTarget:
    """Set a new version of one stage's target, or with ``create`` the first target of a stage
    without one (ops).

    Before: ``data`` has any of days, unit, due_soon_days, escalate_after_days, and may have
    ``effective_from``: a date, today (the default: in force from now) or later (in force from
    the start of that day). After: a version with those values (the rest from the version in
    force then) is in force from that moment, stamped with who set it and when. A version in
    force is never changed: stage visits and tracks that started before keep the version (and
    the due date) they started under; a version not yet in force at that moment is replaced.
    """
    if not has_permission(by, Permission.TARGETS_MANAGE):
        raise NotAllowed("Only ops can set stage targets.")
    now = timezone.now()
    effective = data.get("effective_from")
    moment = _start_of(effective) if effective and effective > timezone.localdate(now) else now
    rows = list(StageTarget.objects.select_for_update().filter(stage=stage))
    base_target = TargetBook(rows).at(stage, moment) if rows else DEFAULT_TARGETS.get(stage)
    base = (
        {f: getattr(base_target, f) for f in TARGET_FIELDS}
        if base_target
        else {"due_soon_days": 3, "escalate_after_days": None}
    )
    merged = {**base, **{k: v for k, v in data.items() if k in TARGET_FIELDS}}
    errors = target_errors(
        stage, {**merged, "effective_from": effective}, creating=create or not rows
    )
    for required in ("days", "unit"):
        if merged.get(required) is None:
            errors.setdefault(required, ["This field is required."])
    if errors:
        raise ValidationFailed("The target has invalid fields.", fields=errors)
    row = next((r for r in rows if r.effective_from == moment), None) or StageTarget(
        stage=stage, effective_from=moment
    )
    for name in TARGET_FIELDS:
        setattr(row, name, merged[name])
    row.updated_at = now
    row.updated_by = by
    row.save()
    return row


@transaction.atomic
def forecast_replay_record(*, report: dict[str, Any]) -> ForecastReplay:
    """Keep a replay's report (``workflow.turnaround.accuracy.replay``), the latest of which
    the Turnaround page shows. The system's: run by ``manage.py forecast_accuracy``."""
    return ForecastReplay.objects.create(report=report)
