"""Who may do what in the reviews, and when: vote, declare a conflict, close a panel's vote,
sign off for an organisation, see the others' votes, answer feedback, configure panels.

``can_<action>`` for pages and ``check_<action>`` (403, then 409) for services, as everywhere.
Separation of duties: nobody votes on, closes or signs off an application they are on the team
of, and a member who declared a conflict on an application neither votes on nor closes any of
its tracks.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from access.models import OrganisationMembership, User
from access.policy import Permission, has_permission
from access.selectors import organisations_of
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from core.text import in_sentence
from core.transitions import transition_policy
from workflow.models import (
    Application,
    ConflictOfInterest,
    DecisionRule,
    FeedbackItem,
    Panel,
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
        raise blind_close_refused(track.state)


# --- a panel's decision rule, shared by every vote a panel takes ------------------------------
#
# A panel decides a route's track (``ReviewTrack``) and an amendment's panel track
# (``workflow.amendments``) by the same rules: the functions below take the panel and the votes,
# not the track, and both topics call them.


class Ballot(Protocol):
    """A vote of either kind (``Vote``, ``AmendmentVote``): who, and what they chose."""

    member_id: int
    choice: str


@dataclass
class Tally:
    """The state of a panel track's vote, as the chair and the members who voted see it."""

    counts: dict[str, int]
    votes_cast: int
    independent_votes: int
    lay_votes: int
    conflicted: list[int]
    quorum: int
    min_independent_votes: int
    min_lay_votes: int
    rule: str
    leading: str | None
    diverges: bool
    blockers: list[str] = field(default_factory=list)

    @property
    def can_close(self) -> bool:
        return not self.blockers


def current_members(panel_id: int | None) -> dict[int, PanelMembership]:
    """The panel's members now, by user id (none for an owner's sign-off)."""
    if panel_id is None:
        return {}
    return {
        m.user_id: m
        for m in PanelMembership.objects.filter(panel_id=panel_id, left_on__isnull=True)
    }


def conflicted_on(application_id: int) -> set[int]:
    return set(
        ConflictOfInterest.objects.filter(application_id=application_id).values_list(
            "user_id", flat=True
        )
    )


def count_votes(panel: Panel, ballots: Iterable[Ballot], application_id: int) -> Tally:
    """Count the eligible votes (current members, not conflicted on the application) against
    the panel's rule: its quorum, its independent and lay minimums, majority or unanimity."""
    members = current_members(panel.pk)
    conflicted = conflicted_on(application_id)
    votes = [v for v in ballots if v.member_id in members and v.member_id not in conflicted]
    counts = Counter(v.choice for v in votes)
    independent = sum(1 for v in votes if members[v.member_id].is_independent)
    lay = sum(1 for v in votes if members[v.member_id].is_lay)
    ranked = counts.most_common()
    leading = None
    if ranked and (len(ranked) == 1 or ranked[0][1] > ranked[1][1]):
        leading = ranked[0][0]
    blockers = []
    if len(votes) < panel.quorum:
        blockers.append(f"{len(votes)} of the {panel.quorum} votes needed have been cast.")
    if independent < panel.min_independent_votes:
        blockers.append(
            f"At least {panel.min_independent_votes} vote(s) must come from an independent member."
        )
    if lay < panel.min_lay_votes:
        blockers.append(f"At least {panel.min_lay_votes} vote(s) must come from a lay member.")
    if panel.decision_rule == DecisionRule.UNANIMOUS and len(counts) > 1:
        blockers.append("The rule is unanimity and the members disagree.")
    if panel.decision_rule == DecisionRule.MAJORITY and votes and leading is None:
        blockers.append("No outcome has a majority: the votes are tied.")
    return Tally(
        counts=dict(counts),
        votes_cast=len(votes),
        independent_votes=independent,
        lay_votes=lay,
        conflicted=sorted(conflicted & set(members)),
        quorum=panel.quorum,
        min_independent_votes=panel.min_independent_votes,
        min_lay_votes=panel.min_lay_votes,
        rule=panel.decision_rule,
        leading=leading,
        diverges=len(counts) > 1,
        blockers=blockers,
    )


