"""When will access come? A date on a working day, an 80% range, and what it assumes.

**Method.** The rest of the route is simulated ``DRAWS`` times with a fixed seed (the same facts
give the same answer), each time drawing every duration from the TRE's own history; the date
is the median of the simulated access dates, the range their 10th and 90th percentiles (from
the same simulation with each draw smoothed: ``Forecaster.run``). The history is what was known
at the moment of the forecast (a replay of the past sees only that), on the application's route
(DEA or standard), the latest ``HISTORY_LIMIT`` cases of each kind to start; cases still running
then count as lasting at least as long as they had (``Pool.of``, Kaplan-Meier).

1. The stages still ahead, one after the other: scoping → internal review → in review →
   approved (granting access) → access.
2. **Rework.** Each visit of a feedback stage ends in another round with the chance such visits
   did on the route (``History.rework``: shrunk towards every route and every stage so that a
   handful of visits do not swing it); a round costs what rounds cost: the visit as long as
   those that ended in a request for changes, the applicant's answer, the stage again. At most
   ``MAX_ROUNDS``.
3. **In review**, every needed track starts together and the stage ends with the slowest
   (parallel, not the sum), each from the decisions people made on its kind of track. Decided
   tracks count at their real date; a panel that asked for revision makes the round certain,
   and on resubmission only the tracks that asked reopen.
4. **The current stage** is drawn from the past ones of its kind that lasted at least as long
   (how long they still took, and how they ended). When too few did: overdue, from how long
   overdue ones of its kind still took after their due date; not yet due, by its due date.
5. Access is granted on a working day (England and Wales): dates move to the next working day.

**Too little history.** With fewer than ``TURNAROUND_FORECAST_MIN_HISTORY`` (3) past cases on
the route, the same over every route stands in; fewer than that, the few there are with the
target filling in for the missing ones; none, the target alone and no further round. Each
estimate says which (``source``, ``samples``) and the forecast lists its assumptions in words.
docs/turnaround.md says it all at more length.

It is computed on each read from the events as they stand: every event changes it. Live projects
show their ``access_date`` instead. ``workflow.turnaround.accuracy`` replays the TRE's history to
measure how good it is.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime
import functools
import itertools
import math
import random
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from workflow.models import (
    Application,
    EventKind,
    LegalGateway,
    Outcome,
    RequestedDataset,
    ReviewTrack,
    StageVisit,
    State,
    TrackKind,
)
from workflow.reviews.selectors import required_tracks
from workflow.sittings.selectors import sitting_dates
from workflow.turnaround.calendar import add_days, is_working_day, local_date
from workflow.turnaround.lateness import STAGE_FOR_STATE
from workflow.turnaround.metrics import is_dea_q
from workflow.turnaround.models import StoredFigure
from workflow.turnaround.targets import Target, target_for_track, targets

ROUTE_ORDER = (State.SCOPING, State.INTERNAL_REVIEW, State.IN_REVIEW, State.APPROVED)
FEEDBACK_STATES = (State.SCOPING, State.INTERNAL_REVIEW, State.IN_REVIEW)
DRAWS = 1000
RANGE = 0.8  # the share of draws between the range's two dates
MAX_ROUNDS = 4
HISTORY_LIMIT = 500  # the latest of each kind on each route
SEED = 19
DAY = datetime.timedelta(days=1)


# --- the facts: visits and tracks as rows ---------------------------------------------------------


@dataclass(frozen=True)
class VisitRow:
    application_id: int
    route: str
    state: str
    visit: int
    from_state: str
    next_state: str
    entered_at: datetime.datetime
    left_at: datetime.datetime | None
    due_on: datetime.date | None
    left_on: datetime.date | None

    @property
    def days(self) -> float:
        return _days(self.entered_at, self.left_at)

    @property
    def overrun(self) -> float | None:
        """Days it still took after its due date, when it ended late."""
        if self.due_on is None or self.left_on is None or self.left_on <= self.due_on:
            return None
        return self.days - (self.due_on - local_date(self.entered_at)).days


@dataclass(frozen=True)
class TrackRow:
    application_id: int
    route: str
    kind: str
    organisation_id: int | None
    round: int
    outcome: str
    automatic: bool
    opened_at: datetime.datetime
    decided_at: datetime.datetime | None
    closed_at: datetime.datetime | None
    due_date: datetime.date | None

    @property
    def days(self) -> float:
        return _days(self.opened_at, self.decided_at)

    @property
    def overrun(self) -> float | None:
        if self.due_date is None or self.decided_at is None:
            return None
        if local_date(self.decided_at) <= self.due_date:
            return None
        return self.days - (self.due_date - local_date(self.opened_at)).days


def _days(start: datetime.datetime, end: datetime.datetime | None) -> float:
    return 0.0 if end is None else (end - start).total_seconds() / 86400


def _dea_by_application() -> Exists:
    return Exists(
        RequestedDataset.objects.filter(
            application_id=OuterRef("application_id"), legal_gateway=LegalGateway.DEA_RESEARCH
        )
    )


def _route(dea: bool) -> str:
    return "dea" if dea else "standard"


VISIT_FIELDS = (
    "application_id",
    "state",
    "visit",
    "from_state",
    "next_state",
    "entered_at",
    "left_at",
    "due_on",
    "left_on",
)
TRACK_FIELDS = (
    "application_id",
    "kind",
    "organisation_id",
    "round",
    "outcome",
    "automatic",
    "opened_at",
    "decided_at",
    "closed_at",
    "due_date",
)


def visit_rows(queryset, *, limit: int | None = None, recent: str = "entered_at") -> list[VisitRow]:
    qs = queryset.annotate(dea=_dea_by_application())
    if limit is not None:
        qs = qs.annotate(
            recent=Window(
                RowNumber(),
                partition_by=[F("dea"), F("state")],
                order_by=[F(recent).desc(), F("event_id").desc()],
            )
        ).filter(recent__lte=limit)
    return [
        VisitRow(
            application_id=r["application_id"],
            route=_route(r["dea"]),
            state=r["state"],
            visit=r["visit"],
            from_state=r["from_state"],
            next_state=r["next_state"],
            entered_at=r["entered_at"],
            left_at=r["left_at"],
            due_on=r["due_on"],
            left_on=r["left_on"],
        )
        for r in qs.values(*VISIT_FIELDS, "dea")
    ]


def track_rows(queryset, *, limit: int | None = None, recent: str = "opened_at") -> list[TrackRow]:
    qs = queryset.annotate(dea=_dea_by_application())
    if limit is not None:
        qs = qs.annotate(
            recent=Window(
                RowNumber(),
                partition_by=[F("dea"), F("kind")],
                order_by=[F(recent).desc(), F("id").desc()],
            )
        ).filter(recent__lte=limit)
    return [
        TrackRow(
            application_id=r["application_id"],
            route=_route(r["dea"]),
            kind=r["kind"],
            organisation_id=r["organisation_id"],
            round=r["round"],
            outcome=r["outcome"],
            automatic=r["automatic"],
            opened_at=r["opened_at"],
            decided_at=r["decided_at"],
            closed_at=r["closed_at"],
            due_date=r["due_date"],
        )
        for r in qs.values(*TRACK_FIELDS, "dea")
    ]


def history_rows(
    as_of: datetime.datetime, *, limit: int | None = HISTORY_LIMIT
) -> tuple[list[VisitRow], list[TrackRow]]:
    """The history as known at ``as_of``: the latest ``limit`` visits of each state, and tracks
    of each kind decided by people, to start on each route by then, ended or not (one still
    running counts as lasting at least as long as it has: see ``History``). Two queries."""
    visits = StageVisit.objects.filter(
        entered_at__lte=as_of, state__in=[*ROUTE_ORDER, State.CHANGES_REQUESTED]
    )
    tracks = ReviewTrack.objects.filter(opened_at__lte=as_of, automatic=False)
    return (
        visit_rows(visits, limit=limit, recent="entered_at"),
        track_rows(tracks, limit=limit, recent="opened_at"),
    )


# The history the forecast draws from, kept (``StoredFigure``) rather than read again for every
# application opened: reading it ranked every stage visit of the TRE (354 of the 393 ms of an
# application's overview at 100,000 applications). Stored with the moment it was read, used for
# ``TURNAROUND_FORECAST_HISTORY_MAX_AGE`` seconds (beat refreshes it hourly), and kept parsed in
# each process until the stored one changes.
HISTORY_KEY = "forecast_history"
_HISTORY_MEMO: dict[str, Any] = {}
_MOMENTS = {"entered_at", "left_at", "opened_at", "decided_at", "closed_at"}
_DAYS = {"due_on", "left_on", "due_date"}


def _stored(row: Any) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, datetime.date | datetime.datetime) else v)
        for k, v in dataclasses.asdict(row).items()
    }


def _parsed(kind: type, row: dict[str, Any]) -> Any:
    values = dict(row)
    for k, v in row.items():
        if v is None:
            continue
        if k in _MOMENTS:
            values[k] = datetime.datetime.fromisoformat(v)
        elif k in _DAYS:
            values[k] = datetime.date.fromisoformat(v)
    return kind(**values)


def refresh_history(now: datetime.datetime | None = None) -> datetime.datetime:
    """Read the history again and store it (beat, hourly). Returns its moment."""
    now = now or timezone.now()
    visits, tracks = history_rows(now)
    StoredFigure.objects.update_or_create(
        key=HISTORY_KEY,
        defaults={
            "value": {
                "visits": [_stored(v) for v in visits],
                "tracks": [_stored(t) for t in tracks],
            },
            "computed_at": now,
        },
    )
    _HISTORY_MEMO.clear()
    return now


def stored_history(
    now: datetime.datetime,
) -> tuple[list[VisitRow], list[TrackRow], datetime.datetime]:
    """The history as last stored (read again when older than the setting allows) and the
    moment it was read. One small query while it is fresh and already parsed here."""
    max_age = datetime.timedelta(seconds=settings.TURNAROUND_FORECAST_HISTORY_MAX_AGE)
    stored_at = (
        StoredFigure.objects.filter(key=HISTORY_KEY).values_list("computed_at", flat=True).first()
    )
    if stored_at is None or stored_at < now - max_age or stored_at > now:
        stored_at = refresh_history(now)
    if _HISTORY_MEMO.get("at") != stored_at:
        value = StoredFigure.objects.get(key=HISTORY_KEY).value
        _HISTORY_MEMO.clear()
        _HISTORY_MEMO.update(
            at=stored_at,
            visits=[_parsed(VisitRow, r) for r in value["visits"]],
            tracks=[_parsed(TrackRow, r) for r in value["tracks"]],
        )
    return _HISTORY_MEMO["visits"], _HISTORY_MEMO["tracks"], stored_at


def kept_history(now: datetime.datetime) -> History:
    """``History`` of the stored history, built once per process until the stored one (or the
    minimum it asks for) changes: its pools are the same for every application opened, and
    building it from the thousands of stored rows was a fifth of an overview's time."""
    visits, tracks, known_at = stored_history(now)
    key = (known_at, settings.TURNAROUND_FORECAST_MIN_HISTORY)
    if _HISTORY_MEMO.get("history_key") != key:
        _HISTORY_MEMO["history"] = History(visits, tracks, as_of=known_at, minimum=key[1])
        _HISTORY_MEMO["history_key"] = key
    history: History = _HISTORY_MEMO["history"]
    return history


