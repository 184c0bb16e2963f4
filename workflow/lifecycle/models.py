"""A project's life after access: annual progress reports and closure with the attestation that
the data were destroyed (issue 20, part B).

* ``LifecycleSettings``: one row ops read and change (the admin, and /ops/lifecycle/): how often a
  report falls due, its grace period, the reminder days, who accepts reports (ops or the IGRP).
* ``ProgressReport``: due on each anniversary of access, ``due → submitted → accepted`` or
  ``submitted → more_requested → submitted`` (a consolidated round: every point at once). A
  report overdue past the grace period suspends the project (the sweep, ``services``); accepting
  it reinstates.
* ``Closure``: the close-out form, ``draft → submitted → countersigned`` (or ``submitted →
  returned → submitted``): the outputs and the attestation that every copy outside the TRE is
  destroyed, countersigned by the lead organisation's signatory; the project then closes.

Each report and closure keeps its own chained, sealed history (``core.audit_chain``); the
project's own state changes (suspended, reinstated, closed) are events of the application.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, RegexValidator
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField

from access.safe_people.models import AppendOnlyEvent
from core.transitions import transition
from workflow.route.models import Application

__all__ = [
    "Acceptor",
    "Closure",
    "ClosureEvent",
    "ClosureState",
    "LifecycleSettings",
    "ProgressReport",
    "ReportEvent",
    "ReportRound",
    "ReportState",
]


class Acceptor(models.TextChoices):
    OPS = "ops", "Operations"
    IGRP = "igrp", "The Independent Governance Review Panel"


DAYS = RegexValidator(
    r"^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$",
    "Enter days as numbers separated by commas, like 30,14,1.",
)


def _days(text: str) -> list[int]:
    return sorted({int(p) for p in text.replace(" ", "").split(",") if p.isdigit()}, reverse=True)


class LifecycleSettings(models.Model):
    """The schedule of progress reports and renewals: a single row (pk 1); until ops first
    change it, ``LifecycleSettings.current()`` answers the defaults without writing anything."""

    report_period_months = models.PositiveSmallIntegerField(
        "months between progress reports",
        default=12,
        validators=[MaxValueValidator(365)],
        help_text="A report falls due on each such anniversary of the day access was granted.",
    )
    grace_days = models.PositiveSmallIntegerField(
        "grace period (days)",
        default=30,
        validators=[MaxValueValidator(365)],
        help_text="A report still not accepted this many days after its due date suspends access.",
    )
    report_reminder_days = models.CharField(
        "report reminders (days before due)",
        max_length=50,
        default="30,14,1",
        validators=[DAYS],
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        "escalate to ops (days after due)", default=1, validators=[MaxValueValidator(365)]
    )
    renewal_reminder_days = models.CharField(
        "renewal reminders (days before the grants end)",
        max_length=50,
        default="90,30,14",
        validators=[DAYS],
    )
    accepted_by = models.CharField(
        "who accepts progress reports",
        max_length=10,
        choices=Acceptor.choices,
        default=Acceptor.OPS,
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = "progress report and renewal settings"
        verbose_name_plural = "progress report and renewal settings"
        constraints = [
            models.CheckConstraint(condition=models.Q(pk=1), name="workflow_lifecycle_one_row"),
            models.CheckConstraint(
                condition=models.Q(report_period_months__gte=1),
                name="workflow_lifecycle_period_positive",
            ),
        ]

    def __str__(self) -> str:
        return "Progress report and renewal settings"

    @classmethod
    def current(cls) -> LifecycleSettings:
        return cls.objects.filter(pk=1).first() or cls(pk=1)

    def report_days(self) -> list[int]:
        return _days(self.report_reminder_days)

    def renewal_days(self) -> list[int]:
        return _days(self.renewal_reminder_days)


class ReportState(models.TextChoices):
    DUE = "due", "Due"
    SUBMITTED = "submitted", "Submitted, awaiting a decision"
    MORE_REQUESTED = "more_requested", "More information asked"
    ACCEPTED = "accepted", "Accepted"


class ProgressReport(ConcurrentTransitionMixin, models.Model):
    """One annual report of a project: the ``number``-th, due on ``due_on``."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="progress_reports"
    )
    number = models.PositiveSmallIntegerField()
    due_on = models.DateField(db_index=True)
    state = FSMField(
        max_length=20, choices=ReportState.choices, default=ReportState.DUE, protected=True
    )
    # What the team reports (the latest answers; each round keeps what was submitted then).
    outputs = models.TextField("outputs and publications", blank=True)
    team_changes = models.TextField("changes to the team", blank=True)
    incidents = models.TextField("incidents or breaches", blank=True)
    data_still_needed = models.BooleanField(null=True, blank=True)
    round = models.PositiveSmallIntegerField(default=0)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Set when this report's lateness suspended the project (accepting it then reinstates).
    suspended_project = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "number"], name="workflow_progress_report_once"
            )
        ]

    def __str__(self) -> str:
        return f"Progress report {self.number} of {self.application.reference}"

    # --- transitions: who may take each is registered in lifecycle/policies.py ---------------

    @transition(
        state,
        source=ReportState.DUE,
        target=ReportState.SUBMITTED,
        event="report.submitted",
        notify="report.submitted",
        role="member",
    )
    def submit(self) -> None:
        pass

    @transition(
        state,
        source=ReportState.SUBMITTED,
        target=ReportState.MORE_REQUESTED,
        event="report.more_requested",
        notify="report.more_requested",
        role="report_acceptor",
    )
    def request_more(self) -> None:
        pass

    @transition(
        state,
        source=ReportState.MORE_REQUESTED,
        target=ReportState.SUBMITTED,
        event="report.resubmitted",
        notify="report.resubmitted",
        role="member",
    )
    def resubmit(self) -> None:
        pass

    @transition(
        state,
        source=ReportState.SUBMITTED,
        target=ReportState.ACCEPTED,
        event="report.accepted",
        notify="report.accepted",
        role="report_acceptor",
    )
    def accept(self) -> None:
        pass


