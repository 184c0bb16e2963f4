"""Beat entries for notifications, merged into ``CELERY_BEAT_SCHEDULE`` by the settings.

Both sweeps are idempotent (rows and unique keys decide what is sent), so a beat that runs a
sweep twice, or two beats by mistake, sends nothing twice.
"""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    "notifications-redispatch-pending": {
        "task": "notifications.tasks.redispatch_pending_notifications",
        "schedule": crontab(minute="*"),
        # A sweep older than its period is superseded by the next one.
        "options": {"expires": 55},
    },
    "notifications-send-daily-digests": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
}
