from __future__ import annotations

from django.core.validators import MaxLengthValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access.api.serializers import OrganisationSerializer, UserSummarySerializer
from access.models import AgreementSignature, SignatureCapacity, User
from access.safe_people.serializers import AgreementTextSerializer
from core.api.serializers import StrictInputMixin, many
from core.text import single_line
from workflow.models import (
    MAX_CONDITIONS,
    ApplicationSafeguards,
    CheckOutcome,
    Condition,
    ConditionTiming,
    FiveSafesCheckResult,
    FiveSafesRun,
    PublicBenefitRisk,
    PublicBenefitScore,
    Safe,
    SafeVerdict,
    Verdict,
)
from workflow.safes import public_benefit_framework as benefit_framework

# --- output ---------------------------------------------------------------------------------


class CheckResultSerializer(serializers.Serializer):
    code = serializers.CharField()
    title = serializers.CharField()
    result = serializers.ChoiceField(choices=CheckOutcome.choices)
    message = serializers.CharField()


class SafeVerdictSerializer(serializers.ModelSerializer):
    decided_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = SafeVerdict
        fields = ["safe", "verdict", "rationale", "version", "decided_at", "decided_by"]


class ConditionSerializer(serializers.ModelSerializer):
    responsible = UserSummarySerializer(read_only=True, allow_null=True)
    evidence_by = UserSummarySerializer(read_only=True, allow_null=True)
    verified_by = UserSummarySerializer(read_only=True, allow_null=True)
    # DRF's metaclass takes declared fields out of the class, so this does not replace
    # Field.source at run time; the types cannot know that.
    source = serializers.CharField(  # type: ignore[assignment]
        source="source_label", read_only=True
    )

    class Meta:
        model = Condition
        fields = [
            "id",
            "text",
            "origin",
            "source",
            "track",
            "safe",
            "responsible",
            "timing",
            "due_date",
            "state",
            "evidence",
            "evidence_at",
            "evidence_by",
            "verified_at",
            "verified_by",
            "verification_note",
            "created_at",
        ]
        read_only_fields = fields


class SafeSectionSerializer(serializers.Serializer):
    safe = serializers.ChoiceField(choices=Safe.choices)
    # Not Field.label at run time (DRF's metaclass takes declared fields out of the class).
    label = serializers.CharField()  # type: ignore[assignment]
    checks = CheckResultSerializer(many=True)
    verdict = SafeVerdictSerializer(allow_null=True)
    conditions = ConditionSerializer(many=True)


class GateStatusSerializer(serializers.Serializer):
    open = serializers.BooleanField(help_text="Whether the checks let this step through now")
    blocking = serializers.ListField(child=serializers.CharField())


class GatesSerializer(serializers.Serializer):
    refer_to_panels = GateStatusSerializer()
    grant_access = GateStatusSerializer()


class StoredCheckResultSerializer(serializers.ModelSerializer):
    class Meta:
        model = FiveSafesCheckResult
        fields = ["code", "safe", "result", "message"]


class FiveSafesRunSerializer(serializers.ModelSerializer):
    run_by = UserSummarySerializer(read_only=True, allow_null=True)
    results = StoredCheckResultSerializer(many=True, read_only=True)

    class Meta:
        model = FiveSafesRun
        fields = ["id", "gate", "version", "run_at", "run_by", "results"]


class FiveSafesSerializer(serializers.Serializer):
    application = serializers.CharField(source="application.reference")
    checked_on = serializers.DateField()
    safes = SafeSectionSerializer(many=True)
    gates = GatesSerializer()
    last_run = FiveSafesRunSerializer(allow_null=True)


class EvidenceFileSerializer(serializers.Serializer):
    """An uploaded evidence file (download it from its own URL)."""

    name = serializers.CharField()
    content_type = serializers.CharField()
    sha256 = serializers.CharField()


class EvidenceUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="PDF, PNG or JPEG, within the size limit")


class SafeguardsSerializer(serializers.ModelSerializer):
    disclosure_rules_acknowledged_by = UserSummarySerializer(read_only=True, allow_null=True)
    disclosure_min_cell_count_now = serializers.SerializerMethodField()
    ethics_letter = serializers.SerializerMethodField()

    class Meta:
        model = ApplicationSafeguards
        fields = [
            "ethics_reference",
            "ethics_committee",
            "ethics_approved_on",
            "ethics_letter",
            "access_inside_tre_only",
            "intended_outputs",
            "disclosure_rules_acknowledged_at",
            "disclosure_rules_acknowledged_by",
            "disclosure_min_cell_count",
            "disclosure_min_cell_count_now",
            "updated_at",
        ]
        read_only_fields = fields
        # An application without safeguards yet answers an unsaved record: no time.
        extra_kwargs = {"updated_at": {"allow_null": True}}

    @extend_schema_field(EvidenceFileSerializer(allow_null=True))
    def get_ethics_letter(self, safeguards) -> dict | None:
        if not safeguards.ethics_letter:
            return None
        return {
            "name": safeguards.ethics_letter_name,
            "content_type": safeguards.ethics_letter_type,
            "sha256": safeguards.ethics_letter_sha256,
        }

    def get_disclosure_min_cell_count_now(self, safeguards) -> int:
        from django.conf import settings

        return settings.DISCLOSURE_MIN_CELL_COUNT


