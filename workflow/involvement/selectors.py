"""Reads of public involvement: an application's flag, activities and consultations; the
TRE's consumer panel and its members; the consultations waiting for a consumer panel member."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import QuerySet

from access.models import Role, User
from access.selectors import RoleDirectory
from workflow.models import (
    CONSUMER_PANEL,
    Application,
    Consultation,
    InvolvementActivity,
    Panel,
    PanelMembership,
    PublicInterest,
)


def consumer_panel() -> Panel | None:
    """The TRE's active consumer panel, if it has one."""
    return Panel.objects.filter(track_kind=CONSUMER_PANEL, is_active=True).first()


def consumer_panel_ids(user: User) -> set[int]:
    """The consumer panels ``user`` sits on now."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        PanelMembership.objects.filter(
            user=user, left_on__isnull=True, panel__track_kind=CONSUMER_PANEL
        ).values_list("panel_id", flat=True)
    )


def consumer_panel_members(
    panel: Panel, application: Application, seated: dict[int, list[User]] | None = None
) -> list[User]:
    """Who answers a consultation of ``panel``: its current members, never on the team.
    ``seated``: ``panels_seated`` read once for many consultations (the reminder sweep)."""
    seated = seated if seated is not None and panel.pk in seated else panels_seated([panel.pk])
    return application.not_on_team(seated[panel.pk])


def panels_seated(panel_ids: Iterable[int]) -> dict[int, list[User]]:
    """The current members (active people) of each of ``panel_ids``, in one query."""
    seated: dict[int, list[User]] = {pk: [] for pk in panel_ids}
    for seat in PanelMembership.objects.filter(
        panel_id__in=list(seated), left_on__isnull=True, user__is_active=True
    ).select_related("user"):
        seated[seat.panel_id].append(seat.user)
    return seated


def public_interest_of(application: Application) -> PublicInterest | None:
    return PublicInterest.objects.filter(application=application).first()


def activities_of(application: Application) -> QuerySet[InvolvementActivity]:
    return InvolvementActivity.objects.filter(application=application).select_related("recorded_by")


def consultations_of(application: Application) -> QuerySet[Consultation]:
    return Consultation.objects.filter(application=application).select_related(
        "panel", "requested_by", "answered_by"
    )


def open_consultation(application: Application) -> Consultation | None:
    return Consultation.objects.filter(application=application, answered_at__isnull=True).first()


def consultations_for(user: User) -> QuerySet[Consultation]:
    """The consultations of the consumer panels ``user`` sits on (open first, oldest first),
    leaving out the applications they are on the team of."""
    return (
        Consultation.objects.filter(panel_id__in=consumer_panel_ids(user))
        .exclude(application__members__user=user)
        .select_related("application", "panel", "requested_by", "answered_by")
        .order_by("-answered_at", "requested_at", "id")
    )


def reviewers_of(application: Application) -> list[User]:
    return application.not_on_team(RoleDirectory()(Role.REVIEWER))


def team_of(application: Application) -> list[User]:
    return [m.user for m in application.members.select_related("user") if m.user.is_active]


def summary(application: Application) -> dict[str, Any]:
    """What the pages show of an application's public involvement."""
    interest = public_interest_of(application)
    return {
        "interest": interest,
        "high": bool(interest and interest.high),
        "required": bool(interest and interest.required),
        "activities": list(activities_of(application)),
        "consultations": list(consultations_of(application)),
    }
