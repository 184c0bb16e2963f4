"""Panel voting: members vote or declare a conflict; the chair closes when the rule allows.

A member sees the others' votes only after voting (then also where they diverge). On a panel
with a blind first round nobody sees another vote, nor the tally, until they have voted and the
quorum has voted, and the chair votes before closing (``policies.can_see_votes``). A member
with a declared conflict cannot vote on any track of that application and does not count to the
quorum. A panel's decision rule asks for a quorum of votes, of which at least N from
independent members and at least N from lay members; the DEA panel needs at least three votes,
one from an independent member (enforced by the panel's configuration: a check constraint).
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import IntegrityError, transaction
from django.utils import timezone

from access.models import Role, User
from core.errors import ConcurrentChange, InvalidTransition, ValidationFailed
from notifications.notices import raise_notice, service
from workflow.events import record_event
from workflow.models import (
    MAX_CONDITIONS,
    ActorRole,
    Application,
    ConflictOfInterest,
    DecisionRule,
    EventKind,
    Outcome,
    Panel,
    PanelMembership,
    ReviewTrack,
    Vote,
)
from workflow.reviews.policies import (
    Tally,
    check_change_vote,
    check_close,
    check_declare_conflict,
    check_manage_panels,
    check_panel_outcome,
    check_vote,
    count_votes,
)
from workflow.reviews.services.tracks import check_decision, decide_track, lock_track


def tally(track: ReviewTrack) -> Tally:
    """Count the eligible votes: current members, not conflicted on this application."""
    return count_votes(track.voting_panel, Vote.objects.filter(track=track), track.application_id)


def _check_vote_input(choice: str, rationale: str, conditions: Sequence[str]) -> None:
    errors: dict[str, list[str]] = {}
    if choice not in Outcome.values:
        errors["choice"] = ["Choose approve, approve with conditions, revise or reject."]
    if choice != Outcome.APPROVED and not rationale.strip():
        errors["rationale"] = ["Give your reasons (required for anything but approve)."]
    if choice == Outcome.APPROVED_WITH_CONDITIONS and not [c for c in conditions if c.strip()]:
        errors["conditions"] = ["Propose at least one condition."]
    if len(conditions) > MAX_CONDITIONS:
        errors["conditions"] = [f"Propose at most {MAX_CONDITIONS} conditions."]
    if errors:
        raise ValidationFailed("The vote has invalid fields.", fields=errors)


@service
def vote_cast(
    *,
    track: ReviewTrack,
    by: User,
    choice: str,
    rationale: str = "",
    conditions: Sequence[str] = (),
) -> Vote:
    """A member's first vote on an open panel track (a second one is refused: change it)."""
    application, track = lock_track(track)
    check_vote(by, track)
    if Vote.objects.filter(track=track, member=by).exists():
        raise ConcurrentChange(
            "You have already voted on this track; change your vote instead.",
            current_state=track.state,
        )
    _check_vote_input(choice, rationale, conditions)
    try:
        with transaction.atomic():
            vote = Vote.objects.create(
                track=track,
                member=by,
                choice=choice,
                rationale=rationale.strip(),
                proposed_conditions=[c.strip() for c in conditions if c.strip()],
            )
    except IntegrityError as exc:  # pragma: no cover - the track lock serialises voters
        raise ConcurrentChange("You have already voted on this track.") from exc
    _record_vote(application, track, by, vote, EventKind.VOTE_CAST)
    return vote


@service
def vote_change(
    *, vote: Vote, by: User, choice: str, rationale: str = "", conditions: Sequence[str] = ()
) -> Vote:
    """Change one's own vote until the track closes."""
    application, track = lock_track(vote.track)
    vote = Vote.objects.select_for_update().get(pk=vote.pk)
    vote.track = track
    check_change_vote(by, vote)
    _check_vote_input(choice, rationale, conditions)
    vote.choice = choice
    vote.rationale = rationale.strip()
    vote.proposed_conditions = [c.strip() for c in conditions if c.strip()]
    vote.save()
    _record_vote(application, track, by, vote, EventKind.VOTE_CHANGED)
    return vote


