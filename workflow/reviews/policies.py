"""Who may do what in the reviews, and when: vote, declare a conflict, close a panel's vote,
sign off for an organisation, see the others' votes, answer feedback, configure panels.

``can_<action>`` for pages and ``check_<action>`` (403, then 409) for services, as everywhere.
Separation of duties: nobody votes on, closes or signs off an application they are on the team
of, and a member who declared a conflict on an application neither votes on nor closes any of
its tracks.
"""

from __future__ import annotations

from typing import Any

from access.models import OrganisationMembership, User
from access.policy import Permission, has_permission
from access.selectors import organisations_of
from core.errors import InvalidTransition, NotAllowed
from core.transitions import transition_policy
from workflow.models import (
    Application,
    ConflictOfInterest,
    FeedbackItem,
    PanelMembership,
    PanelMode,
    ReviewTrack,
    State,
    TrackKind,
    TrackState,
    Vote,
)
from workflow.reviews.selectors import chaired_panel_ids, current_panel_ids, is_conflicted
from workflow.route.policies import is_member

# --- a track's state ------------------------------------------------------------------------


def is_open(track: ReviewTrack) -> bool:
    """A track can be voted on, closed or signed off: current, open, its application in review."""
    return (
        not track.superseded
        and track.state == TrackState.OPEN
        and track.application.state == State.IN_REVIEW
    )


def check_open(track: ReviewTrack) -> None:
    if not is_open(track):
        raise InvalidTransition("This track is already decided.", current_state=track.state)


# --- panels: voting, conflicts, the chair's close ---------------------------------------------


def _seated(user: Any, track: ReviewTrack, panels: set[int]) -> bool:
    return (
        track.kind != TrackKind.OWNER_SIGNOFF
        and track.panel_id in panels
        and not is_member(user, track.application)
    )


def may_vote(user: Any, track: ReviewTrack) -> bool:
    """A member of the track's panel now, not on the team, not conflicted (any state)."""
    return (
        has_permission(user, Permission.PANEL_VOTE)
        and _seated(user, track, current_panel_ids(user))
        and not is_conflicted(user, track.application_id)
    )


def can_vote(user: Any, track: ReviewTrack) -> bool:
    return may_vote(user, track) and is_open(track)


def check_vote(user: Any, track: ReviewTrack) -> None:
    if not may_vote(user, track):
        if track.kind != TrackKind.OWNER_SIGNOFF and is_conflicted(user, track.application_id):
            raise NotAllowed("You declared a conflict of interest on this application.")
        raise NotAllowed("Only members of this panel, without a conflict, vote on this track.")
    check_open(track)


def check_change_vote(user: Any, vote: Vote) -> None:
    if vote.member_id != user.pk:
        raise NotAllowed("You can change only your own vote.")
    check_vote(user, vote.track)


def may_declare_conflict(user: Any, track: ReviewTrack) -> bool:
    """A member of the track's panel now (a conflict is declared, not judged)."""
    return (
        has_permission(user, Permission.PANEL_VOTE)
        and track.kind != TrackKind.OWNER_SIGNOFF
        and track.panel_id in current_panel_ids(user)
    )


def can_declare_conflict(user: Any, track: ReviewTrack) -> bool:
    return (
        may_declare_conflict(user, track)
        and is_open(track)
        and not is_conflicted(user, track.application_id)
    )


def check_declare_conflict(user: Any, track: ReviewTrack) -> None:
    if not may_declare_conflict(user, track):
        raise NotAllowed("Only members of this panel declare conflicts on its tracks.")
    check_open(track)


def may_close(user: Any, track: ReviewTrack) -> bool:
    """The chair of the track's panel now, not on the team, not conflicted (any state)."""
    return (
        has_permission(user, Permission.PANEL_TRACK_DECIDE)
        and _seated(user, track, chaired_panel_ids(user))
        and not is_conflicted(user, track.application_id)
    )


def can_close(user: Any, track: ReviewTrack) -> bool:
    """The chair closes the vote on a rolling panel; a panel that sits decides at a sitting."""
    return (
        may_close(user, track)
        and is_open(track)
        and (track.panel is None or track.panel.mode != PanelMode.SITTING)
    )


def check_close(user: Any, track: ReviewTrack) -> None:
    if track.kind == TrackKind.OWNER_SIGNOFF:
        raise InvalidTransition(
            "An owner's sign-off is decided by the owner, not closed by a panel chair.",
            current_state=track.state,
        )
    if not may_close(user, track):
        raise NotAllowed("Only the chair of this panel, without a conflict, closes the vote.")
    check_open(track)
    if track.panel is not None and track.panel.mode == PanelMode.SITTING:
        raise InvalidTransition(
            f"The {track.panel.name} decides at its sittings: this application is decided as "
            "an item of a sitting's agenda.",
            current_state=track.state,
        )
    if chair_must_vote_first(user, track):
        raise InvalidTransition(
            "The first round is blind: vote yourself before you close the vote.",
            current_state=track.state,
        )


# --- blind first round -----------------------------------------------------------------------


