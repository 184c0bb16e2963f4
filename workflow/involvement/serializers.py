"""The API's shapes of public involvement."""

from __future__ import annotations

from rest_framework import serializers

from access.api.serializers import UserSummarySerializer
from core.api.serializers import StrictInputMixin
from workflow.models import MAX_TEXT, Consultation, InvolvementActivity, InvolvementStatus


class InvolvementActivitySerializer(serializers.ModelSerializer):
    recorded_by = UserSummarySerializer(read_only=True)

    class Meta:
        model = InvolvementActivity
        fields = [
            "id",
            "status",
            "held_on",
            "who",
            "what",
            "what_changed",
            "recorded_by",
            "recorded_at",
        ]


class ConsultationSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id", read_only=True)
    reference = serializers.CharField(source="application.reference", read_only=True)
    panel = serializers.CharField(source="panel.name", read_only=True)
    state = serializers.SerializerMethodField()
    requested_by = UserSummarySerializer(read_only=True)
    answered_by = UserSummarySerializer(read_only=True, allow_null=True)

    class Meta:
        model = Consultation
        fields = [
            "id",
            "application",
            "reference",
            "panel",
            "state",
            "question",
            "requested_by",
            "requested_at",
            "feedback",
            "answered_by",
            "answered_at",
        ]

    def get_state(self, consultation: Consultation) -> str:
        return "answered" if consultation.is_answered else "requested"


class PublicInvolvementSerializer(serializers.Serializer):
    high_public_interest = serializers.BooleanField()
    reason = serializers.CharField(allow_blank=True)
    flagged_at = serializers.DateTimeField(allow_null=True)
    flagged_by = UserSummarySerializer(allow_null=True)
    involvement_required = serializers.BooleanField(
        help_text="A reviewer requires public involvement"
    )
    required_reason = serializers.CharField(allow_blank=True)
    required_by = UserSummarySerializer(allow_null=True)
    activities = InvolvementActivitySerializer(many=True)
    consultations = ConsultationSerializer(many=True)


class FlagInputSerializer(StrictInputMixin, serializers.Serializer):
    high_public_interest = serializers.BooleanField()
    reason = serializers.CharField(max_length=MAX_TEXT)


class RequireInputSerializer(StrictInputMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=MAX_TEXT)


class ActivityInputSerializer(StrictInputMixin, serializers.Serializer):
    status = serializers.ChoiceField(choices=InvolvementStatus.choices)
    held_on = serializers.DateField()
    who = serializers.CharField(max_length=300)
    what = serializers.CharField(max_length=MAX_TEXT)
    what_changed = serializers.CharField(
        max_length=MAX_TEXT, required=False, allow_blank=True, default=""
    )


class ConsultationInputSerializer(StrictInputMixin, serializers.Serializer):
    question = serializers.CharField(max_length=MAX_TEXT)


class FeedbackInputSerializer(StrictInputMixin, serializers.Serializer):
    feedback = serializers.CharField(max_length=MAX_TEXT)
