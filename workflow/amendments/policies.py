"""Who may see and do what with amendments, and when: one home for each rule (matrix-tested in
tests/api/test_amendments.py).

* The project's principal investigator asks for an amendment, submits and withdraws it; ops may
  do so on their behalf (never on a project they are on).
* Only an active or suspended project is amended (409), one amendment open at a time (409,
  naming the open one), and a project the lifecycle topic holds back (a suspended-for-overdue
  project until its report is accepted) may not grow in scope (409): ``check_scope_growth``,
  the one place that asks.
* Each track is decided by its reviewer: the chair of the IGRP or DEA panel, a data owner of
  the organisation, that organisation's signatory, or ops; never by a member of the project
  (403: nobody approves their own amendment).
* Whoever may see the project sees its amendments; a track's reviewer sees the amendment
  whose track they decide (a new organisation's signatory would not otherwise see it).

``check_`` functions raise 403 (``NotAllowed``) before 409 (``InvalidTransition``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from access.models import OrganisationMembership, Role
from access.policy import Permission, has_permission
from access.selectors import organisations_of
from core.errors import InvalidTransition, NotAllowed
from core.transitions import Refusal, Verdict, may, transition_policy
from workflow.amendments.models import (
    OPEN_AMENDMENT_STATES,
    SCOPE_GROWTH,
    Amendment,
    AmendmentState,
    AmendmentTrack,
    AmendmentTrackState,
    AmendmentVote,
    ChangeType,
    Reviewer,
    TrackOutcome,
)
from workflow.lifecycle.selectors import scope_growth_blocked
from workflow.reviews.models import Panel, TrackKind
from workflow.reviews.policies import (
    Tally,
    blind_close_refused,
    check_panel_outcome,
    count_votes,
    hidden_because,
    panel_blind,
    sees_votes,
)
from workflow.reviews.selectors import chaired_panel_ids, current_panel_ids, is_conflicted
from workflow.route.models import Application, ProjectRole, State
from workflow.route.policies import can_view as can_view_application
from workflow.route.policies import can_view_whole, is_member
from workflow.route.selectors import applications_visible_to

AMENDABLE_STATES = (State.ACTIVE, State.SUSPENDED)


def _signed_in(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and user.is_active)


def is_principal_investigator(user: Any, application: Application) -> bool:
    return (
        _signed_in(user)
        and application.members.filter(
            user=user, project_role=ProjectRole.PRINCIPAL_INVESTIGATOR
        ).exists()
    )


def is_ops(user: Any) -> bool:
    return _signed_in(user) and has_permission(user, Permission.ACCESS_MANAGE)


# --- asking for an amendment ------------------------------------------------------------------


def may_request(user: Any, application: Application) -> Verdict:
    """The project's principal investigator, or ops on their behalf (not on the team)."""
    if is_principal_investigator(user, application):
        return True
    if is_ops(user) and not is_member(user, application):
        return True
    return Refusal(
        "Only the project's principal investigator, or ops on their behalf, asks for an amendment."
    )


@transition_policy(Amendment, "submit", "withdraw")
def may_change(user: Any, amendment: Amendment) -> Verdict:
    """The project's principal investigator, or ops on their behalf"""
    return may_request(user, amendment.application)


def check_amendable(application: Application) -> None:
    """409 unless the project is live and has no other amendment open."""
    if application.state not in AMENDABLE_STATES:
        raise InvalidTransition(
            "Only an active or suspended project is amended: this one is at "
            f"“{application.get_state_display()}”.",
            current_state=application.state,
        )
    open_one = (
        Amendment.objects.filter(application=application, state__in=OPEN_AMENDMENT_STATES)
        .order_by("id")
        .first()
    )
    if open_one is not None:
        raise InvalidTransition(
            f"Amendment {open_one.number} of this project is still open "
            f"({open_one.get_state_display().lower()}): finish or withdraw it first, so that "
            "each amendment is decided against the version before it.",
            current_state=open_one.state,
        )


def check_request(user: Any, application: Application) -> None:
    verdict = may_request(user, application)
    if not verdict:
        raise NotAllowed(verdict.reason if isinstance(verdict, Refusal) else "Not allowed.")
    check_amendable(application)


