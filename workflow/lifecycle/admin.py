"""Admin for the lifecycle topic: the settings row ops may change (the same rules as the
/ops/lifecycle/ page, through its service), and read-only reports and close-outs (the services
write those rows)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from workflow.lifecycle.services import lifecycle_settings_update
from workflow.models import (
    Closure,
    ClosureEvent,
    LifecycleSettings,
    ProgressReport,
    ReportEvent,
    ReportRound,
)

FIELDS = [
    "report_period_months",
    "grace_days",
    "report_reminder_days",
    "escalate_after_days",
    "renewal_reminder_days",
    "accepted_by",
]


@admin.register(LifecycleSettings)
class LifecycleSettingsAdmin(admin.ModelAdmin):
    fields = [*FIELDS, "updated_at", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def has_add_permission(self, request: Any) -> bool:
        return not LifecycleSettings.objects.exists()

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def save_model(self, request: Any, obj: LifecycleSettings, form: Any, change: bool) -> None:
        # The form has checked each field (the model's validators): the service records who.
        lifecycle_settings_update(
            by=request.user, data={name: getattr(obj, name) for name in FIELDS}
        )


class RoundInline(ReadOnlyInline):
    model = ReportRound
    fields = ["number", "submitted_at", "submitted_by", "points", "decided_at", "decided_by"]


class ReportEventInline(ReadOnlyInline):
    model = ReportEvent
    fields = ["created_at", "actor_name", "transition", "from_state", "to_state", "reason"]


@admin.register(ProgressReport)
class ProgressReportAdmin(ReadOnlyAdmin):
    list_display = ["application", "number", "due_on", "state", "suspended_project"]
    list_filter = ["state", "suspended_project"]
    inlines = [RoundInline, ReportEventInline]


class ClosureEventInline(ReadOnlyInline):
    model = ClosureEvent
    fields = ["created_at", "actor_name", "transition", "from_state", "to_state", "reason"]


@admin.register(Closure)
class ClosureAdmin(ReadOnlyAdmin):
    list_display = ["application", "reason", "state", "submitted_at", "countersigned_at"]
    list_filter = ["state", "reason"]
    inlines = [ClosureEventInline]
