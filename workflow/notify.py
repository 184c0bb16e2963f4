"""Who hears about what happens to an application. Wired to the notifications outbox."""

from __future__ import annotations


def notify_transition(*, application, event, notify_kind: str) -> None:
    """Placeholder until the outbox lands (this session)."""