# --- what the history says ----------------------------------------------------------------------

# One past case: how long it took, and how it ended (a visit: 1 when another round of feedback
# followed, 0 otherwise); ``None`` when it had not ended (or ended off the way to access: a
# withdrawal, a rejection), so it only says it lasted at least that long.
Case = tuple[float, int | None]


@dataclass(frozen=True)
class Pool:
    """Durations (calendar days) to draw from with their weights (the Kaplan-Meier estimate:
    cases still running at the time count as lasting at least as long as they had, their weight
    going to the longer ones), how each ended, and where they come from."""

    values: tuple[float, ...]
    weights: tuple[float, ...]
    outcomes: tuple[int, ...]
    source: str  # history, history_all_routes, ...
    samples: int  # the cases that had ended
    cumulative: tuple[float, ...] = ()
    # How far to smooth draws from a handful of past durations (Silverman's rule of thumb for a
    # kernel's bandwidth): a few past cases never show the whole spread of what can happen,
    # and drawing only them makes the range too narrow.
    spread: float = 0.0

    @classmethod
    def of(cls, cases: Sequence[Case], source: str) -> Pool:
        """The Kaplan-Meier distribution of ``cases``: each ended case carries the share of the
        survivors it removes, so a case still running passes its weight to the longer ones.
        What is left after the last ended case (cases running longer than any that ended) is
        dropped: the forecast is of applications that get there, and one stalled longer than
        anything that ever ended says nothing about how long the others take."""
        ordered = sorted(cases, key=lambda c: (c[0], c[1] is None))
        left, survival = len(ordered), 1.0
        values, weights, outcomes = [], [], []
        for days, outcome in ordered:
            if outcome is not None:
                mass = survival / left
                survival -= mass
                values.append(days)
                weights.append(mass)
                outcomes.append(outcome)
            left -= 1
        return cls.weighted(values, weights, outcomes, source, sum(c[1] is not None for c in cases))

    @classmethod
    def weighted(
        cls,
        values: Sequence[float],
        weights: Sequence[float],
        outcomes: Sequence[int],
        source: str,
        samples: int,
    ) -> Pool:
        total = sum(weights) or 1.0
        shares = [w / total for w in weights]
        cumulative = list(itertools.accumulate(shares))
        spread = 0.0
        if len(values) > 1:
            mean = sum(v * w for v, w in zip(values, shares, strict=True))
            variance = sum(w * (v - mean) ** 2 for v, w in zip(values, shares, strict=True))
            spread = 1.06 * math.sqrt(variance) * len(values) ** -0.2
        return cls(
            tuple(values),
            tuple(shares),
            tuple(outcomes),
            source,
            samples,
            tuple(cumulative),
            spread,
        )

    @classmethod
    def plain(cls, values: Sequence[float], source: str, samples: int | None = None) -> Pool:
        n = len(values)
        return cls.weighted(values, [1.0] * n, [0] * n, source, n if samples is None else samples)

    def draw(self, rng: random.Random) -> tuple[float, int]:
        i = min(bisect.bisect_left(self.cumulative, rng.random()), len(self.values) - 1)
        return self.values[i], self.outcomes[i]

    def only(self, outcome: int) -> Pool | None:
        """The cases that ended ``outcome`` (None when there are none)."""
        kept = [i for i, o in enumerate(self.outcomes) if o == outcome and self.weights[i] > 0]
        if not kept:
            return None
        return Pool.weighted(
            [self.values[i] for i in kept],
            [self.weights[i] for i in kept],
            [outcome] * len(kept),
            self.source,
            len(kept),
        )

    def longer_than(self, elapsed: float) -> Pool | None:
        """What is left of the cases that lasted longer than ``elapsed`` (None without any)."""
        kept = [i for i, v in enumerate(self.values) if v > elapsed and self.weights[i] > 0]
        if not kept:
            return None
        return Pool.weighted(
            [self.values[i] - elapsed for i in kept],
            [self.weights[i] for i in kept],
            [self.outcomes[i] for i in kept],
            self.source,
            len(kept),
        )

    @property
    def median(self) -> float:
        i = min(bisect.bisect_left(self.cumulative, 0.5), len(self.values) - 1)
        return self.values[i]


