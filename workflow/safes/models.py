"""The Five Safes assessment and the public-benefit assessment of an application.

* ``ApplicationSafeguards``: what the team declares that the checks read and the application
  itself does not hold: ethics approval, intended outputs, the disclosure-control rules
  acknowledged, access inside the TRE only. Edited by members while the application is editable.
* ``FiveSafesRun`` and ``FiveSafesCheckResult``: the automated checks (``workflow/safes.py``) as
  they stood when a gate ran (refer to panels, grant access), kept for the audit trail.
* ``SafeVerdict``: a reviewer's judgement on each safe (met, met with conditions, not met).
* ``PublicBenefitAssessment``, ``PublicBenefitRisk``, ``PublicBenefitScore``: the advisory
  public-benefit framework (``workflow/public_benefit.py`` holds its questions).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField, transition

from workflow.reviews.models import ReviewTrack
from workflow.route.models import Application


class Safe(models.TextChoices):
    PEOPLE = "people", "Safe people"
    PROJECTS = "projects", "Safe projects"
    SETTINGS = "settings", "Safe settings"
    DATA = "data", "Safe data"
    OUTPUTS = "outputs", "Safe outputs"


class CheckOutcome(models.TextChoices):
    PASS = "pass", "Pass"
    WARN = "warn", "Warning"
    FAIL = "fail", "Fail"
    PENDING = "pending", "Pending"


class Verdict(models.TextChoices):
    MET = "met", "Met"
    MET_WITH_CONDITIONS = "met_with_conditions", "Met with conditions"
    NOT_MET = "not_met", "Not met"


class Gate(models.TextChoices):
    REFER_TO_PANELS = "refer_to_panels", "Referral to the panels"
    GRANT_ACCESS = "grant_access", "Granting access"


class ApplicationSafeguards(models.Model):
    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="safeguards"
    )
    # Safe projects: formal ethical review (required on some routes: see
    # workflow.five_safes_checks.ethics_required).
    ethics_reference = models.CharField(max_length=100, blank=True)
    ethics_committee = models.CharField(max_length=200, blank=True)
    ethics_approved_on = models.DateField(null=True, blank=True)
    # The approval letter (access/evidence.py): stored outside the web root under a random
    # name; served only to those who may see the whole application.
    ethics_letter = models.FileField(upload_to="evidence/ethics", max_length=200, blank=True)
    ethics_letter_name = models.CharField(max_length=150, blank=True)
    ethics_letter_type = models.CharField(max_length=40, blank=True)
    ethics_letter_sha256 = models.CharField(max_length=64, blank=True)
    # Safe settings: the data are used only inside the TRE (remote access, no download).
    access_inside_tre_only = models.BooleanField(
        null=True, help_text="Confirmed by the team: no download, access only inside the TRE"
    )
    # Safe outputs
    intended_outputs = models.TextField(
        blank=True, help_text="What the project will take out of the TRE (tables, figures, ...)"
    )
    disclosure_rules_acknowledged_at = models.DateTimeField(null=True, blank=True)
    disclosure_rules_acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    disclosure_min_cell_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="The minimum cell count the team acknowledged"
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name_plural = "application safeguards"
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    disclosure_rules_acknowledged_at__isnull=True,
                    disclosure_rules_acknowledged_by__isnull=True,
                    disclosure_min_cell_count__isnull=True,
                )
                | Q(
                    disclosure_rules_acknowledged_at__isnull=False,
                    disclosure_rules_acknowledged_by__isnull=False,
                    disclosure_min_cell_count__isnull=False,
                ),
                name="workflow_safeguards_acknowledged_together",
            )
        ]

    def __str__(self) -> str:
        return f"Safeguards of application {self.application_id}"


class FiveSafesRun(models.Model):
    """The checks as they stood when a gate was passed (never changed afterwards)."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="five_safes_runs"
    )
    gate = models.CharField(max_length=30, choices=Gate.choices)
    version = models.PositiveIntegerField(null=True, blank=True)
    run_at = models.DateTimeField()
    run_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["application", "-run_at", "-id"]

    def __str__(self) -> str:
        return (
            f"Five Safes checks of application {self.application_id} at {self.get_gate_display()}"
        )


class FiveSafesCheckResult(models.Model):
    run = models.ForeignKey(FiveSafesRun, on_delete=models.CASCADE, related_name="results")
    code = models.CharField(max_length=60)
    safe = models.CharField(max_length=20, choices=Safe.choices)
    result = models.CharField(max_length=10, choices=CheckOutcome.choices)
    message = models.TextField()

    class Meta:
        ordering = ["run", "id"]
        constraints = [
            models.UniqueConstraint(fields=["run", "code"], name="workflow_check_once_per_run")
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.result}"


