"""The tables of provisioning: the change feed, service accounts, webhook receivers and their
deliveries, each attempt logged.

A delivery of a change to a receiver::

    pending ──2xx──▶ delivered
       ▲  │
       └──┘ any other answer, a timeout or no connection: attempts += 1, due again after a
            backoff (never given up: a receiver that is down delays delivery, loses nothing)
    delivered ──ops redeliver──▶ pending
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class ChangeKind(models.TextChoices):
    GRANT_CREATED = "grant.created", "Access granted"
    GRANT_SUSPENDED = "grant.suspended", "Access suspended"
    GRANT_REINSTATED = "grant.reinstated", "Access reinstated"
    GRANT_ENDED = "grant.ended", "Access ended"
    MEMBER_JOINED = "member.joined", "A member joined a live project"
    MEMBER_LEFT = "member.left", "A member left a live project"
    PROJECT_CLOSED = "project.closed", "Project closed"


class EntitlementChange(models.Model):
    """One change the secure environment must act on. The id is the feed's cursor: rows are
    numbered while a lock is held until commit (``services.change_record``), so ids become
    visible in increasing order and a poller reading ``id > cursor`` never skips one."""

    id = models.BigAutoField(primary_key=True)
    kind = models.CharField(max_length=32, choices=ChangeKind.choices)
    application = models.ForeignKey(
        "workflow.Application", on_delete=models.PROTECT, related_name="entitlement_changes"
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entitlement_changes",
    )
    grant = models.ForeignKey(
        "access.AccessGrant",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="entitlement_changes",
    )
    occurred_at = models.DateTimeField()
    # What the receiver is sent (``selectors.change_payload``), frozen when the change happened.
    data = models.JSONField(default=dict)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["application", "id"], name="entitlement_change_project")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} ({self.application_id})"


class ServiceAccount(models.Model):
    """A machine client (the secure environment): a user with no roles and no password, whose
    API tokens carry this account's scopes."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="service_account"
    )
    name = models.CharField(max_length=100, unique=True)
    scopes = models.JSONField(default=list, help_text='e.g. ["entitlements:read"]')
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return self.name


class WebhookReceiver(models.Model):
    """An address the secure environment listens on, and the kinds of change it wants."""

    url = models.URLField(max_length=500)
    description = models.CharField(max_length=200, blank=True)
    # Standard Webhooks secret: "whsec_" and base64 of 32 random bytes (never shown again).
    secret = models.CharField(max_length=100)
    kinds = models.JSONField(help_text="ChangeKind values this receiver is sent")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"


class WebhookDelivery(models.Model):
    """One change to one receiver. Per receiver and project, deliveries go out in change
    order: the next waits until the one before it was delivered."""

    receiver = models.ForeignKey(
        WebhookReceiver, on_delete=models.CASCADE, related_name="deliveries"
    )
    change = models.ForeignKey(
        EntitlementChange, on_delete=models.PROTECT, related_name="deliveries"
    )
    # Copied from the change: the ordering lane is (receiver, application).
    application = models.ForeignKey(
        "workflow.Application", on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["receiver", "change"], name="webhook_delivery_once"),
        ]
        indexes = [
            models.Index(
                fields=["receiver", "application", "status", "change"], name="webhook_lane"
            ),
            models.Index(fields=["status", "next_attempt_at"], name="webhook_due"),
        ]

    def __str__(self) -> str:
        return f"{self.change} to {self.receiver} ({self.status})"


class WebhookAttempt(models.Model):
    """One HTTP request of a delivery and what came back (ops read it to see why it fails)."""

    delivery = models.ForeignKey(WebhookDelivery, on_delete=models.CASCADE, related_name="log")
    at = models.DateTimeField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True, help_text="The first 2,000 characters")
    error = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    manual = models.BooleanField(default=False, help_text="Sent again by hand (redeliver)")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return (
            f"{self.delivery_id} at {self.at:%Y-%m-%d %H:%M:%S}: {self.status_code or self.error}"
        )


__all__ = [
    "ChangeKind",
    "DeliveryStatus",
    "EntitlementChange",
    "ServiceAccount",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookReceiver",
]
