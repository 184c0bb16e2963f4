"""Public involvement in an application: whether the project is likely to be of high public
interest (flagged by the team or a reviewer; a reviewer can require involvement), the
involvement the team has done or plans (consultations with dates, who took part, what changed),
and consultations of the TRE's consumer panel requested through the system, with the panel's
written feedback attached to the application for the review panels to read.

SAIL's Consumer Panel is involved "from design to output stage" for projects likely to have high
public interest; SATRE 1.7.03 makes public involvement mandatory for TREs holding personal data.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from workflow.reviews.models import Panel
from workflow.route.models import Application

# What the team writes about each activity: bounded like every other free text.
MAX_TEXT = 4000


class PublicInterest(models.Model):
    """Whether the project is likely to be of high public interest, and whether a reviewer
    requires public involvement. One row per application, written when first flagged."""

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="public_interest"
    )
    high = models.BooleanField(default=False, help_text="Likely to be of high public interest")
    reason = models.TextField(blank=True, help_text="Why (or why no longer)")
    flagged_at = models.DateTimeField(null=True, blank=True)
    flagged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    required = models.BooleanField(
        default=False, help_text="A reviewer requires the team to involve the public"
    )
    required_reason = models.TextField(blank=True)
    required_at = models.DateTimeField(null=True, blank=True)
    required_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(flagged_at__isnull=True, flagged_by__isnull=True)
                | Q(flagged_at__isnull=False, flagged_by__isnull=False),
                name="workflow_public_interest_flagged_at_by_together",
            ),
            models.CheckConstraint(
                condition=Q(required=False, required_at__isnull=True, required_by__isnull=True)
                | Q(required=True, required_at__isnull=False, required_by__isnull=False),
                name="workflow_public_involvement_required_at_by_together",
            ),
            # Requiring involvement marks the project as of high public interest.
            models.CheckConstraint(
                condition=Q(required=False) | Q(high=True),
                name="workflow_public_involvement_required_is_high_interest",
            ),
        ]

    def __str__(self) -> str:
        return f"Public interest of application {self.application_id}"


class InvolvementStatus(models.TextChoices):
    DONE = "done", "Done"
    PLANNED = "planned", "Planned"


class InvolvementActivity(models.Model):
    """Public involvement the team has done or plans: when, who took part, what it was about
    and what changed as a result."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="involvement_activities"
    )
    status = models.CharField(max_length=10, choices=InvolvementStatus.choices)
    held_on = models.DateField(help_text="When it took place, or is planned")
    who = models.CharField(max_length=300, help_text="Who took part (a panel, a group, a charity)")
    what = models.TextField(help_text="What was asked or discussed")
    what_changed = models.TextField(
        blank=True, help_text="What changed in the project as a result (for involvement done)"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "held_on", "id"]

    def __str__(self) -> str:
        return f"{self.get_status_display()}: {self.who} on {self.held_on}"


class Consultation(models.Model):
    """A consultation of the TRE's consumer panel requested by the team: the question, then the
    panel's written feedback. Two states, read from the paired fields: requested (no feedback
    yet) and answered (feedback, when and by whom, set together)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="consultations"
    )
    panel = models.ForeignKey(Panel, on_delete=models.PROTECT, related_name="consultations")
    question = models.TextField(help_text="What the team asks the consumer panel")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    feedback = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["application", "requested_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, answered_by__isnull=True, feedback="")
                | Q(answered_at__isnull=False, answered_by__isnull=False) & ~Q(feedback=""),
                name="workflow_consultation_answer_fields_together",
            ),
            # One consultation waiting for the panel per application at a time.
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(answered_at__isnull=True),
                name="workflow_one_open_consultation",
            ),
        ]
        indexes = [
            models.Index(
                fields=["panel", "requested_at"],
                condition=Q(answered_at__isnull=True),
                name="workflow_consultation_open_idx",
            )
        ]

    def __str__(self) -> str:
        return f"Consultation {self.pk} on application {self.application_id}"

    @property
    def is_answered(self) -> bool:
        return self.answered_at is not None


__all__ = [
    "MAX_TEXT",
    "Consultation",
    "InvolvementActivity",
    "InvolvementStatus",
    "PublicInterest",
]
