"""Conditions: obligations that come with a decision.

A condition comes from a review track ("approved with conditions", created when the application
is approved, the union of every track's conditions) or from a reviewer's verdict on one of the
Five Safes ("met with conditions"). It says who must meet it, by when, and whether it must be
met before access or during the project. The team gives evidence; a reviewer or ops (never a
member) verifies it. ``open → met`` by verification, ``open → withdrawn`` when a new verdict on
the same safe replaces the one that set it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from .application import Application, ReviewTrack


class ConditionTiming(models.TextChoices):
    BEFORE_ACCESS = "before_access", "Before access"
    DURING_PROJECT = "during_project", "During the project"


class ConditionState(models.TextChoices):
    OPEN = "open", "Open"
    MET = "met", "Met"
    WITHDRAWN = "withdrawn", "Withdrawn"


class ConditionOrigin(models.TextChoices):
    TRACK = "track", "A review track's decision"
    SAFE = "safe", "A verdict on one of the Five Safes"


class Condition(ConcurrentTransitionMixin, models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="conditions"
    )
    text = models.TextField()
    origin = models.CharField(max_length=10, choices=ConditionOrigin.choices)
    track = models.ForeignKey(
        ReviewTrack,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="condition_rows",
        help_text="The track that set it (the first, when several set the same condition)",
    )
    safe = models.CharField(max_length=20, blank=True, help_text="The safe whose verdict set it")
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="conditions_to_meet",
        help_text="Who must meet it (the principal investigator unless set otherwise)",
    )
    timing = models.CharField(
        max_length=20, choices=ConditionTiming.choices, default=ConditionTiming.BEFORE_ACCESS
    )
    due_date = models.DateField(null=True, blank=True)
    state = FSMField(
        max_length=20, choices=ConditionState.choices, default=ConditionState.OPEN, protected=True
    )
    evidence = models.TextField(blank=True)
    evidence_at = models.DateTimeField(null=True, blank=True)
    evidence_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    verification_note = models.TextField(blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(origin="track", track__isnull=False, safe="")
                | Q(origin="safe", track__isnull=True) & ~Q(safe=""),
                name="workflow_condition_origin_consistent",
            ),
            models.CheckConstraint(
                condition=Q(evidence_at__isnull=True, evidence_by__isnull=True)
                | Q(evidence_at__isnull=False, evidence_by__isnull=False),
                name="workflow_condition_evidence_at_by_together",
            ),
            models.CheckConstraint(
                condition=Q(verified_at__isnull=True, verified_by__isnull=True)
                | Q(verified_at__isnull=False, verified_by__isnull=False, state="met"),
                name="workflow_condition_verified_at_by_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.text[:60]} ({self.get_state_display()})"

    @property
    def source_label(self) -> str:
        if self.origin == ConditionOrigin.TRACK and self.track_id:
            return self.track.get_kind_display()
        return dict(_safe_labels()).get(self.safe, self.safe)

    @transition(state, source=ConditionState.OPEN, target=ConditionState.MET)
    def verify(self) -> None:
        pass

    @transition(state, source=ConditionState.OPEN, target=ConditionState.WITHDRAWN)
    def withdraw(self) -> None:
        pass


def _safe_labels():
    from .safes import Safe

    return Safe.choices


__all__ = ["Condition", "ConditionOrigin", "ConditionState", "ConditionTiming"]
