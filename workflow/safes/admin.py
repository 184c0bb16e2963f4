"""Admin for the Five Safes, public benefit and conditions: read-only, like the rest of the
workflow (the services write these rows)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from workflow.models import (
    ApplicationSafeguards,
    Condition,
    FiveSafesCheckResult,
    FiveSafesRun,
    PublicBenefitAssessment,
    PublicBenefitRisk,
    PublicBenefitScore,
    SafeVerdict,
)


@admin.register(ApplicationSafeguards)
class SafeguardsAdmin(ReadOnlyAdmin):
    list_display = ["application", "ethics_reference", "access_inside_tre_only", "updated_at"]


class CheckResultInline(ReadOnlyInline):
    model = FiveSafesCheckResult
    fields = ["code", "safe", "result", "message"]


@admin.register(FiveSafesRun)
class FiveSafesRunAdmin(ReadOnlyAdmin):
    list_display = ["application", "gate", "run_at", "run_by"]
    list_filter = ["gate"]
    inlines = [CheckResultInline]


@admin.register(SafeVerdict)
class SafeVerdictAdmin(ReadOnlyAdmin):
    list_display = ["application", "safe", "verdict", "decided_by", "decided_at"]
    list_filter = ["safe", "verdict"]


class RiskInline(ReadOnlyInline):
    model = PublicBenefitRisk
    fields = ["dimension", "description", "likelihood", "severity", "mitigation"]


class ScoreInline(ReadOnlyInline):
    model = PublicBenefitScore
    fields = ["scorer", "scores", "comment", "scored_at"]


@admin.register(PublicBenefitAssessment)
class PublicBenefitAssessmentAdmin(ReadOnlyAdmin):
    list_display = ["application", "updated_at", "updated_by"]
    inlines = [RiskInline, ScoreInline]


@admin.register(Condition)
class ConditionAdmin(ReadOnlyAdmin):
    list_display = ["application", "text", "origin", "timing", "state", "due_date", "verified_by"]
    list_filter = ["state", "timing", "origin"]
    search_fields = ["application__reference", "text"]
