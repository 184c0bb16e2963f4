"""Notifications as database rows: an outbox.

A notification is written in the same transaction as the state change that caused it, so it
exists exactly when the change exists. Its email leaves later, through Celery; the row's
``email_status`` is the state machine that makes the email happen once however often the broker
delivers the task (see ``notifications.services.deliver_email``).

Email state of a notification::

    pending ──claim──▶ sending ──SMTP accepted──▶ sent
       ▲                  │
       └── back off ◀─────┤ (SMTP failure, attempts left)
                          └──▶ failed (no attempts left; ops may requeue from the admin)
    skipped_digest: the recipient reads email as a daily digest; a DigestRun carries it.
    not_wanted:     the recipient turned email off (or is inactive); in-app only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED_DIGEST = "skipped_digest", "In the daily digest"
    NOT_WANTED = "not_wanted", "Email not wanted"


class EmailMode(models.TextChoices):
    IMMEDIATE = "immediate", "Email each notification"
    DAILY_DIGEST = "daily_digest", "One email a day"
    OFF = "off", "No email (in-app only)"


class EmailDelivery(models.Model):
    """The claimable email state shared by a notification and a digest.

    ``claim_token`` names the one delivery attempt that owns a ``sending`` row; only that attempt
    may move it on. ``claimed_at`` lets a claim left by a killed worker be taken over once stale.
    """

    email_status = models.CharField(
        max_length=20, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        null=True, blank=True, help_text="When a pending email is due (set after a failure)."
    )
    claimed_at = models.DateTimeField(null=True, blank=True)
    claim_token = models.UUIDField(null=True, blank=True)

    class Meta:
        abstract = True


class Notification(EmailDelivery):
    # No separate index on recipient alone: the composite inbox index leads with it.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="notifications",
        db_index=False,
    )
    kind = models.CharField(max_length=64, help_text="A code such as application.submitted.")
    subject = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text, rendered from a template when created.")
    url = models.CharField(max_length=500, help_text="Path of the page this is about, on our site.")
    # A plain "<kind>:<id>" string rather than a generic foreign key: notifications react to
    # other apps without importing their models, and the string stays meaningful in logs.
    about = models.CharField(max_length=100, blank=True, help_text='e.g. "application:42"')
    dedupe_key = models.CharField(
        max_length=200,
        null=True,
        blank=True,
        help_text="Raising the same key for the same recipient again creates nothing.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # When a delivery task was last published for this row; the sweep leaves recently published
    # rows alone so a slow queue does not fill with duplicates.
    dispatched_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        "DigestRun",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="notifications",
        help_text="The daily digest that carried this notification by email.",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"],
                condition=Q(dedupe_key__isnull=False),
                name="notifications_dedupe_key_once_per_recipient",
            ),
        ]
        indexes = [
            # The inbox: newest first, and the unread filter.
            models.Index(fields=["recipient", "-created_at"], name="notif_inbox_idx"),
            models.Index(
                fields=["recipient", "-created_at"],
                condition=Q(read_at__isnull=True),
                name="notif_inbox_unread_idx",
            ),
            # The sweep: only the few rows still on their way are indexed.
            models.Index(
                fields=["email_status", "next_attempt_at"],
                condition=Q(email_status__in=["pending", "sending"]),
                name="notif_email_due_idx",
            ),
            # The digest: rows waiting for their recipient's next digest.
            models.Index(
                fields=["recipient"],
                condition=Q(email_status="skipped_digest", digest__isnull=True),
                name="notif_digest_waiting_idx",
            ),
            models.Index(fields=["about"], name="notif_about_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.subject}"

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class NotificationPreference(models.Model):
    """How a person wants email. In-app notifications are always on. No row means immediate."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notification_preference"
    )
    email_mode = models.CharField(
        max_length=20, choices=EmailMode.choices, default=EmailMode.IMMEDIATE
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {self.email_mode}"


class DigestRun(EmailDelivery):
    """One digest email for one person for one (UTC) day; the unique key makes it once a day."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="digest_runs"
    )
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "day"], name="notifications_one_digest_per_day"
            ),
        ]
        indexes = [
            models.Index(
                fields=["email_status", "next_attempt_at"],
                condition=Q(email_status__in=["pending", "sending"]),
                name="digest_email_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"digest {self.day} for {self.recipient_id}"


class OutboundEmail(EmailDelivery):
    """An email to an address, not to a person's inbox: a registration link or an invitation
    goes to an address that has no account (yet), so there is no recipient and no in-app copy.

    Written in the transaction of the change that sends it (``services.queue_email``) and
    delivered by the same claim/send/record machine, sweep, retries and backoff as a
    notification's email; ops see failed ones in the admin and can requeue them.
    """

    to_address = models.EmailField(max_length=254)
    kind = models.CharField(max_length=64, help_text="A code such as identity.registration.")
    subject = models.CharField(max_length=200)
    body = models.TextField()
    about = models.CharField(max_length=100, blank=True, help_text='e.g. "invitation:7"')
    created_at = models.DateTimeField(auto_now_add=True)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    # Who sent it on the service (the member who invited), told in their inbox if it is never
    # delivered, with the page where they can act on it; nobody for a registration link.
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Told if the email is never delivered.",
    )
    sender_url = models.CharField(
        max_length=200, blank=True, help_text="The sender's page about it (e.g. the team page)."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["email_status", "next_attempt_at"],
                condition=Q(email_status__in=["pending", "sending"]),
                name="outbound_email_due_idx",
            ),
            models.Index(fields=["about"], name="outbound_email_about_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to_address}: {self.subject}"
