"""Amendments: typed changes to a live project, routed to only the reviewers they affect.

An ``Amendment`` belongs to an active (or suspended) project and carries any combination of
typed changes (``ChangeType``) in ``changes``. When submitted, the route is computed from the
changes, the project's data and the **routing table** (``RouteRule`` rows, which ops read and
change in one place) and frozen on the amendment; only the affected ``AmendmentTrack`` rows
open, in parallel, and their decisions combine into one amendment decision. Changes that need
no review (removals; a member from an organisation already on the project) take effect as soon
as the amendment is submitted. The project stays active throughout.

``draft → in_review → approved | rejected``; ``draft | in_review → withdrawn``. A track is
``open → decided`` (or ``closed`` undecided when its amendment ends another way). Every change
appends one ``AmendmentEvent`` to the amendment's chained, sealed history.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField

from access.models import Organisation
from access.safe_people.models import AppendOnlyEvent
from core.transitions import transition
from workflow.route.models import Application

__all__ = [
    "OPEN_AMENDMENT_STATES",
    "Amendment",
    "AmendmentEvent",
    "AmendmentState",
    "AmendmentTrack",
    "AmendmentTrackState",
    "AmendmentVote",
    "ChangeType",
    "ExtensionLimit",
    "Reviewer",
    "RouteRule",
    "RouteWhen",
    "TrackOutcome",
]


class ChangeType(models.TextChoices):
    ADD_MEMBER = "add_member", "Add a team member"
    REMOVE_MEMBER = "remove_member", "Remove a team member"
    ADD_DATASET = "add_dataset", "Add a dataset"
    ADD_VARIABLES = "add_variables", "Add variables of a dataset already on the project"
    REMOVE_DATASET = "remove_dataset", "Remove a dataset"
    CHANGE_QUESTION = "change_question", "Change the research question or purpose"
    EXTEND_END_DATE = "extend_end_date", "Extend the end date"
    CHANGE_LEAD = "change_lead", "Change the principal investigator or lead organisation"


# Changes that make the project bigger: refused while the lifecycle topic says the project may
# not grow (``workflow.lifecycle.selectors.scope_growth_blocked``).
SCOPE_GROWTH = frozenset(
    {
        ChangeType.ADD_MEMBER,
        ChangeType.ADD_DATASET,
        ChangeType.ADD_VARIABLES,
        ChangeType.CHANGE_QUESTION,
        ChangeType.EXTEND_END_DATE,
    }
)


class Reviewer(models.TextChoices):
    """Where a route rule sends a change. The first two are not review tracks: ``none`` takes
    effect at once, ``safe_people`` is a condition of the new person's own access."""

    NONE = "none", "No review: takes effect at once"
    SAFE_PEOPLE = "safe_people", "The person's safe-people check and their signature"
    ORGANISATION_SIGNATORY = "organisation_signatory", "The organisation's signatory"
    DATA_OWNER = "data_owner", "The dataset owner's sign-off"
    DEA_PANEL = "dea_panel", "The DEA accreditation panel"
    IGRP = "igrp", "The Independent Governance Review Panel (IGRP)"
    OPS = "ops", "Operations"
    ANALYST = "analyst", "The project's analyst (scoping)"


# The reviewers that open a track (the others are explained, never decided).
TRACK_REVIEWERS = (
    Reviewer.ORGANISATION_SIGNATORY,
    Reviewer.DATA_OWNER,
    Reviewer.DEA_PANEL,
    Reviewer.IGRP,
    Reviewer.OPS,
    Reviewer.ANALYST,
)


class RouteWhen(models.TextChoices):
    """When a rule applies: a fixed vocabulary of facts the router knows how to test."""

    ALWAYS = "always", "Always"
    SAME_ORGANISATION = (
        "same_organisation",
        "The person's organisation is already on the project",
    )
    NEW_ORGANISATION = "new_organisation", "The person's organisation is new to the project"
    NOT_PRE_APPROVED = (
        "not_pre_approved",
        "No active pre-approved category of the owner covers the data",
    )
    DEA_GATEWAY = "dea_gateway", "The dataset is shared under the DEA research gateway"
    PROJECT_USES_DEA = "project_uses_dea", "The project uses data shared under the DEA gateway"
    WITHIN_MAXIMUM = "within_maximum", "The new end date is within every owner's maximum"
    BEYOND_MAXIMUM = "beyond_maximum", "The new end date is beyond an owner's maximum"


