"""Write side of notifications: raise them, read them, deliver their email.

How "nothing is lost" holds, and when an email goes twice
--------------------------------------------------------
The guarantee: at least once, never lost; a worker killed between the SMTP accept and the
``sent`` mark may send the email twice (docs/notifications.md).

* ``notify`` writes rows in the caller's transaction: a rolled-back state change leaves no
  notification, a committed one always leaves its notifications.
* After commit it publishes one delivery task per new row. A broker that is down makes the
  publish fail; that failure is logged and swallowed, the row stays ``pending`` and the sweep
  (``redispatch_pending``, every minute from beat) publishes it again later. The broker is
  therefore only a doorbell: the row is the message.
* Celery with ``acks_late`` delivers a task *at least once* (a worker killed mid-task, or a Redis
  visibility timeout, gives it to another worker), and the sweep may publish a row twice. The
  email is made to happen once by the row's own state machine: a delivery first *claims* the row
  with one conditional UPDATE (``pending`` and due, or ``sending`` with a stale claim →
  ``sending`` with a fresh token). PostgreSQL re-checks the WHERE clause of a concurrent UPDATE
  after the first one commits, so two deliveries cannot both claim. Only the claim holder sends,
  and it marks the row ``sent`` with a second UPDATE guarded by its token. A row that is
  ``sent`` is never claimed again.
* The honest gap: between the SMTP server accepting the message and the ``sent`` UPDATE
  committing, the worker can die (or the database can be unreachable). The row then stays
  ``sending``; when the claim goes stale it is reclaimed and the email is sent a second time.
  No outbox can close that window without the mail server taking part in our transaction; we
  keep it to a few milliseconds and choose a duplicate over a loss. Likewise a claim is only
  taken over after ``NOTIFICATIONS_SENDING_STALE_AFTER`` (10 minutes), far longer than the SMTP
  timeout we pass to the backend, so a slow but live delivery is not duplicated.

Settings read here (all optional, with defaults): ``NOTIFICATIONS_EMAIL_MAX_ATTEMPTS``,
``NOTIFICATIONS_RETRY_BASE_SECONDS``, ``NOTIFICATIONS_RETRY_MAX_SECONDS``,
``NOTIFICATIONS_SENDING_STALE_AFTER``, ``NOTIFICATIONS_REDISPATCH_GRACE``,
``NOTIFICATIONS_DIGEST_HOUR_UTC``, ``NOTIFICATIONS_EMAIL_TIMEOUT``, ``SITE_URL``.
"""

from __future__ import annotations

import enum
import functools
import logging
import random
import re
import uuid
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.signals import setting_changed
from django.db import connection, transaction
from django.db.models import F, Max, Q
from django.dispatch import receiver
from django.template import Context, Engine, Template
from django.template.base import (
    NodeList,
    TextNode,
    VariableDoesNotExist,
    VariableNode,
    render_value_in_context,
)
from django.template.defaulttags import IfNode
from django.utils import timezone, translation

from access.models import User
from core.errors import NotAllowed, ValidationFailed
from core.queries import among
from core.text import one_line
from notifications.models import DigestRun, EmailMode, EmailStatus, Notification, OutboundEmail
from notifications.models import NotificationPreference as Preference

if TYPE_CHECKING:
    from celery import Task

logger = logging.getLogger(__name__)

