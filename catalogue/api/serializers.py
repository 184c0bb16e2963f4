"""Input and output serializers of the catalogue API, kept apart.

Output serializers only read (no ``create``/``update``). Input serializers only parse types and
look up referenced rows; every rule of the domain lives in ``catalogue.services``.
"""

from __future__ import annotations

from rest_framework import serializers

from access.api.serializers import UserSummarySerializer
from access.models import Organisation, User
from catalogue.models import (
    MAX_CATEGORY_VARIABLES,
    Dataset,
    OutputsAllowed,
    PreApprovedCategory,
    PreApprovedCategoryVersion,
    Purpose,
    Sensitivity,
    Variable,
)
from core.api.serializers import resolve_keys
from core.text import single_line

# --- Errors (documentation only: the global handler produces them) -------------------------


# --- Outputs ----------------------------------------------------------------------------------


class ProviderOutput(serializers.ModelSerializer):
    class Meta:
        model = Organisation
        fields = ["slug", "name", "has_health_service_functions"]
        read_only_fields = fields


class VariableOutput(serializers.ModelSerializer):
    dataset: serializers.SlugRelatedField[Dataset] = serializers.SlugRelatedField(
        slug_field="slug", read_only=True
    )

    class Meta:
        model = Variable
        fields = [
            "id",
            "dataset",
            "name",
            "description",
            "data_type",
            "is_identifying",
            "is_sensitive_category",
        ]
        read_only_fields = fields


class DataDictionaryEntryOutput(VariableOutput):
    """A variable inside its dataset (the dataset is implied)."""

    class Meta(VariableOutput.Meta):
        fields = [f for f in VariableOutput.Meta.fields if f != "dataset"]
        read_only_fields = fields


class CategorySummaryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField(source="current_version.title")
    version = serializers.IntegerField(source="current_version.version")
    citation = serializers.CharField(source="current_version.citation")


class DatasetOutput(serializers.ModelSerializer):
    provider = ProviderOutput(read_only=True)
    asset_owner_name = serializers.CharField(
        source="asset_owner.full_name", read_only=True, allow_null=True, default=None
    )
    # Analysts appear by name only: researchers contact the TRE, not staff mailboxes.
    primary_analyst_name = serializers.CharField(
        source="primary_analyst.full_name", read_only=True, allow_null=True, default=None
    )
    backup_analyst_name = serializers.CharField(
        source="backup_analyst.full_name", read_only=True, allow_null=True, default=None
    )
    metadata_completeness = serializers.SerializerMethodField(
        help_text="Share (0–100) of the descriptive metadata filled in"
    )
    # Empty when there is no sample: a plain string, since "" is not a valid `format: uri`
    # (schemathesis found the answer did not match the schema).
    synthetic_sample_url = serializers.CharField(
        read_only=True, help_text="Link to a synthetic sample of the data, or empty"
    )
    variables = DataDictionaryEntryOutput(many=True, read_only=True)
    has_pre_approved_category = serializers.BooleanField(read_only=True)
    pre_approved_categories = CategorySummaryOutput(
        source="offered_categories",
        many=True,
        read_only=True,
        help_text="Categories offered today",
    )

    class Meta:
        model = Dataset
        fields = [
            "slug",
            "title",
            "description",
            "provider",
            "coverage_start_year",
            "coverage_end_year",
            "population",
            "collection_method",
            "sensitivity",
            "dea_gateway_permitted",
            "holder_has_health_service_functions",
            "asset_owner_name",
            "asset_owner_contact",
            "primary_analyst_name",
            "backup_analyst_name",
            "synthetic_sample_url",
            "metadata_completeness",
            "has_pre_approved_category",
            "pre_approved_categories",
            "variables",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_metadata_completeness(self, dataset: Dataset) -> int:
        # Variables are prefetched by the selector: no query per dataset.
        return dataset.metadata_completeness(list(dataset.variables.all()))


class VariableRefOutput(serializers.ModelSerializer):
    class Meta:
        model = Variable
        fields = ["id", "name"]
        read_only_fields = fields


class CategoryVersionOutput(serializers.ModelSerializer):
    citation = serializers.CharField(
        read_only=True, help_text="How decisions cite this version: category-id@version"
    )
    permitted_purposes = serializers.ListField(
        child=serializers.ChoiceField(choices=Purpose.choices), read_only=True
    )
    permitted_variables = VariableRefOutput(many=True, read_only=True)
    created_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = PreApprovedCategoryVersion
        fields = [
            "version",
            "citation",
            "title",
            "description",
            "permitted_purposes",
            "max_sensitivity",
            "all_non_identifying_variables",
            "permitted_variables",
            "outputs_allowed",
            "conditions",
            "valid_from",
            "valid_until",
            "created_at",
            "created_by",
        ]
        read_only_fields = fields


class DatasetRefOutput(serializers.ModelSerializer):
    provider = ProviderOutput(read_only=True)

    class Meta:
        model = Dataset
        fields = ["slug", "title", "provider"]
        read_only_fields = fields


class CategoryOutput(serializers.ModelSerializer):
    dataset = DatasetRefOutput(read_only=True)
    is_retired = serializers.BooleanField(read_only=True)
    is_offered = serializers.SerializerMethodField(
        help_text="Not retired and the current version is in force today"
    )
    retired_by = UserSummarySerializer(read_only=True, allow_null=True)
    current_version = CategoryVersionOutput(read_only=True)

    class Meta:
        model = PreApprovedCategory
        fields = [
            "id",
            "dataset",
            "is_retired",
            "is_offered",
            "retired_at",
            "retired_by",
            "retirement_reason",
            "created_at",
            "current_version",
        ]
        read_only_fields = fields

    def get_is_offered(self, category: PreApprovedCategory) -> bool:
        return category.is_offered_on()


# --- Inputs -----------------------------------------------------------------------------------


class _UserField(serializers.PrimaryKeyRelatedField):
    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", User.objects.all())
        kwargs.setdefault("required", False)
        kwargs.setdefault("allow_null", True)
        super().__init__(**kwargs)


class DatasetCreateInput(serializers.Serializer):
    slug = serializers.SlugField(max_length=80, help_text="Permanent: used in URLs and citations")
    title = serializers.CharField(max_length=200)
    description = serializers.CharField()
    provider = serializers.SlugRelatedField(
        slug_field="slug", queryset=Organisation.objects.all(), help_text="Provider's slug"
    )
    sensitivity = serializers.ChoiceField(choices=Sensitivity.choices)
    coverage_start_year = serializers.IntegerField(required=False, allow_null=True)
    coverage_end_year = serializers.IntegerField(required=False, allow_null=True)
    population = serializers.CharField(max_length=300, required=False, allow_blank=True)
    collection_method = serializers.CharField(required=False, allow_blank=True)
    asset_owner = _UserField(help_text="User id of the information asset owner")
    asset_owner_contact = serializers.EmailField(required=False, allow_blank=True)
    primary_analyst = _UserField(help_text="User id of the primary analyst")
    backup_analyst = _UserField(help_text="User id of the backup analyst")
    dea_gateway_permitted = serializers.BooleanField(required=False, default=False)
    holder_has_health_service_functions = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Defaults to the provider's own flag",
    )
    synthetic_sample_url = serializers.URLField(required=False, allow_blank=True)


