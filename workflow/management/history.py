"""Drive applications through the real services at chosen moments in the past.

For the demo history (``manage.py demo_history``) and for tests of clocks, reminders, metrics
and the forecast. Every step calls the same service as the API does; only the clock is moved,
with time-machine (a development dependency: ``uv sync`` installs it, a production install
with ``--no-dev`` does not, and nothing reachable from the API imports this module). Events,
track rows and due dates are therefore exactly what the services write, at the chosen times.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from access.models import User
from catalogue.models import Variable
from workflow.models import (
    Application,
    Outcome,
    PanelMembership,
    RequestedVariable,
    ReviewTrack,
    State,
    TrackKind,
    TrackState,
)
from workflow.reviews import services as reviews_services
from workflow.reviews.selectors import open_feedback_request
from workflow.route import services as route_services
from workflow.safes import services as safes_services
from workflow.turnaround.calendar import is_working_day

try:  # pragma: no cover - present wherever the dev dependencies are installed
    import time_machine
except ImportError:  # pragma: no cover
    time_machine = None  # type: ignore[assignment]  # a dev dependency: Journey checks for it


@dataclass
class Cast:
    """Who takes each step (the analyst is whoever submission assigned; panel votes come from
    the track's panel). ``safeguards`` are recorded on each new application and ``signatory``
    signs the agreement for the lead organisation before access is granted."""

    researcher: User
    reviewer: User
    ops: User
    owner_of: Callable[[int], User]
    safeguards: dict[str, Any] | None = None
    signatory: User | None = None


def decide_as_panel(
    track: ReviewTrack, outcome: str, rationale: str = "", conditions: Sequence[str] = ()
) -> ReviewTrack:
    """Decide a panel track the way the panel does: enough current members (lay, then
    independent ones first, for the panel's lay and independent-vote rules; never conflicted or
    on the team) vote ``outcome``, and the chair closes with it (on a blind first round the
    chair votes first)."""
    panel = track.voting_panel
    team = set(track.application.members.values_list("user_id", flat=True))
    conflicted = set(track.application.conflicts.values_list("user_id", flat=True))
    seats = [
        m
        for m in PanelMembership.objects.filter(panel=panel, left_on__isnull=True)
        .select_related("user")
        .order_by("-is_lay", "-is_independent", "-is_chair", "id")
        if m.user_id not in team | conflicted
    ]
    chair = next(m.user for m in seats if m.is_chair)
    voters = seats[: panel.quorum]
    if panel.blind_first_round and not any(m.user == chair for m in voters):
        voters.append(next(m for m in seats if m.is_chair))
    for seat in voters:
        reviews_services.vote_cast(
            track=track, by=seat.user, choice=outcome, rationale=rationale, conditions=conditions
        )
    return reviews_services.panel_track_close(
        track=track, by=chair, outcome=outcome, rationale=rationale, conditions=conditions
    )


Step = tuple[str, float] | tuple[str, float, dict[str, Any]]


class Journey:
    """One application, moved step by step; each step ``days`` after the previous one."""

    def __init__(
        self,
        cast: Cast,
        content: dict[str, Any],
        start: datetime.datetime,
        *,
        working_hours: bool = False,
    ):
        if time_machine is None:  # pragma: no cover
            raise RuntimeError("Moving the clock needs time-machine: run `uv sync` (dev group).")
        self.cast = cast
        self.content = content
        self.moment = start
        self.working_hours = working_hours
        self.application: Application | None = None

    def at(self, days: float):
        self.moment += datetime.timedelta(days=days)
        if self.working_hours:
            while not is_working_day(self.moment.date()):
                self.moment += datetime.timedelta(days=1)
        return time_machine.travel(self.moment, tick=False)

    @staticmethod
    def _analyst(app: Application) -> User:
        if app.analyst is None:
            raise RuntimeError(f"{app.reference} has no analyst to take this step")
        return app.analyst

    @property
    def app(self) -> Application:
        if self.application is None:
            raise RuntimeError("The journey has not started")
        return Application.objects.get(pk=self.application.pk)

    def run(self, steps: Sequence[Step]) -> Application:
        with self.at(0):
            self.application = route_services.application_create(
                by=self.cast.researcher, data=self.content
            )
            if self.cast.safeguards:
                safes_services.safeguards_update(
                    application=self.application, by=self.cast.researcher, data=self.cast.safeguards
                )
        for step in steps:
            name, days = step[0], step[1]
            options = step[2] if len(step) > 2 else {}
            with self.at(days):
                getattr(self, f"do_{name}")(**options)
        return self.app

    # --- the steps -----------------------------------------------------------------------------

    def do_submit(self) -> None:
        route_services.application_submit(application=self.app, by=self.cast.researcher)

    def do_request_changes(self) -> None:
        app = self.app
        by = self._analyst(app) if app.state == State.SCOPING else self.cast.reviewer
        route_services.application_request_changes(
            application=app,
            by=by,
            items=[{"section": "data", "text": "Explain why each variable is needed."}],
        )

    def do_resubmit(self) -> None:
        app = self.app
        request = open_feedback_request(app)
        for item in request.items.all() if request else ():
            reviews_services.feedback_item_respond(
                item=item, by=self.cast.researcher, response="Explained for each variable."
            )
        route_services.application_resubmit(application=self.app, by=self.cast.researcher)

    def do_complete_scoping(self) -> None:
        app = self.app
        requested = RequestedVariable.objects.filter(requested_dataset__application=app)
        route_services.scoping_update(
            application=app,
            by=self._analyst(app),
            data={
                "feasible": True,
                "scoped_variables": list(
                    Variable.objects.filter(pk__in=requested.values("variable_id"))
                ),
            },
        )
        route_services.application_complete_scoping(application=self.app, by=self._analyst(app))

    def do_refer(self) -> None:
        route_services.application_refer_to_panels(application=self.app, by=self.cast.reviewer)

    def do_reject(self) -> None:
        route_services.application_reject(
            application=self.app, by=self.cast.reviewer, reason="Not in the public interest."
        )

    def do_decide(self, kind: str, outcome: str = Outcome.APPROVED) -> None:
        track = (
            self.app.tracks.filter(kind=kind, superseded=False, state=TrackState.OPEN)
            .order_by("id")
            .first()
        )
        if track is None:
            raise RuntimeError(f"{self.app.reference} has no open {kind} track to decide")
        rationale = "" if outcome == Outcome.APPROVED else "See the minutes."
        conditions = ["Outputs checked"] if outcome == Outcome.APPROVED_WITH_CONDITIONS else []
        if track.kind != TrackKind.OWNER_SIGNOFF or track.organisation_id is None:
            decide_as_panel(track, outcome, rationale, conditions)
            return
        reviews_services.review_track_decide(
            track=track,
            by=self.cast.owner_of(track.organisation_id),
            outcome=outcome,
            rationale=rationale,
            conditions=conditions,
        )

    def do_decide_all(self, outcome: str = Outcome.APPROVED) -> None:
        for track in self.app.tracks.filter(superseded=False, state=TrackState.OPEN):
            self.do_decide(track.kind, outcome)

    def do_grant(self) -> None:
        app = self.app
        # The agreement first (members, then the lead organisation's signatory): a grant needs it.
        for member in app.members.select_related("user"):
            safes_services.application_agreement_sign(
                application=app, by=member.user, capacity="member"
            )
        if self.cast.signatory is not None:
            safes_services.application_agreement_sign(
                application=app, by=self.cast.signatory, capacity="organisation_signatory"
            )
        route_services.application_grant_access(application=self.app, by=self.cast.ops)

    def do_withdraw(self) -> None:
        route_services.application_withdraw(application=self.app, by=self.cast.researcher)


def journey(
    cast: Cast,
    content: dict[str, Any],
    start: datetime.datetime,
    steps: Sequence[Step],
    *,
    working_hours: bool = False,
) -> Application:
    return Journey(cast, content, start, working_hours=working_hours).run(steps)