def _record_vote(
    application: Application, track: ReviewTrack, by: User, vote: Vote, kind: EventKind
) -> None:
    record_event(
        application=application,
        track=track,
        kind=kind,
        by=by,
        role=ActorRole.PANEL_MEMBER,
        reason=vote.rationale,
        payload={"track": track.pk, "choice": vote.choice},
    )
    current = tally(track)
    if current.can_close:
        raise_notice("track.ready_to_close", track, actor=by, app=application, track=track)
    if (
        track.voting_panel.blind_first_round
        and kind == EventKind.VOTE_CAST
        and current.votes_cast == current.quorum
    ):
        # A blind first round opens when the quorum has voted: the vote that makes the quorum
        # tells those who voted before it that they may now read the others' votes (once).
        raise_notice("track.tally_opened", track, actor=by, app=application, track=track)


@service
def conflict_declare(*, track: ReviewTrack, by: User, reason: str) -> ConflictOfInterest:
    """A panel member declares a conflict on the application of ``track``; from then on they
    neither vote on nor close any of its tracks, and any vote they cast stops counting."""
    application, track = lock_track(track)
    check_declare_conflict(by, track)
    if not reason.strip():
        raise ValidationFailed(
            "Say what the conflict is.", fields={"reason": ["Describe the conflict of interest."]}
        )
    conflict, created = ConflictOfInterest.objects.get_or_create(
        application=application, user=by, defaults={"reason": reason.strip()}
    )
    if not created:
        raise ConcurrentChange("You have already declared a conflict on this application.")
    record_event(
        application=application,
        track=track,
        kind=EventKind.CONFLICT_DECLARED,
        by=by,
        role=ActorRole.PANEL_MEMBER,
        reason=conflict.reason,
        payload={"track": track.pk},
    )
    return conflict


@service
def panel_track_close(
    *,
    track: ReviewTrack,
    by: User,
    outcome: str,
    rationale: str = "",
    conditions: Sequence[str] = (),
) -> ReviewTrack:
    """The chair closes the vote with the panel's outcome and conditions, when the rule allows:
    the quorum of eligible votes (and independent votes) is reached; under majority the outcome
    is the one with most votes; under unanimity every vote agrees; under 'chair decides' any
    outcome once the quorum is reached."""
    application, track = lock_track(track)
    check_close(by, track)
    check_decision(track, outcome, rationale, conditions)
    current = tally(track)
    check_panel_outcome(
        track.voting_panel,
        current,
        outcome,
        current_state=track.state,
        label=lambda o: str(Outcome(o).label),
    )
    track.votes_counted = current.votes_cast
    track.lay_votes_counted = current.lay_votes
    decide_track(
        application,
        track,
        by=by,
        outcome=outcome,
        rationale=rationale,
        conditions=conditions,
        extra={
            "tally": current.counts,
            "independent_votes": current.independent_votes,
            "lay_votes": current.lay_votes,
        },
    )
    return track


# --- configuration (ops) ------------------------------------------------------------------


@service
def panel_membership_add(
    *,
    panel: Panel,
    by: User,
    user: User,
    is_independent: bool = False,
    is_lay: bool = False,
    is_chair: bool = False,
) -> PanelMembership:
    """Seat ``user`` on ``panel`` (ops). A chair replaces the previous chair's chairmanship.
    A lay member (a member of the public) is independent of the TRE too."""
    check_manage_panels(by)
    if not user.is_active or not user.has_role(Role.PANEL_MEMBER):
        raise ValidationFailed(
            "Not a panel member.", fields={"user": [f"{user} does not hold the panel member role."]}
        )
    is_independent = is_independent or is_lay
    membership = PanelMembership.objects.filter(panel=panel, user=user).first()
    if membership is not None and membership.left_on is None:
        raise ConcurrentChange(f"{user} already sits on {panel}.")
    if is_chair:
        PanelMembership.objects.filter(panel=panel, is_chair=True, left_on__isnull=True).update(
            is_chair=False
        )
    if membership is None:
        membership = PanelMembership(panel=panel, user=user)
    membership.is_independent = is_independent
    membership.is_lay = is_lay
    membership.is_chair = is_chair
    membership.left_on = None
    membership.save()
    return membership


