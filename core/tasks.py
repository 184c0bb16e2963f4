"""The shared plumbing's one periodic job."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.conf import settings
from django.utils import timezone


@shared_task(acks_late=True, ignore_result=True)
def purge_idempotency_keys() -> int:
    """Beat, daily: forget stored answers older than IDEMPOTENCY_KEY_TTL_HOURS (a keyed
    request also forgets its own person's expired keys). Idempotent."""
    from core.models import IdempotencyKey

    cutoff = timezone.now() - datetime.timedelta(hours=settings.IDEMPOTENCY_KEY_TTL_HOURS)
    deleted, _ = IdempotencyKey.objects.filter(created_at__lt=cutoff).delete()
    return deleted
