"""The outbox against a real Celery worker, a real Redis and PostgreSQL.

Each test runs with committed transactions (the worker is another process), its own Redis
server on a free port, and workers in their own process groups, killed at teardown.
"""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from notifications import services
from notifications.models import EmailStatus, Notification
from tests.factories import make_user
from tests.support.integration import emails_in, wait_for

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def raise_for(recipients, reference: str):
    with transaction.atomic():
        return services.notify(
            recipients=recipients,
            kind="application.submitted",
            subject=f"Application {reference} was submitted",
            body="It is ready for scoping.",
            url=f"/applications/{reference}/",
            about=f"application:{reference}",
        )


def test_worker_delivers_committed_notification_once(workers, email_dir):
    _, log = workers.start()
    analyst = make_user("analyst")

    (notification,) = raise_for([analyst], "APP-1")

    wait_for(lambda: len(emails_in(email_dir)) == 1, timeout=30, what="one email", log=log)
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    (email,) = emails_in(email_dir)
    assert f"To: {analyst.email}" in email
    assert "/applications/APP-1/" in email


def test_broker_outage_delays_but_never_drops_notifications(workers, redis_server, email_dir):
    people = [make_user("researcher") for _ in range(3)]
    redis_server.stop()

    started = time.monotonic()
    for index, person in enumerate(people):
        raise_for([person], f"APP-{index}")  # commits; no broker error reaches the caller
    assert time.monotonic() - started < 20
    assert Notification.objects.filter(email_status=EmailStatus.PENDING).count() == 3

    redis_server.start()
    _, log = workers.start()
    after_grace = timezone.now() + timedelta(minutes=3)
    assert services.redispatch_pending(now=after_grace) == 3

    wait_for(lambda: len(emails_in(email_dir)) == 3, timeout=45, what="three emails", log=log)
    assert services.redispatch_pending(now=after_grace + timedelta(minutes=3)) == 0
    time.sleep(2)
    emails = emails_in(email_dir)
    assert sorted(
        next(line for line in e.splitlines() if line.startswith("To:")) for e in emails
    ) == sorted(f"To: {p.email}" for p in people)
    assert set(Notification.objects.values_list("email_status", flat=True)) == {EmailStatus.SENT}


def test_worker_killed_mid_delivery_is_redelivered_and_sent_once(workers, email_dir, tmp_path):
    slow, slow_log = workers.start(TRE_TEST_EMAIL_DELAY="60")
    panel_member = make_user("panel_member")

    (notification,) = raise_for([panel_member], "APP-9")
    wait_for(
        lambda: any(tmp_path.glob("delivering-*")),
        timeout=30,
        what="delivery to start",
        log=slow_log,
    )
    workers.kill(slow)  # SIGKILL the whole worker: no ack, no requeue by the worker itself

    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENDING
    assert emails_in(email_dir) == []

    # A fresh worker gets the unacknowledged message back from Redis after the visibility
    # timeout (acks_late), finds the dead worker's claim stale, takes it over and sends.
    _, log = workers.start()
    wait_for(lambda: len(emails_in(email_dir)) == 1, timeout=60, what="the email", log=log)
    notification.refresh_from_db()
    assert notification.email_status == EmailStatus.SENT
    assert notification.email_attempts == 2

    time.sleep(5)  # longer than the visibility timeout: nothing else comes back
    assert services.redispatch_pending(now=timezone.now() + timedelta(hours=1)) == 0
    assert len(emails_in(email_dir)) == 1