class RouteRule(models.Model):
    """One row of the routing table: a change of ``change_type`` goes to ``reviewer`` when
    ``when`` holds. Ops read the table on the routing page and change it in the admin; the
    defaults (migration 0023) are the issue's table. ``target_days`` (working days) is the
    stage target of the track the rule opens."""

    change_type = models.CharField(max_length=30, choices=ChangeType.choices)
    reviewer = models.CharField(max_length=30, choices=Reviewer.choices)
    when = models.CharField(max_length=30, choices=RouteWhen.choices, default=RouteWhen.ALWAYS)
    target_days = models.PositiveSmallIntegerField(
        default=10, help_text="Working days the track has to decide (the target per type)"
    )
    active = models.BooleanField(default=True)
    note = models.TextField(blank=True, help_text="Why the rule is there, shown with the route")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["change_type", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["change_type", "reviewer", "when"], name="workflow_route_rule_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_change_type_display()} → {self.get_reviewer_display()} ({self.when})"


class ExtensionLimit(models.Model):
    """A data-providing organisation's maximum project length: an extension past it needs the
    owner's sign-off; within it, ops alone. Organisations without a row have the default."""

    DEFAULT_MONTHS = 60

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="extension_limit"
    )
    longest_project_months = models.PositiveSmallIntegerField(default=DEFAULT_MONTHS)

    def __str__(self) -> str:
        return f"{self.organisation}: {self.longest_project_months} months"


class AmendmentState(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"


OPEN_AMENDMENT_STATES = (AmendmentState.DRAFT, AmendmentState.IN_REVIEW)


class Amendment(ConcurrentTransitionMixin, models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="amendments"
    )
    number = models.PositiveIntegerField(help_text="1 for the project's first amendment")
    state = FSMField(
        max_length=20,
        choices=AmendmentState.choices,
        default=AmendmentState.DRAFT,
        protected=True,
        db_index=True,
    )
    # ``[{"type": ChangeType, ...fields of that type}]``, validated by the services.
    changes = models.JSONField(default=list)
    reason = models.TextField(blank=True, help_text="Why the project needs the change")
    base_version = models.PositiveIntegerField(help_text="The approved version it amends")
    version = models.PositiveIntegerField(
        null=True, blank=True, help_text="The project version the approval made"
    )
    # The route as computed and explained when it was submitted (``routing.explain``).
    route = models.JSONField(default=list, blank=True)
    diff = models.JSONField(default=list, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["application", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="workflow_amendment_number_once"
            ),
            # One amendment open at a time per project: a second would be decided against a
            # version the first is changing (the service answers 409 naming the open one).
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state__in=["draft", "in_review"]),
                name="workflow_one_open_amendment",
            ),
        ]

    def __str__(self) -> str:
        return f"Amendment {self.number} of {self.application.reference}"

    @property
    def types(self) -> list[str]:
        return list(dict.fromkeys(c["type"] for c in self.changes))

    @property
    def summary(self) -> str:
        """The kinds of change, in words."""
        return "; ".join(ChangeType(t).label for t in self.types)

    # --- transitions: who may take each is registered in amendments/policies.py ------------

    @transition(
        state,
        source=AmendmentState.DRAFT,
        target=AmendmentState.IN_REVIEW,
        event="amendment.submitted",
        notify="amendment.submitted",
        role="member",
    )
    def submit(self) -> None:
        pass

    @transition(
        state,
        source=AmendmentState.IN_REVIEW,
        target=AmendmentState.APPROVED,
        event="amendment.approved",
        notify="amendment.approved",
        role="system",
        system=True,
    )
    def approve(self) -> None:
        pass

    @transition(
        state,
        source=AmendmentState.IN_REVIEW,
        target=AmendmentState.REJECTED,
        event="amendment.rejected",
        notify="amendment.rejected",
        role="system",
        system=True,
    )
    def reject(self) -> None:
        pass

    @transition(
        state,
        source=list(OPEN_AMENDMENT_STATES),
        target=AmendmentState.WITHDRAWN,
        event="amendment.withdrawn",
        notify="amendment.withdrawn",
        role="member",
    )
    def withdraw(self) -> None:
        pass


