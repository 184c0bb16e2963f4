"""Tasks owned by the access app."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection
from django.utils import timezone

from access.safe_people.services import access_grants_end_due, accreditation_expire_due

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def heartbeat() -> dict:
    """Proves the worker is alive and can reach the database (beat runs it every 5 minutes).

    The smoke test round-trips it through the broker and the result backend.
    """
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        (one,) = cursor.fetchone()
    now = timezone.now().isoformat()
    logger.info("heartbeat at %s", now)
    return {"ok": one == 1, "at": now, "database": connection.vendor}


@shared_task(acks_late=True)
def expire_accreditations() -> dict:
    """Nightly: expire awards past their last day (suspending the access that relied on them).
    Reminders before expiry come from the reminder sweep (workflow.expiry_sources).
    Idempotent: a second run changes nothing."""
    return {"expired": len(accreditation_expire_due())}


@shared_task(acks_late=True)
def end_access_grants() -> dict:
    """Nightly: end the access grants whose project has ended. Idempotent."""
    return {"ended": len(access_grants_end_due())}
