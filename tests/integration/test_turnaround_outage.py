"""A Redis outage while the route moves on: every transition commits, every notification and
reminder waits in the outbox, and arrives exactly once when Redis is back (a real Celery worker,
our own Redis server, PostgreSQL). The worker killed mid-delivery is covered in
test_notifications_worker.py."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from notifications import services as notifications
from notifications.models import EmailStatus, Notification
from tests.factories.workflow import World
from tests.support.integration import emails_in, wait_for
from workflow.models import Event, State
from workflow.turnaround import reminders

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def header(email: str, name: str) -> str:
    return next(line for line in email.splitlines() if line.startswith(f"{name}:"))


def test_transitions_commit_during_a_redis_outage_and_every_notification_arrives_once(
    workers, redis_server, email_dir
):
    world = World()
    redis_server.stop()

    started = time.monotonic()
    # Submit, scope, review, refer, decide every track: each step commits on its own.
    application = world.at(State.APPROVED)
    # Three weeks on, the reminder sweep raises its reminders into the same outbox.
    raised = reminders.reminders_sweep(now=timezone.now() + timedelta(days=21))
    assert time.monotonic() - started < 60  # a broker that refuses does not hold requests up

    assert application.state == State.APPROVED
    transitions = Event.objects.filter(application=application).exclude(to_state="")
    assert list(transitions.values_list("to_state", flat=True)) == [
        State.DRAFT,
        State.SCOPING,
        State.INTERNAL_REVIEW,
        State.IN_REVIEW,
        State.APPROVED,
    ]
    # Access not granted within 5 working days: overdue, and escalated after 3 more.
    assert (raised["stage.overdue"], raised["stage.escalated"]) == (1, 1)
    pending = Notification.objects.filter(email_status=EmailStatus.PENDING)
    expected = sorted((n.recipient.email, n.subject) for n in pending.select_related("recipient"))
    assert len(expected) >= 8

    redis_server.start()
    _, log = workers.start()
    after_grace = timezone.now() + timedelta(minutes=3)
    assert notifications.redispatch_pending(now=after_grace) == len(expected)

    wait_for(
        lambda: len(emails_in(email_dir)) >= len(expected),
        timeout=90,
        what=f"{len(expected)} emails",
        log=log,
    )
    assert notifications.redispatch_pending(now=after_grace + timedelta(minutes=3)) == 0
    time.sleep(3)  # anything sent twice would show up now
    emails = emails_in(email_dir)
    delivered = sorted(
        (header(e, "To").removeprefix("To: "), header(e, "Subject").removeprefix("Subject: "))
        for e in emails
    )
    assert delivered == expected
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SENT}