def check_scope_growth(application: Application, change_types: Iterable[str]) -> None:
    """409 when the changes grow the project's scope (members, datasets, variables, the
    question, the end date) and the lifecycle topic holds the project back. The one place the
    amendments ask ``scope_growth_blocked``."""
    if not SCOPE_GROWTH.intersection(change_types):
        return
    reason = scope_growth_blocked(application)
    if reason:
        raise InvalidTransition(reason, current_state=application.state)


def can_request(user: Any, application: Application) -> bool:
    if not may_request(user, application) or application.state not in AMENDABLE_STATES:
        return False
    return not application.amendments.filter(state__in=OPEN_AMENDMENT_STATES).exists()


# --- the routing table ---------------------------------------------------------------------


def can_change_routing(user: Any) -> bool:
    """Ops, who set the stage targets, change the routing table too."""
    return _signed_in(user) and has_permission(user, Permission.TARGETS_MANAGE)


def check_change_routing(user: Any) -> None:
    if not can_change_routing(user):
        raise NotAllowed("Only ops change how amendments are routed.")


# --- deciding a track -------------------------------------------------------------------------


def _panel_kind(reviewer: str) -> str:
    return TrackKind.IGRP if reviewer == Reviewer.IGRP else TrackKind.DEA_PANEL


def chairs_panel_for(user: Any, reviewer: str) -> bool:
    panels = chaired_panel_ids(user)
    return Panel.objects.filter(
        pk__in=panels, track_kind=_panel_kind(reviewer), is_active=True
    ).exists()


def is_reviewer_for(user: Any, track: AmendmentTrack) -> bool:
    """Holds the track's reviewing capacity (whatever the project)."""
    if not _signed_in(user):
        return False
    if track.reviewer == Reviewer.OPS:
        return is_ops(user)
    if track.reviewer == Reviewer.ANALYST:
        return bool(
            user.has_role(Role.ANALYST) and track.amendment.application.analyst_id == user.pk
        )
    if track.reviewer in (Reviewer.IGRP, Reviewer.DEA_PANEL):
        return has_permission(user, Permission.PANEL_TRACK_DECIDE) and chairs_panel_for(
            user, track.reviewer
        )
    if track.reviewer == Reviewer.DATA_OWNER:
        return has_permission(
            user, Permission.OWNER_TRACK_DECIDE
        ) and track.organisation_id in organisations_of(
            user, OrganisationMembership.Capacity.DATA_OWNER
        )
    if track.reviewer == Reviewer.ORGANISATION_SIGNATORY:
        return track.organisation_id in organisations_of(
            user, OrganisationMembership.Capacity.SIGNATORY
        )
    return False


@transition_policy(AmendmentTrack, "decide")
def may_decide(user: Any, track: AmendmentTrack) -> Verdict:
    """The track's reviewer (panel chair, data owner, signatory or ops), never on the team"""
    if not is_reviewer_for(user, track):
        return Refusal(f"Only {track.get_reviewer_display().lower()} decides this track.")
    if is_member(user, track.amendment.application):
        return Refusal(
            "You are on this project's team: nobody approves their own project's amendment."
        )
    return True


def can_decide(user: Any, track: AmendmentTrack) -> bool:
    return bool(may_decide(user, track)) and track.state == AmendmentTrackState.OPEN


# --- a panel's votes ------------------------------------------------------------------------


PANEL_REVIEWERS = (Reviewer.IGRP, Reviewer.DEA_PANEL)


def panel_of(track: AmendmentTrack) -> Panel | None:
    """The active panel that decides a panel track (None for other tracks)."""
    if track.reviewer not in PANEL_REVIEWERS:
        return None
    found: Panel | None = Panel.objects.filter(
        track_kind=_panel_kind(track.reviewer), is_active=True
    ).first()
    return found


def may_vote(user: Any, track: AmendmentTrack) -> bool:
    """A member of the track's panel now, not on the team, not conflicted on the project."""
    panel = panel_of(track)
    return (
        panel is not None
        and _signed_in(user)
        and has_permission(user, Permission.PANEL_VOTE)
        and panel.pk in current_panel_ids(user)
        and not is_member(user, track.amendment.application)
        and not is_conflicted(user, track.amendment.application_id)
    )


def can_vote(user: Any, track: AmendmentTrack) -> bool:
    return may_vote(user, track) and track.state == AmendmentTrackState.OPEN


