"""Conditions: obligations from decisions, met by the team and verified by staff.

Lock order: the application first, then the condition (as for tracks), so a condition verified
while ops grant access is either verified before the gate reads it or after access was granted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils import timezone
from django_fsm import ConcurrentTransition

from access.models import Role, User
from core.errors import ConcurrentChange, ValidationFailed
from notifications.notices import service
from workflow.events import record_event
from workflow.models import (
    ActorRole,
    Application,
    Condition,
    ConditionOrigin,
    ConditionState,
    ConditionTiming,
    EventKind,
    ReviewTrack,
)
from workflow.safes.policies import check_give_evidence, check_verify_condition


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
    pi = application.principal_investigator()
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
    application = Application.objects.locked(condition.application_id)
    condition = Condition.objects.select_for_update().get(pk=condition.pk)
    condition.application = application
    return application, condition


@service
def condition_update(*, condition: Condition, by: User, data: dict[str, Any]) -> Condition:
    """A reviewer or ops set the terms: timing, due date, who must meet it."""
    application, condition = _lock(condition)
    check_verify_condition(by, condition, terms=True)
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


@service
def condition_give_evidence(*, condition: Condition, by: User, evidence: str) -> Condition:
    """A member says how the condition is met (again, until it is verified)."""
    application, condition = _lock(condition)
    check_give_evidence(by, condition)
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


@service
def condition_verify(*, condition: Condition, by: User, note: str = "") -> Condition:
    """A reviewer or ops (never a member) verify that the condition is met."""
    application, condition = _lock(condition)
    check_verify_condition(by, condition)
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
        role=ActorRole.OPS if by.has_role(Role.OPS) else ActorRole.REVIEWER,
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


def conditions_close(*, application: Application, by: User, reason: str = "") -> list[Condition]:
    """Withdraw every open condition of an application that has ended (withdrawn, rejected,
    closed): nothing is left to meet, so nobody is reminded of it.

    Before: the application is locked and has just left the route. After: none of its
    conditions is open; one event lists those withdrawn (none written when there were none).
    """
    now = timezone.now()
    closed = list(
        application.conditions.select_for_update().filter(state=ConditionState.OPEN).order_by("id")
    )
    for condition in closed:
        condition.withdraw()
        condition.withdrawn_at = now
        condition.save()
    if closed:
        record_event(
            application=application,
            kind=EventKind.CONDITIONS_CLOSED,
            by=by,
            role=ActorRole.SYSTEM,
            reason=reason,
            payload={"conditions": [c.pk for c in closed], "application_state": application.state},
        )
    return closed
