"""What the lifecycle API reads and answers: progress reports with their rounds, close-outs, and
the settings ops keep."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from core.api.serializers import StrictInput
from workflow.models import Closure, LifecycleSettings, ProgressReport, ReportRound


class ReportRoundSerializer(serializers.ModelSerializer):
    submitted_by = serializers.CharField(source="submitted_by.full_name")

    class Meta:
        model = ReportRound
        fields = ["number", "answers", "submitted_at", "submitted_by", "points", "decided_at"]


class ProgressReportSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id")
    reference = serializers.CharField(source="application.reference")
    state_label = serializers.CharField(source="get_state_display")
    rounds = ReportRoundSerializer(many=True)
    actions = serializers.SerializerMethodField()

    class Meta:
        model = ProgressReport
        fields = [
            "id",
            "application",
            "reference",
            "number",
            "due_on",
            "state",
            "state_label",
            "outputs",
            "team_changes",
            "incidents",
            "data_still_needed",
            "round",
            "submitted_at",
            "accepted_at",
            "suspended_project",
            "rounds",
            "actions",
        ]

    def get_actions(self, report: ProgressReport) -> list[str]:
        actions: list[str] = self.context.get("actions", [])
        return actions


class ProgressReportSummarySerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id")
    reference = serializers.CharField(source="application.reference")

    class Meta:
        model = ProgressReport
        fields = ["id", "application", "reference", "number", "due_on", "state", "round"]


class ReportAnswersSerializer(StrictInput):
    """The report's answers (checked by the service, which names each missing field)."""

    outputs = serializers.CharField(required=False, allow_blank=True)
    team_changes = serializers.CharField(required=False, allow_blank=True)
    incidents = serializers.CharField(required=False, allow_blank=True)
    data_still_needed = serializers.BooleanField(required=False, allow_null=True, default=None)


class ReportResubmitSerializer(ReportAnswersSerializer):
    point_answers = serializers.ListField(
        child=serializers.CharField(allow_blank=True), required=False, max_length=50
    )


class RequestMoreSerializer(StrictInput):
    points = serializers.ListField(
        child=serializers.CharField(allow_blank=True, max_length=2000), max_length=50
    )


class AcceptSerializer(StrictInput):
    note = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)


class ClosureSerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id")
    reference = serializers.CharField(source="application.reference")
    state_label = serializers.CharField(source="get_state_display")
    countersigned_by = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    class Meta:
        model = Closure
        fields = [
            "id",
            "application",
            "reference",
            "reason",
            "state",
            "state_label",
            "outputs",
            "destruction_attested",
            "destruction_details",
            "destroyed_on",
            "submitted_at",
            "return_reason",
            "countersigned_at",
            "countersigned_by",
            "actions",
        ]

    def get_countersigned_by(self, closure: Closure) -> str | None:
        person = closure.countersigned_by
        return (person.full_name or person.username) if person else None

    def get_actions(self, closure: Closure) -> list[str]:
        actions: list[str] = self.context.get("actions", [])
        return actions


class ClosureSummarySerializer(serializers.ModelSerializer):
    application = serializers.IntegerField(source="application_id")
    reference = serializers.CharField(source="application.reference")

    class Meta:
        model = Closure
        fields = ["id", "application", "reference", "reason", "state"]


class ClosureCreateSerializer(StrictInput):
    application = serializers.IntegerField()


class ClosureFormSerializer(StrictInput):
    outputs = serializers.CharField(required=False, allow_blank=True)
    destruction_attested = serializers.BooleanField(required=False)
    destruction_details = serializers.CharField(required=False, allow_blank=True)
    destroyed_on = serializers.DateField(required=False, allow_null=True)

    def to_data(self) -> dict[str, Any]:
        return dict(self.validated_data)


class SendBackSerializer(StrictInput):
    reason = serializers.CharField(allow_blank=True, max_length=4000)


class LifecycleSettingsSerializer(serializers.ModelSerializer):
    # Null until ops first change the settings (the defaults are not stored).
    updated_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta:
        model = LifecycleSettings
        fields = [
            "report_period_months",
            "grace_days",
            "report_reminder_days",
            "escalate_after_days",
            "renewal_reminder_days",
            "accepted_by",
            "updated_at",
        ]
        read_only_fields = ["updated_at"]
        extra_kwargs = {
            "report_period_months": {"required": False},
            "grace_days": {"required": False},
            "report_reminder_days": {"required": False},
            "escalate_after_days": {"required": False},
            "renewal_reminder_days": {"required": False},
            "accepted_by": {"required": False},
        }


class LifecycleSettingsInputSerializer(StrictInput):
    """What ops may change (each optional; the service checks each value and names it)."""

    report_period_months = serializers.IntegerField(required=False)
    grace_days = serializers.IntegerField(required=False)
    report_reminder_days = serializers.CharField(required=False, allow_blank=True)
    escalate_after_days = serializers.IntegerField(required=False)
    renewal_reminder_days = serializers.CharField(required=False, allow_blank=True)
    accepted_by = serializers.CharField(required=False)
