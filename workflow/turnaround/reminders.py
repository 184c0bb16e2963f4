"""Reminders and escalations, raised by a periodic sweep as notification rows with a unique key.

Each reminder kind is a function registered with ``@reminder(kind, subject=..., body=...)``
that yields the items due now (``Due``: who, about what, which stage visit, a link, a
context). ``reminders_sweep`` runs every kind and raises its items in batches through
``notifications.services.notify_many`` with ``dedupe_key = "<kind>:<about>:<visit>"``; the outbox
keeps that key unique per recipient, so a sweep that runs twice (or two beats by mistake)
raises nothing twice, and an item is reminded once per stage visit: a stage entered again
after a request for changes is a new visit with its own reminders.

Selection happens in the database with indexed filters on due dates fixed when each visit or
track started (the open stage visits' partial index on state and due date, the tracks' partial
due-date index), never computed for every application in Python. A stage's due date is on its
cumulative clock (``workflow.turnaround.lateness``): after a request for changes it is what the
earlier visits left of the target, so the resumed stage is reminded when that runs out.
Kinds (see docs/turnaround.md for the table):

* ``stage.due_soon`` / ``stage.due_today`` / ``stage.overdue`` to whoever holds the stage:
  scoping (the analyst, or ops when none), internal review (reviewers), approved (ops, to grant
  access), changes requested (the research team: their clock);
* ``track.due_soon`` / ``track.due_today`` / ``track.overdue`` to whoever can decide a track
  (``track_reminder_recipients``: panel members who can act, the organisation's data owners);
* ``stage.escalated`` / ``track.escalated`` to ops once overdue by the target's margin;
* ``application.open_too_long`` to ops when an application is open a year after submission;
* ``consultation.unanswered`` / ``consultation.escalated`` (``workflow.involvement.reminders``)
  to the consumer panel's members, then ops, while a consultation waits for its feedback;
* ``affiliation.waiting`` to an organisation's signatories and user managers when someone has
  waited ``AFFILIATION_REMINDER_DAYS`` for them to confirm they work there;
* ``accreditation.expiring`` / ``access.expiring`` (90, 30 and 7 days before) and
  ``condition.due`` (14, 7 and 1 days before), from ``EXPIRY_SOURCES``: accreditations,
  access grants and conditions, each selected by an indexed date range.

Who is reminded is who holds the step: ``workflow.route.selectors.next_actors`` for a stage and
``workflow.reviews.selectors.track_deciders`` for a track, the same functions the notices of a
change use. Where to change a stage's schedule: its target (``workflow/turnaround/targets.py``
for the defaults; ops change them at /ops/targets/).
"""

from __future__ import annotations

import datetime
import functools
import itertools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict

from django.conf import settings
from django.db import transaction
from django.db.models import F, FilteredRelation, Q, QuerySet
from django.utils import dateformat, timezone

from access.identity.selectors import vouchers_of
from access.models import (
    AccessGrant,
    Accreditation,
    AccreditationState,
    Affiliation,
    AffiliationState,
    GrantState,
    Role,
    User,
)
from access.selectors import RoleDirectory
from core.queries import among
from core.text import in_sentence
from notifications.services import Message, notify_many
from workflow.models import (
    Application,
    ApplicationMember,
    Condition,
    ConditionState,
    HasTeam,
    ReviewTrack,
    State,
    TrackKind,
    TrackState,
    people_not_on_team,
)
from workflow.reviews.selectors import DecidingFacts, deciders_of
from workflow.route.selectors import next_actors
from workflow.turnaround.calendar import add_days, latest_start_for, local_date
from workflow.turnaround.lateness import CUMULATIVE_STATES, OPEN_STATES, STAGE_FOR_STATE
from workflow.turnaround.targets import Target, TargetBook, target_for_track

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    # An application with its current visit's start and due date (``current_visits``).
    InVisit = WithAnnotations[Application, "VisitStart"]


class VisitStart(TypedDict):
    entered_at: datetime.datetime
    entered_event: int
    visit_number: int
    due_on: datetime.date
    target_id: int | None


logger = logging.getLogger(__name__)

ONE_DAY = datetime.timedelta(days=1)


