"""Access grants: one per member of a live project.

A grant should be active exactly while (1) the project is not on hold, (2) the member holds
every accreditation the project requires, and (3) its end date has not passed. The functions
here move grants to match whenever one of those changes, inside the caller's transaction:

* ``access_grants_create``: ``grant_access`` creates them (workflow).
* ``access_grants_review_person``: the member's accreditation changed (lapsed or renewed).
* ``access_grants_hold/release/end_for_application``: ops suspend, reinstate or close the project.
* ``access_grants_end_due``: the nightly task ends grants past their end date.

Suspensions and reinstatements are told to the member and to ops.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from access import notify
from access.exceptions import ConcurrentChange
from access.models import AccessGrant, AccessGrantEvent, GrantState, Requirement, User

from .accreditation import missing_requirements

LIVE = (GrantState.ACTIVE, GrantState.SUSPENDED)


def _record(grant: AccessGrant, *, by: User | None, name: str, from_state: str, reason: str):
    return AccessGrantEvent.objects.create(
        grant=grant,
        actor=by,
        actor_name=(by.full_name or by.username) if by is not None else "System",
        transition=name,
        from_state=from_state,
        to_state=grant.state,
        reason=reason,
        created_at=timezone.now(),
    )


def _move(grant: AccessGrant, name: str, *, by: User | None, reason: str) -> None:
    from_state = grant.state
    now = timezone.now()
    getattr(grant, name)()
    if name == "suspend":
        grant.suspended_at, grant.suspension_reason = now, reason
    elif name == "end":
        grant.ended_at, grant.end_reason = now, reason
    try:
        grant.save()
    except ConcurrentTransition as exc:  # pragma: no cover - rows are locked first
        raise ConcurrentChange("An access grant changed at the same moment; retry.") from exc
    _record(grant, by=by, name=name, from_state=from_state, reason=reason)
    notify.grant_changed(grant, f"access_grant.{_PAST[name]}")


_PAST = {"suspend": "suspended", "reinstate": "reinstated", "end": "ended"}


def _labels(requirements: Iterable[str]) -> str:
    return " and ".join(Requirement(r).label.lower() for r in requirements)


def access_grants_create(
    *,
    application,
    people: Sequence[User],
    start_on: datetime.date,
    end_on: datetime.date,
    requirements: Sequence[str],
    by: User,
) -> list[AccessGrant]:
    """One active grant per person (inside the ``grant_access`` transaction)."""
    now = timezone.now()
    grants = []
    for person in people:
        grant = AccessGrant.objects.create(
            application=application,
            person=person,
            start_on=start_on,
            end_on=end_on,
            requirements=list(requirements),
            granted_at=now,
            granted_by=by,
        )
        _record(grant, by=by, name="grant", from_state="", reason="Project went live.")
        grants.append(grant)
    return grants


def access_grants_review_person(
    *, person: User, by: User | None, reason: str, today: datetime.date | None = None
) -> list[AccessGrant]:
    """Suspend the person's active grants whose requirements no longer hold; reinstate the
    suspended ones (not held by their project, not past their end) whose requirements hold
    again. Returns the grants that changed."""
    today = today or timezone.localdate()
    changed = []
    grants = (
        AccessGrant.objects.select_for_update(of=("self",))
        .filter(person=person, state__in=LIVE)
        .select_related("application", "person")
        .order_by("id")
    )
    for grant in grants:
        missing = missing_requirements(person, grant.requirements, today)
        if grant.state == GrantState.ACTIVE and missing:
            _move(
                grant,
                "suspend",
                by=by,
                reason=f"{reason}. Access needs {_labels(missing)}.",
            )
            changed.append(grant)
        elif (
            grant.state == GrantState.SUSPENDED
            and not missing
            and not grant.project_on_hold
            and grant.end_on >= today
        ):
            _move(grant, "reinstate", by=by, reason=reason)
            changed.append(grant)
    return changed


def _grants_of(application) -> list[AccessGrant]:
    return list(
        AccessGrant.objects.select_for_update(of=("self",))
        .filter(application=application, state__in=LIVE)
        .select_related("application", "person")
        .order_by("id")
    )


def access_grants_hold_for_application(*, application, by: User, reason: str) -> None:
    """The project is suspended: every live grant is held and suspended."""
    for grant in _grants_of(application):
        grant.project_on_hold = True
        if grant.state == GrantState.ACTIVE:
            _move(grant, "suspend", by=by, reason=f"The project is suspended: {reason}")
        else:
            grant.save(update_fields=["project_on_hold"])


def access_grants_release_for_application(
    *, application, by: User, reason: str = "", today: datetime.date | None = None
) -> None:
    """The project is reinstated: grants come back for members who are still accredited."""
    today = today or timezone.localdate()
    for grant in _grants_of(application):
        grant.project_on_hold = False
        grant.save(update_fields=["project_on_hold"])
        if grant.end_on >= today and not missing_requirements(
            grant.person, grant.requirements, today
        ):
            _move(grant, "reinstate", by=by, reason=reason or "The project is reinstated.")


def access_grants_end_for_application(*, application, by: User, reason: str) -> None:
    """The project is closed: every live grant ends."""
    for grant in _grants_of(application):
        _move(grant, "end", by=by, reason=reason)


def access_grants_end_due(*, today: datetime.date | None = None) -> list[int]:
    """End every live grant whose last day is before ``today`` (the nightly task; idempotent)."""
    today = today or timezone.localdate()
    ended = []
    for pk in list(
        AccessGrant.objects.filter(state__in=LIVE, end_on__lt=today).values_list("pk", flat=True)
    ):
        with transaction.atomic():
            grant = (
                AccessGrant.objects.select_for_update(of=("self",))
                .select_related("application", "person")
                .get(pk=pk)
            )
            if grant.state not in LIVE or grant.end_on >= today:
                continue
            _move(grant, "end", by=None, reason=f"The project ended on {grant.end_on:%-d %B %Y}.")
            ended.append(pk)
    return ended
