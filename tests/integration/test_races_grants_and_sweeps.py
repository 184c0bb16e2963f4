"""More races on real PostgreSQL (threads, one connection each, released together): two ops
granting access to the same application at once, and two reminder sweeps at once. Exactly one
effect each time, the event log consistent (and its hash chain intact), nothing sent twice.

The harness is tests/integration/test_races.py's; the vote/close races are in
test_panel_races.py, the conflicting transitions in test_races.py.
"""

from __future__ import annotations

import datetime

import pytest
from django.db import connection

from access.models import AccessGrant, Role
from notifications.models import Notification
from tests.factories import make_user
from tests.factories.turnaround import history, travel
from tests.factories.workflow import World
from tests.integration.test_races import ROUNDS, one_winner, race
from workflow.audit import verify_chain
from workflow.models import Application, Event, EventKind, State
from workflow.route import services as route_services
from workflow.turnaround.reminders import reminders_sweep

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="row locks need PostgreSQL"),
]


@pytest.fixture
def world():
    return World()


def test_two_ops_granting_access_at_once_grant_it_once(world):
    second_ops = make_user(Role.OPS, full_name="Second Ops")
    for _ in range(ROUNDS):
        application = world.at(State.APPROVED)
        results = race(
            lambda a=application: route_services.application_grant_access(
                application=a, by=world.ops
            ),
            lambda a=application: route_services.application_grant_access(
                application=a, by=second_ops
            ),
        )
        one_winner(results)
        application = Application.objects.get(pk=application.pk)
        assert application.state == State.ACTIVE
        members = application.members.count()
        assert AccessGrant.objects.filter(application=application).count() == members
        granted = Event.objects.filter(application=application, kind=EventKind.ACCESS_GRANTED)
        assert granted.count() == 1
        assert verify_chain(application.events.order_by("id")) is None


def test_two_reminder_sweeps_at_once_send_each_reminder_once(world):
    scoping_due = datetime.date(2026, 3, 30)  # 20 working days after T0 (see test_reminders)
    history(world, [("submit", 0)])
    history(world, [("submit", 0)])
    with travel(scoping_due):
        results = race(reminders_sweep, reminders_sweep)
        again = reminders_sweep()
    assert [kind for kind, _ in results] == ["ok", "ok"], results
    due_today = Notification.objects.filter(kind="stage.due_today")
    # One per application and recipient, whichever sweep got there first, never both (the
    # sweeps' own counts may include a row the other sweep inserted first: they count attempts).
    rows = list(due_today.values_list("recipient_id", "dedupe_key"))
    assert len(rows) >= 2, rows
    assert "stage.due_today" in again  # a third sweep, the same day, inserts nothing new
    assert sorted(due_today.values_list("recipient_id", "dedupe_key")) == sorted(rows)
    assert len(rows) == len(set(rows))