@service
def panel_membership_end(*, membership: PanelMembership, by: User) -> PanelMembership:
    """The member leaves the panel (their past votes stay on record; open ones stop counting)."""
    check_manage_panels(by)
    membership = PanelMembership.objects.select_for_update().get(pk=membership.pk)
    if membership.left_on is not None:
        raise InvalidTransition("This member has already left the panel.", current_state="left")
    membership.left_on = timezone.localdate()
    membership.is_chair = False
    membership.save()
    return membership


def panel_rule_errors(
    panel: Panel,
    *,
    quorum: int,
    decision_rule: str,
    min_independent_votes: int,
    min_lay_votes: int,
) -> dict[str, list[str]]:
    """What is wrong with a decision rule for ``panel`` as it is seated now: a rule the panel
    could never meet (more votes, independent or lay votes than it has such members) is
    refused, as is a DEA panel below three votes with one independent."""
    seats = list(PanelMembership.objects.filter(panel=panel, left_on__isnull=True))
    independent = sum(1 for m in seats if m.is_independent)
    lay = sum(1 for m in seats if m.is_lay)
    errors: dict[str, list[str]] = {}
    if decision_rule not in DecisionRule.values:
        errors["decision_rule"] = ["Choose majority, unanimous or the chair decides."]
    if quorum < 1:
        errors["quorum"] = ["A panel needs at least one vote to decide."]
    elif quorum > len(seats):
        errors["quorum"] = [
            f"The panel has {_members_word(len(seats))}; it cannot need {quorum} votes."
        ]
    if min_independent_votes > independent:
        errors["min_independent_votes"] = [
            f"The panel has {_members_word(independent, 'independent')}; it cannot need "
            f"{min_independent_votes} independent votes."
        ]
    elif min_independent_votes > quorum:
        errors["min_independent_votes"] = ["Ask for no more independent votes than the quorum."]
    if min_lay_votes > lay:
        errors["min_lay_votes"] = [
            f"The panel has {_members_word(lay, 'lay')}; it cannot need {min_lay_votes} lay votes."
        ]
    elif min_lay_votes > quorum:
        errors["min_lay_votes"] = ["Ask for no more lay votes than the quorum."]
    if panel.track_kind == "dea_panel" and (quorum < 3 or min_independent_votes < 1):
        errors.setdefault("quorum", []).append(
            "The DEA panel needs at least three votes, one from an independent member."
        )
    return errors


def _members_word(count: int, kind: str = "") -> str:
    noun = "member" if count == 1 else "members"
    return f"{count} {kind + ' ' if kind else ''}{noun}"


@service
def panel_rule_set(
    *,
    panel: Panel,
    by: User,
    quorum: int,
    decision_rule: str,
    min_independent_votes: int = 0,
    min_lay_votes: int = 0,
    blind_first_round: bool = False,
) -> Panel:
    """Ops set a panel's decision rule: the quorum, how it decides, the independent and lay
    votes it needs, and whether its first round is blind. Applies to votes not yet closed.

    Refused (400, field by field) when the panel as seated could never meet it."""
    check_manage_panels(by)
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    errors = panel_rule_errors(
        panel,
        quorum=quorum,
        decision_rule=decision_rule,
        min_independent_votes=min_independent_votes,
        min_lay_votes=min_lay_votes,
    )
    if errors:
        raise ValidationFailed("The panel's rule has invalid fields.", fields=errors)
    panel.quorum = quorum
    panel.decision_rule = decision_rule
    panel.min_independent_votes = min_independent_votes
    panel.min_lay_votes = min_lay_votes
    panel.blind_first_round = blind_first_round
    panel.save()
    return panel