def check_panel_outcome(
    panel: Panel,
    current: Tally,
    outcome: str,
    *,
    current_state: str,
    label: Callable[[str], str],
) -> None:
    """The chair records the panel's outcome only when the rule allows: 409 naming what is
    missing (votes, independent or lay votes, agreement); 400 when the outcome is not the one
    the members voted (any rule but the chair's)."""
    if current.blockers:
        raise InvalidTransition(
            "The vote cannot be closed yet: " + " ".join(current.blockers),
            current_state=current_state,
        )
    if panel.decision_rule != DecisionRule.CHAIR and outcome != current.leading:
        # With no blockers, any rule but the chair's has a leading outcome.
        voted = in_sentence(label(current.leading)) if current.leading else "no outcome"
        raise ValidationFailed(
            "The outcome must be the panel's.",
            fields={
                "outcome": [f"The members voted {voted}; the chair records the panel's outcome."]
            },
        )


def panel_blind(panel: Panel | None, is_open: bool) -> bool:
    """The panel runs a blind first round and the vote is still open."""
    return panel is not None and panel.blind_first_round and is_open


def sees_votes(
    user: Any, *, seated: bool, blind: bool, voted: bool, quorum_in: bool, closes: bool
) -> bool:
    """Members see the others' votes once they have voted; the chair and ops always.

    On a blind first round (while the vote is open) a member of the panel, the chair
    included, sees them only once they have voted and the quorum has voted; ops, who do not
    vote, still see them."""
    if blind and seated:
        return voted and quorum_in
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS):
        return True
    if closes:
        return True
    return voted


def hidden_because(*, seated: bool, blind: bool, voted: bool) -> str:
    """Why someone who cannot see a panel's votes yet does not (see ``sees_votes``)."""
    if not seated:
        return "Only the panel's members see its votes."
    if not blind:
        return "You see the others' votes once you have voted."
    if voted:
        return "The first round is blind: the tally opens when the quorum has voted."
    return (
        "The first round is blind: you see the others' votes and the tally once you have "
        "voted and the quorum has voted."
    )


def blind_close_refused(current_state: str) -> InvalidTransition:
    return InvalidTransition(
        "The first round is blind: vote yourself before you close the vote.",
        current_state=current_state,
    )


# --- blind first round -----------------------------------------------------------------------


def is_blind(track: ReviewTrack) -> bool:
    """The track's panel runs a blind first round and the vote is still open."""
    return panel_blind(track.panel, track.state == "open")


def chair_must_vote_first(user: Any, track: ReviewTrack) -> bool:
    """On a blind first round the chair closes only after voting (closing shows the tally)."""
    return is_blind(track) and not has_voted(user, track)


def has_voted(user: Any, track: ReviewTrack) -> bool:
    return Vote.objects.filter(track=track, member_id=user.pk).exists()


def blind_until(user: Any, track: ReviewTrack) -> str:
    """Why ``user`` cannot see the others' votes on ``track`` yet ("" when they can)."""
    if can_see_votes(user, track):
        return ""
    return hidden_because(
        seated=track.panel_id in current_panel_ids(user),
        blind=is_blind(track),
        voted=has_voted(user, track),
    )


def quorum_voted(track: ReviewTrack) -> bool:
    """As many eligible votes as the quorum: current members, not conflicted."""
    panel = track.panel
    if panel is None:  # an owner's sign-off: nobody votes
        return False
    votes = count_votes(panel, Vote.objects.filter(track=track), track.application_id)
    return votes.votes_cast >= panel.quorum


def can_see_votes(user: Any, track: ReviewTrack) -> bool:
    """Members see the others' votes once they have voted; the chair and ops always; on a
    blind first round see ``sees_votes``."""
    blind = is_blind(track)
    seated = track.panel_id in current_panel_ids(user)
    voted = has_voted(user, track)
    return sees_votes(
        user,
        seated=seated,
        blind=blind,
        voted=voted,
        quorum_in=blind and seated and voted and quorum_voted(track),
        closes=may_close(user, track),
    )


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
