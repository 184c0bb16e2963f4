"""Every write of provisioning: the change feed and its webhook deliveries, receivers, service
accounts, and the delivery of webhooks.

The change feed and its delivery rows are written by ``outbox.change_record``, called by the
watchers in ``notices.py`` at the end of the service that changed a grant or a live project,
inside its transaction: the change row and one delivery row per interested receiver commit with
the change or not at all (the outbox). Delivery happens
after commit, in Celery (``tasks.deliver_webhook_lane``), per *lane* (one receiver, one
project): the oldest pending delivery of a lane goes first and the next waits until it is
delivered, so a receiver sees each project's changes in order. A failed attempt is logged,
backs off exponentially and is retried for ever; the transition that caused it never waits.
"""

from __future__ import annotations

import base64
import datetime
import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from knox.models import AuthToken
from standardwebhooks import Webhook

from access.models import User
from core.errors import ValidationFailed
from notifications.notices import service
from workflow.provisioning.models import (
    DeliveryStatus,
    EntitlementChange,
    ServiceAccount,
    WebhookAttempt,
    WebhookDelivery,
    WebhookReceiver,
)
from workflow.provisioning.outbox import publish_lanes
from workflow.provisioning.policies import SCOPES, check_manage_provisioning
from workflow.provisioning.selectors import KINDS, change_payload

logger = logging.getLogger(__name__)

RESPONSE_KEPT = 2000


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


# --- receivers -------------------------------------------------------------------------------


def _blocked_address(host: str) -> str | None:
    """Why ``host`` may not receive webhooks (SSRF), or None. Every address it resolves to
    must be public unless WEBHOOK_ALLOW_PRIVATE_ADDRESSES (development, tests) is set."""
    if _setting("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", False):
        return None
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return f"{host} does not resolve."
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if not address.is_global or address.is_multicast:
            return f"{host} resolves to {address}, a private, loopback or reserved address."
    return None


def _url_errors(url: str) -> list[str]:
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return ["Give an http:// or https:// address."]
    if parts.username or parts.password:
        return ["Put no user name or password in the address; the secret signs each request."]
    blocked = _blocked_address(parts.hostname)
    return [blocked] if blocked else []


def _kinds_errors(kinds: Any) -> list[str]:
    if not isinstance(kinds, list) or not kinds:
        return ["Choose at least one kind of change."]
    unknown = [str(k) for k in kinds if k not in KINDS]
    if unknown:
        return [f"Unknown kind: {', '.join(unknown)}. Known kinds: {', '.join(KINDS)}."]
    return []


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@service
def webhook_receiver_register(
    *, by: User, url: str, kinds: list[str], description: str = ""
) -> WebhookReceiver:
    """A new receiver (ops), with a new secret the caller shows once."""
    check_manage_provisioning(by)
    errors = {}
    if problems := _url_errors(url):
        errors["url"] = problems
    if problems := _kinds_errors(kinds):
        errors["kinds"] = problems
    if errors:
        raise ValidationFailed("The receiver was not registered.", fields=errors)
    return WebhookReceiver.objects.create(
        url=url.strip(),
        kinds=list(dict.fromkeys(kinds)),
        description=description.strip(),
        secret=new_secret(),
        created_by=by,
    )


@service
def webhook_receiver_update(
    *,
    by: User,
    receiver: WebhookReceiver,
    url: str | None = None,
    kinds: list[str] | None = None,
    description: str | None = None,
    active: bool | None = None,
    rotate_secret: bool = False,
) -> WebhookReceiver:
    """Change a receiver. Switching one back on publishes its pending lanes."""
    receiver = WebhookReceiver.objects.select_for_update().get(pk=receiver.pk)
    check_manage_provisioning(by)
    errors = {}
    if url is not None and (problems := _url_errors(url)):
        errors["url"] = problems
    if kinds is not None and (problems := _kinds_errors(kinds)):
        errors["kinds"] = problems
    if errors:
        raise ValidationFailed("The receiver was not changed.", fields=errors)
    if url is not None:
        receiver.url = url.strip()
    if kinds is not None:
        receiver.kinds = list(dict.fromkeys(kinds))
    if description is not None:
        receiver.description = description.strip()
    if active is not None:
        receiver.active = active
    if rotate_secret:
        receiver.secret = new_secret()
    receiver.save()
    if receiver.active:
        lanes = _pending_lanes(receiver_id=receiver.pk)
        transaction.on_commit(lambda: publish_lanes(lanes), robust=True)
    return receiver


