"""Tamper evidence shared by every audited machine: a hash chain per object, each link sealed
with a keyed MAC.

Each event row carries

* ``prev_hash``: the ``hash`` of the previous event of the same object ("" for the first);
* ``hash``: the SHA-256 of a canonical JSON of the event's content and ``prev_hash``. Anyone can
  recompute it, so it finds accidents and naive edits, not a deliberate rewrite;
* ``mac``: ``"<key id>:<HMAC-SHA256>"`` of the hash under ``settings.AUDIT_KEY``, a secret that
  only the web and worker processes hold (never the database). Whoever can write the database
  but does not hold the key cannot make a ``mac`` that verifies: a forged event, or an edited
  one with the rest of the chain recomputed, is found.

What a MAC cannot see (an event removed from the *end* of a chain, a whole chain removed with
its object) is found against the signed checkpoints of every chain head kept outside the
database (``workflow.audit_check``). Why a MAC rather than signatures: docs/reliability.md.

The key id lets the key be rotated: new events are sealed with ``AUDIT_KEY``; events sealed
under an earlier key still verify while that key is listed in ``AUDIT_KEY_FALLBACKS``.
"""

from __future__ import annotations

import datetime
import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.conf import settings


def timestamp(value: datetime.datetime) -> str:
    """UTC with microseconds: the same text whichever database the row is read back from."""
    return value.astimezone(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _normal(value: Any) -> Any:
    if isinstance(value, datetime.datetime):
        return timestamp(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, dict | list):
        # Through JSON once, so what is hashed is what ``jsonb`` gives back.
        return json.loads(json.dumps(value))
    return value


def canonical(content: Mapping[str, Any], prev_hash: str) -> str:
    """Sorted keys, no whitespace, UTF-8 kept as is."""
    document = {name: _normal(value) for name, value in content.items()}
    document["prev_hash"] = prev_hash
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(content: Mapping[str, Any], prev_hash: str) -> str:
    return hashlib.sha256(canonical(content, prev_hash).encode()).hexdigest()


# --- the key -------------------------------------------------------------------------------


def _key_bytes(key: str) -> bytes:
    return key.encode()


def key_id(key: str) -> str:
    """A short public name of a key (never the key): which key sealed an event."""
    return hashlib.sha256(b"tre-audit-key-id\x00" + _key_bytes(key)).hexdigest()[:8]


def _keys() -> dict[str, str]:
    keys = [settings.AUDIT_KEY, *getattr(settings, "AUDIT_KEY_FALLBACKS", [])]
    return {key_id(key): key for key in keys if key}


def _mac(key: str, label: str, text: str) -> str:
    # The label keeps a seal of one kind of record from verifying as another's.
    message = f"{label}\x00{text}".encode()
    return hmac.new(_key_bytes(key), message, hashlib.sha256).hexdigest()


def seal(label: str, text: str) -> str:
    """``"<key id>:<mac>"`` of ``text`` (an event's hash, a checkpoint) under the current key."""
    key = settings.AUDIT_KEY
    return f"{key_id(key)}:{_mac(key, label, text)}"


def seal_problem(label: str, text: str, mac: str) -> str | None:
    """``None`` when ``mac`` seals ``text``; otherwise the name of what is wrong with it:
    ``forged`` (missing, malformed or not made with any configured key) or ``unknown_key``
    (made with a key this process does not hold: check AUDIT_KEY_FALLBACKS)."""
    kid, _, value = (mac or "").partition(":")
    if not kid or not value:
        return "forged"
    key = _keys().get(kid)
    if key is None:
        return "unknown_key"
    if not hmac.compare_digest(_mac(key, label, text), value):
        return "forged"
    return None


# --- verifying one chain ---------------------------------------------------------------------


@dataclass(frozen=True)
class Break:
    """One thing wrong with the audit trail, by name (docs/reliability.md lists them)."""

    kind: str
    chain: str  # e.g. "application 28"
    event_id: int | None
    detail: str

    def __str__(self) -> str:
        where = f"{self.chain}, event {self.event_id}" if self.event_id else self.chain
        return f"{self.kind}: {where}: {self.detail}"


def first_break(
    chain: str,
    events: Iterable[Any],
    *,
    content: Callable[[Any], Mapping[str, Any]],
    digest: Callable[[Mapping[str, Any], str], str],
    label: str,
) -> Break | None:
    """The first break of one object's events (in ``id`` order), or ``None``.

    ``broken_link``: an event's ``prev_hash`` is not the previous event's hash (a row was
    removed or inserted before it); ``altered``: the content no longer gives its hash (edited);
    ``forged`` / ``unknown_key``: the seal does not verify (written or recomputed without the
    audit key, or under a key this process does not hold).
    """
    previous = ""
    for event in events:
        if event.prev_hash != previous:
            return Break(
                "broken_link",
                chain,
                event.pk,
                f"prev_hash expected {previous or '(empty)'}, found {event.prev_hash or '(empty)'}"
                " (an event before it was removed or inserted)",
            )
        expected = digest(content(event), previous)
        if event.hash != expected:
            return Break(
                "altered",
                chain,
                event.pk,
                f"hash expected {expected}, found {event.hash or '(empty)'} (its content changed)",
            )
        problem = seal_problem(label, event.hash, event.mac)
        if problem == "unknown_key":
            return Break(
                problem,
                chain,
                event.pk,
                f"sealed with key {event.mac.partition(':')[0]}, which is neither AUDIT_KEY nor in"
                " AUDIT_KEY_FALLBACKS",
            )
        if problem:
            return Break(
                problem,
                chain,
                event.pk,
                "its seal does not verify with the audit key (written, or its chain recomputed,"
                " by someone without the key)",
            )
        previous = event.hash
    return None
