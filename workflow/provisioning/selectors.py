"""Reads of provisioning: active grants, the change feed, deliveries.

An entitlement is an access grant in state ``active`` whose project is live and whose last
day has not passed (one whose ``start_on`` is still to come is listed: open the workspace from
that day; it gets visas only from then). Suspended and ended grants are never returned as
active, whatever any delivery did (the feed and webhooks report changes; this reads the grants
themselves).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from access.models import AccessGrant, GrantState, User
from workflow.provisioning.models import (
    ChangeKind,
    EntitlementChange,
    WebhookDelivery,
    WebhookReceiver,
)
from workflow.route.models import Application, State

FEED_PAGE_MAX = 500


def active_grants(today: datetime.date | None = None) -> QuerySet[AccessGrant]:
    today = today or timezone.localdate()
    rows: QuerySet[AccessGrant] = (
        AccessGrant.objects.filter(
            state=GrantState.ACTIVE,
            application__state=State.ACTIVE,
            end_on__gte=today,
        )
        .select_related("application", "person")
        .order_by("application_id", "person_id")
    )
    return rows


def active_grants_of_person(person: User) -> QuerySet[AccessGrant]:
    return active_grants().filter(person=person)


def active_grants_of_project(application: Application) -> QuerySet[AccessGrant]:
    return active_grants().filter(application=application)


def dataset_slugs(application: Application) -> list[str]:
    return sorted(application.requested_datasets.values_list("dataset__slug", flat=True))


def changes_after(cursor: int, *, limit: int = FEED_PAGE_MAX) -> list[EntitlementChange]:
    """The next ``limit`` changes after ``cursor`` (0: from the beginning), oldest first."""
    return list(
        EntitlementChange.objects.filter(id__gt=cursor)
        .select_related("application", "person")
        .order_by("id")[:limit]
    )


def latest_cursor() -> int:
    last = EntitlementChange.objects.order_by("-id").values_list("id", flat=True).first()
    return last or 0


def receivers_for(kind: str) -> list[WebhookReceiver]:
    return [r for r in WebhookReceiver.objects.filter(active=True) if kind in r.kinds]


def deliveries() -> QuerySet[WebhookDelivery]:
    return WebhookDelivery.objects.select_related("receiver", "change", "application").order_by(
        "-id"
    )


def change_payload(change: EntitlementChange) -> dict[str, Any]:
    """The body a receiver gets (Standard Webhooks: ``type``, ``timestamp``, ``data``)."""
    return {
        "type": change.kind,
        "timestamp": change.occurred_at.isoformat(),
        "data": {"cursor": change.pk, **change.data},
    }


KINDS = [choice.value for choice in ChangeKind]