def is_blind(track: ReviewTrack) -> bool:
    """The track's panel runs a blind first round and the vote is still open."""
    return track.panel is not None and track.panel.blind_first_round and track.state == "open"


def chair_must_vote_first(user: Any, track: ReviewTrack) -> bool:
    """On a blind first round the chair closes only after voting (closing shows the tally)."""
    return is_blind(track) and not has_voted(user, track)


def has_voted(user: Any, track: ReviewTrack) -> bool:
    return Vote.objects.filter(track=track, member_id=user.pk).exists()


def blind_until(user: Any, track: ReviewTrack) -> str:
    """Why ``user`` cannot see the others' votes on ``track`` yet ("" when they can)."""
    if can_see_votes(user, track):
        return ""
    if track.panel_id not in current_panel_ids(user):
        return "Only the panel's members see its votes."
    if not is_blind(track):
        return "You see the others' votes once you have voted."
    if has_voted(user, track):
        return "The first round is blind: the tally opens when the quorum has voted."
    return (
        "The first round is blind: you see the others' votes and the tally once you have "
        "voted and the quorum has voted."
    )


def quorum_voted(track: ReviewTrack) -> bool:
    """As many eligible votes as the quorum: current members, not conflicted."""
    panel = track.panel
    if panel is None:  # an owner's sign-off: nobody votes
        return False
    members = set(
        PanelMembership.objects.filter(panel=panel, left_on__isnull=True).values_list(
            "user_id", flat=True
        )
    )
    conflicted = set(
        ConflictOfInterest.objects.filter(application_id=track.application_id).values_list(
            "user_id", flat=True
        )
    )
    voters = set(Vote.objects.filter(track=track).values_list("member_id", flat=True))
    return len((voters & members) - conflicted) >= panel.quorum


def can_see_votes(user: Any, track: ReviewTrack) -> bool:
    """Members see the others' votes once they have voted; the chair and ops always.

    On a blind first round (while the vote is open) a member of the panel, the chair
    included, sees them only once they have voted and the quorum has voted; ops, who do not
    vote, still see them."""
    seated = track.panel_id in current_panel_ids(user)
    if is_blind(track) and seated:
        return has_voted(user, track) and quorum_voted(track)
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS):
        return True
    if may_close(user, track):
        return True
    return has_voted(user, track)


# --- data owners: sign-off -------------------------------------------------------------------


def may_sign_off(user: Any, track: ReviewTrack) -> bool:
    """A data owner of the track's organisation, not on the team (any state)."""
    return (
        has_permission(user, Permission.OWNER_TRACK_DECIDE)
        and track.kind == TrackKind.OWNER_SIGNOFF
        and track.organisation_id
        in organisations_of(user, OrganisationMembership.Capacity.DATA_OWNER)
        and not is_member(user, track.application)
    )


def can_sign_off(user: Any, track: ReviewTrack) -> bool:
    return may_sign_off(user, track) and is_open(track)


def check_sign_off(user: Any, track: ReviewTrack) -> None:
    if track.kind != TrackKind.OWNER_SIGNOFF:
        if not (may_vote(user, track) or may_close(user, track)):
            raise NotAllowed("You may not decide this review track.")
        raise InvalidTransition(
            "A panel track is decided by its members' votes and closed by its chair.",
            current_state=track.state,
        )
    if not may_sign_off(user, track):
        raise NotAllowed("Only a data owner of this organisation can sign off for it.")
    check_open(track)


@transition_policy(ReviewTrack, "decide")
def may_decide_track(user: User, track: ReviewTrack) -> bool:
    """Who decides a track: its panel's chair, or a data owner of its organisation."""
    if track.kind == TrackKind.OWNER_SIGNOFF:
        return may_sign_off(user, track)
    return may_close(user, track)


# --- feedback -------------------------------------------------------------------------------


def may_answer_feedback(user: Any, application: Application) -> bool:
    return has_permission(user, Permission.FEEDBACK_ANSWER) and is_member(user, application)


def can_answer_feedback(user: Any, application: Application) -> bool:
    return may_answer_feedback(user, application) and application.state == State.CHANGES_REQUESTED


def check_answer_feedback(user: Any, item: FeedbackItem) -> None:
    """The team answers the open round's points while changes are requested."""
    application = item.request.application
    if not may_answer_feedback(user, application):
        raise NotAllowed("Only members of the application can answer its feedback.")
    if application.state != State.CHANGES_REQUESTED or item.request.resolved_at is not None:
        raise InvalidTransition(
            "Feedback can be answered only while changes are requested.",
            current_state=application.state,
        )


# --- configuration --------------------------------------------------------------------------


def can_see_panels(user: Any) -> bool:
    """Staff who work with panels read their configuration: ops, panel members, reviewers."""
    return any(
        has_permission(user, p)
        for p in (Permission.PANEL_MANAGE, Permission.PANEL_VOTE, Permission.INTERNAL_REVIEW_DECIDE)
    )


def can_manage_panels(user: Any) -> bool:
    return has_permission(user, Permission.PANEL_MANAGE)


def check_manage_panels(user: Any) -> None:
    if not can_manage_panels(user):
        raise NotAllowed("Only ops configure panels.")