@dataclass(frozen=True)
class Due:
    """One thing to remind people of."""

    recipients: Sequence[User]
    about: str  # what it is about, "application:42"
    visit: str  # which stage visit (or expiry date and threshold): part of the unique key
    url: str
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SweepClock:
    now: datetime.datetime
    today: datetime.date
    targets: dict[str, Target]  # in force now: the reminders' schedules
    book: TargetBook = field(default_factory=TargetBook)  # every version: what judged a visit
    # Who holds each role, read once per sweep, not once per item (docs/benchmarks.md).
    directory: RoleDirectory = field(default_factory=RoleDirectory)
    # The people items due name, by id, each read once per sweep (``_people``).
    people: dict[int, User] = field(default_factory=dict)
    # The local time zone (``local_date``), asked once rather than for each item due.
    zone: datetime.tzinfo = field(default_factory=timezone.get_current_timezone)


@dataclass(frozen=True)
class ReminderKind:
    kind: str
    subject: str
    body: str
    find: Callable[[SweepClock], Iterable[Due]]


REMINDERS: dict[str, ReminderKind] = {}


def reminder(kind: str, *, subject: str, body: str):
    """Register a reminder kind: the decorated function yields what is due at the clock."""

    def register(find: Callable[[SweepClock], Iterable[Due]]):
        if kind in REMINDERS:
            raise RuntimeError(f"Reminder kind {kind} is already registered")
        REMINDERS[kind] = ReminderKind(kind, subject, body, find)
        return find

    return register


def reminders_sweep(*, now: datetime.datetime | None = None) -> dict[str, int]:
    """Raise every reminder due at ``now``. Idempotent: returns how many new rows each kind
    raised (0 everywhere when run again at the same moment)."""
    now = now or timezone.now()
    book = TargetBook()
    clock = SweepClock(
        now=now, today=timezone.localtime(now).date(), targets=book.current(now), book=book
    )
    raised: dict[str, int] = {}
    _sweep_all(clock, raised)
    logger.info("reminder sweep at %s raised %s", now.isoformat(), raised)
    return raised


def _sweep_all(clock: SweepClock, raised: dict[str, int]) -> None:
    for kind in REMINDERS.values():
        try:
            raised[kind.kind] = _raise(kind, clock)
        except Exception:
            # One broken kind (a plugged-in source, say) must not stop the others; what its
            # earlier batches raised stays raised, and the next sweep tries the rest again.
            logger.exception("reminder kind %s failed", kind.kind)
            raised[kind.kind] = 0


# Items raised per transaction: one commit per batch rather than per item (a commit waits for
# the disk; per item it was a third of a sweep's time, docs/benchmarks.md; 1,000 rather than
# 200 since a backlog of 10,000 due spent a second in fifty commits; 5,000 rather than 1,000
# since each batch also asks which of its reminders exist, reading the recipients' earlier
# ones, and commits their deferred key checks: with 10,000 due, 188 queries and 2.5 s in the
# database became 76 and 1.9 s, for 15 MB more at the peak). A failure rolls back only its
# batch, which the next sweep raises again (the keys make that safe).
SWEEP_BATCH = 5000


def _raise(kind: ReminderKind, clock: SweepClock) -> int:
    count = 0
    items = iter(kind.find(clock))
    while batch := list(itertools.islice(items, SWEEP_BATCH)):
        with transaction.atomic():
            count += notify_many(_message(kind, due) for due in batch if due.recipients)
    return count


def _message(kind: ReminderKind, due: Due) -> Message:
    return Message(
        recipients=due.recipients,
        kind=kind.kind,
        subject=kind.subject,
        body=kind.body,
        context=due.context,
        url=due.url,
        about=due.about,
        # Unique per recipient in the outbox: the recipient is part of the key there.
        dedupe_key=f"{kind.kind}:{due.about}:{due.visit}"[:200],
    )


# --- who holds a step ----------------------------------------------------------------------------

# The research team with their users: prefetched by the sweep's queries (one query per batch,
# not one per item), and read from there by ``next_actors``.
_TEAM = ApplicationMember.objects.select_related("user")


