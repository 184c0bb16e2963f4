"""The outbox of provisioning: the change feed and its webhook delivery rows, written inside
the transaction of the change they report, and the publishing of delivery tasks after commit.

Called by the watchers in ``notices.py`` (as ``notifications.notices`` calls the outbox's
``notify``) and by the services that requeue deliveries.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from celery import current_app
from django.db import connection, transaction
from django.utils import timezone

from access.models import AccessGrant, User
from workflow.provisioning.models import EntitlementChange, WebhookDelivery
from workflow.provisioning.selectors import receivers_for
from workflow.route.models import Application

logger = logging.getLogger(__name__)

# Any constant: the one advisory lock that numbers the feed in commit order (PostgreSQL).
FEED_LOCK = 918_273_645
DELIVER_TASK = "workflow.provisioning.tasks.deliver_webhook_lane"


def change_record(
    *,
    kind: str,
    application: Application,
    grant: AccessGrant | None = None,
    person: User | None = None,
    data: dict[str, Any],
) -> EntitlementChange:
    """Append one change to the feed and queue it for every receiver that wants its kind.

    Must run inside the transaction of the change it reports. On PostgreSQL a transaction-level
    advisory lock is taken before the row is numbered and held until commit, so ids commit in
    increasing order and a poller never sees id N+1 before N (SQLite has one writer anyway).
    The watchers call this at the very end of a service, after every row lock it takes, so the
    lock is held briefly and never before another lock.
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [FEED_LOCK])
    now = timezone.now()
    change = EntitlementChange.objects.create(
        kind=kind,
        application=application,
        grant=grant,
        person=person,
        occurred_at=now,
        data=data,
    )
    receivers = receivers_for(kind)
    WebhookDelivery.objects.bulk_create(
        WebhookDelivery(receiver=r, change=change, application=application, next_attempt_at=now)
        for r in receivers
    )
    lanes = [(r.pk, application.pk) for r in receivers]
    if lanes:
        transaction.on_commit(lambda: publish_lanes(lanes), robust=True)
    return change


def publish_lanes(lanes: Sequence[tuple[int, int]], *, countdown: float = 0) -> int:
    """Publish one delivery task per lane. Never raises: the rows are the outbox, and the
    sweep publishes any lane whose message was lost."""
    published = 0
    for receiver_id, application_id in dict.fromkeys(lanes):
        try:
            # By name: the task module sits above this one (it calls the services).
            current_app.send_task(
                DELIVER_TASK,
                (receiver_id, application_id),
                countdown=countdown or None,
                retry=True,
                retry_policy={"max_retries": 1, "interval_start": 0, "interval_step": 0.2},
            )
            published += 1
        except Exception:
            # Broad on purpose: any broker error means "not now"; the sweep tries again.
            logger.warning("Could not publish webhook lane %s/%s", receiver_id, application_id)
    return published
