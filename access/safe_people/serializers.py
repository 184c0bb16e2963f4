from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from access.api.serializers import UserSummarySerializer
from access.models import (
    AccessGrant,
    AccessGrantEvent,
    Accreditation,
    AccreditationKind,
    AgreementText,
    User,
)
from core.api.serializers import StrictInput
from core.text import single_line


class HistorySerializer(serializers.Serializer):
    transition = serializers.CharField()
    from_state = serializers.CharField()
    to_state = serializers.CharField()
    actor_name = serializers.CharField()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class AccreditationSerializer(serializers.ModelSerializer):
    person = UserSummarySerializer(read_only=True)
    supervisor = UserSummarySerializer(read_only=True, allow_null=True)
    decided_by = UserSummarySerializer(read_only=True, allow_null=True)
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    valid_today = serializers.SerializerMethodField()
    history = HistorySerializer(source="events", many=True, read_only=True)

    class Meta:
        model = Accreditation
        fields = [
            "id",
            "person",
            "kind",
            "kind_label",
            "state",
            "state_label",
            "valid_today",
            "supervisor",
            "issuer",
            "certificate_number",
            "issued_on",
            "expires_on",
            "applied_at",
            "decided_at",
            "decided_by",
            "decision_reason",
            "lapsed_at",
            "lapse_reason",
            "history",
        ]
        read_only_fields = fields

    def get_valid_today(self, accreditation: Accreditation) -> bool:
        return accreditation.is_valid_on(timezone.localdate())


class AccreditationApplyInputSerializer(StrictInput):
    kind = serializers.ChoiceField(choices=AccreditationKind.choices)
    issuer = serializers.CharField(max_length=200, validators=[single_line])
    certificate_number = serializers.CharField(max_length=100, validators=[single_line])
    issued_on = serializers.DateField()
    expires_on = serializers.DateField(
        required=False, allow_null=True, help_text="Defaults to the kind's validity period"
    )
    supervisor = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.filter(is_active=True),
        required=False,
        allow_null=True,
        help_text="Provisional DEA accreditation only",
    )


class AccreditationDecisionInputSerializer(StrictInput):
    reason = serializers.CharField(
        allow_blank=True,
        required=False,
        default="",
        help_text="Required to refuse, suspend or revoke; shown to the researcher",
    )


class AgreementTextSerializer(serializers.ModelSerializer):
    published_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = AgreementText
        fields = ["version", "title", "body", "published_at", "published_by"]
        read_only_fields = fields


class AgreementPublishInputSerializer(StrictInput):
    title = serializers.CharField(max_length=200, validators=[single_line])
    body = serializers.CharField()


class AccessGrantSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    application_reference = serializers.CharField(source="application.reference", read_only=True)
    person = UserSummarySerializer(read_only=True)
    granted_by = UserSummarySerializer(read_only=True)
    history = serializers.SerializerMethodField()

    class Meta:
        model = AccessGrant
        fields = [
            "id",
            "application",
            "application_reference",
            "person",
            "state",
            "start_on",
            "end_on",
            "requirements",
            "project_on_hold",
            "granted_at",
            "granted_by",
            "suspended_at",
            "suspension_reason",
            "ended_at",
            "end_reason",
            "history",
        ]
        read_only_fields = fields

    @extend_schema_field(HistorySerializer(many=True))
    def get_history(self, grant: AccessGrant):
        events: list[AccessGrantEvent] = list(grant.events.all())
        return HistorySerializer(events, many=True).data
