"""The one way an application changes state.

Every transition: lock the row inside a transaction, check the policy (403), the state (409)
and the content (400), run the transition, save, append the event, and leave side effects to
``transaction.on_commit``. The state change and its event commit together or not at all.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from access.exceptions import ConcurrentChange, InvalidTransition, NotAllowed, ValidationFailed
from workflow.audit import content_of, digest
from workflow.models import ActorRole, Application, Event, ReviewTrack, State
from workflow.rules import is_member

from .turnaround import advance_stage_visit


def transition_meta(model: type, name: str) -> dict[str, Any]:
    """The ``custom`` a transition declares (event, notify, permission, may)."""
    meta = getattr(model, name)._django_fsm
    return next(iter(meta.transitions.values())).custom


def lock_application(application: Application | int) -> Application:
    """Re-read the application under a row lock (must be inside ``transaction.atomic``)."""
    pk = application.pk if isinstance(application, Application) else application
    try:
        return Application.objects.select_for_update().get(pk=pk)
    except Application.DoesNotExist as exc:  # pragma: no cover - deleted under our feet
        raise ConcurrentChange("The application no longer exists.") from exc


def actor_role_for(user, application: Application, name: str) -> str:
    """The capacity in which ``user`` takes transition ``name`` (recorded on the event)."""
    if user is None:
        return ActorRole.SYSTEM
    if name in {"submit", "resubmit", "withdraw", "edit", "feedback", "create"} and is_member(
        user, application
    ):
        return ActorRole.MEMBER
    if name in {"complete_scoping", "scoping"} or (
        name == "request_changes" and application.state == State.SCOPING
    ):
        return ActorRole.ANALYST if application.analyst_id == user.pk else ActorRole.MEMBER
    if name in {"refer_to_panels", "reject", "request_changes"}:
        return ActorRole.REVIEWER
    if name in {"grant_access", "suspend", "reinstate", "close", "assign_analyst"}:
        return ActorRole.OPS
    return ActorRole.SYSTEM


def record_event(
    *,
    application: Application,
    kind: str,
    by,
    role: str,
    transition: str = "",
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    payload: dict | None = None,
    track: ReviewTrack | None = None,
) -> Event:
    """Append one event to the application's log, chained to the one before it.

    The single writer of ``workflow.Event``. Each event's ``hash`` covers its content and the
    ``prev_hash`` of the application's previous event (workflow/audit.py), so the chain is
    per application and must be extended by one writer at a time: two writers that both read
    the same last event would fork it. Every service already holds the application's row lock
    (``lock_application``) when it gets here; the lock is taken again below so that a future
    caller that forgot cannot fork a chain (re-locking a row this transaction holds is free on
    PostgreSQL; SQLite's IMMEDIATE transactions serialise every writer anyway). Events of one
    application are therefore inserted in ``id`` order, which is the chain order.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("record_event must run inside the transaction of the change it records")
    Application.objects.select_for_update().filter(pk=application.pk).values_list("pk").get()
    previous = (
        Event.objects.filter(application_id=application.pk)
        .order_by("-id")
        .values_list("hash", flat=True)
        .first()
    )
    event = Event(
        application=application,
        track=track,
        kind=kind,
        actor=by,
        actor_name=(by.full_name or by.username) if by is not None else "System",
        actor_role=role,
        transition=transition,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        payload=payload or {},
        version=application.current_version or None,
        created_at=timezone.now(),
    )
    event.prev_hash = previous or ""
    event.hash = digest(content_of(event), event.prev_hash)
    event.save(force_insert=True)
    if to_state:
        advance_stage_visit(event)
    return event


def check_allowed(application: Application, name: str, by) -> None:
    """403 unless ``by`` may take transition ``name`` on this application (any state)."""
    may = transition_meta(Application, name)["may"]
    if by is None or not may(application, by):
        step = name.replace("_", " ")
        raise NotAllowed(f"You may not take the step '{step}' on this application.")


def check_state(obj, name: str) -> None:
    """409 with the current state unless the state machine allows ``name`` now."""
    if not can_proceed(getattr(obj, name), check_conditions=False):
        current = obj.get_state_display().lower()
        raise InvalidTransition(
            f"Cannot {name.replace('_', ' ')} while the application is {current}.",
            current_state=obj.state,
        )


def fire(
    application: Application,
    name: str,
    *,
    by,
    role: str | None = None,
    reason: str = "",
    payload: dict | None = None,
    check_policy: bool = True,
    errors: dict[str, list[str]] | None = None,
    announce_now: bool = True,
) -> Event:
    """Take transition ``name`` on a locked application and record it.

    Preconditions: inside ``transaction.atomic``, ``application`` came from ``lock_application``.
    Policy is checked first (403), then state (409), then ``errors`` (400). Afterwards the row is
    saved with its new state and exactly one event records it. Its notifications are raised
    in the same transaction; a caller that still has to change the application first (e.g.
    assign the analyst the notice goes to) passes ``announce_now=False`` and calls
    ``announce`` itself.
    """
    if check_policy:
        check_allowed(application, name, by)
    check_state(application, name)
    if errors:
        raise ValidationFailed("The application is not ready for this step.", fields=errors)
    if not can_proceed(getattr(application, name)):
        raise ValidationFailed(
            "The application is not ready for this step.",
            fields={"non_field_errors": [_condition_message(name)]},
        )
    from_state = application.state
    role = role or actor_role_for(by, application, name)
    getattr(application, name)()
    try:
        application.save()
    except ConcurrentTransition as exc:
        raise ConcurrentChange(
            "Someone else changed this application at the same moment; reload and try again."
        ) from exc
    meta = transition_meta(Application, name)
    event = record_event(
        application=application,
        kind=meta["event"],
        by=by,
        role=role,
        transition=name,
        from_state=from_state,
        to_state=application.state,
        reason=reason,
        payload=payload,
    )
    if announce_now:
        announce(application, event)
    return event


def announce(application: Application, event: Event) -> None:
    """Raise the notifications the event's transition declares (inside its transaction)."""
    from workflow.notify import notify_transition

    meta = transition_meta(Application, event.transition)
    notify_transition(application=application, event=event, notify_kind=meta["notify"])


def _condition_message(name: str) -> str:
    if name == "complete_scoping":
        return "Record that the project is feasible before completing scoping."
    return "The conditions for this step are not met."


def atomic():
    return transaction.atomic()
