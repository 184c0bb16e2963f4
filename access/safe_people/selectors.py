"""Reads of safe people: who holds which accreditation on a day, what a project's
requirements leave missing, and who sees which accreditation and access grant."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Prefetch, Q, QuerySet

from access.models import (
    SATISFIED_BY,
    AccessGrant,
    AccessGrantEvent,
    Accreditation,
    AccreditationEvent,
    AccreditationKind,
    AccreditationState,
    AgreementText,
    User,
)
from access.policy import Permission, has_permission


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


def valid_kinds_of(person_ids: Iterable[int], day: datetime.date) -> dict[int, set[str]]:
    """``valid_kinds`` of many people at once (one query), by person id."""
    held: dict[int, set[str]] = {pk: set() for pk in person_ids}
    for person_id, kind in Accreditation.objects.filter(
        person_id__in=list(held),
        state=AccreditationState.ACCREDITED,
        issued_on__lte=day,
        expires_on__gte=day,
    ).values_list("person_id", "kind"):
        held[person_id].add(kind)
    return held


def holds(person: User | int, kinds: Iterable[str], day: datetime.date) -> bool:
    return bool(valid_kinds(person, day) & set(kinds))


def missing_requirements(
    person: User | int, requirements: Iterable[str], day: datetime.date
) -> list[str]:
    """The requirements (``Requirement`` codes) ``person`` does not meet on ``day``."""
    return unmet(requirements, valid_kinds(person, day))


def unmet(requirements: Iterable[str], held: set[str]) -> list[str]:
    """The requirements (``Requirement`` codes) that the kinds ``held`` do not satisfy."""
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
        where = person.affiliation.name if person.affiliation else "no organisation recorded"
        return f"{supervisor} is not at your organisation ({where})."
    if not holds(supervisor, [AccreditationKind.DEA_FULL], day):
        return f"{supervisor} does not hold a valid full DEA accreditation."
    return None


def applications_in_progress(person: User, kinds: Iterable[str]) -> bool:
    """Has ``person`` applied for one of ``kinds``, waiting for a decision?"""
    waiting: bool = Accreditation.objects.filter(
        person=person, kind__in=list(kinds), state=AccreditationState.APPLIED
    ).exists()
    return waiting


def accreditations_visible_to(user: User | AnonymousUser) -> QuerySet[Accreditation]:
    """Officers and ops see every accreditation; anyone else their own and those they
    supervise."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        nothing: QuerySet[Accreditation] = Accreditation.objects.none()
        return nothing
    qs: QuerySet[Accreditation] = Accreditation.objects.select_related(
        "person", "supervisor", "decided_by"
    ).prefetch_related(Prefetch("events", queryset=AccreditationEvent.objects.order_by("id")))
    if has_permission(user, Permission.ACCREDITATION_VIEW_ALL):
        return qs
    return qs.filter(Q(person=user) | Q(supervisor=user))


def access_grants_visible_to(user: User | AnonymousUser) -> QuerySet[AccessGrant]:
    """Ops see every grant; anyone else their own."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        nothing: QuerySet[AccessGrant] = AccessGrant.objects.none()
        return nothing
    qs: QuerySet[AccessGrant] = AccessGrant.objects.select_related(
        "application", "person", "granted_by"
    ).prefetch_related(Prefetch("events", queryset=AccessGrantEvent.objects.order_by("id")))
    if has_permission(user, Permission.ACCESS_GRANTS_VIEW_ALL):
        return qs
    return qs.filter(person=user)


def agreement_current() -> AgreementText | None:
    """The version everyone signs now: the latest published."""
    return AgreementText.objects.order_by("-version").first()
