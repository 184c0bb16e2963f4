"""Reads that decide who sees which accreditation and access grant."""

from __future__ import annotations

from django.db.models import Prefetch, Q, QuerySet

from access.models import AccessGrant, AccessGrantEvent, Accreditation, AccreditationEvent
from access.policy import Permission, has_permission


def accreditations_visible_to(user) -> QuerySet[Accreditation]:
    """Officers and ops see every accreditation; anyone else their own and those they
    supervise."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Accreditation.objects.none()
    qs = Accreditation.objects.select_related(
        "person", "supervisor", "decided_by"
    ).prefetch_related(Prefetch("events", queryset=AccreditationEvent.objects.order_by("id")))
    if has_permission(user, Permission.ACCREDITATION_VIEW_ALL):
        return qs
    return qs.filter(Q(person=user) | Q(supervisor=user))


def access_grants_visible_to(user) -> QuerySet[AccessGrant]:
    """Ops see every grant; anyone else their own."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return AccessGrant.objects.none()
    qs = AccessGrant.objects.select_related("application", "person", "granted_by").prefetch_related(
        Prefetch("events", queryset=AccessGrantEvent.objects.order_by("id"))
    )
    if has_permission(user, Permission.ACCESS_GRANTS_VIEW_ALL):
        return qs
    return qs.filter(person=user)
