"""Researcher accreditation (safe people), one machine per award.

Every change: lock the row inside a transaction, check who may (403), what the state allows
(409) and the input (400), transition, save, append the event, raise the notifications, and
re-examine the person's access grants, all in the same transaction. A lapse (expiry,
suspension, revocation) therefore suspends the person's live access in the very commit that
records it; a new or reinstated award reinstates it.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition, can_proceed

from access import notify
from access.exceptions import ConcurrentChange, InvalidTransition, NotAllowed, ValidationFailed
from access.models import (
    SATISFIED_BY,
    Accreditation,
    AccreditationEvent,
    AccreditationKind,
    AccreditationState,
    User,
    default_expiry,
)
from access.policy import Permission, has_permission

# --- reads the rules share ------------------------------------------------------------------


def valid_kinds(person: User | int, day: datetime.date) -> set[str]:
    """The kinds of accreditation ``person`` holds, valid on ``day``."""
    person_id = person.pk if isinstance(person, User) else person
    return set(
        Accreditation.objects.filter(
            person_id=person_id,
            state=AccreditationState.ACCREDITED,
            issued_on__lte=day,
            expires_on__gte=day,
        ).values_list("kind", flat=True)
    )


def holds(person: User | int, kinds: Iterable[str], day: datetime.date) -> bool:
    return bool(valid_kinds(person, day) & set(kinds))


def missing_requirements(
    person: User | int, requirements: Iterable[str], day: datetime.date
) -> list[str]:
    """The requirements (``Requirement`` codes) ``person`` does not meet on ``day``."""
    held = valid_kinds(person, day)
    return [r for r in requirements if not (held & SATISFIED_BY[r])]


def supervisor_problem(*, person: User, supervisor: User | None, day: datetime.date) -> str | None:
    """Why ``supervisor`` cannot supervise ``person``'s provisional DEA accreditation (None: can).

    The rule (UKSA Research Code, Section B): a fully accredited researcher from the same
    organisation agrees to direct the work and answer for the researcher.
    """
    if supervisor is None:
        return (
            "A provisional accreditation needs a supervisor: a fully accredited DEA researcher "
            "at your organisation."
        )
    if supervisor.pk == person.pk:
        return "You cannot supervise your own provisional accreditation."
    if person.affiliation_id is None or supervisor.affiliation_id != person.affiliation_id:
        where = person.affiliation.name if person.affiliation_id else "no organisation recorded"
        return f"{supervisor} is not at your organisation ({where})."
    if not holds(supervisor, [AccreditationKind.DEA_FULL], day):
        return f"{supervisor} does not hold a valid full DEA accreditation."
    return None


# --- helpers --------------------------------------------------------------------------------


def _lock(accreditation: Accreditation) -> Accreditation:
    return (
        Accreditation.objects.select_for_update(of=("self",))
        .select_related("person", "supervisor")
        .get(pk=accreditation.pk)
    )


def _record(
    accreditation: Accreditation, *, by: User | None, name: str, from_state: str, reason: str = ""
) -> AccreditationEvent:
    return AccreditationEvent.objects.create(
        accreditation=accreditation,
        actor=by,
        actor_name=(by.full_name or by.username) if by is not None else "System",
        transition=name,
        from_state=from_state,
        to_state=accreditation.state,
        reason=reason,
        created_at=timezone.now(),
    )


def _check_decider(accreditation: Accreditation, name: str, by: User) -> None:
    """403 unless ``by`` may decide this award; then 409 unless the state allows ``name``."""
    if not has_permission(by, Permission.ACCREDITATION_DECIDE):
        raise NotAllowed("Only accreditation officers decide accreditation.")
    if not has_permission(by, Permission.ACCREDITATION_DECIDE, accreditation):
        raise NotAllowed(
            "You cannot decide your own accreditation, nor one you supervise: another "
            "accreditation officer must."
        )
    if not can_proceed(getattr(accreditation, name), check_conditions=False):
        raise InvalidTransition(
            f"Cannot {name} an accreditation that is {accreditation.get_state_display().lower()}.",
            current_state=accreditation.state,
        )


def _move(
    accreditation: Accreditation, name: str, *, by: User | None, reason: str = ""
) -> AccreditationEvent:
    from_state = accreditation.state
    getattr(accreditation, name)()
    try:
        accreditation.save()
    except ConcurrentTransition as exc:  # pragma: no cover - the row lock makes this rare
        raise ConcurrentChange("This accreditation changed at the same moment; reload.") from exc
    event = _record(accreditation, by=by, name=name, from_state=from_state, reason=reason)
    meta = next(iter(getattr(Accreditation, name)._django_fsm.transitions.values()))
    notify.accreditation_changed(accreditation, meta.custom["notify"], by=by)
    return event


def _review_grants(accreditation: Accreditation, *, by: User | None, reason: str) -> None:
    from .grants import access_grants_review_person

    access_grants_review_person(person=accreditation.person, by=by, reason=reason)


def _require(reason: str, what: str) -> None:
    if not reason.strip():
        raise ValidationFailed(
            f"Give the reason for {what}.", fields={"reason": [f"Give the reason for {what}."]}
        )


# --- services -------------------------------------------------------------------------------


@transaction.atomic
def accreditation_apply(
    *,
    by: User,
    kind: str,
    issuer: str,
    certificate_number: str,
    issued_on: datetime.date,
    expires_on: datetime.date | None = None,
    supervisor: User | None = None,
) -> Accreditation:
    """``by`` applies for an award of ``kind`` for themself, with the evidence.

    Before: no application of the same kind in progress. After: an ``applied`` award with an
    expiry (the kind's default validity unless the certificate says otherwise), its event, and
    the accreditation officers told.
    """
    if not has_permission(by, Permission.ACCREDITATION_APPLY):
        raise NotAllowed("Only researchers apply for accreditation, and only for themselves.")
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if kind not in AccreditationKind.values:
        errors["kind"] = [f"Choose one of {', '.join(AccreditationKind.values)}."]
    if not issuer.strip():
        errors["issuer"] = ["Say who awarded it (e.g. 'ONS Safe Researcher Training')."]
    if not certificate_number.strip():
        errors["certificate_number"] = ["Give the certificate number."]
    if issued_on > today:
        errors["issued_on"] = ["The issue date cannot be in the future."]
    if not errors and expires_on is None:
        expires_on = default_expiry(kind, issued_on)
    if expires_on is not None and expires_on <= issued_on:
        errors["expires_on"] = ["The expiry date must be after the issue date."]
    elif expires_on is not None and expires_on < today:
        errors["expires_on"] = ["This certificate has already expired: apply with a current one."]
    if kind == AccreditationKind.DEA_PROVISIONAL:
        problem = supervisor_problem(person=by, supervisor=supervisor, day=today)
        if problem:
            errors["supervisor"] = [problem]
    elif supervisor is not None and kind in AccreditationKind.values:
        errors["supervisor"] = ["Only a provisional DEA accreditation has a supervisor."]
    if (
        kind in AccreditationKind.values
        and Accreditation.objects.filter(
            person=by, kind=kind, state=AccreditationState.APPLIED
        ).exists()
    ):
        errors["kind"] = ["You already have an application of this kind waiting for a decision."]
    if errors:
        raise ValidationFailed("The application for accreditation has problems.", fields=errors)
    accreditation = Accreditation.objects.create(
        person=by,
        kind=kind,
        supervisor=supervisor,
        issuer=issuer.strip(),
        certificate_number=certificate_number.strip(),
        issued_on=issued_on,
        expires_on=expires_on,
    )
    _record(accreditation, by=by, name="apply", from_state="")
    notify.accreditation_changed(accreditation, "accreditation.applied", by=by)
    return accreditation


@transaction.atomic
def accreditation_accredit(
    *, accreditation: Accreditation, by: User, reason: str = ""
) -> Accreditation:
    """An officer (not the person, not the supervisor) accredits an application.

    A provisional award still needs its qualifying supervisor on the day it is decided. After:
    the person's suspended grants whose requirements now hold are reinstated.
    """
    accreditation = _lock(accreditation)
    _check_decider(accreditation, "accredit", by)
    today = timezone.localdate()
    errors: dict[str, list[str]] = {}
    if accreditation.expires_on < today:
        errors["expires_on"] = ["This certificate has expired; the researcher must apply again."]
    if accreditation.kind == AccreditationKind.DEA_PROVISIONAL:
        problem = supervisor_problem(
            person=accreditation.person, supervisor=accreditation.supervisor, day=today
        )
        if problem:
            errors["supervisor"] = [problem]
    if errors:
        raise ValidationFailed("This accreditation cannot be granted.", fields=errors)
    accreditation.decided_at = timezone.now()
    accreditation.decided_by = by
    accreditation.decision_reason = reason.strip()
    _move(accreditation, "accredit", by=by, reason=reason.strip())
    _review_grants(accreditation, by=by, reason="Accreditation granted.")
    return accreditation


@transaction.atomic
def accreditation_refuse(*, accreditation: Accreditation, by: User, reason: str) -> Accreditation:
    accreditation = _lock(accreditation)
    _check_decider(accreditation, "refuse", by)
    _require(reason, "refusing")
    accreditation.decided_at = timezone.now()
    accreditation.decided_by = by
    accreditation.decision_reason = reason.strip()
    _move(accreditation, "refuse", by=by, reason=reason.strip())
    return accreditation


def _lapse(accreditation: Accreditation, name: str, *, by: User | None, reason: str) -> None:
    accreditation.lapsed_at = timezone.now()
    accreditation.lapse_reason = reason
    _move(accreditation, name, by=by, reason=reason)
    _review_grants(
        accreditation,
        by=by,
        reason=f"{accreditation.get_kind_display()} {accreditation.get_state_display().lower()}"
        f" ({reason})",
    )


@transaction.atomic
def accreditation_suspend(*, accreditation: Accreditation, by: User, reason: str) -> Accreditation:
    """Suspend an award; the person's access that relies on it is suspended at once."""
    accreditation = _lock(accreditation)
    _check_decider(accreditation, "suspend", by)
    _require(reason, "suspending")
    _lapse(accreditation, "suspend", by=by, reason=reason.strip())
    return accreditation


@transaction.atomic
def accreditation_reinstate(
    *, accreditation: Accreditation, by: User, reason: str = ""
) -> Accreditation:
    """Lift a suspension (before the award's own expiry); access comes back with it."""
    accreditation = _lock(accreditation)
    _check_decider(accreditation, "reinstate", by)
    if accreditation.expires_on < timezone.localdate():
        raise ValidationFailed(
            "This accreditation has expired.",
            fields={"expires_on": ["It has expired: the researcher must apply again."]},
        )
    _move(accreditation, "reinstate", by=by, reason=reason.strip())
    _review_grants(accreditation, by=by, reason="Accreditation reinstated.")
    return accreditation


@transaction.atomic
def accreditation_revoke(*, accreditation: Accreditation, by: User, reason: str) -> Accreditation:
    """Revoke an award for good; the person's access that relies on it is suspended at once."""
    accreditation = _lock(accreditation)
    _check_decider(accreditation, "revoke", by)
    _require(reason, "revoking")
    _lapse(accreditation, "revoke", by=by, reason=reason.strip())
    return accreditation


def accreditation_expire_due(*, today: datetime.date | None = None) -> list[int]:
    """Expire every award whose last valid day is before ``today`` (the nightly task).

    Idempotent: an award already expired is not due. Each award expires in its own
    transaction, so one failure does not hold back the others. Returns the ids expired.
    """
    today = today or timezone.localdate()
    due = Accreditation.objects.filter(
        state__in=[AccreditationState.ACCREDITED, AccreditationState.SUSPENDED],
        expires_on__lt=today,
    ).values_list("pk", flat=True)
    expired = []
    for pk in list(due):
        with transaction.atomic():
            accreditation = Accreditation.objects.select_for_update(of=("self",)).get(pk=pk)
            if (
                accreditation.state
                not in (
                    AccreditationState.ACCREDITED,
                    AccreditationState.SUSPENDED,
                )
                or accreditation.expires_on >= today
            ):
                continue  # changed since the list was read
            _lapse(
                accreditation,
                "expire",
                by=None,
                reason=f"it ended on {accreditation.expires_on:%-d %B %Y}",
            )
            expired.append(pk)
    return expired
