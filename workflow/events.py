"""Writing the audit trail: ``record_event``, the one writer of ``workflow.audit.Event``, in the
transaction of the change it records, and ``fire``, the way every application and review track
takes a transition (``core.transitions.take`` with this log, then its notice).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django.db import transaction
from django.utils import timezone

from core import audit_chain
from core.transitions import Step, step_of, take
from notifications.notices import raise_notice
from workflow.audit import Event, content_of, digest
from workflow.reviews.models import ReviewTrack
from workflow.route.models import ActorRole, Application, EventKind
from workflow.turnaround.visits import advance_stage_visit


def record_event(
    *,
    application: Application,
    kind: str,
    by: Any,
    role: str,
    transition: str = "",
    from_state: str = "",
    to_state: str = "",
    reason: str = "",
    payload: dict[str, Any] | None = None,
    track: ReviewTrack | None = None,
) -> Event:
    """Append one event to the application's log, chained to the one before it.

    The single writer of ``Event``. Each event's ``hash`` covers its content and the
    ``prev_hash`` of the application's previous event, so the chain is per application and
    must be extended by one writer at a time: two writers that both read the same last event
    would fork it. Every service already holds the application's row lock when it gets here;
    the lock is taken again below so that a caller that forgot cannot fork a chain (re-locking
    a row this transaction holds is free on PostgreSQL; SQLite's IMMEDIATE transactions
    serialise every writer anyway). Events of one application are therefore inserted in ``id``
    order, which is the chain order.
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
    event.mac = audit_chain.seal(Event.SEAL_LABEL, event.hash)
    event.save(force_insert=True)
    if kind == EventKind.SCOPING_COMPLETED and not application.reached_review:
        # The reviewers' visibility, kept with the event it follows from (``reached_review``).
        Application.objects.filter(pk=application.pk).update(reached_review=True)
        application.reached_review = True
    if to_state:
        advance_stage_visit(event)
    return event


def _log_transition(
    obj: Application | ReviewTrack,
    *,
    step: Step,
    by: Any,
    role: str,
    from_state: str,
    reason: str,
    payload: dict[str, Any] | None,
) -> Event:
    if isinstance(obj, ReviewTrack):
        # A track's decision is an event of its application, tied to the track; the event's
        # transition and states are the application's, which did not change (no stage visit
        # moves): the track's outcome is in the payload.
        return record_event(
            application=obj.application,
            track=obj,
            kind=step.event,
            by=by,
            role=ActorRole.SYSTEM if by is None else role,
            reason=reason,
            payload=payload,
        )
    # A track returned above (a cast: mypy cannot narrow classes built on django-fsm's mixins).
    application = cast(Application, obj)
    return record_event(
        application=application,
        kind=step.event,
        by=by,
        role=ActorRole.SYSTEM if by is None else role,
        transition=step.name,
        from_state=from_state,
        to_state=application.state,
        reason=reason,
        payload=payload,
    )


def fire(
    obj: Application | ReviewTrack,
    name: str,
    *,
    by: Any,
    reason: str = "",
    payload: dict[str, Any] | None = None,
    errors: Mapping[str, list[str]] | None = None,
    check_policy: bool = True,
    role: str | None = None,
) -> Event:
    """Take transition ``name`` on a locked application or review track (``core.transitions``:
    403, 409, 400 in that order), record its event and raise its notice, which is sent to the
    people it concerns when the service ends (``notifications.notices``)."""
    event: Event = take(
        obj,
        name,
        by=by,
        log=_log_transition,
        reason=reason,
        payload=payload,
        errors=errors,
        check_policy=check_policy,
        role=role,
    )
    notice = step_of(type(obj), name).notify
    if notice:
        application = obj.application if isinstance(obj, ReviewTrack) else obj
        context: dict[str, Any] = {"app": application, "event": event}
        if isinstance(obj, ReviewTrack):
            context["track"] = obj
        raise_notice(notice, obj, actor=by, **context)
    return event
