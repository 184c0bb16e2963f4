"""Who may act on an application or a review track: object rules for ``access.policy``.

"Who may" is kept apart from "what the state allows" (the state machine). Separation of duties
is here: nobody analyses, reviews, decides or grants access to an application they belong to.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef

from access.models import OrganisationMembership
from access.policy import Permission, object_rule

from .models import Application, ApplicationMember, Event, EventKind, ReviewTrack, State, TrackKind


def is_member(user, application: Application) -> bool:
    cache = application.__dict__.setdefault("_member_cache", {})
    if user.pk not in cache:
        cache[user.pk] = ApplicationMember.objects.filter(
            application=application, user=user
        ).exists()
    return cache[user.pk]


def data_owner_organisation_ids(user) -> set[int]:
    cached = getattr(user, "_owner_org_cache", None)
    if cached is None:
        cached = set(
            OrganisationMembership.objects.filter(
                user=user, capacity=OrganisationMembership.Capacity.DATA_OWNER
            ).values_list("organisation_id", flat=True)
        )
        user._owner_org_cache = cached
    return cached


def owns_requested_data(user, application: Application) -> bool:
    org_ids = data_owner_organisation_ids(user)
    return (
        bool(org_ids)
        and application.requested_datasets.filter(dataset__provider_id__in=org_ids).exists()
    )


def reached_internal_review(application: Application) -> bool:
    return application.events.filter(kind=EventKind.SCOPING_COMPLETED).exists()


def has_open_panel_track(application: Application) -> bool:
    return application.tracks.filter(
        superseded=False, state="open", kind__in=[TrackKind.IGRP, TrackKind.DEA_PANEL]
    ).exists()


@object_rule(Permission.APPLICATION_VIEW)
def may_view(user, application: Application) -> bool:
    if user.has_role("ops"):
        return True
    if is_member(user, application):
        return True
    if user.has_role("analyst") and application.analyst_id == user.pk:
        return True
    if user.has_role("reviewer") and reached_internal_review(application):
        return True
    if user.has_role("panel_member") and has_open_panel_track(application):
        return True
    return (
        user.has_role("data_owner")
        and application.state != State.DRAFT
        and owns_requested_data(user, application)
    )


@object_rule(Permission.APPLICATION_EDIT)
@object_rule(Permission.APPLICATION_SUBMIT)
@object_rule(Permission.APPLICATION_WITHDRAW)
@object_rule(Permission.FEEDBACK_ANSWER)
def may_act_as_member(user, application: Application) -> bool:
    return is_member(user, application)


@object_rule(Permission.SCOPING_EDIT)
def may_edit_scoping(user, application: Application) -> bool:
    if is_member(user, application):
        return True
    return user.has_role("analyst") and application.analyst_id == user.pk


@object_rule(Permission.SCOPING_DECIDE)
def may_decide_scoping(user, application: Application) -> bool:
    return application.analyst_id == user.pk and not is_member(user, application)


@object_rule(Permission.INTERNAL_REVIEW_DECIDE)
@object_rule(Permission.ACCESS_MANAGE)
@object_rule(Permission.ANALYST_ASSIGN)
def may_act_as_staff(user, application: Application) -> bool:
    # The role is checked by has_permission; here only separation of duties.
    return not is_member(user, application)


@object_rule(Permission.PANEL_TRACK_DECIDE)
def may_decide_panel_track(user, track: ReviewTrack) -> bool:
    return track.kind != TrackKind.OWNER_SIGNOFF and not is_member(user, track.application)


@object_rule(Permission.OWNER_TRACK_DECIDE)
def may_decide_owner_track(user, track: ReviewTrack) -> bool:
    return (
        track.kind == TrackKind.OWNER_SIGNOFF
        and track.organisation_id in data_owner_organisation_ids(user)
        and not is_member(user, track.application)
    )


def reached_internal_review_q():
    return Exists(
        Event.objects.filter(application=OuterRef("pk"), kind=EventKind.SCOPING_COMPLETED)
    )
