"""The audit trail: ``Event``, one row per thing that happened to an application, and its
tamper evidence, a hash chain per application sealed with a keyed MAC.

Events are written only by ``workflow.events.record_event``, in the transaction of the change.
They are immutable in code (``core.immutable``) and, on PostgreSQL, by triggers that refuse
UPDATE, DELETE and TRUNCATE; in production the app's database role does not own the table, so
it cannot switch the triggers off either (deploy/README.md).

Every ``workflow.Event`` carries ``hash``, the SHA-256 of a canonical JSON of its content and of
``prev_hash``, the hash of the previous event of the same application (``""`` for the first),
and ``mac``, that hash sealed with ``settings.AUDIT_KEY`` (``core.audit_chain``), a key the
database never sees. Changing, inserting or deleting a row in a chain breaks a link; forging a
row or rewriting a chain with correctly recomputed hashes breaks a seal, because the seals
cannot be recomputed without the key. Removing the last events of a chain, or a whole chain,
breaks no link: ``workflow.audit_check`` finds those against the application's own state and
against the signed checkpoints of every chain head kept outside the database. ``manage.py
verify_audit`` runs every check and names each break.

The canonical form is fixed: changing it would break every existing chain, so a new field is
added to the digest only with a migration that re-chains (see migrations 0008 and 0015).
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any

from django.conf import settings
from django.db import models

from core.audit_chain import Break, first_break
from core.immutable import ImmutableModel
from workflow.reviews.models import ReviewTrack
from workflow.route.models import ActorRole, Application, EventKind


class Event(ImmutableModel):
    """The audit trail: one row per thing that happened to an application.

    Written in the same transaction as the change it records. Immutable in code (save refuses
    an update, delete refuses) and, on PostgreSQL, by a trigger that refuses UPDATE and DELETE.
    Turnaround, the timeline and the register are derived from it.
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    track = models.ForeignKey(
        ReviewTrack, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=20, choices=ActorRole.choices)
    transition = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    # Tamper evidence (below): the SHA-256 of this event's content and of
    # ``prev_hash``, the hash of the application's previous event ("" for its first).
    # The database default keeps a hand-written INSERT possible (the trigger allows INSERT); its
    # empty hashes then break the chain, which is the point.
    prev_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)
    # ``hash`` sealed with the audit key (``core.audit_chain.seal``): "<key id>:<HMAC-SHA256>".
    mac = models.CharField(max_length=80, blank=True, default="", db_default="", editable=False)

    SEAL_LABEL = "workflow.event"

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["application", "created_at"]),
            # Events of one kind, by application (the bench's and the migrations' "every
            # application whose scoping completed": one index range, not a scan of every event).
            models.Index(fields=["kind", "application"], name="workflow_event_kind_app_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_kind_display()} by {self.actor_name}"


# The fields that make up an event's content, in the order they are written to the digest.
DIGEST_FIELDS = (
    "application_id",
    "track_id",
    "kind",
    "actor_id",
    "actor_name",
    "actor_role",
    "transition",
    "from_state",
    "to_state",
    "reason",
    "payload",
    "version",
    "created_at",
)


def _timestamp(value: datetime.datetime) -> str:
    # Stored in UTC with microseconds on both PostgreSQL and SQLite: the same text whichever
    # database the row is read back from.
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(content: Mapping[str, Any], prev_hash: str) -> str:
    """The text that is hashed: sorted keys, no whitespace, UTF-8 kept as is.

    ``payload`` goes through JSON once so that what is hashed is what ``jsonb`` gives back
    (key order is not kept by PostgreSQL; sorting the keys makes it irrelevant).
    """
    document = {name: content[name] for name in DIGEST_FIELDS}
    document["created_at"] = _timestamp(content["created_at"])
    document["payload"] = json.loads(json.dumps(content["payload"] or {}))
    document["prev_hash"] = prev_hash
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(content: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(content, prev_hash).encode()).hexdigest()


def content_of(event: Any) -> dict[str, Any]:
    """The digest fields of an ``Event`` instance (or a historical model's instance)."""
    return {name: getattr(event, name) for name in DIGEST_FIELDS}


def verify_chain(events: Iterable[Any]) -> Break | None:
    """The first break of one application's events (in ``id`` order), or ``None``: a broken
    link, altered content or a seal that does not verify (``core.audit_chain.first_break``)."""
    events = list(events)
    chain = f"application {events[0].application_id}" if events else "application"
    return first_break(chain, events, content=content_of, digest=digest, label=Event.SEAL_LABEL)
