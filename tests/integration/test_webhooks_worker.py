"""Webhooks to the secure environment through a real Celery worker on Redis, to a real
receiver on loopback that verifies every Standard Webhooks signature.

The receiver is down while access is granted and suspended: the transitions do not wait for
it, nothing is lost, and once it is back every change arrives exactly once, in order per
project. Two projects changed at the same moment are both delivered.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict

import pytest
from django.db import connection
from django.utils import timezone

from tests.factories.workflow import World
from tests.support.integration import wait_for
from tests.support.webhooks import Receiver
from workflow.models import State
from workflow.provisioning import services
from workflow.provisioning.models import DeliveryStatus, WebhookAttempt, WebhookDelivery
from workflow.provisioning.selectors import KINDS
from workflow.route import services as route_services

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def all_delivered() -> bool:
    rows = WebhookDelivery.objects.all()
    return rows.exists() and not rows.filter(status=DeliveryStatus.PENDING).exists()


def test_receiver_outage_delays_but_loses_nothing_and_keeps_order(workers):
    _, log = workers.start(WEBHOOK_RETRY_BASE_SECONDS="0.5", WEBHOOK_RETRY_MAX_SECONDS="2")
    world = World()
    receiver = Receiver()
    hook = services.webhook_receiver_register(by=world.ops, url=receiver.url, kinds=KINDS)
    receiver.secret = hook.secret  # the receiver is not listening yet: connection refused

    today = timezone.localdate()
    started = time.monotonic()
    first = world.at(State.ACTIVE, start_date=today)
    second = world.at(State.ACTIVE, start_date=today)
    route_services.application_suspend(application=first, by=world.ops, reason="Breach")
    wait_for(
        lambda: WebhookAttempt.objects.filter(status_code__isnull=True).count() >= 2,
        timeout=30,
        what="failed attempts while the receiver is down",
        log=log,
    )
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == 0
    assert first.__class__.objects.get(pk=first.pk).state == State.SUSPENDED
    assert time.monotonic() - started < 60  # nothing waited on the receiver

    receiver.start()
    try:
        wait_for(all_delivered, timeout=60, what="every delivery", log=log)

        # Two projects changed at the same moment: both are told.
        barrier = threading.Barrier(2)

        def change(step):
            try:
                barrier.wait(timeout=10)
                step()
            finally:
                connection.close()

        steps = [
            lambda: route_services.application_reinstate(application=first, by=world.ops),
            lambda: route_services.application_suspend(
                application=second, by=world.ops, reason="Audit"
            ),
        ]
        threads = [threading.Thread(target=change, args=(s,)) for s in steps]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        wait_for(
            lambda: all_delivered() and len(receiver.received) == WebhookDelivery.objects.count(),
            timeout=60,
            what="the concurrent changes",
            log=log,
        )
        time.sleep(2)  # nothing more comes (no duplicate)
    finally:
        receiver.stop()

    assert receiver.refused == []  # every signature verified
    ids = [r.message_id for r in receiver.received]
    assert len(ids) == len(set(ids)) == WebhookDelivery.objects.count()
    by_project = defaultdict(list)
    for r in receiver.received:
        by_project[r.body["data"]["application"]].append((r.body["data"]["cursor"], r.body["type"]))
    for project, changes in by_project.items():
        cursors = [c for c, _ in changes]
        assert cursors == sorted(cursors), f"project {project} out of order: {changes}"
    first_kinds = [k for _, k in by_project[first.pk]]
    second_kinds = [k for _, k in by_project[second.pk]]
    assert first_kinds.count("grant.suspended") == 2
    assert first_kinds.count("grant.reinstated") == 2
    assert first_kinds.index("grant.reinstated") > first_kinds.index("grant.suspended")
    assert second_kinds.count("grant.suspended") == 2
    assert first_kinds.count("grant.created") == second_kinds.count("grant.created") == 2
    # Each failed attempt was logged for ops to see.
    assert WebhookAttempt.objects.filter(status_code__isnull=True).exclude(error="").exists()
