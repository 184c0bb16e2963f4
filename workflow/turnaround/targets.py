"""Stage targets: how long each stage and each kind of track should take, and when people
are reminded; versioned, so that history is judged by the target of its time.

The values are data (``StageTarget`` rows, set by ops at /ops/targets/ or through the API);
``DEFAULT_TARGETS`` is what applies to a stage without a row (and what migration 0003 seeded).
Each row is one **version** of a stage's target, in force from its ``effective_from``: a change
adds a version (from now, or from a later date) and never edits one already in force. A stage
visit or a review track is judged by the version in force when it started (a stage's later
visits, after a request for changes, by the version of its first visit: one clock), and keeps
it: the visit's due date and the track's are fixed when they start.

A target of N working days is due on the Nth working day after the stage started; the stage is
late when it ends, or is still open, after that date (``workflow.turnaround.lateness``).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from workflow.models import (
    DayUnit,
    ReviewTrack,
    StageTarget,
    TargetStage,
)
from workflow.turnaround.calendar import add_days

# Versions that were in force "from the beginning": the defaults, and the rows that existed
# before targets were versioned (migration 0016).
BEGINNING = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)


@dataclass(frozen=True)
class Target:
    stage: str
    days: int
    unit: str
    due_soon_days: int
    escalate_after_days: int | None
    # The version: when it came into force, and its row (None for a default without a row).
    effective_from: datetime.datetime = BEGINNING
    id: int | None = None

    def due(self, start: datetime.date) -> datetime.date:
        return add_days(start, self.days, self.unit)

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "days": self.days,
            "unit": self.unit,
            "effective_from": self.effective_from,
        }

    @classmethod
    def of(cls, row: StageTarget) -> Target:
        return cls(
            row.stage,
            row.days,
            row.unit,
            row.due_soon_days,
            row.escalate_after_days,
            row.effective_from,
            row.pk,
        )


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
        # Safe outputs: ONS aims to answer an output request within 5 working days.
        Target(TargetStage.OUTPUT_CHECK, 5, DayUnit.WORKING, 2, 3),
    )
}


def seed_default_targets(using: str = "default") -> None:
    """Create the default target of every stage that has no version (never changes a row)."""
    have = set(StageTarget.objects.using(using).values_list("stage", flat=True).distinct())
    for t in DEFAULT_TARGETS.values():
        if t.stage not in have:
            StageTarget.objects.using(using).create(
                stage=t.stage,
                days=t.days,
                unit=t.unit,
                due_soon_days=t.due_soon_days,
                escalate_after_days=t.escalate_after_days,
                effective_from=BEGINNING,
            )


class TargetBook:
    """Every version of every target, read in one query: what was in force at any moment."""

    def __init__(self, rows: list[StageTarget] | None = None) -> None:
        if rows is None:
            rows = list(StageTarget.objects.order_by("stage", "effective_from", "id"))
        self.versions: dict[str, list[Target]] = defaultdict(list)
        self.by_id: dict[int, Target] = {}
        for row in rows:
            target = Target.of(row)
            self.versions[row.stage].append(target)
            self.by_id[row.pk] = target
        for versions in self.versions.values():
            versions.sort(key=lambda t: (t.effective_from, t.id or 0))

    def at(self, stage: str, moment: datetime.datetime) -> Target | None:
        """The version of ``stage``'s target in force at ``moment`` (its default without one)."""
        found = None
        for version in self.versions.get(stage, ()):
            if version.effective_from <= moment:
                found = version
        return found or DEFAULT_TARGETS.get(stage)

    def current(self, now: datetime.datetime | None = None) -> dict[str, Target]:
        now = now or timezone.now()
        stages = {*DEFAULT_TARGETS, *self.versions}
        found = {stage: self.at(stage, now) for stage in stages}
        return {stage: target for stage, target in found.items() if target is not None}

    def scheduled(self, now: datetime.datetime | None = None) -> dict[str, list[Target]]:
        """Versions set to come into force after ``now``, per stage."""
        now = now or timezone.now()
        return {
            stage: later
            for stage, versions in self.versions.items()
            if (later := [v for v in versions if v.effective_from > now])
        }


def targets(at: datetime.datetime | None = None) -> dict[str, Target]:
    """Every target in force at ``at`` (default now): the defaults, overridden by what ops set
    (one query)."""
    return TargetBook().current(at)


def target_at(stage: str, moment: datetime.datetime) -> Target | None:
    """The version of one stage's target in force at ``moment`` (one small query)."""
    row = (
        StageTarget.objects.filter(stage=stage, effective_from__lte=moment)
        .order_by("-effective_from", "-id")
        .first()
    )
    return Target.of(row) if row is not None else DEFAULT_TARGETS.get(stage)


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


def track_target(kind: str, panel=None, at: datetime.datetime | None = None) -> Target:
    """The version of the target a track opening at ``at`` (default now) is judged by."""
    return target_for_track(kind, targets(at), panel=panel)


def track_due_date(kind: str, opened_on: datetime.date, panel=None) -> datetime.date:
    """The due date a track is given when it opens (from its target in force then)."""
    return track_target(kind, panel=panel).due(opened_on)


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
    effective = data.get("effective_from")
    if effective is not None and effective < timezone.localdate():
        errors["effective_from"] = ["A target cannot change the past: give today or a later date."]
    return errors


TARGET_FIELDS = ("days", "unit", "due_soon_days", "escalate_after_days")
