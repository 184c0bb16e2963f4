"""The parallel review tracks and the one combined decision.

``refer_to_panels`` opens, all at once, an IGRP track, a DEA panel track when any dataset is
shared under the DEA research gateway, and an owner sign-off track for each data-providing
organisation whose datasets are requested; each track tells the people who decide it. When the
last current track is decided the application moves by the combined outcome: any rejection
rejects, else any request to revise sends it back (a new round of feedback, and only those
tracks reopen on resubmission), else it is approved with the union of the conditions.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from access.models import User
from catalogue.models import PreApprovedCategoryVersion
from core.errors import ValidationFailed
from notifications.notices import raise_notice, service
from workflow.events import fire, record_event
from workflow.models import (
    MAX_CONDITIONS,
    ActorRole,
    AgendaItem,
    AgendaItemState,
    Application,
    EventKind,
    Outcome,
    Panel,
    PanelMode,
    PreApprovedMatch,
    ReviewTrack,
    Section,
    State,
    TrackKind,
    TrackState,
)
from workflow.reviews.policies import check_open, check_sign_off
from workflow.reviews.preapproval import DatasetMatch, covered_organisations, match_application
from workflow.reviews.selectors import active_panel, required_tracks
from workflow.reviews.services.feedback import open_feedback
from workflow.safes import services as five_safes
from workflow.sittings.selectors import next_sitting
from workflow.transparency import services as transparency
from workflow.turnaround.targets import track_target


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


def _due(kind: str, opened: datetime.date, panel: Panel | None = None) -> dict[str, Any]:
    """The track's due date and the version of its target: the target ops set for the track
    (the panel's own, else its kind's; working or calendar days), as it stands at opening.
    Both are fixed then: a later change of target applies to tracks opened after it."""
    target = track_target(kind, panel=panel)
    due = target.due(opened)
    if panel is not None and panel.mode == PanelMode.SITTING:
        # A panel that sits decides at its next sitting whose cut-off the track makes
        # (``workflow.sittings``); without one planned, the target stands.
        sitting = next_sitting(panel, opened)
        if sitting is not None:
            due = sitting.date
    return {"due_date": due, "target_id": target.id}


def panel_errors(application: Application) -> dict[str, list[str]]:
    """A panel track needs a configured, active panel with a chair."""
    errors = []
    for kind, _org in required_tracks(application):
        if kind == TrackKind.OWNER_SIGNOFF:
            continue
        panel = active_panel(kind)
        label = TrackKind(kind).label
        if panel is None:
            errors.append(f"No active {label} is configured: ops must set one up.")
        elif not panel.memberships.filter(is_chair=True, left_on__isnull=True).exists():
            errors.append(f"The {label} has no chair: ops must appoint one.")
    return {"panels": errors} if errors else {}


def open_tracks(*, application: Application, by: User) -> list[ReviewTrack]:
    """Open every required track, in parallel, on the current version.

    An owner whose requested datasets all fall in an offered pre-approved category is signed off
    at once, automatically, citing each category version (frozen in ``PreApprovedMatch``).
    """
    today = timezone.localdate()
    covered = covered_organisations(match_application(application, day=today))
    tracks = []
    for kind, org_id in required_tracks(application):
        panel = active_panel(kind) if kind != TrackKind.OWNER_SIGNOFF else None
        track = ReviewTrack.objects.create(
            application=application,
            kind=kind,
            organisation_id=org_id,
            panel=panel,
            version=application.current_version,
            **_due(kind, today, panel),
        )
        tracks.append(track)
        if org_id in covered:
            _decide_pre_approved(application, track, covered[org_id])
        else:
            raise_notice("track.opened", track, actor=by, app=application, track=track)
    return tracks


def _decide_pre_approved(
    application: Application, track: ReviewTrack, matches: list[DatasetMatch]
) -> None:
    # Each dataset of a covered organisation falls in a category (``covered_organisations``).
    cited = [(m.dataset, m.matched) for m in matches if m.matched is not None]
    versions = {
        v.pk: v
        for v in PreApprovedCategoryVersion.objects.filter(
            category_id__in=[matched.category_id for _, matched in cited]
        ).filter(version__in=[matched.version for _, matched in cited])
    }
    citations = []
    conditions = []
    for slug, matched in cited:
        version = next(
            v
            for v in versions.values()
            if v.category_id == matched.category_id and v.version == matched.version
        )
        dataset = application.requested_datasets.get(dataset__slug=slug).dataset
        PreApprovedMatch.objects.create(track=track, dataset=dataset, category_version=version)
        citations.append({"dataset": slug, "category": version.citation, "title": version.title})
        if version.conditions.strip():
            conditions.append(version.conditions.strip())
    rationale = "Within the pre-approved categories " + ", ".join(
        f"{c['title']} ({c['category']}) for {c['dataset']}" for c in citations
    )
    decide_track(
        application,
        track,
        by=None,
        outcome=Outcome.APPROVED_WITH_CONDITIONS if conditions else Outcome.APPROVED,
        rationale=rationale + ".",
        conditions=conditions,
        extra={"pre_approved": citations},
        combine=False,
    )


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
        panel = active_panel(old.kind) if old.kind != TrackKind.OWNER_SIGNOFF else None
        track = ReviewTrack.objects.create(
            application=application,
            kind=old.kind,
            organisation_id=old.organisation_id,
            panel=panel or old.panel,
            round=old.round + 1,
            version=application.current_version,
            **_due(old.kind, today, panel),
        )
        record_event(
            application=application,
            track=track,
            kind=EventKind.TRACK_REOPENED,
            by=by,
            role=ActorRole.MEMBER,
            payload={"track": _track_label(track), "round": track.round},
        )
        raise_notice("track.reopened", track, actor=by, app=application, track=track)
        reopened.append(track)
    return reopened


def review_tracks_close(
    *, application: Application, by: User, reason: str = ""
) -> list[ReviewTrack]:
    """Close every open track of an application that has ended (withdrawn, rejected, closed):
    nobody decides them any more, their clocks stop and nobody is reminded of them.

    Before: the application is locked and has just left the route (the caller's transition).
    After: no track of it is open; each one closed has ``closed_at`` and its own event, and the
    people it asked are told nothing more is needed from them. Decided tracks are untouched.
    """
    closed = []
    for track in (
        ReviewTrack.objects.select_for_update(of=("self",))
        .filter(application=application, state=TrackState.OPEN)
        .select_related("panel", "organisation")
        .order_by("id")
    ):
        track.application = application
        track.closed_at = timezone.now()
        _leave_agendas(track)
        fire(
            track,
            "close",
            by=by,
            check_policy=False,  # the system's, on behalf of whoever ended the application
            reason=reason,
            payload={"track": _track_label(track), "application_state": application.state},
        )
        closed.append(track)
    return closed


def _leave_agendas(track: ReviewTrack) -> None:
    """A track decided or closed is no longer before any sitting (``workflow.sittings``): an
    item listed for it is marked so (the sitting deciding it marks its own item decided)."""
    AgendaItem.objects.filter(track=track, state=AgendaItemState.LISTED).update(
        state=AgendaItemState.WITHDRAWN
    )


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
    if len(conditions) > MAX_CONDITIONS:
        errors["conditions"] = [f"State at most {MAX_CONDITIONS} conditions."]
    return errors


@service
def review_track_decide(
    *,
    track: ReviewTrack,
    by: User,
    outcome: str,
    rationale: str = "",
    conditions: Sequence[str] = (),
) -> ReviewTrack:
    """A data owner signs off (with or without conditions) or refuses, for their organisation.

    Panel tracks are not decided here: their chair closes them after the vote
    (``workflow.services.panels.panel_track_close``).
    """
    application, track = lock_track(track)
    check_sign_off(by, track)
    check_decision(track, outcome, rationale, conditions)
    decide_track(
        application,
        track,
        by=by,
        outcome=outcome,
        rationale=rationale,
        conditions=conditions,
    )
    return track


def lock_track(track: ReviewTrack) -> tuple[Application, ReviewTrack]:
    """Lock the application first, then the track: every decision on one application is
    serialised, so two tracks closing at once cannot both miss being the last."""
    application = Application.objects.locked(track.application_id)
    track = (
        ReviewTrack.objects.select_for_update(of=("self",)).select_related("panel").get(pk=track.pk)
    )
    track.application = application
    return application, track


def check_decision(
    track: ReviewTrack, outcome: str, rationale: str, conditions: Sequence[str]
) -> None:
    """409 unless the track is open in review; 400 with field messages for a bad decision."""
    check_open(track)
    errors = track_decision_errors(outcome, rationale, conditions, track.kind)
    if errors:
        raise ValidationFailed("The decision has invalid fields.", fields=errors)


def decide_track(
    application: Application,
    track: ReviewTrack,
    *,
    by: User | None,
    outcome: str,
    rationale: str,
    conditions: Sequence[str],
    role: str | None = None,
    extra: dict[str, Any] | None = None,
    combine: bool = True,
) -> None:
    """Record a track's decision and its event; then, if it was the last open track, move the
    application by the combined outcome (same transaction, so the two never disagree).

    Preconditions: both rows locked (``lock_track``), policy and input already checked.
    """
    track.outcome = outcome
    track.rationale = rationale.strip()
    track.conditions = [c.strip() for c in conditions if c.strip()]
    track.decided_at = timezone.now()
    track.decided_by = by
    track.automatic = by is None
    fire(
        track,
        "decide",
        by=by,
        role=role,
        check_policy=False,  # checked by the caller, with the reason for a refusal
        reason=track.rationale,
        payload={
            "track": _track_label(track),
            "outcome": outcome,
            "conditions": track.conditions,
            "version": track.version,
            **(extra or {}),
        },
    )
    _leave_agendas(track)
    if combine:
        if by is None:  # never: only automatic decisions (no person) leave combining out
            raise ValueError("Combining the tracks' outcomes needs the person who decided")
        _combine_if_complete(application, by=by)


def _combine_if_complete(application: Application, *, by: User) -> None:
    current = list(application.tracks.filter(superseded=False))
    if any(t.state == TrackState.OPEN for t in current):
        return
    combined = combine_outcomes(t.outcome for t in current)
    payload = {
        "combined_outcome": combined,
        "track_ids": [t.pk for t in current],
        "tracks": {_track_label(t): t.outcome for t in current},
        # The union: a condition two tracks both set is one condition to meet.
        "conditions": list(dict.fromkeys(c for t in current for c in t.conditions)),
    }
    if combined == Outcome.REJECTED:
        fire(application, "decline", by=by, check_policy=False, payload=payload)
        application.decided_at = timezone.now()
        application.save(update_fields=["decided_at", "updated_at"])
        _record_decision(application, combined, by=by)
    elif combined == Outcome.REVISE_AND_RESUBMIT:
        fire(application, "request_revision", by=by, check_policy=False, payload=payload)
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
        fire(application, "approve", by=by, check_policy=False, payload=payload)
        application.decided_at = timezone.now()
        application.save(update_fields=["decided_at", "updated_at"])
        _record_decision(application, combined, by=by)
        # The conditions become obligations (Condition rows); the agreement is asked for.
        five_safes.after_approval(application, tracks=current, by=by)


def _record_decision(application: Application, outcome: str, *, by: User | None) -> None:
    """The decision's immutable record and the public register entry, in its transaction."""
    transparency.decision_record_create(application=application, outcome=outcome, by=by)
    transparency.register_record(application)
