"""Writes that answer from inside their transaction, and can be retried safely.

``answer(request, make)`` runs ``make`` (which calls one service and serializes what it
returned) in one transaction and commits after the answer is built, so nothing is read after
the commit: a connection lost after the commit can no longer turn a saved change into a 503.
A connection lost *at* the commit raises ``OutcomeUnknown``, answered 503 ``outcome_unknown``.

With an ``Idempotency-Key`` header (any 1–255 visible ASCII characters, unique per change the
client means), the first successful answer is stored with the change, in the same transaction,
and a retry with the same key gets that answer again (with ``Idempotent-Replayed: true``)
instead of making the change twice. The same key with another method, path or body is refused
(422 ``idempotency_key_reused``). Concurrent requests with one key make one change: the second
waits on the key's unique index until the first commits, then replays it. Answers that are
errors are not stored (nothing was changed; a retry runs again). Keys expire after
``IDEMPOTENCY_KEY_TTL_HOURS`` (default 24).
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import re
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotAuthenticated
from rest_framework.permissions import SAFE_METHODS
from rest_framework.request import Request
from rest_framework.response import Response

from core.errors import DomainError, ValidationFailed
from core.models import IdempotencyKey
from core.outcome import OutcomeUnknown

HEADER = "Idempotency-Key"
# For ``@extend_schema(parameters=[PARAMETER])`` on every write that honours the header.
PARAMETER = OpenApiParameter(
    HEADER,
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Makes a retry safe: a retry with the same key (within "
    "IDEMPOTENCY_KEY_TTL_HOURS) gets the first answer again instead of a second change; the "
    "same key with another body is refused (422).",
)
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422


class _Replay(Exception):
    def __init__(self, record: IdempotencyKey) -> None:
        self.record = record


def _ttl() -> datetime.timedelta:
    return datetime.timedelta(hours=getattr(settings, "IDEMPOTENCY_KEY_TTL_HOURS", 24))


def _fingerprint(request: Request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(f"{request.method}\n{request.path}\n{body}".encode()).hexdigest()


def _replay(record: IdempotencyKey, fingerprint: str) -> Response:
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used for a different request. Use a new key for a new "
            "change.",
            fields={HEADER: ["Already used with another method, path or body."]},
        )
    return Response(record.body, status=record.status, headers={"Idempotent-Replayed": "true"})


def answer(request: Request, make: Callable[[], tuple[Any, int]]) -> Response:
    """Run ``make`` (→ data, status) in one transaction; answer with what it built."""
    key = request.headers.get(HEADER)
    if key is not None and not KEY.match(key):
        raise ValidationFailed(
            "The Idempotency-Key header is not valid.",
            fields={HEADER: ["Give 1 to 255 visible ASCII characters."]},
        )
    fingerprint = _fingerprint(request) if key is not None else ""
    user = request.user
    if not user.is_authenticated:  # every caller requires a signed-in person
        raise NotAuthenticated()
    now = timezone.now()
    if key is not None:
        stored = IdempotencyKey.objects.filter(
            user=user, key=key, created_at__gte=now - _ttl()
        ).first()
        if stored is not None:
            return _replay(stored, fingerprint)
    committing = False
    try:
        with transaction.atomic():
            record = None
            if key is not None:
                # This person's expired keys go (so a key can be used again after its time).
                IdempotencyKey.objects.filter(user=user, created_at__lt=now - _ttl()).delete()
                try:
                    with transaction.atomic():
                        record = IdempotencyKey.objects.create(
                            user=user, key=key, fingerprint=fingerprint, created_at=now
                        )
                except IntegrityError:
                    # A request with the same key committed while we waited on its row.
                    raise _Replay(IdempotencyKey.objects.get(user=user, key=key)) from None
            data, status = make()
            if record is not None and status >= 400:
                # An error answered (not raised) is not kept: a retry runs again.
                record.delete()
                record = None
            if record is not None:
                record.status, record.body = status, json.loads(json.dumps(data, default=str))
                record.save(update_fields=["status", "body"])
            committing = True
    except _Replay as replay:
        return _replay(replay.record, fingerprint)
    except (OperationalError, InterfaceError) as exc:
        if committing and not isinstance(exc, OutcomeUnknown):
            raise OutcomeUnknown(str(exc)) from exc
        raise
    return Response(data, status=status)


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """A write view (``def post(self, request, ...)`` or a viewset action) that answers from
    inside its transaction and honours ``Idempotency-Key``, like the application API.

    Goes directly on the function, under ``@action``/``@extend_schema``; the schema documents
    the header on every operation so marked (``core.api.schema.AutoSchema``). The handler's
    answer is built before the COMMIT, so a connection lost after it no longer changes it."""

    @functools.wraps(handler)
    def wrapped(view: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.method in SAFE_METHODS:  # an action that also answers GET
            return handler(view, request, *args, **kwargs)

        def make() -> tuple[Any, int]:
            response = handler(view, request, *args, **kwargs)
            return response.data, response.status_code

        return answer(request, make)

    wrapped.idempotent = True  # type: ignore[attr-defined]
    return wrapped