@service
def webhook_delivery_redeliver(*, by: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery again now (ops): a delivered one is sent once more, a pending one in
    backoff is tried at once. It keeps its place in its project's order."""
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
    check_manage_provisioning(by)
    delivery.status = DeliveryStatus.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    lane = (delivery.receiver_id, delivery.application_id)
    transaction.on_commit(lambda: publish_lanes([lane]), robust=True)
    return delivery


# --- service accounts ------------------------------------------------------------------------


@service
def service_account_create(
    *,
    by: User | None,
    name: str,
    scopes: Sequence[str],
    token_days: int = 365,
) -> tuple[ServiceAccount, str]:
    """A machine client with a token carrying ``scopes``: a user with no roles and no usable
    password. Returns the account and the token's key (shown once). ``by`` is None only for
    the management command (whoever runs it holds the server)."""
    if by is not None:
        check_manage_provisioning(by)
    errors: dict[str, list[str]] = {}
    name = name.strip()
    if not name:
        errors["name"] = ["Name the service account."]
    elif ServiceAccount.objects.filter(name=name).exists():
        errors["name"] = [f"There is already a service account named {name}."]
    unknown = [s for s in scopes if s not in SCOPES]
    if unknown or not scopes:
        errors["scopes"] = [f"Scopes are {', '.join(SCOPES)}."]
    if not 1 <= token_days <= 3650:
        errors["token_days"] = ["A token lasts between 1 and 3650 days."]
    if errors:
        raise ValidationFailed("The service account was not created.", fields=errors)
    user = User(username=f"service-{secrets.token_hex(4)}-{name[:100]}"[:150], is_active=True)
    user.set_unusable_password()
    user.save()
    account = ServiceAccount.objects.create(
        user=user, name=name, scopes=list(dict.fromkeys(scopes)), created_by=by
    )
    key = service_account_token(account=account, days=token_days)
    return account, key


def service_account_token(*, account: ServiceAccount, days: int = 365) -> str:
    """A new token for ``account`` (the key is shown once; only its hash is kept)."""
    _, key = AuthToken.objects.create(user=account.user, expiry=datetime.timedelta(days=days))
    return str(key)


# --- delivery --------------------------------------------------------------------------------


def _backoff(attempts: int) -> float:
    base = float(_setting("WEBHOOK_RETRY_BASE_SECONDS", 10))
    cap = float(_setting("WEBHOOK_RETRY_MAX_SECONDS", 3600))
    delay = min(cap, base * float(2 ** max(attempts - 1, 0)))
    return delay * random.uniform(0.8, 1.2)  # noqa: S311 (jitter, not security)


def signed_request(
    receiver: WebhookReceiver, change: EntitlementChange, now: datetime.datetime
) -> tuple[bytes, dict[str, str]]:
    """The body and headers of one attempt: the Standard Webhooks signature over a fresh
    timestamp (receivers refuse old ones) and the change's stable id (receivers dedupe on it)."""
    body = json.dumps(change_payload(change), separators=(",", ":")).encode()
    message_id = f"msg_{change.pk}"
    signature = Webhook(receiver.secret).sign(msg_id=message_id, timestamp=now, data=body)
    headers = {
        "content-type": "application/json",
        "user-agent": "tre-access-webhooks/1",
        "webhook-id": message_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": signature,
    }
    return body, headers


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer (a failure to deliver), never followed: following one could
    lead the request to an address the SSRF check never saw."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int | None, str, str]:
    """POST once: (status code or None, the start of the response, the error or '')."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None, "", "Not an http(s) address."
    blocked = _blocked_address(parts.hostname)
    if blocked:
        return None, "", blocked
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    timeout = float(_setting("WEBHOOK_TIMEOUT_SECONDS", 10))
    try:
        # The scheme is checked above (http or https only).
        with _OPENER.open(request, timeout=timeout) as response:
            return response.status, response.read(RESPONSE_KEPT).decode("utf-8", "replace"), ""
    except urllib.error.HTTPError as answer:
        text = answer.read(RESPONSE_KEPT).decode("utf-8", "replace") if answer.fp else ""
        return answer.code, text, f"HTTP {answer.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        reason = getattr(error, "reason", error)
        return None, "", f"{type(error).__name__}: {reason}"[:500]


def webhook_lane_deliver(*, receiver_id: int, application_id: int) -> int:
    """Deliver the pending changes of one lane in order, until one fails or none is due.
    Returns how many were delivered. Safe to run twice at once: the lane's head is locked
    (``skip_locked``), so a second runner stops instead of overtaking it."""
    delivered = 0
    while True:
        with transaction.atomic():
            head = (
                WebhookDelivery.objects.filter(
                    receiver_id=receiver_id,
                    application_id=application_id,
                    status=DeliveryStatus.PENDING,
                )
                .order_by("change_id")
                .values_list("pk", flat=True)
                .first()
            )
            if head is None:
                return delivered
            delivery = (
                WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("receiver", "change")
                .filter(pk=head, status=DeliveryStatus.PENDING)
                .first()
            )
            now = timezone.now()
            if delivery is None or not delivery.receiver.active:
                return delivered  # another runner holds this lane, or it is switched off
            if delivery.next_attempt_at > now:
                return delivered  # backing off: its retry is scheduled
            # The row lock is held through the request (at most WEBHOOK_TIMEOUT_SECONDS): the
            # lane has one runner, and the attempt and its outcome commit together.
            ok = _attempt(delivery, now=now)
        if not ok:
            delay = (delivery.next_attempt_at - timezone.now()).total_seconds()
            if delay <= float(_setting("WEBHOOK_COUNTDOWN_MAX_SECONDS", 300)):
                publish_lanes([(receiver_id, application_id)], countdown=max(delay, 0.1))
            return delivered
        delivered += 1


def _attempt(delivery: WebhookDelivery, *, now: datetime.datetime) -> bool:
    manual = delivery.delivered_at is not None
    body, headers = signed_request(delivery.receiver, delivery.change, now)
    started = time.monotonic()
    status, text, error = _post(delivery.receiver.url, body, headers)
    took = int((time.monotonic() - started) * 1000)
    WebhookAttempt.objects.create(
        delivery=delivery,
        at=now,
        status_code=status,
        response_body=text,
        error=error,
        duration_ms=took,
        manual=manual,
    )
    delivery.attempts += 1
    delivery.last_status_code = status
    ok = status is not None and 200 <= status < 300
    if ok:
        delivery.status = DeliveryStatus.DELIVERED
        delivery.delivered_at = timezone.now()
        delivery.last_error = ""
    else:
        delivery.last_error = error or f"HTTP {status}"
        delivery.next_attempt_at = timezone.now() + datetime.timedelta(
            seconds=_backoff(delivery.attempts)
        )
    delivery.save()
    return ok


def _pending_lanes(
    *, receiver_id: int | None = None, now: datetime.datetime | None = None
) -> list[tuple[int, int]]:
    """Lanes with a pending delivery (of one receiver); with ``now``, only those whose head,
    the delivery that goes next, is due (a lane backing off is left alone)."""
    rows = WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING, receiver__active=True)
    if receiver_id is not None:
        rows = rows.filter(receiver_id=receiver_id)
    if now is not None:
        head = (
            WebhookDelivery.objects.filter(
                receiver=OuterRef("receiver"),
                application=OuterRef("application"),
                status=DeliveryStatus.PENDING,
            )
            .order_by("change_id")
            .values("change_id")[:1]
        )
        rows = rows.filter(change_id=Subquery(head), next_attempt_at__lte=now)
    return list(rows.values_list("receiver_id", "application_id").distinct().order_by())


def webhooks_redispatch(*, now: datetime.datetime | None = None) -> int:
    """The sweep (beat, every minute): publish every lane with a delivery due, whose message
    a broker outage or a lost worker dropped. Publishing a lane twice is harmless."""
    return publish_lanes(_pending_lanes(now=now or timezone.now()))
