"""Reads that decide what each person sees. Views never filter by hand."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from access.models import OrganisationMembership, Role
from access.policy import Permission, has_permission

from .models import (
    Application,
    ApplicationMember,
    Event,
    EventKind,
    RequestedDataset,
    ReviewTrack,
    State,
    TrackState,
)
from .rules import data_owner_organisation_ids, is_member, sits_on_an_open_track


def applications_visible_to(user) -> QuerySet[Application]:
    """Every application ``user`` may see (see ``rules.may_view`` for the same rule per object)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Application.objects.none()
    qs = Application.objects.all()
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS):
        return qs
    visible = Q(Exists(ApplicationMember.objects.filter(application=OuterRef("pk"), user=user)))
    if user.has_role(Role.ANALYST):
        visible |= Q(analyst=user)
    if user.has_role(Role.REVIEWER):
        visible |= Q(
            Exists(
                Event.objects.filter(application=OuterRef("pk"), kind=EventKind.SCOPING_COMPLETED)
            )
        )
    if user.has_role(Role.PANEL_MEMBER):
        visible |= Q(
            Exists(
                ReviewTrack.objects.filter(
                    application=OuterRef("pk"),
                    superseded=False,
                    state=TrackState.OPEN,
                    panel__memberships__user=user,
                    panel__memberships__left_on__isnull=True,
                )
            )
        )
    if user.has_role(Role.DATA_OWNER):
        owner_orgs = OrganisationMembership.objects.filter(
            user=user, capacity=OrganisationMembership.Capacity.DATA_OWNER
        ).values("organisation_id")
        visible |= Q(
            Exists(
                RequestedDataset.objects.filter(
                    application=OuterRef("pk"), dataset__provider_id__in=owner_orgs
                )
            )
        ) & ~Q(state=State.DRAFT)
    return qs.filter(visible)


def application_list(user) -> QuerySet[Application]:
    return (
        applications_visible_to(user)
        .select_related("analyst", "lead_organisation", "created_by")
        .prefetch_related(
            Prefetch("members", queryset=ApplicationMember.objects.select_related("user")),
        )
    )


def application_detail_queryset(user) -> QuerySet[Application]:
    return (
        application_list(user)
        .select_related("scoping")
        .prefetch_related(
            Prefetch(
                "requested_datasets",
                queryset=RequestedDataset.objects.select_related(
                    "dataset__provider"
                ).prefetch_related("variables__variable"),
            ),
            Prefetch(
                "tracks", queryset=ReviewTrack.objects.select_related("organisation", "decided_by")
            ),
        )
    )


def owner_only_organisations(user, application: Application) -> set[int] | None:
    """When ``user`` sees the application only as a data owner, the organisations whose parts
    they may see; ``None`` when they see all of it."""
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS) or is_member(user, application):
        return None
    if user.has_role(Role.ANALYST) and application.analyst_id == user.pk:
        return None
    if (
        user.has_role(Role.REVIEWER)
        and application.events.filter(kind=EventKind.SCOPING_COMPLETED).exists()
    ):
        return None
    if user.has_role(Role.PANEL_MEMBER) and sits_on_an_open_track(user, application):
        return None
    return data_owner_organisation_ids(user)


def timeline_for(user, application: Application) -> QuerySet[Event]:
    events = application.events.select_related("track").order_by("created_at", "id")
    orgs = owner_only_organisations(user, application)
    if orgs is not None:
        # An owner sees the route and their own organisation's track, not the others'.
        events = events.filter(Q(track__isnull=True) | Q(track__organisation_id__in=orgs))
        events = events.exclude(
            kind__in=[
                EventKind.EDITED,
                EventKind.FEEDBACK_ANSWERED,
                EventKind.SAFEGUARDS_UPDATED,
                EventKind.PUBLIC_BENEFIT_UPDATED,
            ]
        )
    return events


def review_tracks_visible_to(user) -> QuerySet[ReviewTrack]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return ReviewTrack.objects.none()
    apps = applications_visible_to(user)
    qs = ReviewTrack.objects.filter(application__in=apps).select_related(
        "application", "organisation", "decided_by"
    )
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS):
        return qs
    # Owner-only viewers see only their own organisation's tracks; everyone else who can see
    # the application sees all of its tracks.
    owner_orgs = data_owner_organisation_ids(user)
    full = Q(application__members__user=user) | Q(application__analyst=user)
    if user.has_role(Role.REVIEWER):
        full |= Q(
            Exists(
                Event.objects.filter(
                    application=OuterRef("application"), kind=EventKind.SCOPING_COMPLETED
                )
            )
        )
    if user.has_role(Role.PANEL_MEMBER):
        full |= Q(panel__memberships__user=user, panel__memberships__left_on__isnull=True)
    return qs.filter(full | Q(organisation_id__in=owner_orgs)).distinct()
