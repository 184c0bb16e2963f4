"""The one table of the shared plumbing: stored answers of the API's keyed writes. (Having a
models module also makes Django send core its ``post_migrate`` signal, on which the database
cache's table is created: core/apps.py.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key`` header, per person and key.

    Claimed (inserted) before the write runs, in the write's own transaction, and filled in
    with the answer in the same transaction: a concurrent request with the same key waits on
    the unique index until the first commits, then replays its answer (core/api/idempotency.py).
    Kept ``IDEMPOTENCY_KEY_TTL_HOURS``; an expired key may be used again.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    # SHA-256 of the method, path and body: the same key with another request is refused.
    fingerprint = models.CharField(max_length=64)
    status = models.PositiveSmallIntegerField(default=0)
    body = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="core_idempotency_key_once")
        ]

    def __str__(self) -> str:
        return f"{self.key} of user {self.user_id}"
