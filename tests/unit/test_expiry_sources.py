"""The expiry reminders read the real accreditations, access grants and conditions."""

import datetime

import pytest
import time_machine

from notifications.models import Notification
from tests.factories.workflow import World
from workflow.models import Condition, State
from workflow.turnaround.reminders import reminders_sweep

pytestmark = pytest.mark.django_db


def sweep_on(day: datetime.date) -> None:
    reminders_sweep(now=datetime.datetime.combine(day, datetime.time(9), tzinfo=datetime.UTC))


def keys(kind: str) -> list[str]:
    return sorted(Notification.objects.filter(kind=kind).values_list("dedupe_key", flat=True))


def test_access_grant_ending_reminds_each_member_at_90_30_and_7_days():
    with time_machine.travel(datetime.datetime(2027, 1, 4, 9, tzinfo=datetime.UTC), tick=False):
        world = World()
        app = world.at(State.ACTIVE)  # the project ends on 31 December 2028
    grant = app.access_grants.get(person=world.pi)
    end = grant.end_on
    for days in (95, 90, 90, 29, 6):
        sweep_on(end - datetime.timedelta(days=days))
    pi_keys = sorted(
        Notification.objects.filter(kind="access.expiring", recipient=world.pi).values_list(
            "dedupe_key", flat=True
        )
    )
    assert pi_keys == [
        f"access.expiring:grant:{grant.pk}:{end.isoformat()}:{d}d" for d in (30, 7, 90)
    ]


def test_open_condition_due_soon_reminds_who_must_meet_it_and_a_met_one_does_not():
    world = World()
    app = world.at(State.APPROVED)
    due = datetime.date(2027, 3, 1)
    track = app.tracks.get(kind="igrp")
    open_one = Condition.objects.create(
        application=app,
        text="Publish the code.",
        origin="track",
        track=track,
        timing="during_project",
        due_date=due,
        responsible=world.pi,
    )
    Condition.objects.create(
        application=app,
        text="Already met.",
        origin="track",
        track=track,
        timing="during_project",
        due_date=due,
        state="met",
        verified_at=app.created_at,
        verified_by=world.reviewer,
        evidence="Done.",
        evidence_at=app.created_at,
        evidence_by=world.pi,
    )
    sweep_on(due - datetime.timedelta(days=7))
    notes = Notification.objects.filter(kind="condition.due")
    assert [(n.recipient, n.about) for n in notes] == [(world.pi, f"condition:{open_one.pk}")]
