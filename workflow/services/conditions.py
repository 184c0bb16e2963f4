"""Conditions: obligations from decisions, met by the team and verified by staff.

Lock order: the application first, then the condition (as for tracks), so a condition verified
while ops grant access is either verified before the gate reads it or after access was granted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from access.exceptions import ConcurrentChange, InvalidTransition, NotAllowed, ValidationFailed
from access.models import User
from access.policy import Permission, has_permission
from workflow.models import (
    ActorRole,
    Application,
    Condition,
    ConditionOrigin,
    ConditionState,
    ConditionTiming,
    EventKind,
    ReviewTrack,
    State,
)

from .core import lock_application, record_event

# Conditions can be worked on once they exist and until the project closes.
WORKING_STATES = (
    State.INTERNAL_REVIEW,
    State.IN_REVIEW,
    State.APPROVED,
    State.ACTIVE,
    State.SUSPENDED,
)


def condition_terms_errors(application: Application, terms: dict[str, Any]) -> dict[str, list[str]]:
    """Problems with a condition's terms: timing, due date, who must meet it."""
    errors: dict[str, list[str]] = {}
    timing = terms.get("timing")
    if timing and timing not in ConditionTiming.values:
        errors["timing"] = [f"Choose one of {', '.join(ConditionTiming.values)}."]
    due = terms.get("due_date")
    if due and due < timezone.localdate():
        errors["due_date"] = ["The due date cannot be in the past."]
    responsible = terms.get("responsible")
    if responsible is not None and not application.members.filter(user=responsible).exists():
        errors["responsible"] = [f"{responsible} is not on the team of this application."]
    return errors


def conditions_from_tracks(
    application: Application, *, tracks: Sequence[ReviewTrack], by: User
) -> list[Condition]:
    """Every condition the tracks set, once (two tracks setting the same text make one
    obligation, credited to the first), due before access and met by the principal
    investigator unless a reviewer changes its terms."""
    from .safes import _principal_investigator

    pi = _principal_investigator(application)
    seen: dict[str, ReviewTrack] = {}
    for track in sorted(tracks, key=lambda t: t.pk):
        for text in track.conditions:
            seen.setdefault(text, track)
    created = [
        Condition.objects.create(
            application=application,
            text=text,
            origin=ConditionOrigin.TRACK,
            track=track,
            responsible=pi,
            timing=ConditionTiming.BEFORE_ACCESS,
        )
        for text, track in seen.items()
    ]
    if created:
        record_event(
            application=application,
            kind=EventKind.CONDITIONS_SET,
            by=by,
            role=ActorRole.SYSTEM,
            payload={"conditions": [c.pk for c in created]},
        )
    return created


def _lock(condition: Condition) -> tuple[Application, Condition]:
    application = lock_application(condition.application_id)
    condition = Condition.objects.select_for_update().get(pk=condition.pk)
    condition.application = application
    return application, condition


def _require_open(application: Application, condition: Condition) -> None:
    if condition.state != ConditionState.OPEN:
        raise InvalidTransition(
            f"This condition is {condition.get_state_display().lower()}.",
            current_state=condition.state,
        )
    if application.state not in WORKING_STATES:
        raise InvalidTransition(
            "Conditions are worked on until the project closes.", current_state=application.state
        )


@transaction.atomic
def condition_update(*, condition: Condition, by: User, data: dict[str, Any]) -> Condition:
    """A reviewer or ops set the terms: timing, due date, who must meet it."""
    application, condition = _lock(condition)
    if not has_permission(by, Permission.CONDITION_VERIFY, condition):
        raise NotAllowed("Only reviewers and ops off the team set the terms of a condition.")
    _require_open(application, condition)
    errors = condition_terms_errors(application, data)
    if errors:
        raise ValidationFailed("The condition's terms have problems.", fields=errors)
    for name in ("timing", "due_date", "responsible"):
        if name in data:
            setattr(condition, name, data[name])
    condition.save()
    record_event(
        application=application,
        kind=EventKind.CONDITION_UPDATED,
        by=by,
        role=ActorRole.REVIEWER,
        payload={"condition": condition.pk, "fields": sorted(data)},
    )
    return condition


@transaction.atomic
def condition_give_evidence(*, condition: Condition, by: User, evidence: str) -> Condition:
    """A member says how the condition is met (again, until it is verified)."""
    application, condition = _lock(condition)
    if not has_permission(by, Permission.CONDITION_EVIDENCE, condition):
        raise NotAllowed("Only the team gives evidence for its conditions.")
    _require_open(application, condition)
    if not evidence.strip():
        raise ValidationFailed(
            "No evidence.", fields={"evidence": ["Say how the condition is met."]}
        )
    condition.evidence = evidence.strip()
    condition.evidence_at = timezone.now()
    condition.evidence_by = by
    condition.save()
    record_event(
        application=application,
        kind=EventKind.CONDITION_EVIDENCE,
        by=by,
        role=ActorRole.MEMBER,
        payload={"condition": condition.pk},
    )
    return condition


@transaction.atomic
def condition_verify(*, condition: Condition, by: User, note: str = "") -> Condition:
    """A reviewer or ops (never a member) verify that the condition is met."""
    application, condition = _lock(condition)
    if not has_permission(by, Permission.CONDITION_VERIFY, condition):
        raise NotAllowed("Only reviewers and ops off the team verify conditions.")
    _require_open(application, condition)
    if not condition.evidence.strip() and not note.strip():
        raise ValidationFailed(
            "Nothing shows the condition is met.",
            fields={"note": ["The team has given no evidence: say how you know it is met."]},
        )
    condition.verify()
    condition.verified_at = timezone.now()
    condition.verified_by = by
    condition.verification_note = note.strip()
    try:
        condition.save()
    except ConcurrentTransition as exc:  # pragma: no cover - the row lock makes this rare
        raise ConcurrentChange("This condition changed at the same moment; reload.") from exc
    record_event(
        application=application,
        kind=EventKind.CONDITION_VERIFIED,
        by=by,
        role=ActorRole.OPS if by.has_role("ops") else ActorRole.REVIEWER,
        reason=condition.verification_note,
        payload={"condition": condition.pk, "text": condition.text},
    )
    return condition


def conditions_access_errors(application: Application) -> dict[str, list[str]]:
    """Before-access conditions not yet verified, each by name."""
    return {
        f"conditions.{c.pk}": [f"Before access, not yet verified as met: {c.text}"]
        for c in application.conditions.filter(
            timing=ConditionTiming.BEFORE_ACCESS, state=ConditionState.OPEN
        )
    }