class RiskSerializer(serializers.ModelSerializer):
    score = serializers.IntegerField(read_only=True)
    residual_score = serializers.IntegerField(read_only=True)

    class Meta:
        model = PublicBenefitRisk
        fields = [
            "dimension",
            "description",
            "likelihood",
            "severity",
            "score",
            "mitigation",
            "residual_likelihood",
            "residual_severity",
            "residual_score",
        ]


class PositionSerializer(serializers.Serializer):
    features = serializers.DictField(child=serializers.FloatField())
    overall = serializers.FloatField(allow_null=True)
    band = serializers.CharField(allow_null=True)
    band_label = serializers.CharField()
    higher_bar = serializers.BooleanField(
        help_text="The 'likely' band needs a higher score: identifiable or sensitive data"
    )


class CompletenessSerializer(serializers.Serializer):
    answered = serializers.IntegerField()
    expected = serializers.IntegerField()


class PublicBenefitSerializer(serializers.Serializer):
    advisory = serializers.CharField()
    framework = serializers.JSONField(help_text="Every question of the framework, verbatim")
    tests = serializers.JSONField()
    scale = serializers.JSONField()
    benefits = serializers.ListField(child=serializers.CharField())
    beneficiaries = serializers.JSONField()
    risks = RiskSerializer(many=True)
    completeness = CompletenessSerializer()
    position = PositionSerializer(help_text="Where the team's own answers place the project")
    updated_at = serializers.DateTimeField(allow_null=True)


class PanelScoreSerializer(serializers.ModelSerializer):
    scorer = UserSummarySerializer(read_only=True)

    class Meta:
        model = PublicBenefitScore
        fields = ["scorer", "scores", "comment", "scored_at"]


class DivergenceSerializer(serializers.Serializer):
    question = serializers.CharField()
    team = serializers.IntegerField(allow_null=True)
    panel = serializers.DictField(child=serializers.IntegerField(allow_null=True))
    spread = serializers.IntegerField()
    diverges = serializers.BooleanField()


class PanelScoresSerializer(serializers.Serializer):
    hidden_until_you_score = serializers.BooleanField(
        help_text="A panel member sees the others' scores once they have scored themselves"
    )
    scores = PanelScoreSerializer(many=True)
    divergence = DivergenceSerializer(many=True)


# The capacity a person signs in, named as /me/ names it (OrganisationMembership.Capacity): a
# member of the project, or the lead organisation's ``signatory``. The stored value
# ``organisation_signatory`` was the API's word until this release; it is still accepted.
CAPACITIES = [
    (SignatureCapacity.MEMBER.value, "Project member"),
    ("signatory", "Authorised signatory of the lead organisation"),
]
CAPACITY_INPUTS = [
    *CAPACITIES,
    (SignatureCapacity.ORGANISATION_SIGNATORY.value, "Deprecated: use signatory"),
]
_STORED = {"signatory": SignatureCapacity.ORGANISATION_SIGNATORY.value}
_SHOWN = {stored: shown for shown, stored in _STORED.items()}


class CapacityField(serializers.ChoiceField):
    """A signature's capacity as the API names it (``signatory``), stored as the model does."""

    def __init__(self, **kwargs) -> None:
        super().__init__(choices=CAPACITIES, **kwargs)

    def to_representation(self, value: str) -> str:
        return _SHOWN.get(value, value)


class SignatureSerializer(serializers.ModelSerializer):
    signer = UserSummarySerializer(read_only=True)
    capacity = CapacityField(read_only=True)
    version = serializers.IntegerField(source="agreement.version")
    organisation = serializers.CharField(source="organisation.name", allow_null=True, default=None)

    class Meta:
        model = AgreementSignature
        fields = ["signer", "capacity", "organisation", "version", "signed_at"]


class MemberSignatureSerializer(serializers.Serializer):
    person = UserSummarySerializer()
    signed = serializers.BooleanField()


