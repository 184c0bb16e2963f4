"""Stage targets: how long each stage and each kind of track should take, and when people
are reminded.

The values are data (``StageTarget`` rows, set by ops at /ops/targets/ or through the API);
``DEFAULT_TARGETS`` is what applies to a stage without a row (and what migration 0003 seeded).
A target of N working days is due on the Nth working day after the stage started; it is
breached when the stage ends after that date.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from workflow.models import (
    DayUnit,
    ReviewTrack,
    StageTarget,
    TargetStage,
)
from workflow.turnaround.calendar import add_days


@dataclass(frozen=True)
class Target:
    stage: str
    days: int
    unit: str
    due_soon_days: int
    escalate_after_days: int | None

    def due(self, start: datetime.date) -> datetime.date:
        return add_days(start, self.days, self.unit)

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage, "days": self.days, "unit": self.unit}


# The defaults (seeded by migration 0003 and used for any stage without a row): SAIL's panel
# answers in 19 days on average; scoping 20 working days, internal review 5, an owner's
# sign-off 10, granting access 5; the applicant is reminded after 20 working days.
DEFAULT_TARGETS: dict[str, Target] = {
    t.stage: t
    for t in (
        Target(TargetStage.SCOPING, 20, DayUnit.WORKING, 5, 10),
        Target(TargetStage.INTERNAL_REVIEW, 5, DayUnit.WORKING, 2, 3),
        Target(TargetStage.IGRP, 19, DayUnit.CALENDAR, 5, 7),
        Target(TargetStage.DEA_PANEL, 19, DayUnit.CALENDAR, 5, 7),
        Target(TargetStage.OWNER_SIGNOFF, 10, DayUnit.WORKING, 3, 5),
        Target(TargetStage.GRANT_ACCESS, 5, DayUnit.WORKING, 2, 3),
        Target(TargetStage.CHANGES_REQUESTED, 20, DayUnit.WORKING, 5, None),
    )
}


def seed_default_targets(using: str = "default") -> None:
    """Create the default target of every stage that has no row (never changes a row)."""
    for t in DEFAULT_TARGETS.values():
        StageTarget.objects.using(using).get_or_create(
            stage=t.stage,
            defaults={
                "days": t.days,
                "unit": t.unit,
                "due_soon_days": t.due_soon_days,
                "escalate_after_days": t.escalate_after_days,
            },
        )


def targets() -> dict[str, Target]:
    """Every target in force: the defaults, overridden by what ops set (one query)."""
    current = dict(DEFAULT_TARGETS)
    for row in StageTarget.objects.all():
        current[row.stage] = Target(
            row.stage, row.days, row.unit, row.due_soon_days, row.escalate_after_days
        )
    return current


def track_target_keys(track: ReviewTrack | str, panel=None) -> list[str]:
    """The target keys that may apply to a track, most specific first: its panel's own target
    (``panel:<slug>``, set by ops per panel), then its kind's."""
    kind = track if isinstance(track, str) else track.kind
    if panel is None and not isinstance(track, str):
        panel = track.panel
    keys = [kind]
    if panel is not None:
        keys.insert(0, f"{TARGET_KEY_PREFIX}{panel.slug}")
    return keys


def target_for_track(
    track: ReviewTrack | str, current: dict[str, Target] | None = None, panel=None
) -> Target:
    current = current if current is not None else targets()
    for key in track_target_keys(track, panel=panel):
        if key in current:
            return current[key]
    raise KeyError(f"No target for track {track}")


def track_due_date(kind: str, opened_on: datetime.date, panel=None) -> datetime.date:
    """The due date a track is given when it opens (from its target in force then)."""
    return target_for_track(kind, panel=panel).due(opened_on)


TARGET_KEY_PREFIX = "panel:"


def target_errors(stage: str, data: dict[str, Any], *, creating: bool) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if creating:
        slug = stage.removeprefix(TARGET_KEY_PREFIX)
        if stage not in TargetStage.values and not (
            stage.startswith(TARGET_KEY_PREFIX) and slug and slug.replace("-", "").isalnum()
        ):
            errors["stage"] = [
                "Use one of " + ", ".join(TargetStage.values) + ", or panel:<slug> for one panel."
            ]
        elif StageTarget.objects.filter(stage=stage).exists():
            errors["stage"] = ["This stage already has a target: change it instead."]
    days = data.get("days")
    if days is not None and not 1 <= days <= 730:
        errors["days"] = ["Give between 1 and 730 days."]
    if "unit" in data and data["unit"] not in DayUnit.values:
        errors["unit"] = ["Choose working or calendar days."]
    soon = data.get("due_soon_days")
    if soon is not None and days is not None and soon >= days:
        errors["due_soon_days"] = ["The 'due soon' reminder must come before the due date."]
    margin = data.get("escalate_after_days")
    if margin is not None and not 0 <= margin <= 365:
        errors["escalate_after_days"] = ["Give between 0 and 365 days, or leave it empty."]
    return errors


TARGET_FIELDS = ("days", "unit", "due_soon_days", "escalate_after_days")