@dataclass(frozen=True)
class Rate:
    chance: float
    samples: int
    source: str  # history, history_all_routes, none


NO_REWORK = Rate(0.0, 0, "none")


class History:
    """The TRE's own history as known at ``as_of``: how long each kind of visit and track took
    on each route (a visit with whether it ended in another round of feedback), what answering
    a round took the applicant, and how long late stages still took after their due date. What
    was still running then counts as lasting at least as long as it had (``Pool.of``): without
    it, the history of any moment would be biased towards what ended quickly."""

    def __init__(
        self,
        visits: Iterable[VisitRow],
        tracks: Iterable[TrackRow],
        *,
        as_of: datetime.datetime,
        minimum: int,
        limit: int | None = HISTORY_LIMIT,
    ) -> None:
        self.as_of = as_of
        self.minimum = max(1, minimum)
        # (route, state, after a round?) -> cases
        self.visits: dict[tuple[str, str, bool], list[Case]] = defaultdict(list)
        self.answers: dict[tuple[str, str], list[Case]] = defaultdict(list)
        self.overruns: dict[str, list[float]] = defaultdict(list)
        self.tracks: dict[tuple[str, str], list[Case]] = defaultdict(list)
        self.track_overruns: dict[str, list[float]] = defaultdict(list)
        for v in _latest(visits, as_of, limit, lambda v: (v.route, v.state), "entered_at"):
            ended = v.left_at is not None and v.left_at <= as_of
            days = v.days if ended else _days(v.entered_at, as_of)
            on_the_way = ended and v.next_state not in (State.WITHDRAWN, State.REJECTED)
            if v.state == State.CHANGES_REQUESTED:
                self.answers[(v.route, v.from_state)].append((days, 0 if on_the_way else None))
            else:
                outcome = int(v.next_state == State.CHANGES_REQUESTED) if on_the_way else None
                self.visits[(v.route, v.state, v.visit > 1)].append((days, outcome))
            if ended and (overrun := v.overrun) is not None:
                self.overruns[v.state].append(overrun)
        for t in _latest(tracks, as_of, limit, lambda t: (t.route, t.kind), "opened_at"):
            if t.automatic or (t.closed_at is not None and t.closed_at <= as_of):
                continue
            decided = t.decided_at is not None and t.decided_at <= as_of
            days = t.days if decided else _days(t.opened_at, as_of)
            self.tracks[(t.route, t.kind)].append((days, 0 if decided else None))
            if decided and (overrun := t.overrun) is not None:
                self.track_overruns[t.kind].append(overrun)

    def _level(self, mine: list[Case], every: list[Case]) -> Pool | None:
        if _ended(mine) >= self.minimum:
            return Pool.of(mine, "history")
        if _ended(every) >= self.minimum:
            return Pool.of(every, "history_all_routes")
        return None

    def _every_route(self, table: dict, *key: Any) -> list:
        return [x for k, values in table.items() if k[1:] == key for x in values]

    def visit_pool(self, route: str, state: str, *, returned: bool = False) -> Pool | None:
        """Past visits of ``state`` (with how each ended): on the route, else every route; a
        visit after a round of feedback falls back on first visits when too few came back."""
        for again in (returned, False) if returned else (False,):
            found = self._level(
                self.visits.get((route, state, again), []),
                self._every_route(self.visits, state, again),
            )
            if found is not None:
                return found
        return None

    def visit(
        self, route: str, state: str, *, returned: bool = False, reworked: bool | None = None
    ) -> Pool | None:
        """How long a visit of ``state`` took; with ``reworked``, among the visits that ended
        that way (a visit that ends in a request for changes is cut short), else among all."""
        found = self.visit_pool(route, state, returned=returned)
        if found is None or reworked is None:
            return found
        chosen = found.only(int(reworked))
        return chosen if chosen is not None and chosen.samples >= self.minimum else found

    def answer(self, route: str, state: str) -> Pool | None:
        """The applicant's time to answer a request for changes from ``state`` (from any stage
        when too few came from this one)."""
        found = self._level(
            self.answers.get((route, state), []), self._every_route(self.answers, state)
        )
        if found is None:
            every = [x for values in self.answers.values() for x in values]
            if _ended(every) >= self.minimum:
                found = Pool.of(every, "history_all_stages")
        return found

    def track(self, route: str, kind: str) -> Pool | None:
        return self._level(self.tracks.get((route, kind), []), self._every_route(self.tracks, kind))

    def few(self, kind: str, key: str) -> list[float]:
        """Every past case of a kind that ended, over every route, however few (for padding with
        the target): ``kind`` is visit, answer or track."""
        if kind == "visit":
            cases = [c for (_, k, _), values in self.visits.items() if k == key for c in values]
        elif kind == "answer":
            cases = [c for values in self.answers.values() for c in values]
        else:
            cases = self._every_route(self.tracks, key)
        return [days for days, outcome in cases if outcome is not None]

    def rework(self, route: str, state: str) -> Rate:
        """The chance that a visit of ``state`` ends in another round of feedback: the share of
        its past visits that did, each level counted with ``minimum`` more visits at the share
        of the level above, so that a handful of visits do not swing it: on the route, towards
        the stage over every route, towards every feedback stage of the TRE. No history at all:
        no rework assumed."""
        every_stage = [
            o
            for (_, k, _), cases in self.visits.items()
            if k in FEEDBACK_STATES
            for _, o in cases
            if o is not None
        ]
        if not every_stage:
            return NO_REWORK
        m = self.minimum
        tre = sum(every_stage) / len(every_stage)
        every = [
            o
            for (_, k, _), cases in self.visits.items()
            if k == state
            for _, o in cases
            if o is not None
        ]
        overall = (sum(every) + m * tre) / (len(every) + m)
        mine = [
            o
            for again in (False, True)
            for _, o in self.visits.get((route, state, again), [])
            if o is not None
        ]
        chance = (sum(mine) + m * overall) / (len(mine) + m)
        if len(mine) >= m:
            return Rate(chance, len(mine), "history")
        return Rate(chance, len(every), "history_all_routes")

    def overdue(self, kind: str, *, track: bool = False) -> list[float]:
        return (self.track_overruns if track else self.overruns).get(kind, [])