class AgreementStatusSerializer(serializers.Serializer):
    agreement = AgreementTextSerializer(allow_null=True)
    members = MemberSignatureSerializer(many=True)
    organisation = OrganisationSerializer(allow_null=True)
    organisation_signed_by = UserSummarySerializer(allow_null=True)
    signatures = SignatureSerializer(many=True)
    complete = serializers.BooleanField()


# --- input ----------------------------------------------------------------------------------


class ConditionTermsInputSerializer(StrictInputMixin, serializers.Serializer):
    timing = serializers.ChoiceField(choices=ConditionTiming.choices, required=False)
    due_date = serializers.DateField(required=False, allow_null=True)
    responsible = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True), required=False
    )


class VerdictConditionInputSerializer(ConditionTermsInputSerializer):
    text = serializers.CharField()


class VerdictInputSerializer(StrictInputMixin, serializers.Serializer):
    safe = serializers.ChoiceField(choices=Safe.choices)
    verdict = serializers.ChoiceField(choices=Verdict.choices)
    rationale = serializers.CharField(allow_blank=True)
    conditions = many(
        VerdictConditionInputSerializer, required=False, default=list, max_length=MAX_CONDITIONS
    )


class SafeguardsInputSerializer(StrictInputMixin, serializers.Serializer):
    ethics_reference = serializers.CharField(
        max_length=100, allow_blank=True, required=False, validators=[single_line]
    )
    ethics_committee = serializers.CharField(
        max_length=200, allow_blank=True, required=False, validators=[single_line]
    )
    ethics_approved_on = serializers.DateField(allow_null=True, required=False)
    access_inside_tre_only = serializers.BooleanField(allow_null=True, required=False)
    intended_outputs = serializers.CharField(allow_blank=True, required=False)
    acknowledge_disclosure_rules = serializers.BooleanField(
        required=False,
        help_text="true: the team accepts the disclosure-control rules in force now (minimum cell "
        "count and the rest); false: withdraws the acknowledgement",
    )


class RiskInputSerializer(serializers.Serializer):
    dimension = serializers.CharField()
    description = serializers.CharField(allow_blank=True)
    likelihood = serializers.IntegerField()
    severity = serializers.IntegerField()
    mitigation = serializers.CharField(allow_blank=True, required=False, default="")
    residual_likelihood = serializers.IntegerField()
    residual_severity = serializers.IntegerField()


def _at_most(count: int) -> list[MaxLengthValidator]:
    """A dict of answers has at most one entry per question of the framework (maxProperties)."""
    return [MaxLengthValidator(count, message=f"Answer at most {count} questions.")]


class PublicBenefitInputSerializer(StrictInputMixin, serializers.Serializer):
    tests = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        validators=_at_most(len(benefit_framework.TESTS)),
        help_text='{"PU-1": {"rating", "narrative"}}',
    )
    scale = serializers.DictField(
        child=serializers.JSONField(),
        required=False,
        validators=_at_most(len(benefit_framework.SCALE_IDS)),
        help_text='{"1.1": {"score": 1-5 or null, "justification", "na_reason"}}',
    )
    benefits = serializers.ListField(
        child=serializers.CharField(), required=False, max_length=len(benefit_framework.BENEFIT_IDS)
    )
    beneficiaries = serializers.DictField(
        child=serializers.CharField(),
        required=False,
        validators=_at_most(len(benefit_framework.BENEFICIARY_QUESTION_IDS)),
    )
    risks = many(RiskInputSerializer, required=False, max_length=MAX_CONDITIONS)


class PanelScoreInputSerializer(StrictInputMixin, serializers.Serializer):
    scores = serializers.DictField(
        child=serializers.JSONField(),
        validators=_at_most(len(benefit_framework.SCALE_IDS)),
        help_text='{"1.1": 1-5 or null (not applicable)}',
    )
    comment = serializers.CharField(allow_blank=True, required=False, default="")


class EvidenceInputSerializer(StrictInputMixin, serializers.Serializer):
    evidence = serializers.CharField()


class VerifyInputSerializer(StrictInputMixin, serializers.Serializer):
    note = serializers.CharField(allow_blank=True, required=False, default="")


class SignInputSerializer(StrictInputMixin, serializers.Serializer):
    capacity = serializers.ChoiceField(
        choices=CAPACITY_INPUTS,
        help_text="member, or signatory (for the lead organisation, as /me/ names it); "
        "organisation_signatory is its deprecated old name",
    )
    signer = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(),
        required=False,
        help_text="Must be you: nobody signs for someone else",
    )
    version = serializers.IntegerField(
        required=False, help_text="The version you read (must be the current one)"
    )

    def validate_capacity(self, value: str) -> str:
        return _STORED.get(value, value)
