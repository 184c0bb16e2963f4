"""The Celery app, and the one beat schedule of every periodic task.

Tasks are thin: they take ids, load objects and call a service. One beat runs this static UTC
schedule; every sweep is idempotent (rows and unique keys decide what is sent), so a missed run
catches up at the next, and a run twice (or two beats by mistake) sends nothing twice.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tre")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

BEAT_SCHEDULE: dict[str, dict] = {
    # Proves the worker is alive and reaches the database (the smoke test round-trips it).
    "heartbeat": {"task": "access.tasks.heartbeat", "schedule": crontab(minute="*/5")},
    # Nightly, after midnight UTC: lapsed accreditation suspends access; ended projects end it.
    "access-expire-accreditations": {
        "task": "access.tasks.expire_accreditations",
        "schedule": crontab(hour=0, minute=15),
        "options": {"expires": 6 * 3600},
    },
    "access-end-grants": {
        "task": "access.tasks.end_access_grants",
        "schedule": crontab(hour=0, minute=30),
        "options": {"expires": 6 * 3600},
    },
    # The outbox: publish what a lost publish left pending, every minute; daily digests.
    "notifications-redispatch-pending": {
        "task": "notifications.tasks.redispatch_pending_notifications",
        "schedule": crontab(minute="*"),
        # A sweep older than its period is superseded by the next one.
        "options": {"expires": 55},
    },
    # Webhooks to the secure environment: lanes whose delivery is due (a retry after a
    # backoff, or a publish a broker outage lost) (workflow/provisioning/services.py).
    "provisioning-redispatch-webhooks": {
        "task": "workflow.provisioning.tasks.redispatch_webhooks",
        "schedule": crontab(minute="*"),
        "options": {"expires": 55},
    },
    "notifications-send-daily-digests": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": crontab(minute="*/15"),
        "options": {"expires": 14 * 60},
    },
    # Reminders and escalations: hourly, so one that falls due is raised within the hour and a
    # beat that was down catches up at its next run (workflow/turnaround/reminders.py).
    "workflow-send-reminders": {
        "task": "workflow.tasks.send_reminders",
        "schedule": crontab(minute=10),
        "options": {"expires": 55 * 60},
    },
    # A project's life after access: reports falling due, suspension of projects whose report
    # is overdue past the grace period, close-outs of projects past their end date; hourly and
    # idempotent (workflow/lifecycle/services.py), ten minutes before the reminders.
    "workflow-lifecycle-sweep": {
        "task": "workflow.tasks.lifecycle_sweep",
        "schedule": crontab(minute=0),
        "options": {"expires": 55 * 60},
    },
    # Stored answers of keyed API writes past their time (core/api/idempotency.py).
    "core-purge-idempotency-keys": {
        "task": "core.tasks.purge_idempotency_keys",
        "schedule": crontab(hour=3, minute=5),
        "options": {"expires": 6 * 3600},
    },
    # Tamper evidence: every audit chain's head sealed outside the database, hourly
    # (workflow/audit_check.py; nothing when AUDIT_CHECKPOINT_DIR is not set).
    "workflow-audit-checkpoint": {
        "task": "workflow.tasks.audit_checkpoint",
        "schedule": crontab(minute=40),
        "options": {"expires": 55 * 60},
    },
    # The figures public pages show (typical time of each stage), kept rather than computed
    # for every visit (workflow/turnaround/stage_guide.py).
    "workflow-refresh-figures": {
        "task": "workflow.tasks.refresh_figures",
        "schedule": crontab(minute=20),
        "options": {"expires": 55 * 60},
    },
    # The Turnaround page's counts of open work, kept for five minutes rather than counted for
    # every visit (workflow/turnaround/dashboard.py): counted every four, so beat's count is
    # there before the kept one is too old and no visit waits for the counting.
    "workflow-refresh-live-figures": {
        "task": "workflow.tasks.refresh_live_figures",
        "schedule": crontab(minute="*/4"),
        "options": {"expires": 3 * 60},
    },
}
app.conf.beat_schedule = BEAT_SCHEDULE