def _ended(cases: Sequence[Case]) -> int:
    return sum(1 for _, outcome in cases if outcome is not None)


def _latest(rows: Iterable, as_of: datetime.datetime, limit: int | None, key, start: str) -> list:
    """The rows that started by ``as_of``, the latest ``limit`` of each key."""
    started = [r for r in rows if getattr(r, start) <= as_of]
    if limit is None:
        return started
    groups: dict[Any, list] = defaultdict(list)
    for row in started:
        groups[key(row)].append(row)
    return [
        row
        for group in groups.values()
        for row in sorted(group, key=lambda r: getattr(r, start), reverse=True)[:limit]
    ]


# --- drawing durations --------------------------------------------------------------------------


@dataclass(frozen=True)
class Estimate:
    """How one duration is drawn: from a pool of past durations, or fixed (a target in its own
    unit, or the days to a due date)."""

    source: str
    samples: int = 0
    pool: Pool | None = None
    days: int = 0
    unit: str = "calendar"
    # Expected by a due date this many days from the forecast's day (instead of ``days`` from
    # the start of the step).
    until: int | None = None

    def draw(self, rng: random.Random, start: float, today: datetime.date) -> float:
        """The end (days from the start of ``today``) of what starts at ``start``."""
        if self.pool is not None:
            return start + jitter(rng, self.pool.draw(rng)[0], self.pool.spread)
        if self.until is not None:
            return max(start, float(self.until) + (start % 1))
        first = today + datetime.timedelta(days=math.floor(start))
        return start + (_add_days(first, self.days, self.unit) - first).days

    def typical(self) -> float:
        return self.pool.median if self.pool is not None else float(self.days)

    def as_dict(self, **extra: Any) -> dict[str, Any]:
        if self.pool is not None:
            days, unit = self.pool.median, "calendar"
        else:
            days, unit = float(self.days), self.unit
        return {
            "days": round(days, 1),
            "unit": unit,
            "source": self.source,
            "samples": self.samples,
            **extra,
        }


@functools.lru_cache(maxsize=4096)
def _add_days(start: datetime.date, n: int, unit: str) -> datetime.date:
    return add_days(start, n, unit)


class Draws(random.Random):
    """The simulation's random numbers (a fixed seed: the same facts give the same answer), and
    whether its draws from past durations are smoothed (``Pool.spread``)."""

    def __init__(self, seed: int, *, smooth: bool) -> None:
        super().__init__(seed)
        self.smooth = smooth


def jitter(rng: random.Random, value: float, spread: float) -> float:
    if not spread or not getattr(rng, "smooth", False):
        return value
    return max(0.0, value + rng.gauss(0.0, spread))


def pooled(source: str, samples: int, values: Sequence[float]) -> Estimate:
    """Equally likely durations (the few there are, padded; how long overdue ones still took)."""
    return Estimate(source, samples, pool=Pool.plain(values, source, samples))


def _of(pool: Pool) -> Estimate:
    return Estimate(pool.source, pool.samples, pool=pool)


def _target(target: Target) -> Estimate:
    return Estimate("target", days=target.days, unit=target.unit)


# --- what is known of one application at a moment ---------------------------------------------


@dataclass
class TrackNow:
    kind: str
    organisation_id: int | None
    track_id: int | None
    opened_at: datetime.datetime
    decided_at: datetime.datetime | None
    outcome: str
    due_date: datetime.date | None
    # On a panel that sits (``workflow.sittings``): the day of the sitting that will decide it.
    sitting_on: datetime.date | None = None


