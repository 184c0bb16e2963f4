"""What the TRE holds: datasets, their data dictionary, and owners' pre-approved categories.

Pre-approved categories are versioned. A ``PreApprovedCategory`` is the stable identity (which
dataset, retired or not); each edit creates a new immutable ``PreApprovedCategoryVersion``, so a
decision can cite ``category@version`` and that text never changes under it.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from access.models import Organisation

# A pre-approved category names at most this many variables (a dataset's data dictionary can
# be long; the API refuses more before looking any up).
MAX_CATEGORY_VARIABLES = 2000


class Sensitivity(models.TextChoices):
    """Ordered from least to most sensitive; ``rank`` compares them."""

    ANONYMOUS = "anonymous", "Anonymous"
    DEIDENTIFIED = "deidentified", "De-identified"
    PSEUDONYMISED = "pseudonymised", "Pseudonymised"
    IDENTIFIABLE = "identifiable", "Identifiable"

    @classmethod
    def rank(cls, value: str) -> int:
        return list(cls.values).index(value)


class Purpose(models.TextChoices):
    """Purposes of use. The first six are the Digital Economy Act research code's public-interest
    purposes; the rest are the health-research purposes a TRE like SAIL sees most."""

    PUBLIC_POLICY = "public_policy", "Evidence for public policy decision-making"
    PUBLIC_SERVICE_DELIVERY = "public_service_delivery", "Evidence for public service delivery"
    ECONOMY_SOCIETY = (
        "economy_society",
        "Decisions likely to significantly benefit the UK economy, society or quality of life",
    )
    REPLICATION = (
        "replication",
        "Replicating, validating or challenging existing research or official statistics",
    )
    SOCIAL_ECONOMIC_TRENDS = (
        "social_economic_trends",
        "Significantly extending understanding of social or economic trends or events",
    )
    RESEARCH_QUALITY = (
        "research_quality",
        "Improving the quality, coverage or presentation of existing research or statistics",
    )
    HEALTH_RESEARCH = "health_research", "Health, medical or biomedical research"
    SERVICE_EVALUATION = "service_evaluation", "Evaluation of a health or public service"
    METHODS_DEVELOPMENT = "methods_development", "Development of research methods or data linkage"


class OutputsAllowed(models.TextChoices):
    AGGREGATE_ONLY = "aggregate_only", "Aggregate statistics only, after disclosure checks"
    AGGREGATE_AND_MODELS = (
        "aggregate_and_models",
        "Aggregate statistics and model estimates, after disclosure checks",
    )
    AGGREGATE_MODELS_AND_CODE = (
        "aggregate_models_and_code",
        "Aggregate statistics, model estimates and analysis code, after disclosure checks",
    )


class Dataset(models.Model):
    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField()
    coverage_start_year = models.PositiveSmallIntegerField(null=True, blank=True)
    coverage_end_year = models.PositiveSmallIntegerField(null=True, blank=True)
    population = models.CharField(
        max_length=300,
        blank=True,
        help_text="Who is in the data, e.g. 'everyone registered with a GP in Wales'",
    )
    collection_method = models.TextField(
        blank=True, help_text="How and why the data were collected"
    )
    provider = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="datasets")
    asset_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="owned_assets",
        verbose_name="information asset owner",
    )
    asset_owner_contact = models.EmailField(
        blank=True, help_text="Where questions about this dataset go (may be a team mailbox)"
    )
    primary_analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="primary_datasets",
    )
    backup_analyst = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="backup_datasets",
    )
    sensitivity = models.CharField(max_length=20, choices=Sensitivity.choices)
    dea_gateway_permitted = models.BooleanField(
        "DEA research gateway may be used",
        default=False,
        help_text="Whether this dataset may be shared under the Digital Economy Act research power",
    )
    holder_has_health_service_functions = models.BooleanField(
        default=False,
        help_text="Held by a body with health or adult social care functions (excludes the DEA)",
    )
    synthetic_sample_url = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(dea_gateway_permitted=True, holder_has_health_service_functions=True),
                name="catalogue_dataset_no_dea_for_health_bodies",
                violation_error_message=(
                    "The DEA research gateway cannot be used for data held by a body with "
                    "health-service functions."
                ),
            ),
            models.CheckConstraint(
                condition=Q(coverage_start_year__isnull=True)
                | Q(coverage_end_year__isnull=True)
                | Q(coverage_end_year__gte=models.F("coverage_start_year")),
                name="catalogue_dataset_coverage_ordered",
                violation_error_message="Coverage must end in or after the year it starts.",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    # Fields a researcher needs to judge whether a dataset fits their question. The completeness
    # score is the share of them filled in, plus whether every variable is described.
    COMPLETENESS_FIELDS = (
        "description",
        "coverage_start_year",
        "coverage_end_year",
        "population",
        "collection_method",
        "asset_owner_contact",
        "primary_analyst_id",
        "backup_analyst_id",
        "synthetic_sample_url",
    )

    def metadata_completeness(self, variables: list[Variable] | None = None) -> int:
        """Percentage (0–100) of the descriptive metadata that is filled in.

        ``variables`` may be passed when already loaded (the API prefetches them).
        """
        if variables is None:
            variables = list(self.variables.all())
        filled = sum(1 for name in self.COMPLETENESS_FIELDS if getattr(self, name))
        total = len(self.COMPLETENESS_FIELDS) + 1
        if variables and all(v.description for v in variables):
            filled += 1
        return round(100 * filled / total)


class Variable(models.Model):
    class DataType(models.TextChoices):
        STRING = "string", "Text"
        INTEGER = "integer", "Whole number"
        DECIMAL = "decimal", "Decimal number"
        DATE = "date", "Date"
        BOOLEAN = "boolean", "Yes/no"
        CODE = "code", "Coded value"

    dataset = models.ForeignKey(Dataset, on_delete=models.CASCADE, related_name="variables")
    name = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    data_type = models.CharField(max_length=20, choices=DataType.choices)
    is_identifying = models.BooleanField(
        default=False, help_text="Could identify a person on its own or when linked"
    )
    is_sensitive_category = models.BooleanField(
        default=False,
        help_text="Special-category data (health, ethnicity, religion, sexuality, ...)",
    )

    class Meta:
        ordering = ["dataset", "name"]
        constraints = [
            models.UniqueConstraint(fields=["dataset", "name"], name="catalogue_variable_unique")
        ]

    def __str__(self) -> str:
        return f"{self.dataset.slug}.{self.name}"


class CitedRowError(RuntimeError):
    """A programming error: something tried to delete or rewrite a row decisions cite."""


class PreApprovedCategoryQuerySet(models.QuerySet["PreApprovedCategory"]):
    def delete(self):
        raise CitedRowError("Pre-approved categories are never deleted; retire them instead")

    def not_retired(self) -> PreApprovedCategoryQuerySet:
        return self.filter(retired_at__isnull=True)

    def offered_on(self, day: datetime.date | None = None) -> PreApprovedCategoryQuerySet:
        """Categories a project can fall in on ``day``: not retired, current version valid."""
        day = day or timezone.localdate()
        return (
            self.not_retired()
            .filter(
                current_version__valid_from__lte=day,
            )
            .filter(
                Q(current_version__valid_until__isnull=True)
                | Q(current_version__valid_until__gte=day)
            )
        )


class PreApprovedCategory(models.Model):
    """A category of use a data owner has approved in advance for one dataset.

    A project inside an offered category skips the owner's sign-off. Never deleted once it
    exists (decisions cite its versions); retire it instead.
    """

    dataset = models.ForeignKey(
        Dataset, on_delete=models.PROTECT, related_name="pre_approved_categories"
    )
    current_version = models.OneToOneField(
        "PreApprovedCategoryVersion",
        on_delete=models.PROTECT,
        null=True,
        related_name="+",
        help_text="The version in force; earlier versions stay readable",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    retired_at = models.DateTimeField(null=True, blank=True)
    retired_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    retirement_reason = models.TextField(blank=True)

    objects = PreApprovedCategoryQuerySet.as_manager()

    class Meta:
        ordering = ["dataset", "id"]
        verbose_name_plural = "pre-approved categories"
        constraints = [
            models.CheckConstraint(
                condition=Q(retired_at__isnull=True, retired_by__isnull=True)
                | Q(retired_at__isnull=False, retired_by__isnull=False),
                name="catalogue_category_retired_at_by_together",
            )
        ]

    def __str__(self) -> str:
        title = self.current_version.title if self.current_version else "(no version)"
        return f"{title} [{self.dataset.slug}]"

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def current(self) -> PreApprovedCategoryVersion:
        """``current_version``, which every saved category has: ``category_create`` writes
        version 1 in the transaction that creates the category (null only inside it)."""
        if self.current_version is None:
            raise RuntimeError(f"Pre-approved category {self.pk} has no version in force")
        return self.current_version

    def is_offered_on(self, day: datetime.date | None = None) -> bool:
        """The Python twin of ``PreApprovedCategory.objects.offered_on``."""
        day = day or timezone.localdate()
        return (
            not self.is_retired
            and self.current_version is not None
            and self.current_version.is_valid_on(day)
        )

    def delete(self, *args, **kwargs):
        raise CitedRowError("Pre-approved categories are never deleted; retire them instead")


class VersionQuerySet(models.QuerySet["PreApprovedCategoryVersion"]):
    """Versions are written once: bulk updates and deletes are refused."""

    def update(self, **kwargs):
        raise CitedRowError("A category version is immutable; write a new version")

    def delete(self):
        raise CitedRowError("Category versions are never deleted")


class PreApprovedCategoryVersion(models.Model):
    """One immutable version of a category's terms. Edits create a new row."""

    category = models.ForeignKey(
        PreApprovedCategory, on_delete=models.PROTECT, related_name="versions"
    )
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    description = models.TextField()
    permitted_purposes = models.JSONField(
        help_text="Purpose codes (catalogue.models.Purpose) a project may have to fall in here"
    )
    max_sensitivity = models.CharField(max_length=20, choices=Sensitivity.choices)
    all_non_identifying_variables = models.BooleanField(
        default=False,
        help_text="Any variable of the dataset that is not identifying is permitted",
    )
    permitted_variables = models.ManyToManyField(Variable, blank=True, related_name="+")
    outputs_allowed = models.CharField(max_length=40, choices=OutputsAllowed.choices)
    conditions = models.TextField(blank=True, help_text="Conditions every such project must meet")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = VersionQuerySet.as_manager()

    class Meta:
        ordering = ["category", "version"]
        constraints = [
            models.UniqueConstraint(
                fields=["category", "version"], name="catalogue_category_version_unique"
            ),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="catalogue_category_validity_ordered",
                violation_error_message="A category cannot end before it starts.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"

    def save(self, *args, **kwargs) -> None:
        # Immutability guard, not business logic: a version is written once.
        if not self._state.adding:
            raise CitedRowError("A category version is immutable; write a new version")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise CitedRowError("Category versions are never deleted")

    @property
    def citation(self) -> str:
        """How decisions cite this version: ``category-id@version``."""
        return f"{self.category_id}@{self.version}"

    def is_valid_on(self, day: datetime.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)
