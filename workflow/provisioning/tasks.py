"""Celery tasks of provisioning: thin, they take ids and call a service.

A lane's delivery is idempotent (rows decide what is sent; a delivered one is not sent again
unless ops ask), so ``acks_late`` redelivery after a lost worker, or a lane published twice,
is harmless. Retries of a failed attempt are the lane's own (``next_attempt_at``), published
with a short countdown and swept every minute, never Celery's retry.
"""

from __future__ import annotations

from celery import shared_task

from workflow.provisioning import services


@shared_task(acks_late=True, ignore_result=True)
def deliver_webhook_lane(receiver_id: int, application_id: int) -> int:
    """Deliver one receiver's pending changes of one project, in order."""
    return services.webhook_lane_deliver(receiver_id=receiver_id, application_id=application_id)


@shared_task(acks_late=True, ignore_result=True)
def redispatch_webhooks() -> int:
    """Beat, every minute: publish every lane with a delivery due."""
    return services.webhooks_redispatch()