@dataclass
class Snapshot:
    """One application as it stood at ``at``: its state, its current visit, its tracks, and the
    tracks it needs."""

    application_id: int
    route: str
    at: datetime.datetime
    state: str
    visit: int = 1
    entered_at: datetime.datetime | None = None
    due_on: datetime.date | None = None
    from_state: str = ""  # for changes requested: the stage that asked
    tracks: list[TrackNow] = field(default_factory=list)
    needed: list[tuple[str, int | None]] = field(default_factory=list)

    @classmethod
    def at_moment(
        cls,
        application_id: int,
        route: str,
        at: datetime.datetime,
        visits: Sequence[VisitRow],
        tracks: Sequence[TrackRow],
        needed: list[tuple[str, int | None]],
        track_ids: dict[tuple[str, int | None, int], int] | None = None,
    ) -> Snapshot | None:
        """From the application's own rows, what was true at ``at`` (None before it existed)."""
        current = [
            v for v in visits if v.entered_at <= at and (v.left_at is None or v.left_at > at)
        ]
        if not current:
            return None
        visit = max(current, key=lambda v: v.entered_at)
        latest: dict[tuple[str, int | None], TrackRow] = {}
        for t in sorted(tracks, key=lambda t: (t.round, t.opened_at)):
            if t.opened_at <= at:
                latest[(t.kind, t.organisation_id)] = t
        return cls(
            application_id=application_id,
            route=route,
            at=at,
            state=visit.state,
            visit=visit.visit,
            entered_at=visit.entered_at,
            due_on=visit.due_on,
            from_state=visit.from_state,
            tracks=[
                TrackNow(
                    kind=t.kind,
                    organisation_id=t.organisation_id,
                    track_id=(track_ids or {}).get((t.kind, t.organisation_id, t.round)),
                    opened_at=t.opened_at,
                    decided_at=t.decided_at if t.decided_at and t.decided_at <= at else None,
                    outcome=t.outcome if t.decided_at and t.decided_at <= at else "",
                    due_date=t.due_date,
                )
                for t in latest.values()
                if not (t.closed_at and t.closed_at <= at)
            ],
            needed=needed,
        )


# --- the simulation -----------------------------------------------------------------------------


@dataclass
class Step:
    stage: str
    status: str
    estimate: Estimate | None = None  # shown: how long it typically takes (no further round)
    rework: Rate = NO_REWORK
    returned: bool = False  # a visit after a round of feedback
    current: Pool | None = None  # the current visit: what is left, and how it ends
    round_days: float | None = None
    tracks: list[dict[str, Any]] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)

    def shown(self) -> Estimate:
        """Its estimate, which every step but review's has."""
        if self.estimate is None:
            raise ValueError(f"The {self.stage} step has no estimate")
        return self.estimate


