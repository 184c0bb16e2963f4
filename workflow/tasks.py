"""Celery tasks of the workflow: thin, they call a service.

The reminder sweep is idempotent (each reminder is a notification row with a unique key), so a
beat that fires twice, or a task redelivered after a lost worker (``acks_late``), sends
nothing twice.
"""

from __future__ import annotations

from celery import shared_task

from workflow.turnaround import reminders


@shared_task(acks_late=True, ignore_result=True)
def send_reminders() -> dict[str, int]:
    """Beat, hourly: raise every reminder and escalation due now."""
    return reminders.reminders_sweep()
