"""Transparency: the public data-use register, project outputs and immutable decision records.

``RegisterEntry`` is derived data, written by ``workflow.services.register`` in the same
transaction as the decision or state change it reflects. It holds **only public fields**: what
the public register shows is exactly what is stored here, so nothing private can leak through
a template or a serializer that reads a related model. A declined entry stores its reference,
organisation and status and leaves every other field empty.

``DecisionRecord`` freezes each decision (combined outcome of the tracks, or a rejection at
internal review) with what it relied on, tied to the application version it judged. It is
immutable in code and, on PostgreSQL, by a trigger (migration 0009).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from workflow.route.models import Application


class RegisterStatus(models.TextChoices):
    """The status the public sees. Suspension is an operational matter between the TRE and the
    team; the public entry stays ``active`` (as the UKSA register does)."""

    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    CLOSED = "closed", "Closed"
    DECLINED = "declined", "Declined"


class RegisterEntry(models.Model):
    """One application's line on the public data-use register (HDR UK DUR v2 fields we hold)."""

    application = models.OneToOneField(
        Application, on_delete=models.PROTECT, related_name="register_entry"
    )
    # Always published
    reference = models.CharField(max_length=20, unique=True)
    organisation = models.CharField("lead applicant organisation", max_length=200, blank=True)
    organisation_slug = models.SlugField(max_length=80, blank=True, db_index=True)
    status = models.CharField(max_length=20, choices=RegisterStatus.choices, db_index=True)
    latest_decision_on = models.DateField(db_index=True)
    # Approved projects only (empty for declined ones)
    organisation_ror = models.CharField(max_length=40, blank=True)
    organisation_sector = models.CharField(max_length=80, blank=True)
    applicants = models.JSONField(default=list, blank=True)
    lead_applicant_dea_accredited = models.BooleanField(null=True)
    title = models.CharField(max_length=250, blank=True)
    lay_summary = models.TextField(blank=True)
    public_benefit = models.TextField(blank=True)
    purpose = models.CharField(max_length=200, blank=True)
    funders = models.CharField(max_length=200, blank=True)
    other_approvals = models.JSONField(default=list, blank=True)
    start_date = models.DateField(null=True, blank=True)
    end_date = models.DateField(null=True, blank=True)
    latest_approval_on = models.DateField(null=True, blank=True)
    access_granted_on = models.DateField(null=True, blank=True)
    closed_on = models.DateField(null=True, blank=True)
    # [{"slug", "title", "provider", "sensitivity", "legal_gateway"}]
    datasets = models.JSONField(default=list, blank=True)
    # ",slug-a,slug-b,": a portable "has this dataset" filter (SQLite has no JSON contains).
    dataset_keys = models.TextField(blank=True)
    sensitivity = models.CharField("data sensitivity level (highest)", max_length=40, blank=True)
    access_type = models.CharField(max_length=20, blank=True)
    processing_environment = models.CharField(max_length=200, blank=True)
    conditions = models.JSONField(default=list, blank=True)
    # [{"panel", "decided_on", "votes", "lay_votes"}]: who took part in each panel's decision
    panel_decisions = models.JSONField(default=list, blank=True)
    # The entry's CSV row but for the columns read at publication, written with the entry
    # (``register_csv.kept_cells``), and the way it was written (``register_csv.CSV_FORMAT``):
    # a download reads it rather than working out 25 cells an entry (``register_csv``).
    csv_cells = models.TextField(blank=True, default="")
    csv_format = models.CharField(max_length=16, blank=True, default="")
    # Indexed: the register's last change (its pages' and CSV's ETag) is MAX(updated_at).
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-latest_decision_on", "-id"]
        verbose_name_plural = "register entries"
        indexes = [
            # The register's order: the CSV reads every entry in it without sorting them (an
            # external sort of 13 MB at 40,000 entries), the pages read a page of it.
            models.Index(fields=["-latest_decision_on", "-id"], name="workflow_register_order_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.reference} ({self.get_status_display()})"

    @property
    def is_declined(self) -> bool:
        return self.status == RegisterStatus.DECLINED


class OutputKind(models.TextChoices):
    PUBLICATION = "publication", "Publication"
    CODE = "code", "Code"
    REPORT = "report", "Report"
    OTHER = "other", "Other"


class ProjectOutput(models.Model):
    """A link to something the project produced, shown on its register entry."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="outputs")
    kind = models.CharField(max_length=20, choices=OutputKind.choices)
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=500)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True, db_index=True)  # MAX: the register's change

    class Meta:
        ordering = ["application", "added_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"


class DecisionRecordQuerySet(models.QuerySet["DecisionRecord"]):
    """Immutable: the queryset refuses bulk updates and deletes."""

    def update(self, **kwargs):
        raise TypeError("Decision records are immutable: they cannot be updated")

    def delete(self):
        raise TypeError("Decision records are immutable: they cannot be deleted")

    _raw_delete = delete  # type: ignore[assignment]


class DecisionRecord(models.Model):
    """A decision as it was taken: outcome, per-track outcomes, rationale and conditions, the
    pre-approved category versions relied on, and the Five Safes as they stood."""

    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="decision_records"
    )
    version = models.PositiveIntegerField(help_text="The application version the decision judged")
    outcome = models.CharField(max_length=30)
    stage = models.CharField(max_length=30, help_text="in_review or internal_review")
    decided_at = models.DateTimeField(db_index=True)
    decided_by_name = models.CharField(max_length=200)
    reason = models.TextField(blank=True)
    tracks = models.JSONField(default=list)
    conditions = models.JSONField(default=list)
    pre_approved = models.JSONField(default=list)
    five_safes = models.JSONField(default=dict)
    # Denormalised for search by reviewers ("how were similar projects decided?")
    reference = models.CharField(max_length=20, db_index=True)
    title = models.CharField(max_length=250)
    purpose = models.CharField(max_length=40, db_index=True)
    datasets = models.JSONField(default=list)
    dataset_keys = models.TextField(blank=True)

    objects = DecisionRecordQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self) -> str:
        return f"{self.reference} v{self.version}: {self.outcome}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise TypeError("Decision records are immutable: they cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Decision records are immutable: they cannot be deleted")


__all__ = [
    "DecisionRecord",
    "DecisionRecordQuerySet",
    "OutputKind",
    "ProjectOutput",
    "RegisterEntry",
    "RegisterStatus",
]
