"""The parallel review tracks and the one combined decision.

``refer_to_panels`` opens, all at once, an IGRP track, a DEA panel track when any dataset is
shared under the DEA research gateway, and an owner sign-off track for each data-providing
organisation whose datasets are requested. When the last current track is decided the
application moves by the combined outcome.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence

from django.db import transaction
from django.utils import timezone
from django_fsm import ConcurrentTransition

from access.exceptions import ConcurrentChange, InvalidTransition, NotAllowed, ValidationFailed
from access.models import User
from workflow.models import (
    ActorRole,
    Application,
    EventKind,
    LegalGateway,
    Outcome,
    ReviewTrack,
    Section,
    State,
    TrackKind,
    TrackState,
)

from .content import gateway_problem
from .core import fire, lock_application, record_event, transition_meta


def combine_outcomes(outcomes: Iterable[str]) -> str:
    """The combined outcome of every track: any rejection rejects; otherwise any request to
    revise sends it back; otherwise it is approved (with conditions if any track set some)."""
    outcomes = list(outcomes)
    if not outcomes:
        raise ValueError("No outcomes to combine")
    if Outcome.REJECTED in outcomes:
        return Outcome.REJECTED
    if Outcome.REVISE_AND_RESUBMIT in outcomes:
        return Outcome.REVISE_AND_RESUBMIT
    if Outcome.APPROVED_WITH_CONDITIONS in outcomes:
        return Outcome.APPROVED_WITH_CONDITIONS
    return Outcome.APPROVED


def referral_errors(application: Application) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for index, rd in enumerate(application.requested_datasets.select_related("dataset")):
        problem = gateway_problem(rd.dataset, rd.legal_gateway)
        if problem:
            errors.setdefault(f"datasets.{index}.legal_gateway", []).append(problem)
    return errors


def _due(kind: str, opened: datetime.date) -> datetime.date:
    # The target ops set for the track (working or calendar days), as it stands at opening.
    from .turnaround import track_due_date

    return track_due_date(kind, opened)


def required_tracks(application: Application) -> list[tuple[str, int | None]]:
    """(kind, organisation id) of every track this application needs."""
    requested = list(application.requested_datasets.select_related("dataset"))
    needed: list[tuple[str, int | None]] = [(TrackKind.IGRP, None)]
    if any(rd.legal_gateway == LegalGateway.DEA_RESEARCH for rd in requested):
        needed.append((TrackKind.DEA_PANEL, None))
    for org_id in sorted({rd.dataset.provider_id for rd in requested}):
        needed.append((TrackKind.OWNER_SIGNOFF, org_id))
    return needed


def open_tracks(*, application: Application, by: User) -> list[ReviewTrack]:
    """Open every required track, in parallel, on the current version."""
    today = timezone.localdate()
    tracks = []
    for kind, org_id in required_tracks(application):
        track = ReviewTrack.objects.create(
            application=application,
            kind=kind,
            organisation_id=org_id,
            version=application.current_version,
            due_date=_due(kind, today),
        )
        tracks.append(track)
    return tracks


def reopen_revised_tracks(*, application: Application, by: User) -> list[ReviewTrack]:
    """On resubmission to review: the tracks that asked for revision start again; the others
    keep their decision."""
    today = timezone.localdate()
    reopened = []
    for old in application.tracks.filter(
        superseded=False, outcome=Outcome.REVISE_AND_RESUBMIT
    ).order_by("id"):
        old.superseded = True
        old.save(update_fields=["superseded"])
        track = ReviewTrack.objects.create(
            application=application,
            kind=old.kind,
            organisation_id=old.organisation_id,
            round=old.round + 1,
            version=application.current_version,
            due_date=_due(old.kind, today),
        )
        record_event(
            application=application,
            track=track,
            kind=EventKind.TRACK_REOPENED,
            by=by,
            role=ActorRole.MEMBER,
            payload={"track": _track_label(track), "round": track.round},
        )
        reopened.append(track)
    return reopened


def _track_label(track: ReviewTrack) -> str:
    if track.organisation_id:
        return f"{track.kind}:{track.organisation_id}"
    return track.kind


def track_decision_errors(
    outcome: str, rationale: str, conditions: Sequence[str], kind: str
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if outcome not in Outcome.values:
        errors["outcome"] = ["Choose an outcome."]
    elif kind == TrackKind.OWNER_SIGNOFF and outcome == Outcome.REVISE_AND_RESUBMIT:
        errors["outcome"] = ["A data owner approves, approves with conditions, or refuses."]
    if outcome != Outcome.APPROVED and not rationale.strip():
        errors["rationale"] = ["Give the reasons for this outcome."]
    if outcome == Outcome.APPROVED_WITH_CONDITIONS and not [c for c in conditions if c.strip()]:
        errors["conditions"] = ["State at least one condition."]
    if outcome in (Outcome.APPROVED, Outcome.REJECTED, Outcome.REVISE_AND_RESUBMIT) and any(
        c.strip() for c in conditions
    ):
        errors["conditions"] = ["Conditions go with 'approved with conditions' only."]
    return errors


@transaction.atomic
def review_track_decide(
    *,
    track: ReviewTrack,
    by: User,
    outcome: str,
    rationale: str = "",
    conditions: Sequence[str] = (),
) -> ReviewTrack:
    """Decide one track; when it is the last open one, move the application by the combined
    outcome (in the same transaction, so the two never disagree).

    The application row is locked first, then the track: every decision on one application is
    serialised, so two tracks closing at once cannot both miss being last.
    """
    application = lock_application(track.application_id)
    track = ReviewTrack.objects.select_for_update().get(pk=track.pk)
    track.application = application
    may = transition_meta(ReviewTrack, "decide")["may"]
    if not may(track, by):
        raise NotAllowed("You may not decide this review track.")
    if track.superseded or track.state != TrackState.OPEN or application.state != State.IN_REVIEW:
        raise InvalidTransition("This track is already decided.", current_state=track.state)
    errors = track_decision_errors(outcome, rationale, conditions, track.kind)
    if errors:
        raise ValidationFailed("The decision has invalid fields.", fields=errors)
    track.decide()
    track.outcome = outcome
    track.rationale = rationale.strip()
    track.conditions = [c.strip() for c in conditions if c.strip()]
    track.decided_at = timezone.now()
    track.decided_by = by
    try:
        track.save()
    except ConcurrentTransition as exc:  # pragma: no cover - the row lock makes this rare
        raise ConcurrentChange("This track changed at the same moment; reload.") from exc
    role = ActorRole.DATA_OWNER if track.kind == TrackKind.OWNER_SIGNOFF else ActorRole.PANEL_MEMBER
    event = record_event(
        application=application,
        track=track,
        kind=EventKind.TRACK_DECIDED,
        by=by,
        role=role,
        reason=track.rationale,
        payload={
            "track": _track_label(track),
            "outcome": outcome,
            "conditions": track.conditions,
            "version": track.version,
        },
    )
    from workflow.notify import notify_transition

    notify_transition(application=application, event=event, notify_kind="track.decided")
    _combine_if_complete(application, by=by)
    return track


def _combine_if_complete(application: Application, *, by: User) -> None:
    current = list(application.tracks.filter(superseded=False))
    if any(t.state == TrackState.OPEN for t in current):
        return
    combined = combine_outcomes(t.outcome for t in current)
    payload = {
        "combined_outcome": combined,
        "tracks": {_track_label(t): t.outcome for t in current},
        # The union: a condition two tracks both set is one condition to meet.
        "conditions": list(dict.fromkeys(c for t in current for c in t.conditions)),
    }
    if combined == Outcome.REJECTED:
        fire(
            application,
            "decline",
            by=by,
            role=ActorRole.SYSTEM,
            check_policy=False,
            payload=payload,
        )
        application.decided_at = timezone.now()
        application.save(update_fields=["decided_at", "updated_at"])
    elif combined == Outcome.REVISE_AND_RESUBMIT:
        from .applications import open_feedback

        fire(
            application,
            "request_revision",
            by=by,
            role=ActorRole.SYSTEM,
            check_policy=False,
            payload=payload,
        )
        open_feedback(
            application,
            stage=State.IN_REVIEW,
            by=by,
            summary="The review asked for revisions.",
            items=[
                {
                    "section": Section.GENERAL,
                    "text": f"{t.get_kind_display()}: {t.rationale}",
                }
                for t in current
                if t.outcome == Outcome.REVISE_AND_RESUBMIT
            ],
        )
    else:
        fire(
            application,
            "approve",
            by=by,
            role=ActorRole.SYSTEM,
            check_policy=False,
            payload=payload,
        )
        application.decided_at = timezone.now()
        application.save(update_fields=["decided_at", "updated_at"])
