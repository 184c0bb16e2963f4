"""An application's timeline: its own events and its amendments' events, in one order.

Amendment events live in their own chain (``AmendmentEvent``, sealed per amendment); the
timeline only reads them. One UNION query gives a page of both, oldest (or newest) first, so
the number of queries does not grow with the number of amendments or events, and the page
number pagination of the API works on it as on any queryset. Shown from an amendment's chain:
asked for, submitted, each track decided, approved, rejected, withdrawn (not the drafting
edits, nor the panel's votes, which are for the panel).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, F, IntegerField, QuerySet, Value
from django.db.models.functions import Concat

from workflow.amendments.models import AmendmentEvent, TrackOutcome
from workflow.route.models import ActorRole, Application, EventKind
from workflow.route.selectors import view_of

# The amendment chain's transitions the timeline shows, and in what capacity they were taken.
AMENDMENT_STEPS: dict[str, tuple[str, str]] = {
    "create": ("asked for", ActorRole.MEMBER),
    "submit": ("submitted", ActorRole.MEMBER),
    "track_decide": ("", ActorRole.REVIEWER),
    "approve": ("approved", ActorRole.SYSTEM),
    "reject": ("rejected", ActorRole.SYSTEM),
    "withdraw": ("withdrawn", ActorRole.MEMBER),
}
APPLICATION = "application"
AMENDMENT = "amendment"


@dataclass
class TimelineEntry:
    """One line of the timeline, an application's event or an amendment's."""

    id: int
    source: str
    kind: str
    actor_name: str
    actor_role: str
    transition: str
    from_state: str
    to_state: str
    reason: str
    payload: dict[str, Any]
    version: int | None
    track: int | None
    created_at: datetime.datetime
    amendment: int | None
    amendment_number: int | None

    def get_kind_display(self) -> str:
        if self.source == APPLICATION:
            return str(dict(EventKind.choices).get(self.kind, self.kind))
        step = self.transition
        if step == "track_decide":
            track = self.payload.get("track", "A track")
            outcome = self.payload.get("outcome", "")
            label = dict(TrackOutcome.choices).get(outcome, outcome)
            decided = f"decided: {str(label).lower()}" if outcome else "decided"
            return f"Amendment {self.amendment_number}: {track} {decided}"
        return f"Amendment {self.amendment_number} {AMENDMENT_STEPS[step][0]}"

    def get_actor_role_display(self) -> str:
        return str(dict(ActorRole.choices).get(self.actor_role, self.actor_role))


def _rows(user: Any, application: Application) -> QuerySet | None:
    view = view_of(user, application)
    if view is None:
        return None
    events = view.events(application.events.all()).values(
        t_created=F("created_at"),
        t_source=Value(APPLICATION, output_field=CharField()),
        t_id=F("id"),
        t_kind=F("kind"),
        t_actor_name=F("actor_name"),
        t_actor_role=F("actor_role"),
        t_transition=F("transition"),
        t_from=F("from_state"),
        t_to=F("to_state"),
        t_reason=F("reason"),
        t_payload=F("payload"),
        t_version=F("version"),
        t_track=F("track_id"),
        t_amendment=Value(None, output_field=IntegerField()),
        t_number=Value(None, output_field=IntegerField()),
    )
    if view.organisations is not None:
        # A data owner sees part of the application (the route, their own track), and the
        # amendments they decide on the amendments' own pages, not here.
        return events
    amendments = AmendmentEvent.objects.filter(
        amendment__application=application, transition__in=list(AMENDMENT_STEPS)
    ).values(
        t_created=F("created_at"),
        t_source=Value(AMENDMENT, output_field=CharField()),
        t_id=F("id"),
        t_kind=Concat(Value("amendment."), F("transition"), output_field=CharField()),
        t_actor_name=F("actor_name"),
        t_actor_role=Value("", output_field=CharField()),
        t_transition=F("transition"),
        t_from=F("from_state"),
        t_to=F("to_state"),
        t_reason=F("reason"),
        t_payload=F("payload"),
        t_version=Value(None, output_field=IntegerField()),
        t_track=Value(None, output_field=IntegerField()),
        t_amendment=F("amendment_id"),
        t_number=F("amendment__number"),
    )
    return events.union(amendments, all=True)


def timeline_for(user: Any, application: Application, *, newest_first: bool = False) -> QuerySet:
    """The application's events and its amendments' as ``user`` may see them, rows to read
    with ``entries`` (one query a page)."""
    rows = _rows(user, application)
    if rows is None:
        return application.events.none().values("id")
    order = ("t_created", "t_source", "t_id")
    return rows.order_by(*(f"-{o}" for o in order) if newest_first else order)


def entries(rows: Any) -> list[TimelineEntry]:
    """The rows of ``timeline_for`` (a page, or all) as timeline entries."""
    out = []
    for row in rows:
        if "t_id" not in row:
            continue
        role = row["t_actor_role"]
        if row["t_source"] == AMENDMENT:
            role = AMENDMENT_STEPS.get(row["t_transition"], ("", ActorRole.SYSTEM))[1]
        out.append(
            TimelineEntry(
                id=row["t_id"],
                source=row["t_source"],
                kind=row["t_kind"],
                actor_name=row["t_actor_name"],
                actor_role=role,
                transition=row["t_transition"],
                from_state=row["t_from"],
                to_state=row["t_to"],
                reason=row["t_reason"],
                payload=row["t_payload"] or {},
                version=row["t_version"],
                track=row["t_track"],
                created_at=row["t_created"],
                amendment=row["t_amendment"],
                amendment_number=row["t_number"],
            )
        )
    return out