def check_vote(user: Any, track: AmendmentTrack) -> None:
    if not may_vote(user, track):
        raise NotAllowed(
            "Only members of this track's panel, off the project and without a conflict, vote."
        )
    if track.state != AmendmentTrackState.OPEN:
        raise InvalidTransition("This track is already decided.", current_state=track.state)


def tally_of(track: AmendmentTrack) -> Tally | None:
    """A panel track's vote counted by the panel's rule, exactly as a route's panel track is
    (``workflow.reviews.policies.count_votes``); None for other tracks."""
    panel = panel_of(track)
    if panel is None:
        return None
    return count_votes(panel, track.votes.all(), track.amendment.application_id)


def quorum_problems(track: AmendmentTrack) -> list[str]:
    """Why the chair may not record a panel track's decision yet: the panel's quorum, its
    independent and lay votes, and its decision rule (unanimity, a majority)."""
    current = tally_of(track)
    return current.blockers if current is not None else []


def is_blind(track: AmendmentTrack) -> bool:
    """The track's panel runs a blind first round and the vote is still open."""
    return panel_blind(panel_of(track), track.state == AmendmentTrackState.OPEN)


def has_voted(user: Any, track: AmendmentTrack) -> bool:
    return (
        bool(_signed_in(user))
        and AmendmentVote.objects.filter(track=track, member_id=user.pk).exists()
    )


def chair_must_vote_first(user: Any, track: AmendmentTrack) -> bool:
    """On a blind first round the chair records the decision only after voting."""
    return is_blind(track) and not has_voted(user, track)


def _seen(user: Any, track: AmendmentTrack) -> tuple[bool, bool, bool, bool]:
    """(sees, seated, blind, voted) by the reviews' rules (``sees_votes``)."""
    panel = panel_of(track)
    if panel is None or not _signed_in(user):
        return False, False, False, False
    seated = panel.pk in current_panel_ids(user)
    blind = is_blind(track)
    voted = has_voted(user, track)
    quorum_in = False
    if blind and seated and voted:
        current = tally_of(track)
        quorum_in = current is not None and current.votes_cast >= panel.quorum
    sees = sees_votes(
        user,
        seated=seated,
        blind=blind,
        voted=voted,
        quorum_in=quorum_in,
        closes=bool(may_decide(user, track)),
    )
    return sees, seated, blind, voted


def can_see_votes(user: Any, track: AmendmentTrack) -> bool:
    """Who voted what on a panel track: as on a route's panel track, members once they have
    voted (on a blind first round once the quorum has voted too), the chair and ops."""
    return _seen(user, track)[0]


def votes_hidden_because(user: Any, track: AmendmentTrack) -> str:
    """Why ``user`` does not see the panel's votes on ``track`` ("" when they do, or when the
    track is not a panel's)."""
    sees, seated, blind, voted = _seen(user, track)
    if sees or panel_of(track) is None:
        return ""
    return hidden_because(seated=seated, blind=blind, voted=voted)


def check_panel_decision(user: Any, track: AmendmentTrack, outcome: str) -> None:
    """A panel track is decided by the panel's rule, as a route's panel track is closed: 409
    while the chair has not voted on a blind first round or the rule is not met (naming what is
    missing), 400 when the outcome is not the one the members voted."""
    panel = panel_of(track)
    if panel is None:
        return
    if chair_must_vote_first(user, track):
        raise blind_close_refused(track.state)
    check_panel_outcome(
        panel,
        count_votes(panel, track.votes.all(), track.amendment.application_id),
        outcome,
        current_state=track.state,
        label=lambda o: str(TrackOutcome(o).label),
    )


# --- seeing -----------------------------------------------------------------------------------


def _tracks_for(user: Any) -> Q:
    """Tracks ``user`` may decide, as a filter on ``AmendmentTrack``."""
    q = Q(pk__in=[])
    if is_ops(user):
        q |= Q(reviewer=Reviewer.OPS)
    if user.has_role(Role.ANALYST):
        q |= Q(reviewer=Reviewer.ANALYST, amendment__application__analyst=user)
    if has_permission(user, Permission.PANEL_TRACK_DECIDE):
        for reviewer in (Reviewer.IGRP, Reviewer.DEA_PANEL):
            if chairs_panel_for(user, reviewer):
                q |= Q(reviewer=reviewer)
    if has_permission(user, Permission.OWNER_TRACK_DECIDE):
        q |= Q(
            reviewer=Reviewer.DATA_OWNER,
            organisation_id__in=organisations_of(user, OrganisationMembership.Capacity.DATA_OWNER),
        )
    q |= Q(
        reviewer=Reviewer.ORGANISATION_SIGNATORY,
        organisation_id__in=organisations_of(user, OrganisationMembership.Capacity.SIGNATORY),
    )
    return q


