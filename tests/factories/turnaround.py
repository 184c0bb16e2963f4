"""Applications with a history: the real route, taken at chosen moments (time-machine)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

import time_machine

from tests.factories.access import accredit
from tests.factories.workflow import World
from workflow.management.history import Cast, Step, journey
from workflow.models import Application, LegalGateway

DAY = datetime.timedelta(days=1)

UTC = datetime.UTC
# A Monday in March 2026 (GMT): no bank holiday until Good Friday, 3 April.
T0 = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def cast_of(world: World) -> Cast:
    return Cast(
        researcher=world.pi,
        reviewer=world.reviewer,
        ops=world.ops,
        owner_of=world.owner_of,
        safeguards=world.SAFEGUARDS,
        signatory=world.signatory,
    )


def dea_content(world: World, **overrides) -> dict:
    """The world's content with its dataset shared under the DEA research gateway."""
    content = world.content(**overrides)
    content["datasets"] = [{**content["datasets"][0], "legal_gateway": LegalGateway.DEA_RESEARCH}]
    return content


def history(
    world: World,
    steps: Sequence[Step],
    *,
    start: datetime.datetime = T0,
    dea: bool = False,
    **overrides,
) -> Application:
    content = dea_content(world, **overrides) if dea else world.content(**overrides)
    # Safe people in the past too: the team held its accreditations (DEA ones for a DEA
    # project) from a year before the history starts.
    kinds = ["safe_researcher", "dea_full"] if dea else ["safe_researcher"]
    issued = start.date() - 365 * DAY
    for member in content["members"]:
        for kind in kinds:
            held = member["user"].accreditations.filter(kind=kind, issued_on__lte=issued)
            if not held.exists():
                accredit(member["user"], kind, issued_on=issued)
    return journey(cast_of(world), content, start, steps)


def moment(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=UTC)


def travel(day: datetime.date, hour: int = 10):
    return time_machine.travel(moment(day, hour), tick=False)


# The full route with SAIL-like durations (days after the previous step).
FULL_ROUTE: list[Step] = [
    ("submit", 0),
    ("complete_scoping", 20),
    ("refer", 5),
    ("decide_all", 19),
    ("grant", 4),
]