class ReportRound(models.Model):
    """One submission of a report and its answer: the answers as submitted, then either the
    acceptance or the consolidated points asking for more (every point at once)."""

    report = models.ForeignKey(ProgressReport, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveSmallIntegerField()
    answers = models.JSONField(default=dict)
    submitted_at = models.DateTimeField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    points = models.JSONField(default=list, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["report", "number"]
        constraints = [
            models.UniqueConstraint(fields=["report", "number"], name="workflow_report_round_once")
        ]

    def __str__(self) -> str:
        return f"Round {self.number} of {self.report}"


class ClosureState(models.TextChoices):
    DRAFT = "draft", "Close-out form to complete"
    SUBMITTED = "submitted", "Awaiting the signatory's countersignature"
    RETURNED = "returned", "Returned by the signatory"
    COUNTERSIGNED = "countersigned", "Countersigned: project closed"


class Closure(ConcurrentTransitionMixin, models.Model):
    """A project's close-out: what it produced and the attestation that every copy of the data
    outside the TRE was destroyed, countersigned by the lead organisation's signatory."""

    class Reason(models.TextChoices):
        PI = "pi", "The principal investigator closed the project"
        ENDED = "ended", "The project reached its end date"

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="closure"
    )
    reason = models.CharField(max_length=10, choices=Reason.choices)
    state = FSMField(
        max_length=20, choices=ClosureState.choices, default=ClosureState.DRAFT, protected=True
    )
    outputs = models.TextField("outputs of the project", blank=True)
    destruction_attested = models.BooleanField(default=False)
    destruction_details = models.TextField("how and when the copies were destroyed", blank=True)
    destroyed_on = models.DateField(null=True, blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    return_reason = models.TextField(blank=True)
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["-started_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(state="countersigned")
                | models.Q(destruction_attested=True, countersigned_by__isnull=False),
                name="workflow_closure_countersigned_only_attested",
            )
        ]

    def __str__(self) -> str:
        return f"Close-out of {self.application.reference}"

    @transition(
        state,
        source=ClosureState.DRAFT,
        target=ClosureState.SUBMITTED,
        event="closure.submitted",
        notify="closure.submitted",
        role="principal_investigator",
    )
    def submit(self) -> None:
        pass

    @transition(
        state,
        source=ClosureState.SUBMITTED,
        target=ClosureState.RETURNED,
        event="closure.returned",
        notify="closure.returned",
        role="signatory",
    )
    def send_back(self) -> None:
        pass

    @transition(
        state,
        source=ClosureState.RETURNED,
        target=ClosureState.SUBMITTED,
        event="closure.resubmitted",
        notify="closure.submitted",
        role="principal_investigator",
    )
    def resubmit(self) -> None:
        pass

    @transition(
        state,
        source=ClosureState.SUBMITTED,
        target=ClosureState.COUNTERSIGNED,
        event="closure.countersigned",
        notify="closure.countersigned",
        role="signatory",
    )
    def countersign(self) -> None:
        pass


class ReportEvent(AppendOnlyEvent):
    """A progress report's chained, sealed history."""

    CHAIN = "report"

    report = models.ForeignKey(ProgressReport, on_delete=models.PROTECT, related_name="events")

    class Meta(AppendOnlyEvent.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.transition} of report {self.report_id}"


class ClosureEvent(AppendOnlyEvent):
    """A close-out's chained, sealed history."""

    CHAIN = "closure"

    closure = models.ForeignKey(Closure, on_delete=models.PROTECT, related_name="events")

    class Meta(AppendOnlyEvent.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.transition} of close-out {self.closure_id}"
