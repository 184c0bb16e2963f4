"""Who may act on an application or a review track: object rules for ``access.policy``.

"Who may" is kept apart from "what the state allows" (the state machine). Separation of duties
is here: nobody analyses, reviews, votes on, decides or grants access to an application they
belong to, and a panel member with a declared conflict neither votes nor closes.
"""

from __future__ import annotations

from access.models import OrganisationMembership
from access.policy import Permission, object_rule

from .models import (
    Application,
    ApplicationMember,
    ConflictOfInterest,
    EventKind,
    PanelMembership,
    ReviewTrack,
    State,
    TrackKind,
    TrackState,
)


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


def current_panel_ids(user) -> set[int]:
    """Panels the user sits on now."""
    return set(
        PanelMembership.objects.filter(user=user, left_on__isnull=True).values_list(
            "panel_id", flat=True
        )
    )


def chaired_panel_ids(user) -> set[int]:
    return set(
        PanelMembership.objects.filter(user=user, left_on__isnull=True, is_chair=True).values_list(
            "panel_id", flat=True
        )
    )


def is_conflicted(user, application: Application) -> bool:
    return ConflictOfInterest.objects.filter(application=application, user=user).exists()


def owns_requested_data(user, application: Application) -> bool:
    org_ids = data_owner_organisation_ids(user)
    return (
        bool(org_ids)
        and application.requested_datasets.filter(dataset__provider_id__in=org_ids).exists()
    )


def reached_internal_review(application: Application) -> bool:
    return application.events.filter(kind=EventKind.SCOPING_COMPLETED).exists()


def sits_on_an_open_track(user, application: Application) -> bool:
    panels = current_panel_ids(user)
    return (
        bool(panels)
        and application.tracks.filter(
            superseded=False, state=TrackState.OPEN, panel_id__in=panels
        ).exists()
    )


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
    if user.has_role("panel_member") and sits_on_an_open_track(user, application):
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


def _may_sit_on(user, track: ReviewTrack, panel_ids: set[int]) -> bool:
    return (
        track.kind != TrackKind.OWNER_SIGNOFF
        and track.panel_id in panel_ids
        and not is_member(user, track.application)
        and not is_conflicted(user, track.application)
    )


@object_rule(Permission.PANEL_VOTE)
def may_vote(user, track: ReviewTrack) -> bool:
    return _may_sit_on(user, track, current_panel_ids(user))


@object_rule(Permission.PANEL_TRACK_DECIDE)
def may_close_panel_track(user, track: ReviewTrack) -> bool:
    return _may_sit_on(user, track, chaired_panel_ids(user))


@object_rule(Permission.OWNER_TRACK_DECIDE)
def may_decide_owner_track(user, track: ReviewTrack) -> bool:
    return (
        track.kind == TrackKind.OWNER_SIGNOFF
        and track.organisation_id in data_owner_organisation_ids(user)
        and not is_member(user, track.application)
    )
