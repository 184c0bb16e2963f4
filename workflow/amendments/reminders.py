"""Amendments on the clock: reminders raised by the existing sweep
(``workflow.turnaround.reminders``), once per track or person (the outbox's unique key).

* ``amendment.track_overdue``: the day after a track's due date (its rule's target in working
  days from when it opened), to whoever may decide it;
* ``amendment.track_escalated``: five working days after that, to ops;
* ``amendment.signature_needed``: a member an approved amendment added who has not signed the
  agreement, and so has no access yet, is reminded a working day after the approval.
"""

from __future__ import annotations

from collections.abc import Iterable

from access.models import AgreementSignature, Role, SignatureCapacity
from access.safe_people.selectors import agreement_current
from workflow.amendments.models import (
    Amendment,
    AmendmentState,
    AmendmentTrack,
    AmendmentTrackState,
    ChangeType,
)
from workflow.amendments.notices import track_deciders
from workflow.turnaround.calendar import add_workdays, local_date
from workflow.turnaround.reminders import Due, SweepClock, reminder

ESCALATE_AFTER_WORKING_DAYS = 5
BODY = (
    "{{ reference }}: amendment {{ number }} ({{ track }}) was due for a decision on "
    "{{ due_on|date:'j F Y' }}."
)


def _open_tracks() -> Iterable[AmendmentTrack]:
    return (
        AmendmentTrack.objects.filter(
            state=AmendmentTrackState.OPEN, amendment__state=AmendmentState.IN_REVIEW
        )
        .select_related("amendment__application", "organisation")
        .order_by("due_date", "id")
    )


def _due(track: AmendmentTrack, recipients: list) -> Due:
    amendment = track.amendment
    return Due(
        recipients=recipients,
        about=f"amendment:{amendment.pk}",
        visit=f"track-{track.pk}",
        url=f"/applications/{amendment.application_id}/amendments/{amendment.pk}/",
        context={
            "reference": amendment.application.reference,
            "number": amendment.number,
            "track": track.name,
            "due_on": track.due_date,
        },
    )


@reminder(
    "amendment.track_overdue",
    subject="Amendment overdue: {{ reference }} amendment {{ number }}",
    body=BODY + " Please decide it: the project is waiting on you alone.",
)
def amendment_track_overdue(clock: SweepClock) -> Iterable[Due]:
    for track in _open_tracks():
        if clock.today > track.due_date:
            yield _due(track, track_deciders(track))


@reminder(
    "amendment.track_escalated",
    subject="Escalation: amendment overdue: {{ reference }} amendment {{ number }}",
    body=BODY + " It needs ops' attention.",
)
def amendment_track_escalated(clock: SweepClock) -> Iterable[Due]:
    for track in _open_tracks():
        if clock.today > add_workdays(track.due_date, ESCALATE_AFTER_WORKING_DAYS):
            team = track.amendment.application.team_ids()
            yield _due(track, [u for u in clock.directory(Role.OPS) if u.pk not in team])


@reminder(
    "amendment.signature_needed",
    subject="Sign the data access agreement for {{ reference }}",
    body="You were added to {{ reference }} by amendment {{ number }}. Your access starts once "
    "you have signed the data access agreement and are accredited.",
)
def amendment_signature_needed(clock: SweepClock) -> Iterable[Due]:
    current = agreement_current()
    if current is None:
        return
    approved = Amendment.objects.filter(
        state=AmendmentState.APPROVED, application__state="active", decided_at__isnull=False
    ).select_related("application")
    for amendment in approved:
        if clock.today <= add_workdays(local_date(amendment.decided_at), 1):
            continue
        added = [c["user"] for c in amendment.changes if c["type"] == ChangeType.ADD_MEMBER]
        if not added:
            continue
        members = amendment.application.members.filter(user_id__in=added).select_related("user")
        signed = set(
            AgreementSignature.objects.filter(
                application=amendment.application,
                agreement=current,
                capacity=SignatureCapacity.MEMBER,
            ).values_list("signer_id", flat=True)
        )
        for member in members:
            if member.user_id not in signed:
                yield Due(
                    recipients=[member.user],
                    about=f"amendment:{amendment.pk}",
                    visit=f"sign-{member.user_id}",
                    url=f"/applications/{amendment.application_id}/amendments/{amendment.pk}/",
                    context={
                        "reference": amendment.application.reference,
                        "number": amendment.number,
                    },
                )
