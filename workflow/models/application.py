"""The access application, its state machine, and the records the SAIL route produces.

State changes happen only in ``workflow.services`` (lock, check policy and state, transition,
save, append the event, schedule side effects on commit). The transition methods here only
change fields in memory; each declares, next to itself, the event kind it writes, the
notification it sends and which actors may take it (``custom``), and a test checks that every
transition has all three.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField, transition

from access.models import Organisation
from access.policy import Permission, has_permission
from catalogue.models import Dataset, Purpose, Variable


class State(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCOPING = "scoping", "Scoping with an analyst"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    INTERNAL_REVIEW = "internal_review", "Internal review"
    IN_REVIEW = "in_review", "Panel and owner review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    WITHDRAWN = "withdrawn", "Withdrawn"
    ACTIVE = "active", "Access granted"
    SUSPENDED = "suspended", "Suspended"
    CLOSED = "closed", "Closed"


# The stages a request for changes can come from, and so the states resubmission returns to.
FEEDBACK_STAGES = (State.SCOPING, State.INTERNAL_REVIEW, State.IN_REVIEW)
# Before a final decision an application can be withdrawn by its team.
WITHDRAWABLE = (
    State.DRAFT,
    State.SCOPING,
    State.CHANGES_REQUESTED,
    State.INTERNAL_REVIEW,
    State.IN_REVIEW,
)
FINAL_STATES = (State.REJECTED, State.WITHDRAWN, State.CLOSED)
FEEDBACK_STAGE_CHOICES = [(s.value, s.label) for s in FEEDBACK_STAGES]

# Who holds the next step in each state (for reminders, work queues and the docs).
STATE_OWNER = {
    State.DRAFT: "researcher",
    State.SCOPING: "analyst",
    State.CHANGES_REQUESTED: "researcher",
    State.INTERNAL_REVIEW: "reviewer",
    State.IN_REVIEW: "panel members and data owners",
    State.APPROVED: "ops",
    State.ACTIVE: "researcher",
    State.SUSPENDED: "ops",
    State.REJECTED: "nobody (final)",
    State.WITHDRAWN: "nobody (final)",
    State.CLOSED: "nobody (final)",
}


class Route(models.TextChoices):
    STANDARD = "standard", "Standard project"
    EXPLORATORY = "exploratory", "DEA exploratory project (time-boxed feasibility)"


class ProjectRole(models.TextChoices):
    PRINCIPAL_INVESTIGATOR = "principal_investigator", "Principal investigator"
    CO_INVESTIGATOR = "co_investigator", "Co-investigator"
    RESEARCHER = "researcher", "Researcher"
    STUDENT = "student", "Student"


class LegalGateway(models.TextChoices):
    """The legal route by which a dataset is shared for this project."""

    PUBLIC_TASK = "public_task", "Public task (UK GDPR Art 6(1)(e)) with Art 9 research condition"
    CONSENT = "consent", "Consent of the data subjects"
    SECTION_251 = "section_251", "Section 251 support (Confidentiality Advisory Group)"
    DEA_RESEARCH = "dea_research", "Digital Economy Act 2017 research power (s.64)"
    STATISTICS_ACT = "statistics_act", "Statistics and Registration Service Act 2007"


class Section(models.TextChoices):
    """Sections of the application a feedback item can point at."""

    SUMMARY = "summary", "Title and lay summary"
    RESEARCH_QUESTION = "research_question", "Research question"
    PUBLIC_BENEFIT = "public_benefit", "Public benefit"
    PURPOSE = "purpose", "Purpose and route"
    DATES = "dates", "Dates and funding"
    TEAM = "team", "Team"
    DATA = "data", "Datasets and variables"
    SCOPING = "scoping", "Scoping"
    GENERAL = "general", "General"


class ActorRole(models.TextChoices):
    """The capacity in which someone acted, recorded on every event."""

    MEMBER = "member", "Project member"
    ANALYST = "analyst", "Assigned analyst"
    REVIEWER = "reviewer", "Reviewer"
    PANEL_MEMBER = "panel_member", "Panel member"
    PANEL_CHAIR = "panel_chair", "Panel chair"
    DATA_OWNER = "data_owner", "Data owner"
    OPS = "ops", "Operations"
    SYSTEM = "system", "System"


class EventKind(models.TextChoices):
    CREATED = "created", "Application created"
    EDITED = "edited", "Application edited"
    SUBMITTED = "submitted", "Submitted"
    ANALYST_ASSIGNED = "analyst_assigned", "Analyst assigned"
    SCOPING_UPDATED = "scoping_updated", "Scoping updated"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    FEEDBACK_ANSWERED = "feedback_answered", "Feedback answered"
    RESUBMITTED = "resubmitted", "Resubmitted"
    SCOPING_COMPLETED = "scoping_completed", "Scoping completed"
    REFERRED = "referred", "Referred to panels and owners"
    TRACK_DECIDED = "track_decided", "Review track decided"
    TRACK_REOPENED = "track_reopened", "Review track reopened"
    VOTE_CAST = "vote_cast", "Vote cast"
    VOTE_CHANGED = "vote_changed", "Vote changed"
    CONFLICT_DECLARED = "conflict_declared", "Conflict of interest declared"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    REVISION_REQUESTED = "revision_requested", "Revision requested by the panels"
    WITHDRAWN = "withdrawn", "Withdrawn"
    ACCESS_GRANTED = "access_granted", "Access granted"
    SUSPENDED = "suspended", "Suspended"
    REINSTATED = "reinstated", "Reinstated"
    CLOSED = "closed", "Closed"
    # The Five Safes, conditions and the agreement (workflow/models/safes.py, conditions.py)
    SAFEGUARDS_UPDATED = "safeguards_updated", "Safeguards updated"
    FIVE_SAFES_CHECKED = "five_safes_checked", "Five Safes checks recorded"
    SAFE_VERDICT = "safe_verdict", "Five Safes verdict recorded"
    PUBLIC_BENEFIT_UPDATED = "public_benefit_updated", "Public-benefit assessment updated"
    PUBLIC_BENEFIT_SCORED = "public_benefit_scored", "Public benefit scored by a panel member"
    CONDITIONS_SET = "conditions_set", "Conditions set"
    CONDITION_UPDATED = "condition_updated", "Condition terms changed"
    CONDITION_EVIDENCE = "condition_evidence", "Evidence given for a condition"
    CONDITION_VERIFIED = "condition_verified", "Condition verified as met"
    AGREEMENT_SIGNED = "agreement_signed", "Data access agreement signed"


PermissionSpec = Permission | dict[str, Permission] | tuple[Permission, ...] | None


def declares(*, event: str, notify: str, permission: PermissionSpec) -> dict:
    """What a transition declares beside itself: the event it writes, the notification kind it
    sends, and the permission its actor needs. ``permission`` is one permission, a mapping from
    the source state to the permission (one transition, different stages), a tuple of which any
    one suffices, or ``None``: only the system takes it (the combined outcome of the tracks).
    """

    def may(instance, user) -> bool:
        if permission is None:
            return False
        if isinstance(permission, dict):
            needed = permission.get(instance.state)
            if needed is not None:
                return has_permission(user, needed, instance)
            # Outside its stages the state machine refuses the transition anyway: whoever may
            # take it at some stage is told the state is wrong (409), not that they may not (403).
            return any(has_permission(user, p, instance) for p in permission.values())
        if isinstance(permission, tuple):
            return any(has_permission(user, p, instance) for p in permission)
        return has_permission(user, permission, instance)

    return {
        "permission": may,
        "custom": {"event": event, "notify": notify, "permission": permission, "may": may},
    }


def _scoping_done(application: Application) -> bool:
    return hasattr(application, "scoping") and application.scoping.feasible is True


class Application(ConcurrentTransitionMixin, models.Model):
    reference = models.CharField(max_length=20, unique=True, null=True, editable=False)
    title = models.CharField(max_length=250)
    lay_summary = models.TextField(blank=True)
    research_question = models.TextField(blank=True)
    public_benefit = models.TextField("public-benefit statement", blank=True)
    purpose = models.CharField(max_length=40, choices=Purpose.choices, blank=True)
    route = models.CharField(max_length=20, choices=Route.choices, default=Route.STANDARD)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    funder = models.CharField(max_length=200, blank=True)
    lead_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    state = FSMField(
        max_length=30, choices=State.choices, default=State.DRAFT, protected=True, db_index=True
    )
    # The stage that asked for changes; resubmission returns there.
    changes_requested_from = models.CharField(
        max_length=30, choices=FEEDBACK_STAGE_CHOICES, blank=True
    )
    analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="analysed_applications",
    )
    current_version = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["analyst", "state"]),
            # The list's order: a page of 50 reads 50 index entries instead of sorting every
            # visible application (docs/benchmarks.md: 40 ms of a 10,000-row list).
            models.Index(fields=["-created_at", "-id"], name="workflow_app_newest_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    # --- transitions: fields in memory only; services do the rest -------------------------
    @transition(
        state,
        source=State.DRAFT,
        target=State.SCOPING,
        **declares(
            event=EventKind.SUBMITTED,
            notify="application.submitted",
            permission=Permission.APPLICATION_SUBMIT,
        ),
    )
    def submit(self) -> None:
        pass

    @transition(
        state,
        source=list(FEEDBACK_STAGES[:2]),
        target=State.CHANGES_REQUESTED,
        **declares(
            event=EventKind.CHANGES_REQUESTED,
            notify="application.changes_requested",
            permission={
                State.SCOPING: Permission.SCOPING_DECIDE,
                State.INTERNAL_REVIEW: Permission.INTERNAL_REVIEW_DECIDE,
            },
        ),
    )
    def request_changes(self) -> None:
        self.changes_requested_from = self.state

    @transition(
        state,
        source=State.CHANGES_REQUESTED,
        target=RETURN_VALUE(*FEEDBACK_STAGES),
        **declares(
            event=EventKind.RESUBMITTED,
            notify="application.resubmitted",
            permission=Permission.APPLICATION_SUBMIT,
        ),
    )
    def resubmit(self) -> str:
        return self.changes_requested_from

    @transition(
        state,
        source=State.SCOPING,
        target=State.INTERNAL_REVIEW,
        conditions=[_scoping_done],
        **declares(
            event=EventKind.SCOPING_COMPLETED,
            notify="application.scoping_completed",
            permission=Permission.SCOPING_DECIDE,
        ),
    )
    def complete_scoping(self) -> None:
        pass

    @transition(
        state,
        source=State.INTERNAL_REVIEW,
        target=State.IN_REVIEW,
        **declares(
            event=EventKind.REFERRED,
            notify="application.referred",
            permission=Permission.INTERNAL_REVIEW_DECIDE,
        ),
    )
    def refer_to_panels(self) -> None:
        pass

    @transition(
        state,
        source=State.INTERNAL_REVIEW,
        target=State.REJECTED,
        **declares(
            event=EventKind.REJECTED,
            notify="application.rejected",
            permission=Permission.INTERNAL_REVIEW_DECIDE,
        ),
    )
    def reject(self) -> None:
        pass

    # The combined outcome of the review tracks: taken by the system when the last track is
    # decided, on behalf of whoever decided it.
    @transition(
        state,
        source=State.IN_REVIEW,
        target=State.APPROVED,
        **declares(event=EventKind.APPROVED, notify="application.approved", permission=None),
    )
    def approve(self) -> None:
        pass

    @transition(
        state,
        source=State.IN_REVIEW,
        target=State.REJECTED,
        **declares(event=EventKind.REJECTED, notify="application.rejected", permission=None),
    )
    def decline(self) -> None:
        pass

    @transition(
        state,
        source=State.IN_REVIEW,
        target=State.CHANGES_REQUESTED,
        **declares(
            event=EventKind.REVISION_REQUESTED,
            notify="application.changes_requested",
            permission=None,
        ),
    )
    def request_revision(self) -> None:
        self.changes_requested_from = State.IN_REVIEW

    @transition(
        state,
        source=State.APPROVED,
        target=State.ACTIVE,
        **declares(
            event=EventKind.ACCESS_GRANTED,
            notify="application.access_granted",
            permission=Permission.ACCESS_MANAGE,
        ),
    )
    def grant_access(self) -> None:
        pass

    @transition(
        state,
        source=State.ACTIVE,
        target=State.SUSPENDED,
        **declares(
            event=EventKind.SUSPENDED,
            notify="application.suspended",
            permission=Permission.ACCESS_MANAGE,
        ),
    )
    def suspend(self) -> None:
        pass

    @transition(
        state,
        source=State.SUSPENDED,
        target=State.ACTIVE,
        **declares(
            event=EventKind.REINSTATED,
            notify="application.reinstated",
            permission=Permission.ACCESS_MANAGE,
        ),
    )
    def reinstate(self) -> None:
        pass

    @transition(
        state,
        source=[State.ACTIVE, State.SUSPENDED],
        target=State.CLOSED,
        **declares(
            event=EventKind.CLOSED, notify="application.closed", permission=Permission.ACCESS_MANAGE
        ),
    )
    def close(self) -> None:
        pass

    @transition(
        state,
        source=list(WITHDRAWABLE),
        target=State.WITHDRAWN,
        **declares(
            event=EventKind.WITHDRAWN,
            notify="application.withdrawn",
            permission=Permission.APPLICATION_WITHDRAW,
        ),
    )
    def withdraw(self) -> None:
        pass


class ApplicationMember(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="members")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="project_memberships"
    )
    project_role = models.CharField(max_length=30, choices=ProjectRole.choices)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "user"], name="workflow_member_once"),
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(project_role="principal_investigator"),
                name="workflow_one_principal_investigator",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_project_role_display()})"


class RequestedDataset(models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="requested_datasets"
    )
    dataset = models.ForeignKey(Dataset, on_delete=models.PROTECT, related_name="+")
    legal_gateway = models.CharField(max_length=30, choices=LegalGateway.choices)
    justification = models.TextField(
        blank=True, help_text="Why the project needs this dataset (covers its ordinary variables)"
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "dataset"], name="workflow_dataset_once_per_application"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dataset} via {self.get_legal_gateway_display()}"


class RequestedVariable(models.Model):
    requested_dataset = models.ForeignKey(
        RequestedDataset, on_delete=models.CASCADE, related_name="variables"
    )
    variable = models.ForeignKey(Variable, on_delete=models.PROTECT, related_name="+")
    justification = models.TextField(blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["requested_dataset", "variable"], name="workflow_variable_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.variable} for application {self.requested_dataset.application_id}"


class MeetingMedium(models.TextChoices):
    VIDEO = "video", "Video call"
    PHONE = "phone", "Telephone"
    IN_PERSON = "in_person", "In person"


class Scoping(models.Model):
    """The one record the analyst and the researcher work on during scoping.

    No questions about statistical methods: scoping is about data, feasibility and support.
    """

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="scoping"
    )
    scoped_variables = models.ManyToManyField(
        Variable,
        blank=True,
        related_name="+",
        help_text="The variables agreed in scoping; the request must stay within them",
    )
    refined_research_question = models.TextField(blank=True)
    linkage_needs = models.TextField(blank=True)
    feasibility_notes = models.TextField(blank=True)
    feasible = models.BooleanField(
        null=True, help_text="The analyst's judgement: can the data answer it?"
    )
    support_needed = models.TextField(blank=True)
    meeting_offered_at = models.DateTimeField(null=True, blank=True)
    meeting_medium = models.CharField(max_length=20, choices=MeetingMedium.choices, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Scoping of application {self.application_id}"


class ApplicationVersion(models.Model):
    """The application's content frozen at a submission or resubmission."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    content = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="workflow_version_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Version {self.number} of application {self.application_id}"


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


