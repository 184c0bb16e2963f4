"""Celery tasks of the workflow: thin, they call a service.

The reminder sweep is idempotent (each reminder is a notification row with a unique key), so a
beat that fires twice, or a task redelivered after a lost worker (``acks_late``), sends
nothing twice.
"""

from __future__ import annotations

import logging

from celery import shared_task

from workflow.provisioning.tasks import deliver_webhook_lane, redispatch_webhooks
from workflow.turnaround import reminders

logger = logging.getLogger(__name__)

# Provisioning's tasks live with their topic; imported here so the worker registers them.
__all__ = [
    "audit_checkpoint",
    "deliver_webhook_lane",
    "lifecycle_sweep",
    "redispatch_webhooks",
    "send_reminders",
]


@shared_task(acks_late=True, ignore_result=True)
def send_reminders() -> dict[str, int]:
    """Beat, hourly: raise every reminder and escalation due now."""
    return reminders.reminders_sweep()


@shared_task(acks_late=True, ignore_result=True)
def lifecycle_sweep() -> dict[str, int]:
    """Beat, hourly: open the progress reports falling due, suspend projects whose report is
    overdue past the grace period, start the close-out of projects past their end date."""
    from workflow.lifecycle.services import lifecycle_sweep as sweep

    return sweep()


@shared_task(acks_late=True, ignore_result=True)
def audit_checkpoint() -> str:
    """Beat, hourly: seal every audit chain's head outside the database (when
    AUDIT_CHECKPOINT_DIR is set). A broken log is logged, not sealed."""
    from workflow.audit_check import CheckpointRefused, checkpoint_dir, write_checkpoint

    if checkpoint_dir() is None:
        return "not configured"
    try:
        return str(write_checkpoint())
    except CheckpointRefused as refused:
        for found in refused.breaks:
            logger.error("Audit break, no checkpoint written: %s", found)
        return f"refused: {len(refused.breaks)} breaks"


@shared_task(acks_late=True, ignore_result=True)
def refresh_live_figures() -> None:
    """Beat, every four minutes: the Turnaround page's counts of open work and its oldest open
    applications (``workflow.turnaround.dashboard.refresh_live``)."""
    from workflow.turnaround.dashboard import refresh_live

    refresh_live()


@shared_task(acks_late=True, ignore_result=True)
def refresh_figures() -> None:
    """Beat, hourly: the slow-changing figures pages show: the typical times of the public
    guide, the history the forecast of an application draws from, the Turnaround page's
    figures over the whole history."""
    from workflow.turnaround.dashboard import refresh_dashboard
    from workflow.turnaround.forecast import refresh_history
    from workflow.turnaround.stage_guide import refresh_typical_days

    refresh_typical_days()
    refresh_history()
    refresh_dashboard()
