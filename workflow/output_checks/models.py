"""Safe outputs: a project's request to take files out of the TRE, checked by two output
checkers who review blind, then agree one decision per file.

An ``OutputRequest`` belongs to an active project and moves through
``draft → submitted → consolidating → released | rejected | changes_requested``; a resubmission
opens a new ``OutputRound`` (``changes_requested → submitted``). In each round exactly two
checkers submit a ``CheckerReview`` without seeing each other's, then one consolidation records a
decision per file. Every change appends one ``OutputEvent`` to the request's hash chain
(``core.audit_chain``), like the application's events.

Not to be confused with ``workflow.transparency.ProjectOutput``: the publications a team lists
on the register entry.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_fsm import ConcurrentTransitionMixin, FSMField

from access.safe_people.models import AppendOnlyEvent
from core.transitions import transition
from workflow.route.models import Application

__all__ = [
    "CheckerReview",
    "Decision",
    "FileKind",
    "OutputEvent",
    "OutputFile",
    "OutputRequest",
    "OutputRequestState",
    "OutputRound",
]


class OutputRequestState(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Awaiting checks"
    CONSOLIDATING = "consolidating", "Checkers agreeing a decision"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    RELEASED = "released", "Released"
    REJECTED = "rejected", "Not released"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    CHANGES = "changes", "Request changes"


class FileKind(models.TextChoices):
    OUTPUT = "output", "Output to release"
    SUPPORTING = "supporting", "Supporting file (never released)"


def _output_path(instance: OutputFile, filename: str) -> str:
    return f"output-checks/{instance.request_id}/{filename}"


class OutputRequest(ConcurrentTransitionMixin, models.Model):
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="output_requests"
    )
    title = models.CharField(max_length=200)
    # The team marks a request public: its released files are listed on the register entry.
    public = models.BooleanField(default=False)
    state = FSMField(
        max_length=20,
        choices=OutputRequestState.choices,
        default=OutputRequestState.DRAFT,
        protected=True,
    )
    round = models.PositiveIntegerField(default=0)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The researcher's ACRO ``results.json``, as read and validated (``acro_results.read``).
    acro_results = models.JSONField(default=dict, blank=True)
    acro_file_name = models.CharField(max_length=200, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    finished_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(finished_at__isnull=True, finished_by__isnull=True)
                | models.Q(finished_at__isnull=False, finished_by__isnull=False),
                name="workflow_output_request_finished_together",
            )
        ]

    def __str__(self) -> str:
        return f"Output request {self.pk}: {self.title}"

    # --- transitions: who may take each is registered in output_checks/policies.py ----------

    @transition(
        state,
        source=OutputRequestState.DRAFT,
        target=OutputRequestState.SUBMITTED,
        event="output.submitted",
        notify="output.submitted",
        role="researcher",
    )
    def submit(self) -> None:
        pass

    @transition(
        state,
        source=OutputRequestState.SUBMITTED,
        target=OutputRequestState.CONSOLIDATING,
        event="output.consolidation_opened",
        notify="output.consolidation_opened",
        role="system",
        system=True,
    )
    def open_consolidation(self) -> None:
        pass

    @transition(
        state,
        source=OutputRequestState.CONSOLIDATING,
        target=OutputRequestState.RELEASED,
        event="output.released",
        notify="output.released",
        role="output_checker",
    )
    def release(self) -> None:
        pass

    @transition(
        state,
        source=OutputRequestState.CONSOLIDATING,
        target=OutputRequestState.REJECTED,
        event="output.rejected",
        notify="output.rejected",
        role="output_checker",
    )
    def reject(self) -> None:
        pass

    @transition(
        state,
        source=OutputRequestState.CONSOLIDATING,
        target=OutputRequestState.CHANGES_REQUESTED,
        event="output.changes_requested",
        notify="output.changes_requested",
        role="output_checker",
    )
    def request_changes(self) -> None:
        pass

    @transition(
        state,
        source=OutputRequestState.CHANGES_REQUESTED,
        target=OutputRequestState.SUBMITTED,
        event="output.resubmitted",
        notify="output.resubmitted",
        role="researcher",
    )
    def resubmit(self) -> None:
        pass


class OutputFile(models.Model):
    """One file of a request. A file changed in answer to a consolidated comment is a new row
    that ``replaces`` the old one (kept, for the record); ``current`` rows are what is checked."""

    request = models.ForeignKey(OutputRequest, on_delete=models.PROTECT, related_name="files")
    kind = models.CharField(max_length=20, choices=FileKind.choices, default=FileKind.OUTPUT)
    description = models.TextField()
    disclosure_notes = models.TextField(blank=True)
    file = models.FileField(upload_to=_output_path, max_length=300)
    name = models.CharField(max_length=150)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    # The automatic checks (``output_checks.checks``): shown to the checkers, never deciding.
    auto_checks = models.JSONField(default=dict, blank=True)
    added_in_round = models.PositiveIntegerField(default=1)
    replaces = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="replaced_by"
    )
    current = models.BooleanField(default=True)
    # The consolidated decision that stands for this file (set by consolidation).
    decision = models.CharField(max_length=20, choices=Decision.choices, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["request", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(released_at__isnull=True)
                | models.Q(kind="output", decision="approve"),
                name="workflow_output_file_released_only_if_approved",
            )
        ]

    def __str__(self) -> str:
        return self.name


class OutputRound(models.Model):
    """One round of checking: two blind reviews, then one consolidated decision per file, then
    (when changes were asked) the team's answers."""

    request = models.ForeignKey(OutputRequest, on_delete=models.PROTECT, related_name="rounds")
    number = models.PositiveIntegerField()
    opened_at = models.DateTimeField()
    # ``{file_id: {"decision": ..., "comment": ...}}``, as agreed by the checkers.
    decisions = models.JSONField(default=dict, blank=True)
    consolidated_at = models.DateTimeField(null=True, blank=True)
    consolidated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # ``{file_id: answer}``: the team's answers to the consolidated comments.
    answers = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["request", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "number"], name="workflow_output_round_once"
            ),
            models.CheckConstraint(
                condition=models.Q(consolidated_at__isnull=True, consolidated_by__isnull=True)
                | models.Q(consolidated_at__isnull=False, consolidated_by__isnull=False),
                name="workflow_output_round_consolidated_together",
            ),
        ]

    def __str__(self) -> str:
        return f"Round {self.number} of output request {self.request_id}"


class CheckerReview(models.Model):
    """One checker's blind verdicts on every file of a round: ``{file_id: {"decision",
    "comment"}}``. Written once, when submitted."""

    round = models.ForeignKey(OutputRound, on_delete=models.PROTECT, related_name="reviews")
    checker = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="output_reviews"
    )
    verdicts = models.JSONField()
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["round", "submitted_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["round", "checker"], name="workflow_output_review_once_per_checker"
            )
        ]

    def __str__(self) -> str:
        return f"{self.checker} on {self.round}"


class OutputEvent(AppendOnlyEvent):
    """The request's chained, sealed history (``core.audit_chain``)."""

    CHAIN = "request"

    request = models.ForeignKey(OutputRequest, on_delete=models.PROTECT, related_name="events")

    class Meta(AppendOnlyEvent.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.transition} of output request {self.request_id}"