class Forecaster:
    """The simulation of one application's remaining route from a snapshot and a history."""

    def __init__(self, snapshot: Snapshot, history: History, targets_now: dict[str, Target]):
        self.s = snapshot
        self.h = history
        self.targets = targets_now
        self.route = snapshot.route
        self.today = timezone.localtime(snapshot.at).date()
        midnight = datetime.datetime.combine(
            self.today, datetime.time.min, tzinfo=timezone.get_current_timezone()
        )
        self.start = (snapshot.at - midnight).total_seconds() / 86400
        self.assumptions: dict[str, str] = {}
        self._cache: dict[tuple, Any] = {}

    # -- estimates --

    def _stage_target(self, state: str) -> Target:
        return self.targets[STAGE_FOR_STATE[state]]

    def _estimate(
        self,
        key: tuple,
        what: str,
        find: Callable[[], Pool | None],
        few: Callable[[], list[float]],
        target: Target,
    ) -> Estimate:
        """From the history; with too little of it, the few past cases there are with the
        target filling in for the missing ones (the target alone without any). Memoised: the
        draws ask the same questions many times."""
        if key in self._cache:
            return self._cache[key]
        pool, past = find(), few()
        if pool is not None:
            found = _of(pool)
        elif past:
            days = float((_add_days(self.today, target.days, target.unit) - self.today).days)
            values = [*past, *[days] * (self.h.minimum - len(past))]
            self._too_little(what, target, len(past))
            found = pooled("history_and_target", len(past), values)
        else:
            self._too_little(what, target)
            found = _target(target)
        self._cache[key] = found
        return found

    def visit_estimate(
        self, state: str, *, returned: bool = False, reworked: bool | None = None
    ) -> Estimate:
        return self._estimate(
            ("visit", state, returned, reworked),
            state,
            lambda: self.h.visit(self.route, state, returned=returned, reworked=reworked),
            lambda: self.h.few("visit", state),
            self._stage_target(state),
        )

    def stage_estimate(self, state: str, *, returned: bool = False) -> Estimate:
        """How long a visit of ``state`` takes when no further round follows (shown)."""
        return self.visit_estimate(state, returned=returned, reworked=False)

    def answer_estimate(self, state: str) -> Estimate:
        return self._estimate(
            ("answer", state),
            State.CHANGES_REQUESTED,
            lambda: self.h.answer(self.route, state),
            lambda: self.h.few("answer", state),
            self.targets[STAGE_FOR_STATE[State.CHANGES_REQUESTED]],
        )

    def track_estimate(self, kind: str) -> Estimate:
        return self._estimate(
            ("track", kind),
            kind,
            lambda: self.h.track(self.route, kind),
            lambda: self.h.few("track", kind),
            target_for_track(kind, self.targets),
        )

    def _too_little(self, what: str, target: Target, few: int = 0) -> None:
        unit = "working days" if target.unit == "working" else "days"
        with_few = f", with the {few} past one{'s' if few > 1 else ''}," if few else ""
        self.assumptions.setdefault(
            f"too_little_history:{what}",
            f"{WORDS.get(what, what)}: too little history yet, so its target of "
            f"{target.days} {unit} stands in{with_few} for the missing ones.",
        )

    def remaining(
        self,
        what: str,
        elapsed: float,
        due: datetime.date | None,
        *,
        pool: Pool | None,
        overruns: list[float],
        target: Target,
    ) -> Estimate:
        """What is left of something that has run ``elapsed`` days, when too few past ones of
        its kind lasted as long (see ``_left``): overdue, from how long overdue ones of its kind
        still took after their due date; else by its due date (or, overdue without such history,
        its target again from today)."""
        longer = pool.longer_than(elapsed) if pool is not None else None
        if longer is not None and longer.samples >= self.h.minimum:
            return _of(longer)
        overdue_by = (self.today - due).days if due is not None else 0
        if longer is not None and due is not None and overdue_by <= 0:
            # The few past ones that lasted as long, the due date filling in for the missing.
            until = float((due - self.today).days)
            values = [*longer.values, *[max(until, 0.0)] * (self.h.minimum - longer.samples)]
            return pooled("history_and_due_date", longer.samples, values)
        if due is not None and overdue_by > 0:
            still = tuple(x - overdue_by for x in overruns if x > overdue_by)
            if len(still) < self.h.minimum:
                still = tuple(overruns)
            label = WORDS.get(what, what)
            if still:
                self.assumptions[f"overdue:{what}"] = (
                    f"{label} is {overdue_by} days past its due date: expected to take as long "
                    f"as overdue ones of its kind still took after theirs (a median of "
                    f"{statistics.median(still):.0f} more days, from {len(overruns)})."
                )
                return pooled("overdue_history", len(overruns), still)
            self.assumptions[f"overdue:{what}"] = (
                f"{label} is {overdue_by} days past its due date and no overdue one of its kind "
                "is in the history yet: its target is allowed again from today."
            )
            return Estimate("target", days=target.days, unit=target.unit)
        if due is not None:
            until = (due - self.today).days
            if pool is None:  # too little history: its target, that is its due date
                self._too_little(what, target)
                return Estimate("target", days=target.days, unit=target.unit, until=until)
            return Estimate("due_date", days=until, until=until)
        return Estimate("target", days=target.days, unit=target.unit)

    def _elapsed(self, since: datetime.datetime) -> float:
        return max(0.0, (self.s.at - since).total_seconds() / 86400)

    # -- the plan: the steps still ahead, each a way to draw its end --

    def plan(self) -> list[Step]:
        s = self.s
        steps: list[Step] = []
        if s.state == State.DRAFT:
            ahead_from = 0
        elif s.state == State.CHANGES_REQUESTED:
            back_to = s.from_state or State.SCOPING
            steps.append(self._answer_step(back_to))
            steps.append(self._returning_step(back_to))
            ahead_from = ROUTE_ORDER.index(back_to) + 1
        else:
            steps.append(self._current_step())
            ahead_from = ROUTE_ORDER.index(s.state) + 1
        for state in ROUTE_ORDER[ahead_from:]:
            steps.append(self._ahead_step(state))
        return steps

    def _rework(self, state: str) -> Rate:
        if state not in FEEDBACK_STATES:
            return NO_REWORK
        key = ("rework", state)
        if key not in self._cache:
            self._cache[key] = self.h.rework(self.route, state)
        return self._cache[key]

    def _ahead_step(self, state: str) -> Step:
        step = Step(state, "ahead", rework=self._rework(state))
        if state == State.IN_REVIEW:
            step.tracks = [
                {"kind": kind, "organisation_id": org, "estimate": self.track_estimate(kind)}
                for kind, org in self.s.needed
            ]
        else:
            step.estimate = self.stage_estimate(state)
        return step

    def _current_step(self) -> Step:
        s = self.s
        state = s.state
        again = s.visit > 1  # a visit after a round of feedback
        step = Step(state, "current", rework=self._rework(state), returned=again)
        if state == State.IN_REVIEW:
            for t in s.tracks:
                entry: dict[str, Any] = {
                    "kind": t.kind,
                    "organisation_id": t.organisation_id,
                    "track_id": t.track_id,
                }
                if t.decided_at is not None:
                    entry["decided_on"] = local_date(t.decided_at)
                    entry["estimate"] = None
                elif t.sitting_on is not None and t.sitting_on >= self.today:
                    # A panel that sits decides it at its sitting: that day, not a history.
                    until = (t.sitting_on - self.today).days
                    entry["estimate"] = Estimate("sitting", days=until, until=until)
                    self.assumptions[f"sitting:{t.kind}"] = (
                        f"The {TRACK_WORDS.get(t.kind, t.kind)} decides at its sitting on "
                        f"{t.sitting_on:%-d %B %Y}, the next whose cut-off the application makes."
                    )
                else:
                    entry["estimate"] = self.remaining(
                        t.kind,
                        self._elapsed(t.opened_at),
                        t.due_date,
                        pool=self.h.track(self.route, t.kind),
                        overruns=self.h.overdue(t.kind, track=True),
                        target=target_for_track(t.kind, self.targets),
                    )
                step.tracks.append(entry)
            if any(t.outcome == Outcome.REVISE_AND_RESUBMIT for t in s.tracks):
                step.rework = Rate(1.0, 0, "known")
                self.assumptions["revision_asked"] = (
                    "A panel has asked for revision: another round of feedback is certain."
                )
            return step
        elapsed = self._elapsed(s.entered_at or s.at)
        # The past visits of its kind that lasted at least as long: how long they still took,
        # and whether they ended in another round of feedback.
        found = self.h.visit_pool(self.route, state, returned=again)
        left = found.longer_than(elapsed) if found is not None else None
        if left is not None and left.samples >= self.h.minimum:
            step.current = left
            step.estimate = _of(left)
            return step
        step.estimate = self.remaining(
            state,
            elapsed,
            s.due_on,
            pool=self.h.visit(self.route, state, returned=again),
            overruns=self.h.overdue(state),
            target=self._stage_target(state),
        )
        return step

    def _answer_step(self, back_to: str) -> Step:
        s = self.s
        estimate = self.remaining(
            State.CHANGES_REQUESTED,
            self._elapsed(s.entered_at or s.at),
            s.due_on,
            pool=self.h.answer(self.route, back_to),
            overruns=self.h.overdue(State.CHANGES_REQUESTED),
            target=self.targets[STAGE_FOR_STATE[State.CHANGES_REQUESTED]],
        )
        return Step(State.CHANGES_REQUESTED, "current", estimate=estimate)

    def _returning_step(self, back_to: str) -> Step:
        """The stage that asked for changes, visited again; in review only the tracks that
        asked for revision reopen."""
        step = Step(back_to, "ahead", rework=self._rework(back_to), returned=True)
        if back_to == State.IN_REVIEW:
            revised = [
                (t.kind, t.organisation_id)
                for t in self.s.tracks
                if t.outcome == Outcome.REVISE_AND_RESUBMIT
            ] or [(TrackKind.IGRP, None)]
            step.tracks = [
                {"kind": kind, "organisation_id": org, "estimate": self.track_estimate(kind)}
                for kind, org in revised
            ]
        else:
            step.estimate = self.stage_estimate(back_to, returned=True)
        return step

    # -- one draw --

    def _draw_visit(
        self, state: str, rng: random.Random, at: float, *, returned: bool
    ) -> tuple[float, bool]:
        """A visit of ``state`` from ``at``: whether it ends in another round (with the
        stage's chance), then how long visits that ended so took."""
        chance = self._rework(state).chance
        reworked = chance > 0 and rng.random() < chance
        estimate = self.visit_estimate(state, returned=returned, reworked=reworked)
        return estimate.draw(rng, at, self.today), reworked

    def _draw_review_again(self, rng: random.Random, at: float) -> tuple[float, bool]:
        chance = self._rework(State.IN_REVIEW).chance
        reworked = chance > 0 and rng.random() < chance
        key = ("review_again", reworked)
        if key not in self._cache:
            pool = self.h.visit(self.route, State.IN_REVIEW, returned=True, reworked=reworked)
            # Without such history, the panels again: the IGRP, which always reviews.
            self._cache[key] = _of(pool) if pool else self.track_estimate(TrackKind.IGRP)
        return self._cache[key].draw(rng, at, self.today), reworked

    def _rounds(self, state: str, rng: random.Random, at: float, reworked: bool) -> float:
        """Rounds of feedback from ``state`` while they keep coming: the applicant answers,
        then the stage again."""
        rounds = 0
        while reworked and rounds < MAX_ROUNDS:
            at = self.answer_estimate(state).draw(rng, at, self.today)
            if state == State.IN_REVIEW:
                at, reworked = self._draw_review_again(rng, at)
            else:
                at, reworked = self._draw_visit(state, rng, at, returned=True)
            rounds += 1
        return at

    def _draw_step(self, step: Step, rng: random.Random, at: float) -> float:
        if step.stage == State.CHANGES_REQUESTED:
            return step.shown().draw(rng, at, self.today)
        if step.tracks or step.stage == State.IN_REVIEW:
            end = at
            for t in step.tracks:
                estimate = t["estimate"]
                track_end = at if estimate is None else estimate.draw(rng, at, self.today)
                t.setdefault("ends", []).append(track_end)
                end = max(end, track_end)
            reworked = rng.random() < step.rework.chance
            return self._rounds(step.stage, rng, end, reworked)
        if step.current is not None:
            left, again = step.current.draw(rng)
            left = jitter(rng, left, step.current.spread)
            return self._rounds(step.stage, rng, at + left, bool(again))
        if step.status == "current":
            end = step.shown().draw(rng, at, self.today)
            reworked = rng.random() < step.rework.chance
            return self._rounds(step.stage, rng, end, reworked)
        end, reworked = self._draw_visit(step.stage, rng, at, returned=step.returned)
        return self._rounds(step.stage, rng, end, reworked)

    def run(self, draws: int = DRAWS) -> tuple[list[Step], list[float], list[float]]:
        """Simulate the rest of the route ``draws`` times, twice: from the past durations as
        they were (the dates: each step's median end), and smoothed (the range: a handful of
        past cases never show the whole spread, and drawing only them makes the range too
        narrow; smoothing every track of a review and every round would in turn push the
        median of the slowest track later, so the dates do not use it). Returns the steps,
        the access positions of the plain draws and of the smoothed ones."""
        steps = self.plan()
        totals: dict[bool, list[float]] = {}
        for smooth in (False, True):
            rng = Draws(SEED, smooth=smooth)
            totals[smooth] = []
            for _ in range(draws):
                at = self.start
                for step in steps:
                    at = self._draw_step(step, rng, at)
                    if not smooth:
                        step.ends.append(at)
                totals[smooth].append(at)
            if not smooth:
                for step in steps:
                    for t in step.tracks:
                        t["plain_ends"] = t.pop("ends", [])
        for step in steps:
            if step.rework.chance > 0 and step.stage in FEEDBACK_STATES:
                step.round_days = self._typical_round(step.stage)
                self._say_rework(step)
        return steps, totals[False], totals[True]

    def _typical_round(self, state: str) -> float:
        answer = self.answer_estimate(state).typical()
        if state == State.IN_REVIEW:
            returned = self.h.visit(self.route, state, returned=True)
            again = returned.median if returned else self.track_estimate(TrackKind.IGRP).typical()
        else:
            again = self.visit_estimate(state, returned=True).typical()
        return answer + again

    def _say_rework(self, step: Step) -> None:
        rate = step.rework
        if rate.source == "known":
            return
        where = "on this route" if rate.source == "history" else "over every route"
        self.assumptions[f"rework:{step.stage}"] = (
            f"{WORDS.get(step.stage, step.stage)}: a {rate.chance:.0%} chance of another round "
            f"of feedback ({where}, from {rate.samples} past ones), each round costing a "
            f"median of {step.round_days:.0f} days."
        )

    # -- the answer --

    def day_of(self, position: float) -> datetime.date:
        return next_working_day(self.today + datetime.timedelta(days=math.floor(position)))

    def quantile(self, values: Sequence[float], q: float) -> float:
        ordered = sorted(values)
        return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def next_working_day(day: datetime.date) -> datetime.date:
    while not is_working_day(day):
        day += DAY
    return day


