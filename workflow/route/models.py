"""The access application, its state machine, and the records the SAIL route produces.

State changes happen only in services (``workflow.events.fire``: lock, check policy and
state, transition, save, append the event, raise the notice). The transition methods here only
change fields in memory; each declares, next to itself, the event kind it writes, the notice it
raises and the capacity its actor acts in (``core.transitions.transition``). Who may take each
one is in ``workflow.route.policies``; a test checks every transition has all four.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django_fsm import RETURN_VALUE, ConcurrentTransitionMixin, FSMField

from access.models import Organisation
from catalogue.models import Dataset, Purpose, Variable
from core.errors import ConcurrentChange
from core.transitions import transition


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


# How long the lists of an application may be, in the API and on the pages alike (the services
# refuse more; the API's input serializers say so in the schema and refuse before any lookup).
# Generous for a real project, small enough that one request cannot tie up a web worker: a
# draft with 45,000 team members took 21 s before there was a cap.
MAX_TEAM_MEMBERS = 50
MAX_REQUESTED_DATASETS = 25
MAX_VARIABLES_PER_DATASET = 250
MAX_SCOPED_VARIABLES = MAX_REQUESTED_DATASETS * 40


class ActorRole(models.TextChoices):
    """The capacity in which someone acted, recorded on every event."""

    MEMBER = "member", "Project member"
    ANALYST = "analyst", "Assigned analyst"
    REVIEWER = "reviewer", "Reviewer"
    PANEL_MEMBER = "panel_member", "Panel member"
    PANEL_CHAIR = "panel_chair", "Panel chair"
    DATA_OWNER = "data_owner", "Data owner"
    SIGNATORY = "signatory", "Signatory of the lead organisation"
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
    TRACK_CLOSED = "track_closed", "Review track closed undecided (the application ended)"
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
    CONDITIONS_CLOSED = "conditions_closed", "Open conditions withdrawn (the application ended)"
    AGREEMENT_SIGNED = "agreement_signed", "Data access agreement signed"
    # Public involvement (workflow/involvement)
    PUBLIC_INTEREST_FLAGGED = "public_interest_flagged", "Flagged as of high public interest"
    INVOLVEMENT_REQUIRED = "involvement_required", "Public involvement required"
    INVOLVEMENT_RECORDED = "involvement_recorded", "Public involvement recorded"
    CONSULTATION_REQUESTED = "consultation_requested", "Consumer panel consultation requested"
    CONSULTATION_ANSWERED = "consultation_answered", "Consumer panel feedback given"


class ApplicationQuerySet(models.QuerySet["Application"]):
    def locked(self, application: Application | int) -> Application:
        """Re-read ``application`` under a row lock (inside ``transaction.atomic``): every
        service that changes an application, or anything that belongs to it, starts here, so
        changes to one application are serialised."""
        pk = application.pk if isinstance(application, Application) else application
        try:
            return self.select_for_update().get(pk=pk)
        except self.model.DoesNotExist as exc:  # pragma: no cover - deleted under our feet
            raise ConcurrentChange("The application no longer exists.") from exc


def _scoping_done(application: Application) -> bool:
    return hasattr(application, "scoping") and application.scoping.feasible is True


# An analyst's open scoping work: being scoped, or sent back to the team from scoping (their
# queue, ops's analyst load, the automatic assignment's balance; ``selectors.OPEN_SCOPING``).
OPEN_SCOPING = Q(state=State.SCOPING) | Q(
    state=State.CHANGES_REQUESTED, changes_requested_from=State.SCOPING
)


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
    # Scoping was completed once (a ``scoping_completed`` event exists): reviewers see it from
    # then on. Kept with the event by ``workflow.events.record_event`` so that the reviewers'
    # rule is a column of the row, read in the list's own index order, rather than the
    # application ids of 70,000 events hashed for every list at 100,000 applications
    # (docs/benchmarks.md).
    reached_review = models.BooleanField(default=False, db_default=False, editable=False)

    objects = ApplicationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["analyst", "state"]),
            # The list's order: a page of 50 reads 50 index entries instead of sorting every
            # visible application (docs/benchmarks.md: 40 ms of a 10,000-row list).
            models.Index(fields=["-created_at", "-id"], name="workflow_app_newest_idx"),
            # The open scoping work, by analyst: ops's analyst load and an analyst's queue count
            # it from this index alone (25,000 of 100,000 applications: a heap scan of 40 ms
            # before, 2.4 ms in EXPLAIN ANALYZE).
            models.Index(
                fields=["analyst"], condition=OPEN_SCOPING, name="workflow_app_open_scoping_idx"
            ),
            # The count of a role-scoped list (``workflow.route.selectors``): every column its
            # tests read (the analyst, the id the sets are probed with, the owners' state, the
            # reviewers' column), so the count reads this index alone, not the table: 598
            # buffers instead of 5,345 at 100,000 applications.
            models.Index(
                fields=["analyst", "id", "state", "reached_review"],
                name="workflow_app_visibility_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    # --- its team (prefetched members are used when there) -----------------------------------
    def _members(self) -> list[ApplicationMember]:
        prefetched = getattr(self, "_prefetched_objects_cache", {})
        if "members" in prefetched:
            # The prefetched rows themselves: ``self.members.all()`` would build a queryset
            # each call (a third of the reminder sweep's time per item, docs/benchmarks.md).
            return list(prefetched["members"])
        return list(self.members.select_related("user").order_by("id"))

    def team(self) -> list[Any]:
        """The research team's active people, in the order they were named."""
        return [m.user for m in self._members() if m.user.is_active]

    def team_ids(self) -> set[int]:
        prefetched = getattr(self, "_prefetched_objects_cache", {})
        if "members" in prefetched:
            return {m.user_id for m in prefetched["members"]}
        return set(self.members.values_list("user_id", flat=True))

    def principal_investigator(self) -> Any | None:
        for member in self._members():
            if member.project_role == ProjectRole.PRINCIPAL_INVESTIGATOR:
                return member.user
        return None

    def not_on_team(self, people: Iterable[Any]) -> list[Any]:
        """``people`` minus this application's team (nobody acts on their own application),
        each once, active only."""
        return people_not_on_team(people, self.team_ids())

    # --- transitions: fields in memory only; services do the rest -------------------------
    @transition(
        state,
        source=State.DRAFT,
        target=State.SCOPING,
        event=EventKind.SUBMITTED,
        notify="application.submitted",
        role=ActorRole.MEMBER,
    )
    def submit(self) -> None:
        pass

    @transition(
        state,
        source=list(FEEDBACK_STAGES[:2]),
        target=State.CHANGES_REQUESTED,
        event=EventKind.CHANGES_REQUESTED,
        notify="application.changes_requested",
        role={State.SCOPING: ActorRole.ANALYST, State.INTERNAL_REVIEW: ActorRole.REVIEWER},
    )
    def request_changes(self) -> None:
        self.changes_requested_from = self.state

    @transition(
        state,
        source=State.CHANGES_REQUESTED,
        target=RETURN_VALUE(*FEEDBACK_STAGES),
        event=EventKind.RESUBMITTED,
        notify="application.resubmitted",
        role=ActorRole.MEMBER,
    )
    def resubmit(self) -> str:
        return self.changes_requested_from

    @transition(
        state,
        source=State.SCOPING,
        target=State.INTERNAL_REVIEW,
        conditions=[_scoping_done],
        unmet="Record that the project is feasible before completing scoping.",
        event=EventKind.SCOPING_COMPLETED,
        notify="application.scoping_completed",
        role=ActorRole.ANALYST,
    )
    def complete_scoping(self) -> None:
        pass

    @transition(
        state,
        source=State.INTERNAL_REVIEW,
        target=State.IN_REVIEW,
        event=EventKind.REFERRED,
        notify="application.referred",
        role=ActorRole.REVIEWER,
    )
    def refer_to_panels(self) -> None:
        pass

    @transition(
        state,
        source=State.INTERNAL_REVIEW,
        target=State.REJECTED,
        event=EventKind.REJECTED,
        notify="application.rejected",
        role=ActorRole.REVIEWER,
    )
    def reject(self) -> None:
        pass

    # The combined outcome of the review tracks: taken by the system when the last track is
    # decided, on behalf of whoever decided it (workflow.reviews.services).
    @transition(
        state,
        source=State.IN_REVIEW,
        target=State.APPROVED,
        event=EventKind.APPROVED,
        notify="application.approved",
        role=ActorRole.SYSTEM,
        system=True,
    )
    def approve(self) -> None:
        pass

    @transition(
        state,
        source=State.IN_REVIEW,
        target=State.REJECTED,
        event=EventKind.REJECTED,
        notify="application.rejected",
        role=ActorRole.SYSTEM,
        system=True,
    )
    def decline(self) -> None:
        pass

    @transition(
        state,
        source=State.IN_REVIEW,
        target=State.CHANGES_REQUESTED,
        event=EventKind.REVISION_REQUESTED,
        notify="application.changes_requested",
        role=ActorRole.SYSTEM,
        system=True,
    )
    def request_revision(self) -> None:
        self.changes_requested_from = State.IN_REVIEW

    @transition(
        state,
        source=State.APPROVED,
        target=State.ACTIVE,
        event=EventKind.ACCESS_GRANTED,
        notify="application.access_granted",
        role=ActorRole.OPS,
    )
    def grant_access(self) -> None:
        pass

    @transition(
        state,
        source=State.ACTIVE,
        target=State.SUSPENDED,
        event=EventKind.SUSPENDED,
        notify="application.suspended",
        role=ActorRole.OPS,
    )
    def suspend(self) -> None:
        pass

    @transition(
        state,
        source=State.SUSPENDED,
        target=State.ACTIVE,
        event=EventKind.REINSTATED,
        notify="application.reinstated",
        role=ActorRole.OPS,
    )
    def reinstate(self) -> None:
        pass

    @transition(
        state,
        source=[State.ACTIVE, State.SUSPENDED],
        target=State.CLOSED,
        event=EventKind.CLOSED,
        notify="application.closed",
        role=ActorRole.OPS,
    )
    def close(self) -> None:
        pass

    @transition(
        state,
        source=list(WITHDRAWABLE),
        target=State.WITHDRAWN,
        event=EventKind.WITHDRAWN,
        notify="application.withdrawn",
        role=ActorRole.MEMBER,
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


class TeamInvitation(models.Model):
    """Someone without an account asked onto an application's team by email: shown on the
    team as invited until they sign in (or register) and accept through the signed, expiring
    link sent to that address (``workflow/route/invitations.py``)."""

    class Status(models.TextChoices):
        INVITED = "invited", "Invited"
        ACCEPTED = "accepted", "Accepted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    project_role = models.CharField(max_length=30, choices=ProjectRole.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.INVITED)
    invited_at = models.DateTimeField()
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["invited_at", "id"]
        constraints = [
            models.UniqueConstraint(
                "application",
                Lower("email"),
                condition=Q(status="invited"),
                name="workflow_one_open_invitation_per_email",
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True, accepted_by__isnull=True)
                | Q(accepted_at__isnull=False, accepted_by__isnull=False),
                name="workflow_invitation_accepted_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} invited to {self.application_id} ({self.get_status_display()})"


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
        # A data owner's applications: the requests for their organisations' datasets, read
        # from this index alone (``workflow.route.selectors._owner_ids``), never the table.
        indexes = [
            models.Index(fields=["dataset", "application"], name="workflow_rd_dataset_app_idx")
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


def people_not_on_team(people: Iterable[Any], team_ids: set[int]) -> list[Any]:
    """``people`` minus those whose ids are in ``team_ids``, each once, active only: the rule of
    ``Application.not_on_team``, for an application read as values (the reminder sweep)."""
    seen: dict[int, Any] = {}
    for person in people:
        if person.pk not in team_ids and person.is_active:
            seen.setdefault(person.pk, person)
    return list(seen.values())


class HasTeam(Protocol):
    """What asking who holds a step needs of an application: ``Application`` itself, or the
    reminder sweep's values of one (``workflow.turnaround.reminders.StepParties``)."""

    @property
    def state(self) -> str: ...

    @property
    def analyst(self) -> Any | None: ...

    def team(self) -> list[Any]: ...

    def not_on_team(self, people: Iterable[Any]) -> list[Any]: ...


__all__ = [
    "FEEDBACK_STAGES",
    "FEEDBACK_STAGE_CHOICES",
    "FINAL_STATES",
    "MAX_REQUESTED_DATASETS",
    "MAX_SCOPED_VARIABLES",
    "MAX_TEAM_MEMBERS",
    "MAX_VARIABLES_PER_DATASET",
    "WITHDRAWABLE",
    "ActorRole",
    "Application",
    "ApplicationMember",
    "ApplicationVersion",
    "EventKind",
    "HasTeam",
    "LegalGateway",
    "MeetingMedium",
    "ProjectRole",
    "RequestedDataset",
    "RequestedVariable",
    "Route",
    "Scoping",
    "Section",
    "State",
    "TeamInvitation",
    "people_not_on_team",
]