class TrackKind(models.TextChoices):
    IGRP = "igrp", "Independent Governance Review Panel"
    DEA_PANEL = "dea_panel", "DEA accreditation panel"
    OWNER_SIGNOFF = "owner_signoff", "Data owner sign-off"


class TrackState(models.TextChoices):
    OPEN = "open", "Open"
    DECIDED = "decided", "Decided"


class Outcome(models.TextChoices):
    APPROVED = "approved", "Approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions", "Approved with conditions"
    REVISE_AND_RESUBMIT = "revise_and_resubmit", "Revise and resubmit"
    REJECTED = "rejected", "Rejected"


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
    outcome = models.CharField(max_length=30, choices=Outcome.choices, blank=True)
    rationale = models.TextField(blank=True)
    conditions = models.JSONField(default=list, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

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
            )
        ]

    def __str__(self) -> str:
        who = f" ({self.organisation})" if self.organisation_id else ""
        return f"{self.get_kind_display()}{who} for {self.application.reference}"

    @transition(
        state,
        source=TrackState.OPEN,
        target=TrackState.DECIDED,
        **declares(
            event=EventKind.TRACK_DECIDED,
            notify="track.decided",
            permission=(Permission.PANEL_TRACK_DECIDE, Permission.OWNER_TRACK_DECIDE),
        ),
    )
    def decide(self) -> None:
        pass


