"""The reviews an application gets: consolidated feedback rounds (from scoping, internal
review and the panels), the parallel review tracks (IGRP, DEA panel, owner sign-off), the
panels that review them, their members, votes and declared conflicts, and the pre-approved
categories an owner's sign-off relied on.

A panel track (IGRP or DEA) is decided by its members' votes: each member votes with a
rationale, or declares a conflict of interest and then neither votes nor counts to the quorum;
the chair closes the track when the panel's decision rule allows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField

from access.models import Organisation
from catalogue.models import Dataset, PreApprovedCategoryVersion
from core.transitions import transition
from workflow.route.models import (
    FEEDBACK_STAGE_CHOICES,
    ActorRole,
    Application,
    EventKind,
    Section,
)


class TrackKind(models.TextChoices):
    IGRP = "igrp", "Independent Governance Review Panel"
    DEA_PANEL = "dea_panel", "DEA accreditation panel"
    OWNER_SIGNOFF = "owner_signoff", "Data owner sign-off"


class TrackState(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"
    # The application was withdrawn, rejected or closed while the track was open: nobody
    # decides it any more, its clock stops and nobody is reminded of it.
    CLOSED = "closed", "Closed undecided"


class Outcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
    REVISE_AND_RESUBMIT = "revise_and_resubmit", "Revise and resubmit"
    REJECTED = "rejected", "Rejected"


class DecisionRule(models.TextChoices):
    MAJORITY = "majority", "Majority of the votes cast"
    UNANIMOUS = "unanimous", "Unanimous"
    CHAIR = "chair", "The chair decides once the quorum is reached"


# The TRE's consumer panel: members of the public a team consults about its project (public
# involvement). It is a panel like the others (members, lay seats, a chair) but never reviews a
# track: it answers consultations (``workflow.involvement``).
CONSUMER_PANEL = "consumer_panel"
PANEL_KINDS = [
    *[c for c in TrackKind.choices if c[0] != TrackKind.OWNER_SIGNOFF],
    (CONSUMER_PANEL, "Consumer panel (public involvement)"),
]


class PanelMode(models.TextChoices):
    ROLLING = "rolling", "Rolling review (decides each application when its vote is complete)"
    SITTING = "sitting", "Sittings (decides the applications on each sitting's agenda)"


class Panel(models.Model):
    """A configured panel. One active panel per kind of track reviews every application that
    needs that kind (the IGRP always; the DEA panel when the DEA research gateway is used).

    Its target (days to decide a track) is a stage target keyed ``panel:<slug>``, set by ops
    like every other target; without one, the target of its kind of track applies (19 calendar
    days by default, SAIL's panel average)."""

    name = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=80, unique=True)
    track_kind = models.CharField(max_length=20, choices=PANEL_KINDS)
    description = models.TextField(blank=True)
    quorum = models.PositiveSmallIntegerField(
        default=3, help_text="Votes needed (conflicted members do not count) before closing"
    )
    decision_rule = models.CharField(
        max_length=20, choices=DecisionRule.choices, default=DecisionRule.MAJORITY
    )
    # The decision rule's seats: at least N votes from independent members and at least N from
    # lay members (members of the public, who are independent too). The DEA panel's "one
    # independent vote" is this rule with min_independent_votes=1 (a check constraint below).
    min_independent_votes = models.PositiveSmallIntegerField(
        default=0, help_text="Votes that must come from independent (lay or external) members"
    )
    min_lay_votes = models.PositiveSmallIntegerField(
        default=0, help_text="Votes that must come from lay members (members of the public)"
    )
    blind_first_round = models.BooleanField(
        default=False,
        help_text=(
            "Members see no other vote until they have voted and the quorum has voted; the "
            "chair votes before closing"
        ),
    )
    is_active = models.BooleanField(default=True)
    # How the panel decides (``workflow.sittings``): on a rolling basis, the chair closing each
    # track's vote, or at sittings with an agenda, papers, attendance and minutes. Changeable.
    mode = models.CharField(max_length=10, choices=PanelMode.choices, default=PanelMode.ROLLING)

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
            # A rule cannot ask for more lay or independent votes than the votes it needs.
            models.CheckConstraint(
                condition=Q(min_lay_votes__lte=models.F("quorum"))
                & Q(min_independent_votes__lte=models.F("quorum")),
                name="workflow_panel_seat_rules_within_quorum",
                violation_error_message=(
                    "A panel cannot need more lay or independent votes than its quorum."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_consumer_panel(self) -> bool:
        return self.track_kind == CONSUMER_PANEL


class PanelMembership(models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_memberships"
    )
    is_independent = models.BooleanField(
        default=False, help_text="A lay or external member, independent of the TRE"
    )
    is_lay = models.BooleanField(
        default=False,
        help_text="A member of the public (a lay member is independent of the TRE too)",
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
            models.CheckConstraint(
                condition=Q(is_lay=False) | Q(is_independent=True),
                name="workflow_lay_member_is_independent",
                violation_error_message="A lay member is independent of the TRE.",
            ),
        ]

    def __str__(self) -> str:
        extra = (
            " (chair)"
            if self.is_chair
            else " (lay)"
            if self.is_lay
            else " (independent)"
            if self.is_independent
            else ""
        )
        return f"{self.user} on {self.panel}{extra}"


def _decider_role(track: ReviewTrack) -> str:
    """a data owner signs off; a panel's chair closes its vote"""
    return ActorRole.DATA_OWNER if track.kind == TrackKind.OWNER_SIGNOFF else ActorRole.PANEL_CHAIR


class ReviewTrack(ConcurrentTransitionMixin, models.Model):
    """One of the parallel reviews an application needs (IGRP, DEA panel, an owner's sign-off).

    Its own small machine: ``open → decided``. A track that asked for revision is superseded by
    a fresh one when the application is resubmitted; the others keep their decision.
    """

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="tracks")
    kind = models.CharField(max_length=20, choices=TrackKind.choices)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For an owner sign-off: the data-owning organisation",
    )
    panel = models.ForeignKey(
        "workflow.Panel",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="tracks",
        help_text="For a panel track: the panel whose members vote",
    )
    state = FSMField(
        max_length=20, choices=TrackState.choices, default=TrackState.OPEN, protected=True
    )
    automatic = models.BooleanField(
        default=False,
        help_text="Decided at once because every dataset fell in a pre-approved category",
    )
    round = models.PositiveIntegerField(default=1)
    superseded = models.BooleanField(default=False)
    version = models.PositiveIntegerField(help_text="The application version under review")
    opened_at = models.DateTimeField(auto_now_add=True)
    due_date = models.DateField(null=True, blank=True)
    target = models.ForeignKey(
        "workflow.StageTarget",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="The version of the target in force when the track opened (its due date)",
    )
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    rationale = models.TextField(blank=True)
    conditions = models.JSONField(default=list, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    closed_at = models.DateTimeField(
        null=True, blank=True, help_text="Closed undecided when the application ended"
    )
    # Who took part in a panel's decision, frozen when the chair closes the vote (members may
    # later leave or change seats): the eligible votes counted and how many were lay members'.
    # The public register says how many lay members took part in each decision.
    votes_counted = models.PositiveSmallIntegerField(null=True, blank=True)
    lay_votes_counted = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["application", "kind", "organisation", "round"]
        constraints = [
            models.CheckConstraint(
                # Decided tracks have a time, an outcome and a decider, except automatic
                # decisions (a pre-approved category), which name no person.
                condition=Q(decided_at__isnull=True, decided_by__isnull=True, outcome="")
                | Q(decided_at__isnull=False, decided_by__isnull=False) & ~Q(outcome="")
                | Q(decided_at__isnull=False, automatic=True) & ~Q(outcome=""),
                name="workflow_track_decision_fields_together",
            ),
            models.CheckConstraint(
                condition=Q(state="closed", closed_at__isnull=False, decided_at__isnull=True)
                | ~Q(state="closed") & Q(closed_at__isnull=True),
                name="workflow_track_closed_at_with_state",
            ),
            models.CheckConstraint(
                condition=Q(kind="owner_signoff", organisation__isnull=False)
                | ~Q(kind="owner_signoff") & Q(organisation__isnull=True),
                name="workflow_track_owner_has_organisation",
            ),
            # One current (not superseded) track per panel, and per owner organisation.
            models.UniqueConstraint(
                fields=["application", "kind"],
                condition=Q(superseded=False, organisation__isnull=True),
                name="workflow_one_current_panel_track",
            ),
            models.UniqueConstraint(
                fields=["application", "organisation"],
                condition=Q(superseded=False, organisation__isnull=False),
                name="workflow_one_current_owner_track",
            ),
        ]
        # The reminder sweep reads only open tracks near or past their due date.
        indexes = [
            models.Index(
                fields=["due_date"],
                condition=Q(state="open", superseded=False),
                name="workflow_track_open_due_idx",
            ),
            # A panel member's applications: every track their panels had, from this index
            # alone (``workflow.route.selectors._whole_sets``).
            models.Index(fields=["panel", "application"], name="workflow_track_panel_app_idx"),
            # The panels' and the owners' queues: open tracks of a panel or organisation,
            # soonest due first, read in this order and stopped at the page.
            models.Index(
                fields=["panel", "due_date", "id"],
                condition=Q(state="open", superseded=False),
                name="workflow_track_panel_queue_idx",
            ),
            models.Index(
                fields=["organisation", "due_date", "id"],
                condition=Q(state="open", superseded=False, kind="owner_signoff"),
                name="workflow_track_owner_queue_idx",
            ),
        ]

    def __str__(self) -> str:
        who = f" ({self.organisation})" if self.organisation_id else ""
        return f"{self.get_kind_display()}{who} for {self.application.reference}"

    @property
    def voting_panel(self) -> Panel:
        """The panel whose members vote on this track: every panel track has one (the panels
        are referred to only once each kind has an active panel); an owner's sign-off none."""
        if self.panel is None:
            raise ValueError(f"Review track {self.pk} is an owner's sign-off: no panel votes on it")
        return self.panel

    @transition(
        state,
        source=TrackState.OPEN,
        target=TrackState.DECIDED,
        event=EventKind.TRACK_DECIDED,
        notify="track.decided",
        role=_decider_role,
    )
    def decide(self) -> None:
        pass

    # Taken by the system when the application ends (withdrawn, rejected, closed) on behalf of
    # whoever ended it (``workflow.reviews.services.review_tracks_close``).
    @transition(
        state,
        source=TrackState.OPEN,
        target=TrackState.CLOSED,
        event=EventKind.TRACK_CLOSED,
        notify="track.closed",
        role=ActorRole.SYSTEM,
        system=True,
    )
    def close(self) -> None:
        pass


# A request for changes carries at most this many points (the composer page's rows), and a
# vote or a decision at most this many conditions; the services refuse more, in the API and on
# the pages alike.
MAX_FEEDBACK_ITEMS = 50
MAX_CONDITIONS = 50


class FeedbackRequest(models.Model):
    """One consolidated request for changes: every point at once."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="feedback_requests"
    )
    stage = models.CharField(max_length=30, choices=FEEDBACK_STAGE_CHOICES)
    round = models.PositiveIntegerField(help_text="1 for the first request for changes, and so on")
    version = models.PositiveIntegerField(help_text="The application version the feedback is on")
    summary = models.TextField(blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "round"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "round"], name="workflow_feedback_round_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Round {self.round} of feedback on application {self.application_id}"


class FeedbackItem(models.Model):
    request = models.ForeignKey(FeedbackRequest, on_delete=models.CASCADE, related_name="items")
    section = models.CharField(max_length=30, choices=Section.choices)
    text = models.TextField()
    response = models.TextField(blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    responded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["request", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(responded_at__isnull=True, responded_by__isnull=True)
                | Q(responded_at__isnull=False, responded_by__isnull=False),
                name="workflow_feedback_response_at_by_together",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_section_display()}: {self.text[:60]}"


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
    "CONSUMER_PANEL",
    "MAX_CONDITIONS",
    "MAX_FEEDBACK_ITEMS",
    "PANEL_KINDS",
    "ConflictOfInterest",
    "DecisionRule",
    "FeedbackItem",
    "FeedbackRequest",
    "Outcome",
    "Panel",
    "PanelMembership",
    "PanelMode",
    "PreApprovedMatch",
    "ReviewTrack",
    "TrackKind",
    "TrackState",
    "Vote",
]
