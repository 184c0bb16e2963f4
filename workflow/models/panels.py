"""Panels that review applications, their members, votes and declared conflicts, and the
pre-approved categories an owner's sign-off relied on.

A panel track (IGRP or DEA) is decided by its members' votes: each member votes with a
rationale, or declares a conflict of interest and then neither votes nor counts to the quorum;
the chair closes the track when the panel's decision rule allows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalogue.models import Dataset, PreApprovedCategoryVersion

from .application import Application, Outcome, ReviewTrack, TrackKind


class DecisionRule(models.TextChoices):
    MAJORITY = "majority", "Majority of the votes cast"
    UNANIMOUS = "unanimous", "Unanimous"
    CHAIR = "chair", "The chair decides once the quorum is reached"


class Panel(models.Model):
    """A configured panel. One active panel per kind of track reviews every application that
    needs that kind (the IGRP always; the DEA panel when the DEA research gateway is used).

    Its target (days to decide a track) is a stage target keyed ``panel:<slug>``, set by ops
    like every other target; without one, the target of its kind of track applies (19 calendar
    days by default, SAIL's panel average)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    track_kind = models.CharField(
        max_length=20, choices=[c for c in TrackKind.choices if c[0] != TrackKind.OWNER_SIGNOFF]
    )
    description = models.TextField(blank=True)
    quorum = models.PositiveSmallIntegerField(
        default=3, help_text="Votes needed (conflicted members do not count) before closing"
    )
    decision_rule = models.CharField(
        max_length=20, choices=DecisionRule.choices, default=DecisionRule.MAJORITY
    )
    min_independent_votes = models.PositiveSmallIntegerField(
        default=0, help_text="Votes that must come from independent (lay or external) members"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["track_kind"],
                condition=Q(is_active=True),
                name="workflow_one_active_panel_per_kind",
            ),
            models.CheckConstraint(
                condition=Q(quorum__gte=1), name="workflow_panel_quorum_at_least_one"
            ),
            models.CheckConstraint(
                condition=~Q(track_kind="dea_panel")
                | Q(quorum__gte=3, min_independent_votes__gte=1),
                name="workflow_dea_panel_three_votes_one_independent",
                violation_error_message=(
                    "The DEA panel needs at least three votes, one from an independent member."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PanelMembership(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_memberships"
    )
    is_independent = models.BooleanField(
        default=False, help_text="A lay or external member, independent of the TRE"
    )
    is_chair = models.BooleanField(default=False)
    joined_on = models.DateField(auto_now_add=True)
    left_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["panel", "-is_chair", "user__full_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["panel", "user"], name="workflow_member_once_per_panel"
            ),
            models.UniqueConstraint(
                fields=["panel"],
                condition=Q(is_chair=True, left_on__isnull=True),
                name="workflow_one_chair_per_panel",
            ),
        ]

    def __str__(self) -> str:
        extra = " (chair)" if self.is_chair else " (independent)" if self.is_independent else ""
        return f"{self.user} on {self.panel}{extra}"

    @property
    def is_current(self) -> bool:
        return self.left_on is None


class ConflictOfInterest(models.Model):
    """A panel member's declared conflict: they cannot vote on any track of the application
    and do not count to a quorum."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflicts")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    declared_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["application", "user"], name="workflow_conflict_once_per_application"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} conflicted on {self.application_id}"


class Vote(models.Model):
    """One member's vote on a panel track; changeable until the track closes."""

    track = models.ForeignKey(ReviewTrack, on_delete=models.CASCADE, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=30, choices=Outcome.choices)
    rationale = models.TextField(blank=True)
    proposed_conditions = models.JSONField(default=list, blank=True)
    cast_at = models.DateTimeField(auto_now_add=True)
    changed_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["track", "cast_at"]
        constraints = [
            models.UniqueConstraint(fields=["track", "member"], name="workflow_one_vote_per_member")
        ]

    def __str__(self) -> str:
        return f"{self.member}: {self.get_choice_display()} on track {self.track_id}"


class PreApprovedMatch(models.Model):
    """Frozen when the tracks open: the category version an owner's automatic sign-off cited
    for one requested dataset. Protects the version from deletion for good."""

    track = models.ForeignKey(ReviewTrack, on_delete=models.PROTECT, related_name="pre_approved")
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="+")
    category_version = models.ForeignKey(
        PreApprovedCategoryVersion, on_delete=models.PROTECT, related_name="citations"
    )
    matched_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["track", "dataset"], name="workflow_one_citation_per_dataset"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug} within {self.category_version.citation}"


__all__ = [
    "ConflictOfInterest",
    "DecisionRule",
    "Panel",
    "PanelMembership",
    "PreApprovedMatch",
    "Vote",
]
