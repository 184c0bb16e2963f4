"""Tasks owned by the access app."""

from __future__ import annotations

import logging

from celery import shared_task
from django.db import connection
from django.utils import timezone

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