def with_teams(items: Iterable[Any], application_of: Callable[[Any], Application]):
    """``items`` (read lazily, a thousand at a time) with each one's application's team set as
    its prefetched members, so ``team()``, ``team_ids()`` and ``not_on_team()`` ask nothing:
    one query per thousand, without the queryset Django's ``prefetch_related`` builds for
    every object (a fifth of a sweep's time)."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, SWEEP_BATCH)):
        # Every item's own instance: two tracks of one application hold two copies of it.
        applications = [application_of(item) for item in chunk]
        teams: dict[int, list[ApplicationMember]] = {a.pk: [] for a in applications}
        for member in _TEAM.filter(application_id__in=among(teams, "bigint")).order_by("id"):
            teams[member.application_id].append(member)
        for application in applications:
            application._prefetched_objects_cache = {  # type: ignore[attr-defined]
                **getattr(application, "_prefetched_objects_cache", {}),
                "members": teams[application.pk],
            }
        yield from chunk


def _ops(application: HasTeam, clock: SweepClock) -> list[User]:
    return application.not_on_team(clock.directory(Role.OPS))


@functools.lru_cache(maxsize=4096)
def _day(day: datetime.date, fmt: str) -> str:
    # Thousands of reminders share a few hundred dates: each is formatted once per process
    # (Django's date filter, per reminder, was a fifth of a sweep's time).
    return dateformat.format(day, fmt)


def _dates(since: datetime.date, due: datetime.date) -> dict[str, Any]:
    """A stage's or track's start and due date, and the words the reminders say them in."""
    return {
        "since": since,
        "due_date": due,
        "since_text": _day(since, "j F Y"),
        "due_text": _day(due, "l j F Y"),
        "due_short": _day(due, "j F"),
    }


# --- application stages --------------------------------------------------------------------------

STEP_WORDS: dict[str, str] = {
    State.SCOPING: "scoping",
    State.INTERNAL_REVIEW: "internal review",
    State.APPROVED: "granting access",
    State.CHANGES_REQUESTED: "your answers to the requested changes",
}


_VISIT_VALUES = (
    "id",
    "reference",
    "state",
    "analyst_id",
    "entered_at",
    "entered_event",
    "visit_number",
    "due_on",
    "target_id",
)


def current_visits(
    state: str, *, due_after: datetime.date | None, due_by: datetime.date
) -> QuerySet[InVisit]:
    """Applications in ``state`` whose current visit is due (its stage's due date on its clock,
    fixed as the visit started) after ``due_after`` and on or before ``due_by``, with
    ``entered_at``, ``entered_event`` (the visit's key), ``visit_number``, ``due_on`` and
    ``target_id`` annotated. The open visits' partial index on (state, due_on) selects the
    window, so the cost follows the items due, not the applications open."""
    visit = FilteredRelation("stage_visits", condition=Q(stage_visits__left_at__isnull=True))
    qs = (
        Application.objects.annotate(visit=visit)
        .filter(state=state, visit__state=state, visit__due_on__lte=due_by)
        .annotate(
            entered_at=F("visit__entered_at"),
            entered_event=F("visit__event_id"),
            visit_number=F("visit__visit"),
            due_on=F("visit__due_on"),
            target_id=F("visit__target_id"),
        )
        .order_by("id")
    )
    if due_after is not None:
        qs = qs.filter(visit__due_on__gt=due_after)
    return qs


@dataclass(slots=True)
class StepParties:
    """An application due, as the sweep reads it: its reference and state, its analyst and
    its team's people, without an ``Application`` (a model with a state machine) and a row per
    member for each item due: those were about as much of a sweep's time as the rendering
    (docs/scaling.md). ``next_actors`` asks it who holds the step as it asks an application
    (``workflow.models.HasTeam``); the templates read ``app.reference`` from it."""

    pk: int
    reference: str
    state: str
    analyst: User | None
    members: list[User]  # the team's people, in the order they were named
    member_ids: set[int]

    def team(self) -> list[User]:
        return [person for person in self.members if person.is_active]

    def team_ids(self) -> set[int]:
        return self.member_ids

    def not_on_team(self, people: Iterable[User]) -> list[User]:
        return people_not_on_team(people, self.team_ids())


def _people(clock: SweepClock, ids: Iterable[int]) -> dict[int, User]:
    """The people with ``ids``, each read once per sweep: thousands of items due name a few
    hundred analysts and researchers, and a user is made once, not once per item."""
    missing = {pk for pk in ids if pk not in clock.people}
    if missing:
        clock.people.update((user.pk, user) for user in User.objects.filter(pk__in=missing))
    return clock.people


def _visits_due(
    state: str, clock: SweepClock, *, due_after: datetime.date | None, due_by: datetime.date
) -> Iterable[tuple[Any, StepParties]]:
    """The visits due (``current_visits``) as values, each with its ``StepParties``: per
    thousand items, one query for the visits, one for their teams and one for the people not
    read yet."""
    rows = (
        current_visits(state, due_after=due_after, due_by=due_by)
        .values_list(*_VISIT_VALUES, named=True)
        .iterator(chunk_size=SWEEP_BATCH)
    )
    while chunk := list(itertools.islice(rows, SWEEP_BATCH)):
        teams: dict[int, list[int]] = {row.id: [] for row in chunk}
        for application_id, user_id in (
            ApplicationMember.objects.filter(application_id__in=among(teams, "bigint"))
            .order_by("id")
            .values_list("application_id", "user_id")
        ):
            teams[application_id].append(user_id)
        analysts = {row.analyst_id for row in chunk if row.analyst_id is not None}
        people = _people(clock, analysts.union(*teams.values()))
        for row in chunk:
            yield (
                row,
                StepParties(
                    pk=row.id,
                    reference=row.reference,
                    state=row.state,
                    analyst=people[row.analyst_id] if row.analyst_id is not None else None,
                    members=[people[pk] for pk in teams[row.id]],
                    member_ids=set(teams[row.id]),
                ),
            )


def _stage_items(
    clock: SweepClock, window: Callable[[Target], tuple[datetime.date | None, datetime.date]]
) -> Iterable[Due]:
    """The visits of each stage due in ``window(target)``: a due-date window, the reminder's
    schedule from the stage's target in force now (the due dates themselves were fixed when
    each visit started)."""
    for state, stage in STAGE_FOR_STATE.items():
        after, by = window(clock.targets[stage])
        for row, app in _visits_due(state, clock, due_after=after, due_by=by):
            yield _stage_due(row, app, clock, next_actors(app, directory=clock.directory))


def _stage_due(row: Any, app: StepParties, clock: SweepClock, recipients: list[User]) -> Due:
    stage = STAGE_FOR_STATE[app.state]
    target = (row.target_id is not None and clock.book.by_id.get(row.target_id)) or (
        clock.targets[stage]
    )
    return Due(
        recipients=recipients,
        about=f"application:{app.pk}",
        visit=f"{app.state}@{row.entered_event}",
        url=f"/applications/{app.pk}/",
        context={
            "app": app,
            "step": STEP_WORDS[app.state],
            **_dates(row.entered_at.astimezone(clock.zone).date(), row.due_on),
            "target": target,
            # After a request for changes the stage's clock resumed where it had stopped.
            "resumed": row.visit_number > 1 and app.state in CUMULATIVE_STATES,
            "overdue_days": max((clock.today - row.due_on).days, 0),
        },
    )


TARGET_TEXT = "{{ target.days }} {{ target.unit }} days"
STAGE_BODY = (
    "Application {{ app.reference }} has been waiting for {{ step }} since "
    "{{ since_text }}. The target is " + TARGET_TEXT + "{% if resumed %}, counting "
    "the time it spent in {{ step }} before the request for changes{% endif %}, so it is due "
    "on {{ due_text }}."
)


@reminder(
    "stage.due_soon",
    subject="{{ app.reference }}: {{ step }} due on {{ due_short }}",
    body=STAGE_BODY,
)
def stage_due_soon(clock: SweepClock) -> Iterable[Due]:
    return _stage_items(
        clock, lambda t: (clock.today, add_days(clock.today, t.due_soon_days, t.unit))
    )


@reminder("stage.due_today", subject="{{ app.reference }}: {{ step }} due today", body=STAGE_BODY)
def stage_due_today(clock: SweepClock) -> Iterable[Due]:
    return _stage_items(clock, lambda t: (clock.today - ONE_DAY, clock.today))


@reminder("stage.overdue", subject="{{ app.reference }}: {{ step }} is overdue", body=STAGE_BODY)
def stage_overdue(clock: SweepClock) -> Iterable[Due]:
    return _stage_items(clock, lambda t: (None, clock.today - ONE_DAY))


@reminder(
    "stage.escalated",
    subject="Escalation: {{ app.reference }} is overdue in {{ step }}",
    body=STAGE_BODY + " It is {{ overdue_days }} days overdue.",
)
def stage_escalated(clock: SweepClock) -> Iterable[Due]:
    for state, stage in STAGE_FOR_STATE.items():
        target = clock.targets[stage]
        if target.escalate_after_days is None:
            continue
        # Due on or before the date that is the margin before today.
        latest_due = latest_start_for(clock.today, target.escalate_after_days, target.unit)
        for row, app in _visits_due(state, clock, due_after=None, due_by=latest_due):
            yield _stage_due(row, app, clock, _ops(app, clock))


# --- review tracks -------------------------------------------------------------------------------


def open_tracks_due(
    after: datetime.date | None, by: datetime.date, kinds: Sequence[str] | None = None
) -> QuerySet[ReviewTrack]:
    """Current open tracks of applications in review, due in (after, by] (the partial index
    on open tracks' due dates)."""
    qs = ReviewTrack.objects.filter(
        state=TrackState.OPEN,
        superseded=False,
        due_date__lte=by,
        application__state=State.IN_REVIEW,
    ).select_related("application", "organisation", "panel")
    if after is not None:
        qs = qs.filter(due_date__gt=after)
    if kinds is not None:
        qs = qs.filter(kind__in=kinds)
    return qs.order_by("id")


def _trackswith_teams(
    after: datetime.date | None, by: datetime.date, kinds: Sequence[str] | None = None
) -> Iterable[ReviewTrack]:
    return with_teams(
        open_tracks_due(after, by, kinds).iterator(chunk_size=SWEEP_BATCH),
        lambda track: track.application,
    )


def _tracks_with_deciders(
    after: datetime.date | None, by: datetime.date, kinds: Sequence[str] | None = None
) -> Iterable[tuple[ReviewTrack, list[User]]]:
    """The tracks due, each with who can decide it (``track_deciders``), read for a thousand
    tracks at a time: their votes, conflicts, panels' seats and data owners in four queries,
    not three a track."""
    tracks = iter(_trackswith_teams(after, by, kinds))
    while chunk := list(itertools.islice(tracks, SWEEP_BATCH)):
        facts = DecidingFacts.read(chunk)
        for track in chunk:
            yield track, deciders_of(track, facts)


def _track_due(track: ReviewTrack, clock: SweepClock, recipients: list[User]) -> Due:
    target = target_for_track(track, clock.targets)
    due = track.due_date
    if due is None:  # never: open_tracks_due selects tracks by their due date
        raise ValueError(f"Review track {track.pk} has no due date")
    return Due(
        recipients=recipients,
        about=f"application:{track.application_id}",
        visit=f"track:{track.pk}",
        url=f"/owner/sign-off/{track.pk}/"
        if track.kind == "owner_signoff"
        else f"/reviews/tracks/{track.pk}/",
        context={
            "app": track.application,
            "track": track,
            "step": track.get_kind_display()
            + (f" ({track.organisation})" if track.organisation_id else ""),
            **_dates(local_date(track.opened_at), due),
            "target": target,
            "overdue_days": max((clock.today - due).days, 0),
        },
    )


TRACK_BODY = (
    "The {{ step }} review of application {{ app.reference }} opened on "
    "{{ since_text }} and is due on {{ due_text }} (target " + TARGET_TEXT + ")."
)


def _track_items_due_soon(clock: SweepClock) -> Iterable[Due]:
    """Tracks due between today and their own 'due soon' horizon (one query per kind of
    horizon: kinds differ in their due-soon days)."""
    horizons: dict[datetime.date, list[str]] = {}
    for kind in TrackKind.values:
        target = target_for_track(kind, clock.targets)
        horizon = add_days(clock.today, target.due_soon_days, target.unit)
        horizons.setdefault(horizon, []).append(kind)
    for horizon, kinds in horizons.items():
        for track, deciders in _tracks_with_deciders(clock.today, horizon, kinds):
            yield _track_due(track, clock, deciders)


@reminder(
    "track.due_soon",
    subject="{{ app.reference }}: {{ step }} decision due on {{ due_short }}",
    body=TRACK_BODY,
)
def track_due_soon(clock: SweepClock) -> Iterable[Due]:
    return _track_items_due_soon(clock)


@reminder(
    "track.due_today", subject="{{ app.reference }}: {{ step }} decision due today", body=TRACK_BODY
)
def track_due_today(clock: SweepClock) -> Iterable[Due]:
    for track, deciders in _tracks_with_deciders(clock.today - ONE_DAY, clock.today):
        yield _track_due(track, clock, deciders)


@reminder(
    "track.overdue", subject="{{ app.reference }}: {{ step }} decision overdue", body=TRACK_BODY
)
def track_overdue(clock: SweepClock) -> Iterable[Due]:
    for track, deciders in _tracks_with_deciders(None, clock.today - ONE_DAY):
        yield _track_due(track, clock, deciders)


@reminder(
    "track.escalated",
    subject="Escalation: {{ app.reference }} {{ step }} decision overdue",
    body=TRACK_BODY + " It is {{ overdue_days }} days overdue.",
)
def track_escalated(clock: SweepClock) -> Iterable[Due]:
    for kind in TrackKind.values:
        target = target_for_track(kind, clock.targets)
        if target.escalate_after_days is None:
            continue
        latest_due = latest_start_for(clock.today, target.escalate_after_days, target.unit)
        for track in _trackswith_teams(None, latest_due, [kind]):
            yield _track_due(track, clock, _ops(track.application, clock))


# --- a year open ---------------------------------------------------------------------------------


@reminder(
    "application.open_too_long",
    subject="Alert: {{ app.reference }} has been open for {{ days_open }} days",
    body=(
        "Application {{ app.reference }} was submitted on {{ since|date:'j F Y' }} and is still "
        "open ({{ app.get_state_display|in_sentence }}). Anything open a year needs ops' attention."
    ),
)
def open_too_long(clock: SweepClock) -> Iterable[Due]:
    limit = clock.now - datetime.timedelta(days=settings.TURNAROUND_OPEN_ALERT_DAYS)
    # The first submission is the application's first visit of scoping (its SUBMITTED event);
    # the visits' partial index on first submissions selects those older than the limit.
    first = FilteredRelation(
        "stage_visits",
        condition=Q(stage_visits__state=State.SCOPING, stage_visits__visit=1),
    )
    apps = (
        Application.objects.annotate(first=first)
        .filter(state__in=OPEN_STATES, first__entered_at__lte=limit)
        .annotate(submitted_event=F("first__event_id"), first_submitted_at=F("first__entered_at"))
        .order_by("id")
    )
    for app in with_teams(apps.iterator(chunk_size=SWEEP_BATCH), lambda app: app):
        yield Due(
            recipients=_ops(app, clock),
            about=f"application:{app.pk}",
            visit=f"submitted@{app.submitted_event}",
            url=f"/applications/{app.pk}/",
            context={
                "app": app,
                "since": local_date(app.first_submitted_at),
                "days_open": (clock.now - app.first_submitted_at).days,
            },
        )


# --- expiry: accreditation, access, conditions ----------------------------------------------------


@dataclass(frozen=True)
class Expiring:
    """Something that expires or falls due on ``due_on``, and who must act on it."""

    recipients: Sequence[User]
    about: str  # "accreditation:12", "grant:7", "condition:3"
    due_on: datetime.date
    url: str
    label: str  # what it is, in words: "Safe researcher training of Dr Rhian Morgan"


# A source returns every item due between two dates (inclusive) that is still current, with an
# indexed date filter, so a sweep costs what is due, not what exists.
ExpirySource = Callable[[datetime.date, datetime.date], Iterable[Expiring]]

EXPIRY_THRESHOLDS: dict[str, tuple[int, ...]] = {
    "accreditation.expiring": (90, 30, 7),
    "access.expiring": (90, 30, 7),
    "condition.due": (14, 7, 1),
}


def accreditations_expiring(first: datetime.date, last: datetime.date) -> Iterable[Expiring]:
    for award in Accreditation.objects.filter(
        state=AccreditationState.ACCREDITED, expires_on__range=(first, last)
    ).select_related("person"):
        yield Expiring(
            recipients=[award.person],
            about=f"accreditation:{award.pk}",
            due_on=award.expires_on,
            url="/accreditation/",
            label=f"Your {in_sentence(award.get_kind_display())}",
        )


def access_grants_ending(first: datetime.date, last: datetime.date) -> Iterable[Expiring]:
    for grant in AccessGrant.objects.filter(
        state=GrantState.ACTIVE, end_on__range=(first, last)
    ).select_related("person", "application"):
        yield Expiring(
            recipients=[grant.person],
            about=f"grant:{grant.pk}",
            due_on=grant.end_on,
            url=f"/applications/{grant.application_id}/",
            label=f"Your access for {grant.application.reference}",
        )


def conditions_due(first: datetime.date, last: datetime.date) -> Iterable[Expiring]:
    for condition in Condition.objects.filter(
        state=ConditionState.OPEN, due_date__range=(first, last)
    ).select_related("application", "responsible"):
        application = condition.application
        people = [condition.responsible] if condition.responsible_id else application.team()
        yield Expiring(
            recipients=people,
            about=f"condition:{condition.pk}",
            due_on=condition.due_date,
            url=f"/applications/{application.pk}/conditions/#condition-{condition.pk}",
            label=f"A condition on {application.reference}",
        )


EXPIRY_SOURCES: dict[str, ExpirySource] = {
    "accreditation.expiring": accreditations_expiring,
    "access.expiring": access_grants_ending,
    "condition.due": conditions_due,
}


def _expiry_items(kind: str, clock: SweepClock) -> Iterable[Due]:
    thresholds = EXPIRY_THRESHOLDS[kind]
    last = clock.today + datetime.timedelta(days=max(thresholds))
    for item in EXPIRY_SOURCES[kind](clock.today, last):
        days_left = (item.due_on - clock.today).days
        if days_left < 0:
            continue
        # Only the nearest threshold crossed: an item first seen 20 days out gets the 30-day
        # reminder, not the 90-day one as well.
        threshold = min(t for t in thresholds if days_left <= t)
        yield Due(
            recipients=item.recipients,
            about=item.about,
            visit=f"{item.due_on.isoformat()}:{threshold}d",
            url=item.url,
            context={"item": item, "days_left": days_left, "due_on": item.due_on},
        )


@reminder(
    "accreditation.expiring",
    subject="{{ item.label }} expires in {{ days_left }} days",
    body="{{ item.label }} expires on {{ due_on|date:'l j F Y' }}, in {{ days_left }} days. "
    "Renew it in time to keep access.",
)
def accreditation_expiring(clock: SweepClock) -> Iterable[Due]:
    return _expiry_items("accreditation.expiring", clock)


@reminder(
    "access.expiring",
    subject="{{ item.label }} ends in {{ days_left }} days",
    body="{{ item.label }} ends on {{ due_on|date:'l j F Y' }}, in {{ days_left }} days. "
    "Ask for an extension before then if the project needs longer.",
)
def access_expiring(clock: SweepClock) -> Iterable[Due]:
    return _expiry_items("access.expiring", clock)


@reminder(
    "condition.due",
    subject="{{ item.label }} is due in {{ days_left }} days",
    body="{{ item.label }} is due on {{ due_on|date:'l j F Y' }}, in {{ days_left }} days.",
)
def condition_due(clock: SweepClock) -> Iterable[Due]:
    return _expiry_items("condition.due", clock)


# --- identity: people waiting for their organisation -------------------------------------------


@reminder(
    "affiliation.waiting",
    subject="{{ affiliation.person.full_name }} is waiting for "
    "{{ affiliation.organisation.name }} to confirm them",
    body=(
        "{{ affiliation.person.full_name }} ({{ affiliation.person.email }}) asked on "
        "{{ since|date:'j F Y' }} to be confirmed as working at "
        "{{ affiliation.organisation.name }}. Until someone confirms it (or says they do not "
        "work there), they cannot be named on an application."
    ),
)
def affiliation_waiting(clock: SweepClock) -> Iterable[Due]:
    """Pending affiliations ``AFFILIATION_REMINDER_DAYS`` old, to the organisation's
    signatories and user managers (docs/identity.md), once per affiliation."""
    limit = clock.now - datetime.timedelta(days=settings.AFFILIATION_REMINDER_DAYS)
    waiting = (
        Affiliation.objects.filter(state=AffiliationState.PENDING, requested_at__lte=limit)
        .select_related("person", "organisation")
        .order_by("id")
    )
    vouchers: dict[int, list[User]] = {}
    for affiliation in waiting.iterator(chunk_size=SWEEP_BATCH):
        if affiliation.organisation_id not in vouchers:
            vouchers[affiliation.organisation_id] = vouchers_of(affiliation.organisation_id)
        yield Due(
            recipients=[
                u for u in vouchers[affiliation.organisation_id] if u.pk != affiliation.person_id
            ],
            about=f"affiliation:{affiliation.pk}",
            visit="waiting",
            url=f"/organisations/{affiliation.organisation.slug}/people/",
            context={"affiliation": affiliation, "since": local_date(affiliation.requested_at)},
        )