class AmendmentTrackState(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"
    CLOSED = "closed", "Closed undecided"


class TrackOutcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class AmendmentTrack(ConcurrentTransitionMixin, models.Model):
    """One reviewer's part in an amendment: a panel (its chair decides), an organisation's
    data owner or signatory, or ops."""

    amendment = models.ForeignKey(Amendment, on_delete=models.PROTECT, related_name="tracks")
    reviewer = models.CharField(max_length=30, choices=Reviewer.choices)
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Why it opened: the changes and rules that sent the amendment here, in words.
    reasons = models.JSONField(default=list)
    state = FSMField(
        max_length=20,
        choices=AmendmentTrackState.choices,
        default=AmendmentTrackState.OPEN,
        protected=True,
    )
    opened_at = models.DateTimeField()
    due_date = models.DateField()
    outcome = models.CharField(max_length=20, choices=TrackOutcome.choices, blank=True)
    rationale = models.TextField(blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["amendment", "id"]
        constraints = [
            # One track per reviewer and organisation, and one per reviewer without one: two
            # partial constraints rather than one with NULLs not distinct, which SQLite (the
            # zero-setup run) cannot hold.
            models.UniqueConstraint(
                fields=["amendment", "reviewer", "organisation"],
                condition=Q(organisation__isnull=False),
                name="workflow_amendment_track_once",
            ),
            models.UniqueConstraint(
                fields=["amendment", "reviewer"],
                condition=Q(organisation__isnull=True),
                name="workflow_amendment_track_once_no_org",
            ),
            models.CheckConstraint(
                condition=Q(decided_at__isnull=True, decided_by__isnull=True)
                | Q(decided_at__isnull=False, decided_by__isnull=False),
                name="workflow_amendment_track_decided_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} on amendment {self.amendment_id}"

    @property
    def name(self) -> str:
        if self.organisation_id is not None:
            return f"{self.get_reviewer_display()}: {self.organisation}"
        return self.get_reviewer_display()

    @transition(
        state,
        source=AmendmentTrackState.OPEN,
        target=AmendmentTrackState.DECIDED,
        event="amendment.track_decided",
        notify="amendment.track_decided",
        role="reviewer",
    )
    def decide(self) -> None:
        pass

    @transition(
        state,
        source=AmendmentTrackState.OPEN,
        target=AmendmentTrackState.CLOSED,
        event="amendment.track_closed",
        notify="",
        role="system",
        system=True,
    )
    def close(self) -> None:
        pass


class AmendmentVote(models.Model):
    """A panel member's vote on a panel track of an amendment; the chair records the track's
    decision once the panel's quorum (and its independent votes) are in."""

    track = models.ForeignKey(AmendmentTrack, on_delete=models.PROTECT, related_name="votes")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    choice = models.CharField(max_length=20, choices=TrackOutcome.choices)
    rationale = models.TextField(blank=True)
    cast_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["track", "cast_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["track", "member"], name="workflow_amendment_vote_once")
        ]

    def __str__(self) -> str:
        return f"{self.member} on {self.track}: {self.choice}"


class AmendmentEvent(AppendOnlyEvent):
    """The amendment's chained, sealed history (``core.audit_chain``)."""

    CHAIN = "amendment"

    amendment = models.ForeignKey(Amendment, on_delete=models.PROTECT, related_name="events")
    payload = models.JSONField(default=dict, blank=True)

    class Meta(AppendOnlyEvent.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.transition} of amendment {self.amendment_id}"

    def chain_content(self) -> dict:
        """Every field, the payload (what changed, the route) included."""
        return {**super().chain_content(), "payload": self.payload}