WORDS: dict[str, str] = {
    State.SCOPING: "Scoping",
    State.INTERNAL_REVIEW: "Internal review",
    State.IN_REVIEW: "The panels and data owners",
    State.APPROVED: "Granting access",
    State.CHANGES_REQUESTED: "Answering the feedback",
    TrackKind.IGRP: "The IGRP",
    TrackKind.DEA_PANEL: "The DEA panel",
    TrackKind.OWNER_SIGNOFF: "A data owner's sign-off",
}


def forecast_from(
    snapshot: Snapshot,
    history: History,
    targets_now: dict[str, Target],
    *,
    draws: int = DRAWS,
) -> dict[str, Any]:
    """The forecast of one application from what was known at ``snapshot.at``."""
    forecaster = Forecaster(snapshot, history, targets_now)
    steps, totals, smoothed = forecaster.run(draws)
    low_q = (1 - RANGE) / 2
    out_steps = []
    for step in steps:
        row: dict[str, Any] = {
            "stage": str(step.stage),
            "status": step.status,
            "expected_end": forecaster.day_of(statistics.median(step.ends)),
        }
        if step.estimate is not None:
            row["estimate"] = step.estimate.as_dict(
                rework_chance=round(step.rework.chance, 3), round_days=_round1(step.round_days)
            )
        if step.tracks or step.stage == State.IN_REVIEW:
            row["rework_chance"] = round(step.rework.chance, 3)
            row["tracks"] = [
                {
                    "kind": t["kind"],
                    "organisation_id": t["organisation_id"],
                    **({"track_id": t["track_id"]} if t.get("track_id") else {}),
                    "expected_end": t["decided_on"]
                    if "decided_on" in t
                    else forecaster.day_of(statistics.median(t["plain_ends"])),
                    "estimate": t["estimate"].as_dict() if t["estimate"] else None,
                }
                for t in step.tracks
            ]
        out_steps.append(row)
    forecaster.assumptions["working_day"] = (
        "Access is granted on a working day (England and Wales bank holidays excluded)."
    )
    forecaster.assumptions["reaches_access"] = (
        "It assumes the application reaches access: a rejection or a withdrawal is not forecast."
    )
    return {
        "predicted_access_date": forecaster.day_of(statistics.median(totals)),
        "range": {
            "low": forecaster.day_of(forecaster.quantile(smoothed, low_q)),
            "high": forecaster.day_of(forecaster.quantile(smoothed, 1 - low_q)),
            "probability": RANGE,
        },
        "steps": out_steps,
        "assumptions": [
            {"code": code, "detail": detail} for code, detail in forecaster.assumptions.items()
        ],
    }


