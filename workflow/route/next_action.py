"""Each person's own next action on an application, for the top of every page of it.

"Who holds the step" is answered in one place (``next_actors`` in workflow/route/selectors.py);
this module turns it into what the person reading the page needs to do, in words, with the
button that does it. It also covers what ``next_actors`` leaves to the team and signatories
while others decide: a member's missing accreditation (safe people) while the panels review,
and the agreement each member and the lead organisation's signatory must sign after approval.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.urls import reverse

from workflow.models import Application, State
from workflow.reviews.selectors import (
    open_feedback_items,
    open_track_deciders_by_track,
    open_tracks,
)
from workflow.route.content import submission_errors
from workflow.route.policies import is_member
from workflow.route.selectors import applications_to_sign, next_actors
from workflow.safes.checks import safeguard_errors
from workflow.safes.policies import SIGNING_STATES
from workflow.safes.selectors import OwnAccreditations, agreement_status, safe_people

# States in which the team may still need accreditation before access starts.
ACCREDITATION_STATES = (
    State.SCOPING,
    State.CHANGES_REQUESTED,
    State.INTERNAL_REVIEW,
    State.IN_REVIEW,
    State.APPROVED,
)


@dataclass(frozen=True)
class NextAction:
    """ "You need to …", and the button that does it (``label`` and ``href``)."""

    text: str
    label: str
    href: str


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def _in_sentence(label: str) -> str:
    """A label inside a sentence: "Safe researcher training" lower-cased, acronyms kept."""
    return label if label[:2].isupper() else label[:1].lower() + label[1:]


def _team_action(
    user: Any,
    application: Application,
    own: OwnAccreditations | None = None,
    people: list[dict[str, Any]] | None = None,
) -> NextAction | None:
    pk = application.pk
    state = application.state
    if state == State.DRAFT:
        if submission_errors(application) or safeguard_errors(application):
            return NextAction(
                "You need to complete every section of the application, then check and submit it.",
                "Continue the application",
                reverse("workflow:application", args=[pk]) + "#task-list",
            )
        return NextAction(
            "You need to check your answers and submit the application.",
            "Check and submit",
            reverse("workflow:submit", args=[pk]),
        )
    if state == State.CHANGES_REQUESTED:
        waiting = sum(1 for i in open_feedback_items(application) if not i.response)
        if waiting:
            return NextAction(
                f"You need to answer {_plural(waiting, 'point')} of feedback, then resubmit.",
                "Answer the feedback",
                reverse("workflow:feedback", args=[pk]),
            )
        return NextAction(
            "You need to check your answers and resubmit the application.",
            "Check and resubmit",
            reverse("workflow:submit", args=[pk]),
        )
    if state in ACCREDITATION_STATES:
        if people is not None:
            rows = people
        elif own is not None:
            rows = [own.row(application)]
        else:
            rows = safe_people(application)
        mine = next((row for row in rows if row["person"].pk == user.pk), None)
        if mine is not None and mine["missing"]:
            needs = " and ".join(_in_sentence(label) for label in mine["missing"])
            return NextAction(
                f"You need to get your {needs} accredited: the team cannot have access until "
                "you do, whatever the panels decide.",
                "Apply for accreditation",
                reverse("accreditation"),
            )
    if state in SIGNING_STATES and state == State.APPROVED:
        status = agreement_status(application)
        if status["agreement"] is not None and any(
            m["person"].pk == user.pk and not m["signed"] for m in status["members"]
        ):
            return NextAction(
                "You need to sign the data access agreement: access starts once every member "
                "and the university's signatory have signed.",
                "Read and sign the agreement",
                reverse("workflow:agreement", args=[pk]),
            )
    return None


def _signatory_action(user: Any, application: Application) -> NextAction | None:
    if application.state != State.APPROVED:
        return None
    if not applications_to_sign(user).filter(pk=application.pk).exists():
        return None
    status = agreement_status(application)
    if status["agreement"] is None or status["organisation_signed_by"] is not None:
        return None
    organisation = status["organisation"]
    return NextAction(
        f"You need to sign the data access agreement for {organisation.name}.",
        f"Sign for {organisation.name}",
        reverse("workflow:agreement", args=[application.pk]),
    )


def _staff_action(
    user: Any, application: Application, actors: list[Any] | None = None
) -> NextAction | None:
    if actors is None:
        actors = next_actors(application)
    if not any(person.pk == user.pk for person in actors):
        return None
    pk = application.pk
    state = application.state
    if state == State.SCOPING:
        return NextAction(
            "You need to scope this application: record the variables in scope and whether it "
            "is feasible, then complete scoping or ask for changes.",
            "Open the scoping record",
            reverse("workflow:scoping", args=[pk]),
        )
    if state == State.INTERNAL_REVIEW:
        return NextAction(
            "You need to review this application: refer it to the panels and data owners, ask "
            "for changes or reject it.",
            "Refer to the panels and data owners",
            reverse("workflow:step", args=[pk, "refer-to-panels"]),
        )
    if state == State.IN_REVIEW:
        deciders = open_track_deciders_by_track(application)
        tracks = [t for t in open_tracks(application) if t.pk in deciders]
        # Soonest due first (a track without a due date last), then the oldest.
        tracks.sort(key=lambda t: (t.due_date is None, t.due_date or datetime.date.min, t.pk))
        for track in tracks:
            if not any(person.pk == user.pk for person in deciders[track.pk]):
                continue
            if track.panel_id is None:
                return NextAction(
                    f"You need to sign off this application for {track.organisation}, "
                    f"by {track.due_date:%-d %B %Y}."
                    if track.due_date
                    else f"You need to sign off this application for {track.organisation}.",
                    "Open the sign-off",
                    reverse("workflow:signoff", args=[track.pk]),
                )
            return NextAction(
                f"You need to review this application for the {track.panel}"
                + (f", by {track.due_date:%-d %B %Y}." if track.due_date else "."),
                "Open your review",
                reverse("workflow:track", args=[track.pk]),
            )
        return None
    if state == State.APPROVED:
        if agreement_status(application)["complete"]:
            text = "You need to grant access: every member and the signatory have signed."
        else:
            text = (
                "You need to grant access once every member and the university's signatory "
                "have signed the agreement."
            )
        return NextAction(
            text, "Check and grant access", reverse("workflow:grant-access", args=[pk])
        )
    return None


def next_action(
    user: Any,
    application: Application,
    *,
    own: OwnAccreditations | None = None,
    actors: list[Any] | None = None,
    people: list[dict[str, Any]] | None = None,
) -> NextAction | None:
    """What ``user`` needs to do next on ``application``, or None when nothing waits on them.
    ``own``: ``user``'s accreditations read once for a list of their applications (whose
    requested datasets are prefetched); ``actors`` and ``people``: ``next_actors`` and
    ``safe_people`` of the application when the page already read them."""
    if not getattr(user, "is_authenticated", False):
        return None
    if is_member(user, application):
        return _team_action(user, application, own, people)
    return _signatory_action(user, application) or _staff_action(user, application, actors)