def tracks_to_decide(user: Any) -> QuerySet[AmendmentTrack]:
    """Open tracks ``user`` may decide (off their own projects), soonest due first."""
    rows: QuerySet[AmendmentTrack]
    if not _signed_in(user):
        rows = AmendmentTrack.objects.none()
        return rows
    rows = (
        AmendmentTrack.objects.filter(_tracks_for(user), state=AmendmentTrackState.OPEN)
        .exclude(amendment__application__members__user=user)
        .select_related("amendment__application", "organisation")
        .order_by("due_date", "id")
    )
    return rows


def amendments_visible_to(user: Any) -> QuerySet[Amendment]:
    """Amendments of projects ``user`` may see, and those with a track they decide."""
    rows: QuerySet[Amendment]
    if not _signed_in(user):
        rows = Amendment.objects.none()
        return rows
    decided_here = AmendmentTrack.objects.filter(_tracks_for(user)).values("amendment_id")
    rows = Amendment.objects.filter(
        Q(application__in=applications_visible_to(user).values("pk")) | Q(pk__in=decided_here)
    ).select_related("application")
    return rows


def can_view(user: Any, amendment: Amendment) -> bool:
    if not _signed_in(user):
        return False
    if can_view_whole(user, amendment.application):
        return True
    return any(is_reviewer_for(user, t) for t in amendment.tracks.all())


def visible_amendment(user: Any, application: Application, pk: Any) -> Amendment:
    """Amendment ``pk`` of ``application`` if ``user`` may see it; 404 otherwise."""
    found: Amendment | None = (
        Amendment.objects.select_related("application").filter(pk=pk, application=application)
        if str(pk).isdigit()
        else Amendment.objects.none()
    ).first()
    if found is None or not can_view(user, found):
        raise Http404("No such amendment.")
    return found


def amendment_application(user: Any, pk: Any) -> Application:
    """Project ``pk`` for its amendments: whoever may see it, or a reviewer of one of its
    amendments' tracks; 404 otherwise."""
    application: Application | None = (
        Application.objects.filter(pk=pk).first() if str(pk).isdigit() else None
    )
    if application is None:
        raise Http404("No such application.")
    if can_view_whole(user, application):
        return application
    if (
        _signed_in(user)
        and AmendmentTrack.objects.filter(
            _tracks_for(user), amendment__application=application
        ).exists()
    ):
        return application
    if can_view_application(user, application):
        # They see their part of the project (a data owner): 403, as for its whole pages.
        raise NotAllowed(
            "You see only your part of this project; its amendments are for those who see it "
            "whole, and for the reviewers of each amendment."
        )
    raise Http404("No such application.")


# --- what a person may do now -----------------------------------------------------------------


def actions_for(user: Any, amendment: Amendment) -> list[str]:
    """What ``user`` may do on ``amendment`` now (the transitions and the track decisions)."""
    actions: list[str] = []
    for name in ("submit", "withdraw"):
        if may(amendment, name, user) and name in _allowed(amendment):
            actions.append(name)
    if amendment.state == AmendmentState.DRAFT and "submit" in actions:
        actions.insert(0, "edit")
    for track in amendment.tracks.filter(state=AmendmentTrackState.OPEN):
        if can_vote(user, track):
            actions.append(f"vote:{track.pk}")
        if can_decide(user, track):
            actions.append(f"decide:{track.pk}")
    if (
        amendment.state == AmendmentState.APPROVED
        and any(
            c["type"] == ChangeType.ADD_MEMBER and c["user"] == getattr(user, "pk", None)
            for c in amendment.changes
        )
        and not amendment.application.access_grants.filter(person_id=user.pk).exists()
    ):
        actions.append("sign")
    return actions


def _allowed(amendment: Amendment) -> set[str]:
    if amendment.state == AmendmentState.DRAFT:
        return {"submit", "withdraw"}
    if amendment.state == AmendmentState.IN_REVIEW:
        return {"withdraw"}
    return set()