def _round1(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


# --- one application, now -----------------------------------------------------------------------


def _prefetched(application: Application, name: str) -> list | None:
    """What the application's page loaded with it (``application_detail_queryset``), if it
    did: the forecast then reads none of it again."""
    if name in getattr(application, "_prefetched_objects_cache", {}):
        return list(getattr(application, name).all())
    return None


def route_of(application: Application) -> str:
    requested = _prefetched(application, "requested_datasets")
    if requested is not None:
        return _route(any(rd.legal_gateway == LegalGateway.DEA_RESEARCH for rd in requested))
    return _route(Application.objects.filter(pk=application.pk).filter(is_dea_q()).exists())


def _track_row(track: ReviewTrack, route: str) -> TrackRow:
    return TrackRow(
        application_id=track.application_id,
        route=route,
        **{name: getattr(track, name) for name in TRACK_FIELDS if name != "application_id"},
    )


def snapshot_of(application: Application, now: datetime.datetime, route: str) -> Snapshot | None:
    visits = visit_rows(StageVisit.objects.filter(application=application))
    loaded = _prefetched(application, "tracks")
    rows = (
        loaded
        if loaded is not None
        else list(ReviewTrack.objects.filter(application=application).select_related("panel"))
    )
    tracks = [_track_row(t, route) for t in rows]
    ids = {(t.kind, t.organisation_id, t.round): t.pk for t in rows}
    snapshot = Snapshot.at_moment(
        application.pk, route, now, visits, tracks, required_tracks(application), ids
    )
    if snapshot is not None:
        # The live forecast only: a replay of the past does not know the sittings then.
        wanted = {t.track_id for t in snapshot.tracks if t.track_id}
        sittings = sitting_dates([t for t in rows if t.pk in wanted])
        for t in snapshot.tracks:
            t.sitting_on = sittings.get(t.track_id) if t.track_id else None
    return snapshot


def application_forecast(
    application: Application, *, now: datetime.datetime | None = None
) -> dict[str, Any]:
    """The predicted access date of ``application`` (a working day), the range it falls in with
    80% chance, the steps that lead to it, what it assumes, and a warning when it falls after
    the project's start or its (grant's) end date."""
    now = now or timezone.now()
    base = {
        "application_id": application.pk,
        "reference": application.reference,
        "state": application.state,
        "generated_at": now,
        "route": None,
        "predicted_access_date": None,
        "range": None,
        "access_date": None,
        "steps": [],
        "assumptions": [],
        "warnings": [],
    }
    if application.state in (State.ACTIVE, State.SUSPENDED, State.CLOSED):
        granted = (
            application.events.filter(kind=EventKind.ACCESS_GRANTED)
            .order_by("created_at", "id")
            .values_list("created_at", flat=True)
            .first()
        )
        return {**base, "access_date": local_date(granted) if granted else None}
    if application.state in (State.REJECTED, State.WITHDRAWN):
        return base
    # No ``ensure_calendar()``: the forecast counts working days in Python (``add_days``), the
    # table is for the metrics' SQL (a query on every overview, for nothing).
    route = route_of(application)
    snapshot = snapshot_of(application, now, route) or Snapshot(
        application.pk, route, now, State.DRAFT, needed=required_tracks(application)
    )
    history = kept_history(now)
    forecast = forecast_from(snapshot, history, targets(now))
    predicted = forecast["predicted_access_date"]
    warnings = []
    if application.start_date and predicted > application.start_date:
        warnings.append(
            {
                "code": "after_start_date",
                "detail": f"Access is expected on {predicted:%-d %B %Y}, after the project's "
                f"start date ({application.start_date:%-d %B %Y}).",
            }
        )
    if application.end_date and predicted > application.end_date:
        warnings.append(
            {
                "code": "after_end_date",
                "detail": f"Access is expected on {predicted:%-d %B %Y}, after the project (and "
                f"its funding) ends on {application.end_date:%-d %B %Y}.",
            }
        )
    return {**base, **forecast, "route": route, "warnings": warnings}


STAGE_WORDS = {
    State.DRAFT: "Writing the application",
    State.SCOPING: "Scoping with the analyst",
    State.CHANGES_REQUESTED: "Your changes",
    State.INTERNAL_REVIEW: "Internal review",
    State.IN_REVIEW: "Panels and data owners",
    State.APPROVED: "Granting access",
}


TRACK_WORDS = {
    "igrp": "Independent Governance Review Panel",
    "dea_panel": "DEA accreditation panel",
    "owner_signoff": "Data owner sign-off",
}


SOURCE_WORDS = {
    "history": "past applications on this route",
    "history_all_routes": "past applications on every route",
    "history_all_stages": "past answers to feedback at any stage",
    "history_and_target": "the few past applications, with the target for the rest",
    "history_and_due_date": "the few past ones that lasted as long, and its due date",
    "overdue_history": "how long overdue ones still took",
}


def _basis(estimate: dict[str, Any] | None) -> str:
    if not estimate:
        return ""
    if estimate["source"] in SOURCE_WORDS:
        return f"{SOURCE_WORDS[estimate['source']]} ({estimate['samples']})"
    unit = "working days" if estimate["unit"] == "working" else "days"
    if estimate["source"] == "due_date":
        return "its due date"
    if estimate["source"] == "sitting":
        return "its panel's next sitting"
    return f"target of {estimate['days']:g} {unit} (too little history)"


def forecast_view(application) -> dict | None:
    """The forecast in words for the page: the date, its range, each step ahead with its
    expected end and what the estimate rests on, and what it assumes."""
    forecast = application_forecast(application)
    if forecast["predicted_access_date"] is None:
        return None
    steps = []
    for step in forecast["steps"]:
        if step.get("tracks"):
            basis = "; ".join(
                f"{TRACK_WORDS.get(t['kind'], t['kind'])} by {t['expected_end']:%-d %B %Y}"
                for t in step["tracks"]
            )
        else:
            basis = _basis(step.get("estimate"))
        chance = (step.get("estimate") or {}).get("rework_chance", step.get("rework_chance"))
        if chance:
            basis += f"; {chance:.0%} chance of another round of feedback"
        steps.append(
            {
                "label": STAGE_WORDS.get(step["stage"], step["stage"]),
                "current": step["status"] == "current",
                "expected_end": step["expected_end"],
                "basis": basis,
            }
        )
    return {
        "date": forecast["predicted_access_date"],
        "range": forecast["range"],
        "steps": steps,
        "assumptions": [a["detail"] for a in forecast["assumptions"]],
        "warnings": [w["detail"] for w in forecast["warnings"]],
    }