class SafeVerdict(models.Model):
    """A reviewer's current verdict on one safe of an application (one per safe; a new verdict
    replaces it, and the event log keeps every one)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="safe_verdicts"
    )
    safe = models.CharField(max_length=20, choices=Safe.choices)
    verdict = models.CharField(max_length=30, choices=Verdict.choices)
    rationale = models.TextField()
    version = models.PositiveIntegerField(null=True, blank=True)
    decided_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["application", "safe"]
        constraints = [
            models.UniqueConstraint(
                fields=["application", "safe"], name="workflow_one_verdict_per_safe"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_safe_display()}: {self.get_verdict_display()}"


class PublicBenefitAssessment(models.Model):
    """The team's answers to the public-benefit framework; advisory, it never decides.

    ``tests``: ``{factor id: {"rating": met|partly|not_met|n_a, "narrative": str}}`` for the
    purposeful, proportionate and responsible factors. ``scale``: ``{question id: {"score": 1-5 or
    null, "justification": str, "na_reason": str}}`` for the 18-question scale. ``benefits``:
    benefit-dimension ids. ``beneficiaries``: answers to the CDEI value questions by id.
    """

    application = models.OneToOneField(
        Application, on_delete=models.CASCADE, related_name="public_benefit_assessment"
    )
    tests = models.JSONField(default=dict, blank=True)
    scale = models.JSONField(default=dict, blank=True)
    benefits = models.JSONField(default=list, blank=True)
    beneficiaries = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    def __str__(self) -> str:
        return f"Public-benefit assessment of application {self.application_id}"


class PublicBenefitRisk(models.Model):
    """One line of the risk register: inherent likelihood × severity, mitigation, residual."""

    assessment = models.ForeignKey(
        PublicBenefitAssessment, on_delete=models.CASCADE, related_name="risks"
    )
    dimension = models.CharField(max_length=40)
    description = models.TextField()
    likelihood = models.PositiveSmallIntegerField()
    severity = models.PositiveSmallIntegerField()
    mitigation = models.TextField(blank=True)
    residual_likelihood = models.PositiveSmallIntegerField()
    residual_severity = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["assessment", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(likelihood__gte=1, likelihood__lte=5)
                & Q(severity__gte=1, severity__lte=5)
                & Q(residual_likelihood__gte=1, residual_likelihood__lte=5)
                & Q(residual_severity__gte=1, residual_severity__lte=5),
                name="workflow_risk_scores_one_to_five",
            )
        ]

    def __str__(self) -> str:
        return f"{self.dimension}: {self.score} → {self.residual_score}"

    @property
    def score(self) -> int:
        return self.likelihood * self.severity

    @property
    def residual_score(self) -> int:
        return self.residual_likelihood * self.residual_severity


class PublicBenefitScore(models.Model):
    """One panel member's independent scoring of the 18-question scale."""

    assessment = models.ForeignKey(
        PublicBenefitAssessment, on_delete=models.CASCADE, related_name="panel_scores"
    )
    scorer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scores = models.JSONField(help_text="{question id: 1-5 or null (not applicable)}")
    comment = models.TextField(blank=True)
    scored_at = models.DateTimeField()

    class Meta:
        ordering = ["assessment", "scored_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "scorer"], name="workflow_one_score_per_panel_member"
            )
        ]

    def __str__(self) -> str:
        return f"Public-benefit score by {self.scorer} on {self.assessment}"


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
        if self.origin == ConditionOrigin.TRACK and self.track is not None:
            return self.track.get_kind_display()
        return dict(Safe.choices).get(self.safe, self.safe)

    @transition(state, source=ConditionState.OPEN, target=ConditionState.MET)
    def verify(self) -> None:
        pass

    @transition(state, source=ConditionState.OPEN, target=ConditionState.WITHDRAWN)
    def withdraw(self) -> None:
        pass


__all__ = [
    "ApplicationSafeguards",
    "CheckOutcome",
    "Condition",
    "ConditionOrigin",
    "ConditionState",
    "ConditionTiming",
    "FiveSafesCheckResult",
    "FiveSafesRun",
    "Gate",
    "PublicBenefitAssessment",
    "PublicBenefitRisk",
    "PublicBenefitScore",
    "Safe",
    "SafeVerdict",
    "Verdict",
]