class DatasetUpdateInput(DatasetCreateInput):
    """Any subset of the dataset's fields; the slug never changes."""

    slug = None  # type: ignore[assignment]
    holder_has_health_service_functions = serializers.BooleanField(required=False)

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class VariableCreateInput(serializers.Serializer):
    dataset = serializers.SlugRelatedField(
        slug_field="slug", queryset=Dataset.objects.all(), help_text="Dataset slug"
    )
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    data_type = serializers.ChoiceField(choices=Variable.DataType.choices)
    is_identifying = serializers.BooleanField(required=False, default=False)
    is_sensitive_category = serializers.BooleanField(required=False, default=False)


class VariableUpdateInput(VariableCreateInput):
    """Any subset of the variable's fields; a variable never moves to another dataset."""

    dataset = None  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class PurposeListField(serializers.ListField):
    """A list of purpose codes whose errors are reported on the field itself (not per item)."""

    child = serializers.ChoiceField(choices=Purpose.choices)

    def to_internal_value(self, data):
        try:
            return super().to_internal_value(data)
        except serializers.ValidationError as exc:
            detail = exc.detail
            if isinstance(detail, dict):
                messages = [
                    f"Item {index}: {message}"
                    for index, item_messages in detail.items()
                    for message in item_messages
                ]
                raise serializers.ValidationError(messages) from exc
            raise


class CategoryCreateInput(serializers.Serializer):
    dataset = serializers.SlugRelatedField(
        slug_field="slug", queryset=Dataset.objects.all(), help_text="Dataset slug"
    )
    title = serializers.CharField(max_length=200, validators=[single_line])
    description = serializers.CharField()
    permitted_purposes = PurposeListField(allow_empty=True, max_length=len(Purpose.choices))
    max_sensitivity = serializers.ChoiceField(choices=Sensitivity.choices)
    all_non_identifying_variables = serializers.BooleanField(required=False, default=False)
    permitted_variables = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        required=False,
        default=list,
        max_length=MAX_CATEGORY_VARIABLES,
        help_text="Ids of variables of this dataset (none identifying)",
    )
    outputs_allowed = serializers.ChoiceField(choices=OutputsAllowed.choices)
    conditions = serializers.CharField(required=False, allow_blank=True, default="")
    valid_from = serializers.DateField()
    valid_until = serializers.DateField(required=False, allow_null=True, default=None)

    def validate_permitted_variables(self, ids: list[int]) -> list[Variable]:
        # One query for them all (a related field would query once per id).
        return resolve_keys(ids, Variable.objects.all())


class CategoryReviseInput(CategoryCreateInput):
    """New terms for the next version. Terms left out are carried over from the current one."""

    dataset = None  # type: ignore[assignment]

    def __init__(self, *args, **kwargs):
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)


class CategoryRetireInput(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the category is no longer offered (public)")