KIND_PATTERN = re.compile(r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$")

# Publishing must not hold up the caller's request for long when the broker is down: one quick
# retry covers a blip, then the row waits for the sweep.
PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


class DeliveryOutcome(enum.StrEnum):
    SENT = "sent"
    RETRY_LATER = "retry_later"  # the send failed; the row backs off and the sweep retries
    FAILED = "failed"  # the send failed and no attempts are left
    NOT_CLAIMED = "not_claimed"  # already sent, not due, failed, not an email, or gone
    IN_FLIGHT = "in_flight"  # another delivery holds a live claim; look again once it is stale
    CLAIM_LOST = "claim_lost"  # sent, but a stale-claim takeover happened meanwhile


# --- Raising notifications ------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _compiled(template_source: str) -> Template:
    # Our own template strings (reminder kinds, transition messages): a few dozen, each
    # compiled once per process rather than once per recipient. Compiled templates are
    # immutable and safe to render from several threads.
    return Engine.get_default().from_string(template_source)


def _render(
    template_source: str | None, template_name: str | None, context: Mapping[str, Any]
) -> str:
    if not template_name:
        plan = _plan(template_source or "")
        if plan is not None:
            compiled = _compiled(template_source or "")
            plain = Context(dict(context), autoescape=False)
            # As ``Template.render`` does: a variable that is missing renders as the engine's
            # ``string_if_invalid``, which the context finds through its template.
            with plain.render_context.push_state(compiled), plain.bind_template(compiled):
                return _render_plan(plan, plain).strip()
    template = (
        Engine.get_default().get_template(template_name)
        if template_name
        else _compiled(template_source or "")
    )
    # Plain text: no HTML escaping (an apostrophe in a title must not become &#x27;).
    return template.render(Context(dict(context), autoescape=False)).strip()


# A template string made only of text, ``{{ variables }}`` (with filters or not) and
# ``{% if %}`` (``elif``, ``else``), as every reminder's and most notices' subjects and bodies
# are, is rendered by walking its parsed nodes here: the nodes Django's parser made, each
# evaluated as Django's own ``VariableNode`` and ``IfNode`` do (``FilterExpression.resolve``,
# ``condition.eval``, ``render_value_in_context``), without the per-node machinery of
# ``Template.render`` around them; and a number is localised once per value, not once per
# notice. The reminder sweep renders two of these per reminder: 20,000 with 10,000 items due,
# and Django's ``Template.render`` with ``number_format`` per number was a third of its time
# (docs/scaling.md). Any other tag (``for``, ``url``, ``include``...) is rendered by Django.
# tests/unit/test_notifications.py holds the two renderings equal, for every reminder kind.
_Plan = tuple[Any, ...]  # of str | FilterExpression | tuple[tuple[condition, _Plan], ...]


@functools.lru_cache(maxsize=256)
def _plan(template_source: str) -> _Plan | None:
    return _plan_of(_compiled(template_source).nodelist)


def _plan_of(nodelist: NodeList) -> _Plan | None:
    parts: list[Any] = []
    for node in nodelist:
        if type(node) is TextNode:
            parts.append(node.s)
        elif type(node) is VariableNode:
            parts.append(node.filter_expression)
        elif type(node) is IfNode:
            branches = []
            for condition, branch in node.conditions_nodelists:
                inner = _plan_of(branch)
                if inner is None:
                    return None
                branches.append((condition, inner))
            parts.append(tuple(branches))
        else:
            return None
    return tuple(parts)


def _render_plan(plan: _Plan, context: Context) -> str:
    out: list[str] = []
    _walk(plan, context, out)
    return "".join(out)


def _walk(plan: _Plan, context: Context, out: list[str]) -> None:
    for part in plan:
        if type(part) is str:
            out.append(part)
        elif type(part) is tuple:  # IfNode.render: the first branch whose condition holds
            for condition, branch in part:
                if condition is None:
                    match = True
                else:
                    try:
                        match = condition.eval(context)
                    except VariableDoesNotExist:
                        match = None
                if match:
                    _walk(branch, context, out)
                    break
        else:  # VariableNode.render
            try:
                value = part.resolve(context)
            except UnicodeDecodeError:
                continue
            out.append(_as_text(value, context))


def _as_text(value: Any, context: Context) -> str:
    # ``render_value_in_context`` without escaping (the context says autoescape=False); text as
    # it is, and a number localised once per value and language.
    if isinstance(value, str):
        return str(value)
    if type(value) is int:
        # Without thousands separators Django writes an int as ``str`` in every language
        # (``numberformat.format``): the language is asked only when it can matter.
        key = (value, translation.get_language() if settings.USE_THOUSAND_SEPARATOR else None)
        text = _NUMBERS.get(key)
        if text is None:
            if len(_NUMBERS) >= 4096:
                _NUMBERS.clear()
            text = _NUMBERS[key] = render_value_in_context(value, context)
        return text
    return render_value_in_context(value, context)


_NUMBERS: dict[tuple[int, str | None], str] = {}


@receiver(setting_changed)
def _forget_numbers(**kwargs: Any) -> None:
    # How numbers are written follows the settings (USE_THOUSAND_SEPARATOR...), as Django's
    # own format cache does.
    _NUMBERS.clear()


@dataclass(frozen=True)
class Message:
    """One notification to raise for each of its recipients (the arguments of ``notify``)."""

    recipients: Sequence[User]
    kind: str
    subject: str
    url: str
    body: str | None = None
    template_name: str | None = None
    context: Mapping[str, Any] = field(default_factory=dict)
    about: str = ""
    dedupe_key: str | None = None

    def validate(self) -> None:
        if not KIND_PATTERN.match(self.kind) or len(self.kind) > 64:
            raise ValidationFailed(
                "Invalid notification kind.", fields={"kind": ["Use a dotted code."]}
            )
        if not self.url.startswith("/") or self.url.startswith("//"):
            raise ValidationFailed(
                "A notification links to a page of this site.",
                fields={"url": ["Give a path starting with a single '/'."]},
            )
        if (self.body is None) == (self.template_name is None):
            raise ValidationFailed(
                "Give the body as a template string or a template name, not both.",
                fields={"body": ["Give exactly one of body or template_name."]},
            )

    def unique_recipients(self) -> dict[int, User]:
        unique: dict[int, User] = {}
        for recipient in self.recipients:
            unique.setdefault(recipient.pk, recipient)
        return unique

    def _rendered(self, recipient: User) -> tuple[str, str]:
        """The subject and body for ``recipient``: rendered once for every recipient when the
        templates do not name the recipient (a reminder to several reviewers, say), otherwise
        once each."""
        shared = self.template_name is None and "recipient" not in self.subject + (self.body or "")
        cache: dict[Any, tuple[str, str]] = self.__dict__.setdefault("_rendered_cache", {})
        key = None if shared else recipient.pk
        if key not in cache:
            context = {**self.context, "recipient": recipient}
            cache[key] = (
                # One line whatever a name in it holds: a line break in a mail subject is an
                # error.
                one_line(_render(self.subject, None, context))[:200],
                _render(self.body, self.template_name, context),
            )
        return cache[key]

    def values(self, recipient: User, mode: str, now: datetime) -> dict[str, Any]:
        """The new notification's fields for one recipient whose email preference is
        ``mode``."""
        if not recipient.is_active or not recipient.email or mode == EmailMode.OFF:
            status = EmailStatus.NOT_WANTED
        elif mode == EmailMode.DAILY_DIGEST:
            status = EmailStatus.SKIPPED_DIGEST
        else:
            status = EmailStatus.PENDING
        subject, body = self._rendered(recipient)
        return {
            "recipient_id": recipient.pk,
            "kind": self.kind,
            "subject": subject,
            "body": body,
            "url": self.url,
            "about": self.about,
            "dedupe_key": self.dedupe_key,
            "email_status": status,
            "next_attempt_at": now if status == EmailStatus.PENDING else None,
            # Assume the on-commit publish works; if it does not, the sweep waits out its
            # grace period from this moment and then publishes.
            "dispatched_at": now if status == EmailStatus.PENDING else None,
        }

    def row(self, recipient: User, mode: str, now: datetime) -> Notification:
        """The unsaved notification for one recipient whose email preference is ``mode``."""
        values = self.values(recipient, mode, now)
        del values["recipient_id"]
        return Notification(recipient=recipient, **values)


def _email_modes(user_ids: Iterable[int]) -> dict[int, str]:
    return dict(
        Preference.objects.filter(user_id__in=list(user_ids)).values_list("user_id", "email_mode")
    )


def notify(
    *,
    recipients: Iterable[User],
    kind: str,
    subject: str,
    url: str,
    body: str | None = None,
    template_name: str | None = None,
    context: Mapping[str, Any] | None = None,
    about: str = "",
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Raise a notification for each recipient, inside the caller's transaction.

    Before: called inside the ``transaction.atomic`` block that makes the state change (it also
    works in autocommit). ``url`` is a path on our own site (``/applications/42/``). The body
    comes from ``body`` (a template string) or ``template_name``; ``subject`` is a template
    string too. Both are rendered per recipient with ``context`` plus ``recipient``.

    After: one row per distinct recipient exists in the current transaction. With a
    ``dedupe_key``, a recipient who already has a notification with that key gets no new row
    (the existing one is returned), so a reminder raised by two runs of a sweep is raised once.
    When the transaction commits, a delivery task is published for each new row that wants an
    immediate email; if the broker is down that is logged and the sweep publishes it later.
    Nothing is published, and nothing exists, if the transaction rolls back.

    Returns the notifications for the recipients: new ones and, for a dedupe key, existing ones.
    """
    message = Message(
        recipients=list(recipients),
        kind=kind,
        subject=subject,
        url=url,
        body=body,
        template_name=template_name,
        context=dict(context or {}),
        about=about,
        dedupe_key=dedupe_key,
    )
    message.validate()
    unique = message.unique_recipients()
    if not unique:
        return []
    modes = _email_modes(unique)
    now = timezone.now()
    rows = [
        message.row(recipient, modes.get(user_id, EmailMode.IMMEDIATE), now)
        for user_id, recipient in unique.items()
    ]

    if dedupe_key is None:
        created = Notification.objects.bulk_create(rows)
        result = created
    else:
        # ON CONFLICT DO NOTHING: a concurrent transaction raising the same key waits on the
        # unique index and then inserts nothing. Rows that existed before are read first so
        # only new rows are dispatched (a race here could at worst dispatch a row twice,
        # which delivery tolerates).
        existing = set(
            Notification.objects.filter(recipient_id__in=unique, dedupe_key=dedupe_key).values_list(
                "pk", flat=True
            )
        )
        Notification.objects.bulk_create(rows, ignore_conflicts=True)
        result = list(
            Notification.objects.filter(recipient_id__in=unique, dedupe_key=dedupe_key)
            .select_related("recipient")
            .order_by("pk")
        )
        created = [n for n in result if n.pk not in existing]

    to_dispatch = [n.pk for n in created if n.email_status == EmailStatus.PENDING]
    if to_dispatch:
        transaction.on_commit(lambda: publish_deliveries(to_dispatch), robust=True)
    return result


def notify_many(messages: Iterable[Message]) -> int:
    """Raise many deduplicated notifications at once, inside the caller's transaction: what
    ``notify`` does for each message, in a fixed number of queries for the lot (the reminder
    sweep raises thousands).

    Every message must have a ``dedupe_key``. A recipient who already has a notification with
    the key is skipped before anything is rendered; the rest are inserted with one
    ``INSERT ... ON CONFLICT DO NOTHING`` (a concurrent sweep raising the same key inserts
    nothing twice). After commit the new rows that want an immediate email are handed to the
    worker in one task, which publishes their deliveries (``deliver_notifications``); a broker
    that is down leaves them ``pending`` for the redispatch sweep, as with ``notify``.

    Returns how many rows were new.
    """
    messages = list(messages)
    for message in messages:
        message.validate()
        if not message.dedupe_key:
            raise ValueError("notify_many raises deduplicated notifications: give dedupe_key")
    recipients = [(m, m.unique_recipients()) for m in messages]
    people = {pk for _, unique in recipients for pk in unique}
    if not people:
        return 0
    keys = {m.dedupe_key for m in messages}
    already = set(
        Notification.objects.filter(
            dedupe_key__in=among(keys, "text"), recipient_id__in=people
        ).values_list("recipient_id", "dedupe_key")
    )
    modes = _email_modes(people)
    now = timezone.now()
    rows = [
        message.values(recipient, modes.get(user_id, EmailMode.IMMEDIATE), now)
        for message, unique in recipients
        for user_id, recipient in unique.items()
        if (user_id, message.dedupe_key) not in already
    ]
    if not rows:
        return 0
    new = _insert_new(rows, now)
    to_dispatch = sorted(pk for pk, status in new if status == EmailStatus.PENDING)
    if to_dispatch:
        transaction.on_commit(lambda: _publish_many(to_dispatch), robust=True)
    return len(new)


# What a new notification holds besides ``Message.values``: nothing sent or read yet.
_NEW = {
    "email_attempts": 0,
    "last_error": "",
    "email_sent_at": None,
    "claimed_at": None,
    "claim_token": None,
    "read_at": None,
    "digest_id": None,
}
_COLUMNS = (
    "recipient_id",
    "kind",
    "subject",
    "body",
    "url",
    "about",
    "dedupe_key",
    "email_status",
    "next_attempt_at",
    "dispatched_at",
    *_NEW,
    "created_at",
)


def _insert_new(rows: list[dict[str, Any]], now: datetime) -> list[tuple[int, str]]:
    """Insert ``rows`` (``Message.values``) but those whose recipient already has their
    dedupe key; return (id, email status) of each row inserted. On PostgreSQL: the rows are
    copied (``COPY``) into a temporary table and inserted from there with one
    ``INSERT ... ON CONFLICT DO NOTHING RETURNING``: no model per row and no SQL compiled per
    value (Django's ``bulk_create`` of 20,000 notifications, and reading them back, were most
    of a sweep with 10,000 items due; docs/benchmarks.md). Elsewhere (SQLite), ``bulk_create``
    and a read back."""
    if connection.vendor != "postgresql":
        Notification.objects.bulk_create(
            [Notification(**row, **_NEW, created_at=now) for row in rows], ignore_conflicts=True
        )
        wanted = {(row["recipient_id"], row["dedupe_key"]) for row in rows}
        return [
            (pk, status)
            for pk, recipient_id, key, status in Notification.objects.filter(
                dedupe_key__in={key for _, key in wanted},
                recipient_id__in={r for r, _ in wanted},
            ).values_list("pk", "recipient_id", "dedupe_key", "email_status")
            if (recipient_id, key) in wanted
        ]
    # The SQL is built from _COLUMNS, names fixed in this module (hence the nosec below).
    columns = ", ".join(_COLUMNS)
    # One transaction (the caller's, without a savepoint): the table is dropped at its end, and
    # emptied first, as one transaction may raise several batches.
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE IF NOT EXISTS notify_many_rows ON COMMIT DROP AS "  # noqa: S608  # nosec B608
            f"SELECT {columns} FROM notifications_notification WITH NO DATA; "
            "TRUNCATE notify_many_rows"
        )
        with cursor.cursor.copy(f"COPY notify_many_rows ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row([*(row[c] for c in _COLUMNS[:10]), *_NEW.values(), now])
        cursor.execute(
            f"INSERT INTO notifications_notification ({columns}) "  # noqa: S608  # nosec B608
            f"SELECT {columns} FROM notify_many_rows "
            "ON CONFLICT (recipient_id, dedupe_key) WHERE dedupe_key IS NOT NULL DO NOTHING "
            "RETURNING id, email_status"
        )
        return [(pk, status) for pk, status in cursor.fetchall()]


def _publish_each(task: Task, calls: list[tuple[Any, ...]]) -> int:
    """Publish ``task`` once per argument tuple in ``calls``, in order; stop at the first
    broker error. Returns how many were published.

    Never raises: the caller's change is already committed, and the rows are the outbox, so a
    row we could not publish is picked up by the sweep.
    """
    for published, args in enumerate(calls):
        try:
            task.apply_async(args, retry=True, retry_policy=PUBLISH_RETRY_POLICY)
        except Exception:
            # Broad on purpose: kombu, redis-py and socket errors all mean "broker not
            # reachable now", and no publish failure may reach the caller.
            logger.warning(
                "Could not publish %s for %s; the sweep will retry",
                task.name,
                calls[published:],
                exc_info=True,
            )
            return published
    return len(calls)


def publish_deliveries(notification_ids: list[int]) -> int:
    """Publish one delivery task per notification. Returns how many were published."""
    from notifications.tasks import deliver_notification

    return _publish_each(deliver_notification, [(pk,) for pk in notification_ids])


def _publish_many(notification_ids: list[int]) -> int:
    """Hand many deliveries to the worker in one task, which publishes one delivery task per
    row there (``publish_deliveries``): one broker round trip here instead of one per row."""
    from notifications.tasks import deliver_notifications

    return (
        len(notification_ids) if _publish_each(deliver_notifications, [(notification_ids,)]) else 0
    )


# --- In-app inbox ---------------------------------------------------------------------------


def notification_mark_read(*, notification: Notification, by: User) -> Notification:
    """Mark one notification read. Only its recipient may; reading twice keeps the first time."""
    if notification.recipient_id != by.pk:
        raise NotAllowed("Only the recipient can mark a notification read.")
    if notification.read_at is None:
        now = timezone.now()
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(read_at=now)
        notification.refresh_from_db(fields=["read_at"])
    return notification


def notifications_mark_all_read(*, by: User) -> int:
    """Mark every unread notification of ``by`` read. Returns how many changed."""
    return Notification.objects.filter(recipient=by, read_at__isnull=True).update(
        read_at=timezone.now()
    )


def preference_set(*, user: User, email_mode: EmailMode | str) -> Preference:
    """Set how ``user`` receives email. Applies to notifications raised from now on.

    Notifications already waiting for a digest stay in the next digest: nothing is dropped.
    """
    if email_mode not in EmailMode.values:
        raise ValidationFailed(
            "Unknown email mode.", fields={"email_mode": [f"Use one of {EmailMode.values}."]}
        )
    preference, _ = Preference.objects.update_or_create(
        user=user, defaults={"email_mode": email_mode}
    )
    return preference


def notifications_requeue_failed(*, notification_ids: Iterable[int], by: User) -> int:
    """Give failed emails a fresh set of attempts (ops, from the admin). Returns how many."""
    if not (by.is_staff or by.has_role("ops")):
        raise NotAllowed("Only operations staff can requeue notifications.")
    return _requeue_failed(Notification, notification_ids, publish_deliveries)


def _requeue_failed(
    model: type[Notification] | type[OutboundEmail],
    pks: Iterable[int],
    publish: Callable[[list[int]], int],
) -> int:
    """The failed rows among ``pks`` back to ``pending`` with a fresh set of attempts, their
    delivery published after commit. Returns how many."""
    ids = list(
        model.objects.filter(pk__in=list(pks), email_status=EmailStatus.FAILED).values_list(
            "pk", flat=True
        )
    )
    now = timezone.now()
    model.objects.filter(pk__in=ids, email_status=EmailStatus.FAILED).update(
        email_status=EmailStatus.PENDING,
        email_attempts=0,
        next_attempt_at=now,
        dispatched_at=now,
        claim_token=None,
        claimed_at=None,
    )
    if ids:
        transaction.on_commit(lambda: publish(ids), robust=True)
    return len(ids)


# --- Email delivery -------------------------------------------------------------------------


def _stale_before(now: datetime) -> datetime:
    return now - timedelta(seconds=sending_stale_after())


def _claimable(now: datetime) -> Q:
    return Q(email_status=EmailStatus.PENDING, next_attempt_at__lte=now) | Q(
        email_status=EmailStatus.SENDING, claimed_at__lt=_stale_before(now)
    )


Deliverable = type[Notification] | type[DigestRun] | type[OutboundEmail]


def _claim(model: Deliverable, pk: int, *, now: datetime) -> uuid.UUID | None:
    """Take the row for one delivery attempt, or return None when it is not ours to send.

    One UPDATE ... WHERE: atomic on its own, so it must run in autocommit (as in a worker)
    for the claim to be visible to other workers before we talk to the mail server.
    """
    token = uuid.uuid4()
    claimed = (
        model.objects.filter(pk=pk)
        .filter(_claimable(now))
        .update(
            email_status=EmailStatus.SENDING,
            claim_token=token,
            claimed_at=now,
            email_attempts=F("email_attempts") + 1,
        )
    )
    return token if claimed else None


def _backoff(attempts: int) -> timedelta:
    base = _setting("NOTIFICATIONS_RETRY_BASE_SECONDS", 60)
    cap = _setting("NOTIFICATIONS_RETRY_MAX_SECONDS", 3600)
    delay = min(cap, base * 2 ** max(attempts - 1, 0))
    # Jitter spreads retries after an outage so they do not all hit the mail server at once.
    return timedelta(seconds=delay * random.uniform(0.75, 1.25))  # noqa: S311 (not security)


def _send(message: EmailMessage) -> None:
    timeout = getattr(settings, "EMAIL_TIMEOUT", None) or _setting(
        "NOTIFICATIONS_EMAIL_TIMEOUT", 30
    )
    message.connection = get_connection(timeout=timeout)
    message.send(fail_silently=False)


def _deliver(
    model: Deliverable,
    pk: int,
    build: Callable[[Any], EmailMessage],
    *,
    now: datetime | None,
) -> DeliveryOutcome:
    """Claim, send, record: the state machine shared by notifications and digests."""
    now = now or timezone.now()
    token = _claim(model, pk, now=now)
    if token is None:
        # A redelivered task can arrive while the claim of the delivery it replaces still looks
        # live (the broker's timeout and ours are not aligned); say so, so that the task looks
        # again after the claim has gone stale instead of dropping the message.
        live = model.objects.filter(
            pk=pk, email_status=EmailStatus.SENDING, claimed_at__gte=_stale_before(now)
        ).exists()
        return DeliveryOutcome.IN_FLIGHT if live else DeliveryOutcome.NOT_CLAIMED
    # An outbound email has no recipient row: it goes to an address.
    related = [] if model is OutboundEmail else ["recipient"]
    row = model.objects.select_related(*related).get(pk=pk)
    try:
        _send(build(row))
    except Exception as exc:
        # Any failure to hand the message over counts as an attempt: SMTP errors, refused
        # connections, timeouts, and also bugs, which must not leave the row claimed.
        logger.warning(
            "Email for %s %s failed (attempt %s)",
            model.__name__,
            pk,
            row.email_attempts,
            exc_info=True,
        )
        failed = row.email_attempts >= _setting("NOTIFICATIONS_EMAIL_MAX_ATTEMPTS", 6)
        with transaction.atomic():
            recorded = model.objects.filter(pk=pk, claim_token=token).update(
                email_status=EmailStatus.FAILED if failed else EmailStatus.PENDING,
                next_attempt_at=None if failed else now + _backoff(row.email_attempts),
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
                claim_token=None,
                claimed_at=None,
            )
            if failed and recorded and isinstance(row, OutboundEmail):
                _tell_sender_undelivered(row)
        if failed:
            # An error, not a warning: the log's alerting is how ops hear that an email gave up
            # (the admin lists it, with the last error, for requeueing).
            logger.error(
                "Email for %s %s failed after %s attempts; requeue it from the admin",
                model.__name__,
                pk,
                row.email_attempts,
            )
        return DeliveryOutcome.FAILED if failed else DeliveryOutcome.RETRY_LATER
    # The window described in the module docstring is here: accepted, not yet recorded.
    marked = model.objects.filter(pk=pk, claim_token=token).update(
        email_status=EmailStatus.SENT,
        email_sent_at=timezone.now(),
        last_error="",
        claim_token=None,
        next_attempt_at=None,
    )
    if not marked:
        logger.error(
            "%s %s was taken over while being sent; the email may have gone twice",
            model.__name__,
            pk,
        )
        return DeliveryOutcome.CLAIM_LOST
    return DeliveryOutcome.SENT


def sending_stale_after() -> int:
    """Seconds after which a ``sending`` claim is taken to be abandoned."""
    seconds: int = _setting("NOTIFICATIONS_SENDING_STALE_AFTER", 600)
    return seconds


def _absolute(url: str) -> str:
    return f"{_setting('SITE_URL', 'http://127.0.0.1:8000').rstrip('/')}{url}"


_FOOTER = (
    "You receive this because you take part in an access request on the TRE access service.\n"
    "Choose immediate emails, a daily digest or none: {preferences}"
)


def _notification_email(notification: Notification) -> EmailMessage:
    # One recipient per message, nobody in copy: an email never reveals who else was told.
    # The text is the notification's own subject and body and the link; nothing else about the
    # recipient or the application is added, the page behind the link shows the rest.
    text = (
        f"{notification.body}\n\n"
        f"Open: {_absolute(notification.url)}\n\n"
        f"--\n{_FOOTER.format(preferences=_absolute('/notifications/preferences/'))}\n"
    )
    return EmailMessage(
        subject=one_line(notification.subject),  # rows written before subjects were one line
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.recipient.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


def deliver_email(*, notification_id: int, now: datetime | None = None) -> DeliveryOutcome:
    """Send the email of one notification, at most once in effect (see module docstring).

    Before: call outside a transaction (the claim must commit before the mail server is
    contacted). Safe to call any number of times, concurrently, for the same id.
    After: ``sent`` if this call sent it; ``pending`` with a later ``next_attempt_at`` after a
    failure with attempts left; ``failed`` after ``NOTIFICATIONS_EMAIL_MAX_ATTEMPTS``; unchanged
    when the row was not ours to send (already sent, not due, digest, not wanted), or
    ``IN_FLIGHT`` when a live delivery holds it (the caller may look again once it is stale).
    """
    return _deliver(Notification, notification_id, _notification_email, now=now)


def redispatch_pending(*, now: datetime | None = None, limit: int = 500) -> int:
    """The sweep: publish delivery for rows that are due and not recently published.

    Picks ``pending`` rows whose ``next_attempt_at`` has come and ``sending`` rows whose claim
    is stale (a worker died mid-delivery), skipping rows published within
    ``NOTIFICATIONS_REDISPATCH_GRACE`` seconds so a backed-up queue does not fill with copies.
    One indexed query over the partial "on its way" index, at most ``limit`` rows, for
    notifications and then for outbound emails (registration and invitation links).
    Returns how many were published; publishing stops at the first broker error.
    """
    now = now or timezone.now()
    published = _redispatch(Notification, publish_deliveries, now=now, limit=limit)
    return published + _redispatch(OutboundEmail, publish_outbound_deliveries, now=now, limit=limit)


def _redispatch(
    model: type[Notification] | type[OutboundEmail],
    publish: Callable[[list[int]], int],
    *,
    now: datetime,
    limit: int,
) -> int:
    grace = timedelta(seconds=_setting("NOTIFICATIONS_REDISPATCH_GRACE", 120))
    ids = list(
        model.objects.filter(_claimable(now))
        .filter(Q(dispatched_at__isnull=True) | Q(dispatched_at__lte=now - grace))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    if not ids:
        return 0
    published = publish(ids)
    if published:
        model.objects.filter(pk__in=ids[:published]).update(dispatched_at=now)
    if published < len(ids):
        logger.warning("Sweep published %s of %s due %s rows", published, len(ids), model.__name__)
    return published


# --- Email to an address (no account, no inbox) ----------------------------------------------


def queue_email(
    *,
    to: str,
    kind: str,
    subject: str,
    body: str,
    about: str = "",
    sender: User | None = None,
    sender_url: str = "",
) -> OutboundEmail:
    """Queue one plain-text email to an address, inside the caller's transaction.

    For mail that cannot be a notification because the address has no account yet (a
    registration link, an invitation). Before: called inside the ``transaction.atomic`` block
    of the change the email belongs to. After: the row exists exactly when that change commits;
    after commit one delivery task is published (a broker that is down leaves the row
    ``pending`` for the sweep). Delivery is the notifications' at-least-once machine: retried
    with backoff up to ``NOTIFICATIONS_EMAIL_MAX_ATTEMPTS``, then ``failed`` for ops; a
    ``sender`` (the person who caused it, e.g. who invited) is then told in their inbox, with a
    link to ``sender_url``, in the transaction that marks it failed.
    """
    if not KIND_PATTERN.match(kind) or len(kind) > 64:
        raise ValidationFailed("Invalid email kind.", fields={"kind": ["Use a dotted code."]})
    now = timezone.now()
    email = OutboundEmail.objects.create(
        to_address=to.strip(),
        kind=kind,
        subject=one_line(subject)[:200],
        body=body,
        about=about,
        next_attempt_at=now,
        dispatched_at=now,
        sender=sender,
        sender_url=sender_url,
    )
    pk = email.pk
    transaction.on_commit(lambda: publish_outbound_deliveries([pk]), robust=True)
    return email


def outbound_cancel_pending(*, about: str) -> int:
    """Stop emails about ``about`` that have not left yet (``pending``), inside the caller's
    transaction: an invitation withdrawn while its email waits out a mail-server outage is
    not sent. One already being sent goes. Returns how many were stopped."""
    return OutboundEmail.objects.filter(about=about, email_status=EmailStatus.PENDING).update(
        email_status=EmailStatus.NOT_WANTED, next_attempt_at=None
    )


def publish_outbound_deliveries(email_ids: list[int]) -> int:
    """Publish one delivery task per outbound email. Returns how many were published."""
    from notifications.tasks import deliver_outbound_email

    return _publish_each(deliver_outbound_email, [(pk,) for pk in email_ids])


def _outbound_email(email: OutboundEmail) -> EmailMessage:
    return EmailMessage(
        subject=email.subject,
        body=email.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to_address],
        headers={"Auto-Submitted": "auto-generated"},
    )


def _tell_sender_undelivered(email: OutboundEmail) -> None:
    """The person who caused an outbound email is told it gave up (in the transaction that marks
    it failed), once per round of attempts: ops requeueing it starts another round."""
    sender = email.sender
    if sender is None:
        return
    notify(
        recipients=[sender],
        kind="email.undelivered",
        subject="Your email to {{ to }} could not be delivered",
        body=(
            'We tried {{ attempts }} times to send "{{ email_subject }}" to {{ to }} and the '
            "mail server would not take it. Check the address: if it is wrong, withdraw and send "
            "again with the right one. If it is right, the service team can see the email and "
            "send it again."
        ),
        context={
            "to": email.to_address,
            "attempts": email.email_attempts,
            "email_subject": email.subject,
        },
        url=email.sender_url or "/notifications/",
        about=email.about,
        dedupe_key=f"email.undelivered:{email.pk}:{email.dispatched_at:%Y%m%dT%H%M%S.%f}",
    )


def deliver_outbound(*, email_id: int, now: datetime | None = None) -> DeliveryOutcome:
    """Send one outbound email; the same contract as ``deliver_email``."""
    return _deliver(OutboundEmail, email_id, _outbound_email, now=now)


def outbound_requeue_failed(*, email_ids: Iterable[int], by: User) -> int:
    """Give failed outbound emails a fresh set of attempts (ops, from the admin)."""
    if not (by.is_staff or by.has_role("ops")):
        raise NotAllowed("Only operations staff can requeue emails.")
    return _requeue_failed(OutboundEmail, email_ids, publish_outbound_deliveries)


# --- Daily digest ---------------------------------------------------------------------------


def _digest_email(run: DigestRun) -> EmailMessage:
    items = list(run.notifications.order_by("created_at", "pk"))
    lines = [f"- {n.subject}\n  {_absolute(n.url)}" for n in items]
    count = len(items)
    text = (
        f"{count} update{'s' if count != 1 else ''} on the TRE access service since your last "
        f"digest:\n\n" + "\n\n".join(lines) + "\n\n"
        f"--\n{_FOOTER.format(preferences=_absolute('/notifications/preferences/'))}\n"
    )
    return EmailMessage(
        subject=f"TRE access: {count} update{'s' if count != 1 else ''} ({run.day:%d %b %Y})",
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[run.recipient.email],
        headers={"Auto-Submitted": "auto-generated"},
    )


def send_digests(*, now: datetime | None = None, limit: int = 500) -> int:
    """Send each person on the daily digest one email a day with what waited for it.

    Idempotent and safe to run often (beat runs it every 15 minutes): from
    ``NOTIFICATIONS_DIGEST_HOUR_UTC`` (07:00 UTC) each day it opens one ``DigestRun`` per person
    with waiting notifications (unique per person and UTC day, so never two), attaches every
    waiting notification to it in the same transaction, then delivers due runs with the same
    claim/send/record machine as single emails, so a failed digest is retried at the next run
    and a sent one is never sent again. Notifications raised after today's digest wait for
    tomorrow's. Returns how many digests were sent by this call.
    """
    now = now or timezone.now()
    today = now.astimezone(UTC).date()
    digest_hour = _setting("NOTIFICATIONS_DIGEST_HOUR_UTC", 7)
    if now.astimezone(UTC).hour >= digest_hour:
        waiting = (
            Notification.objects.filter(
                email_status=EmailStatus.SKIPPED_DIGEST,
                digest__isnull=True,
                created_at__lte=now,
            )
            .exclude(recipient__digest_runs__day=today)
            # An explicit order: the model's default ordering would join DISTINCT's columns.
            .order_by("recipient_id")
            .values_list("recipient_id", flat=True)
            .distinct()
        )
        for recipient_id in list(waiting[:limit]):
            with transaction.atomic():
                run, created = DigestRun.objects.get_or_create(
                    recipient_id=recipient_id,
                    day=today,
                    defaults={"next_attempt_at": now},
                )
                if created:
                    Notification.objects.filter(
                        recipient_id=recipient_id,
                        email_status=EmailStatus.SKIPPED_DIGEST,
                        digest__isnull=True,
                        created_at__lte=now,
                    ).update(digest=run)

    due = list(
        DigestRun.objects.filter(_claimable(now))
        .order_by("next_attempt_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(
        _deliver(DigestRun, pk, _digest_email, now=now) == DeliveryOutcome.SENT for pk in due
    )


def latest_notification_id() -> int:
    """The newest notification's id (0 when there is none): a marker for ``archive_since``."""
    return Notification.objects.aggregate(m=Max("id"))["m"] or 0


def notifications_archive_since(*, after_id: int) -> int:
    """Mark every notification newer than ``after_id`` read and not for email.

    For seeding (the demo loaders): what setting up raised is not news to anyone, so it neither
    fills inboxes nor goes out by email. Returns how many were archived.
    """
    return Notification.objects.filter(id__gt=after_id).update(
        read_at=timezone.now(), email_status=EmailStatus.NOT_WANTED, next_attempt_at=None
    )