class EventQuerySet(models.QuerySet["Event"]):
    """Append-only: the queryset refuses bulk updates and deletes."""

    def update(self, **kwargs):
        raise TypeError("Events are append-only: they cannot be updated")

    def delete(self):
        raise TypeError("Events are append-only: they cannot be deleted")

    _raw_delete = delete  # type: ignore[assignment]


class Event(models.Model):
    """The audit trail: one row per thing that happened to an application.

    Written in the same transaction as the change it records. Immutable in code (save refuses
    an update, delete refuses) and, on PostgreSQL, by a trigger that refuses UPDATE and DELETE.
    Turnaround, the timeline and the register are derived from it.
    """

    application = models.ForeignKey(Application, on_delete=models.PROTECT, related_name="events")
    track = models.ForeignKey(
        ReviewTrack, on_delete=models.PROTECT, null=True, blank=True, related_name="events"
    )
    kind = models.CharField(max_length=30, choices=EventKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    actor_name = models.CharField(max_length=200)
    actor_role = models.CharField(max_length=20, choices=ActorRole.choices)
    transition = models.CharField(max_length=40, blank=True)
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    reason = models.TextField(blank=True)
    payload = models.JSONField(default=dict, blank=True)
    version = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)
    # Tamper evidence (workflow/audit.py): the SHA-256 of this event's content and of
    # ``prev_hash``, the hash of the application's previous event ("" for its first).
    # The database default keeps a hand-written INSERT possible (the trigger allows INSERT); its
    # empty hashes then break the chain, which is the point.
    prev_hash = models.CharField(
        max_length=64, blank=True, default="", db_default="", editable=False
    )
    hash = models.CharField(max_length=64, blank=True, default="", db_default="", editable=False)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["application", "created_at"])]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.get_kind_display()} by {self.actor_name}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("Events are append-only: they cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Events are append-only: they cannot be deleted")


__all__ = [
    "FEEDBACK_STAGES",
    "FEEDBACK_STAGE_CHOICES",
    "FINAL_STATES",
    "STATE_OWNER",
    "WITHDRAWABLE",
    "ActorRole",
    "Application",
    "ApplicationMember",
    "ApplicationVersion",
    "Event",
    "EventKind",
    "EventQuerySet",
    "FeedbackItem",
    "FeedbackRequest",
    "LegalGateway",
    "MeetingMedium",
    "Outcome",
    "PermissionSpec",
    "ProjectRole",
    "RequestedDataset",
    "RequestedVariable",
    "ReviewTrack",
    "Route",
    "Scoping",
    "Section",
    "State",
    "TrackKind",
    "TrackState",
    "declares",
]
