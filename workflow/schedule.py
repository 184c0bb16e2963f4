"""Beat entries for the workflow, merged into ``CELERY_BEAT_SCHEDULE`` by the settings.

The reminder sweep is idempotent (reminders are rows with a unique key), so an hourly run, a
missed hour or a double run all end with each reminder raised once. Hourly rather than daily
so a reminder that falls due is raised within the hour, and a beat that was down catches up
at its next run.
"""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "workflow-send-reminders": {
        "task": "workflow.tasks.send_reminders",
        "schedule": crontab(minute=10),
        # A sweep older than its period is superseded by the next one.
        "options": {"expires": 55 * 60},
    },
}
