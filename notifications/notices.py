"""Who is told of what: notices raised by a service, sent when the service ends.

Each topic declares its notices in its ``notices.py`` with ``@notice(kind, subject=...,
body=..., url=...)`` on a function that returns the recipients. A service raises a notice
with ``raise_notice(kind, obj, actor=..., **context)`` at any point; the notice is only
queued. Services are decorated with ``@service``: a transaction in which notices are
collected, and at whose end (still inside the transaction) every queued notice is sent to the
recipients computed from the state *after* every change the service made. So a referral
tells the deciders of the tracks it opened, whatever order the service did things in, and
the outbox still commits with the change or not at all.

Rules every notice follows:

* the actor is never told of what they just did;
* a person is told once per notice kind and object in one service (raising the same notice
  twice sends it once);
* nested services send at the end of the outermost one; a nested block that fails (a caught
  exception inside a savepoint) drops the notices it queued.

Machines are told too: a topic that tells systems rather than people (the secure environment,
``workflow.provisioning``) declares ``@watch(kind, ...)`` on a function called with each
notice of those kinds, in the order they were raised, at the same point (inside the
transaction, after every change), whoever the people told are, even none.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, ParamSpec, TypeVar

from django.db import transaction

from access.models import User
from notifications.services import notify

Recipients = Callable[[Any, Mapping[str, Any]], Iterable[User]]
P = ParamSpec("P")
R = TypeVar("R")


@dataclass(frozen=True)
class NoticeKind:
    kind: str
    subject: str
    body: str
    recipients: Recipients
    # The page the notice links to, and what it is about (for the inbox), from the object.
    url: Callable[[Any, Mapping[str, Any]], str]
    about: Callable[[Any], str]
    # Raised at most once per recipient and key, across services (e.g. "told once per
    # application that you need training"); None: every raise is a new notice.
    dedupe: Callable[[Any, Mapping[str, Any]], str] | None = None


KINDS: dict[str, NoticeKind] = {}
Watcher = Callable[[str, Any, Mapping[str, Any]], None]
WATCHERS: dict[str, list[Watcher]] = {}


def notice(
    kind: str,
    *,
    subject: str,
    body: str,
    url: Callable[[Any, Mapping[str, Any]], str],
    about: Callable[[Any], str],
    dedupe: Callable[[Any, Mapping[str, Any]], str] | None = None,
) -> Callable[[Recipients], Recipients]:
    """Declare notice ``kind``: the decorated function returns who is told."""

    def register(recipients: Recipients) -> Recipients:
        if kind in KINDS:
            raise RuntimeError(f"Notice kind {kind} is already declared")
        KINDS[kind] = NoticeKind(kind, subject, body, recipients, url, about, dedupe)
        return recipients

    return register


def watch(*kinds: str) -> Callable[[Watcher], Watcher]:
    """Call the decorated ``watcher(kind, obj, context)`` with every notice of ``kinds``."""

    def register(watcher: Watcher) -> Watcher:
        for kind in kinds:
            WATCHERS.setdefault(kind, []).append(watcher)
        return watcher

    return register


@dataclass
class Pending:
    kind: str
    obj: Any
    actor_id: int | None
    context: dict[str, Any]


@dataclass
class _Unit:
    pending: list[Pending] = field(default_factory=list)


_unit: contextvars.ContextVar[_Unit | None] = contextvars.ContextVar("notice_unit", default=None)


@contextmanager
def collecting() -> Iterator[_Unit]:
    """Collect notices until the outermost block ends, then send them (inside the current
    transaction, which the caller must hold)."""
    outer = _unit.get()
    if outer is not None:
        mark = len(outer.pending)
        try:
            yield outer
        except BaseException:
            del outer.pending[mark:]
            raise
        return
    unit = _Unit()
    token = _unit.set(unit)
    try:
        yield unit
        send(unit.pending)
    finally:
        _unit.reset(token)


def service(func: Callable[P, R]) -> Callable[P, R]:
    """A write service: one transaction, whose notices are sent when the service ends."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with transaction.atomic(), collecting():
            return func(*args, **kwargs)

    return wrapper


def raise_notice(kind: str, obj: Any, *, actor: Any = None, **context: Any) -> None:
    """Queue notice ``kind`` about ``obj``; sent when the enclosing service ends."""
    if kind not in KINDS:
        raise KeyError(f"No notice kind {kind!r} is declared")
    unit = _unit.get()
    if unit is None:
        raise RuntimeError(f"Notice {kind} raised outside a service (use @service)")
    unit.pending.append(Pending(kind, obj, getattr(actor, "pk", None), {"actor": actor, **context}))


def recipients_of(kind: str, obj: Any, context: Mapping[str, Any] | None = None) -> list[User]:
    """Who ``kind`` about ``obj`` would tell now (before the actor is left out)."""
    return _unique(KINDS[kind].recipients(obj, context or {}), exclude=None)


def send(pending: Iterable[Pending]) -> None:
    seen: set[tuple[str, str, Any, str | None]] = set()
    for item in pending:
        declared = KINDS[item.kind]
        dedupe_key = declared.dedupe(item.obj, item.context) if declared.dedupe else None
        key = (item.kind, item.obj._meta.label, item.obj.pk, dedupe_key)
        if key in seen:
            continue
        seen.add(key)
        for watcher in WATCHERS.get(item.kind, ()):
            watcher(item.kind, item.obj, item.context)
        people = _unique(declared.recipients(item.obj, item.context), exclude=item.actor_id)
        if not people:
            continue
        notify(
            recipients=people,
            kind=item.kind,
            subject=declared.subject,
            body=declared.body,
            context=item.context,
            url=declared.url(item.obj, item.context),
            about=declared.about(item.obj),
            dedupe_key=dedupe_key,
        )


def _unique(people: Iterable[User], *, exclude: int | None) -> list[User]:
    seen: dict[int, User] = {}
    for person in people:
        if person.pk != exclude and person.is_active:
            seen.setdefault(person.pk, person)
    return list(seen.values())
