"""Celery tasks for notifications: thin, they take ids and call a service.

Delivery is made idempotent by the row's state machine (``services.deliver_email``), so the
at-least-once broker (``acks_late``, redelivery after a lost worker) is safe. Failures to *send*
are recorded on the row and retried by the sweep, never by Celery, so there is one retry clock
per email. Celery's own retry is kept for the worker's infrastructure: a database connection
dropped under the task (a failover, a restart) is retried with exponential backoff and jitter.
"""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

from notifications import services

INFRASTRUCTURE_ERRORS = (OperationalError, InterfaceError)
# A delivery task: acknowledged after it ran, retried by Celery only for the infrastructure.
DELIVERY_TASK: dict[str, Any] = {
    "bind": True,
    "acks_late": True,
    "ignore_result": True,
    "autoretry_for": INFRASTRUCTURE_ERRORS,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def _settled(task: Any, outcome: services.DeliveryOutcome) -> str:
    """A delivery task's answer: its outcome, or, while another delivery holds the row, a
    retry once that claim would have gone stale if it died (a short, bounded countdown; the
    sweep is the backstop if this message is lost)."""
    if outcome == services.DeliveryOutcome.IN_FLIGHT and task.request.retries < task.max_retries:
        raise task.retry(countdown=services.sending_stale_after() + 1)
    return str(outcome)


@shared_task(**DELIVERY_TASK)
def deliver_notification(self, notification_id: int) -> str:
    """Send one notification's email (once in effect, however often this runs)."""
    return _settled(self, services.deliver_email(notification_id=notification_id))


@shared_task(**DELIVERY_TASK)
def deliver_outbound_email(self, email_id: int) -> str:
    """Send one email to an address (a registration or invitation link), once in effect."""
    return _settled(self, services.deliver_outbound(email_id=email_id))


@shared_task(acks_late=True, ignore_result=True)
def deliver_notifications(notification_ids: list[int]) -> int:
    """Publish one delivery per row (``notify_many`` hands over a batch in one message).
    Re-run after a lost worker, it publishes them again; delivery makes that harmless."""
    return services.publish_deliveries(list(notification_ids))


@shared_task(acks_late=True, ignore_result=True)
def redispatch_pending_notifications() -> int:
    """Beat, every minute: publish due emails the broker never got or a dead worker dropped."""
    return services.redispatch_pending()


@shared_task(acks_late=True, ignore_result=True)
def send_daily_digests() -> int:
    """Beat, every 15 minutes: open today's digests from 07:00 UTC and deliver due ones."""
    return services.send_digests()
