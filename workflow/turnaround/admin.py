"""Admin for stage targets: ops set them here as in the API (``stage_target_set``)."""

from django import forms
from django.contrib import admin

from access.policy import Permission, has_permission
from workflow.models import (
    StageTarget,
)
from workflow.turnaround import services as target_services
from workflow.turnaround import targets as turnaround


class StageTargetForm(forms.ModelForm):
    class Meta:
        model = StageTarget
        fields = ["stage", *turnaround.TARGET_FIELDS]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        creating = self.instance.pk is None
        problems = turnaround.target_errors(data.get("stage", ""), data, creating=creating)
        for field, field_messages in problems.items():
            for message in field_messages:
                self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(StageTarget)
class StageTargetAdmin(admin.ModelAdmin):
    """Ops set targets here as in the API (``stage_target_set``, stamped with who and when)."""

    form = StageTargetForm
    list_display = ["stage", "days", "unit", "due_soon_days", "escalate_after_days", "updated_by"]
    readonly_fields = ["updated_at", "updated_by"]

    def get_readonly_fields(self, request, obj=None):
        # The key of an existing target does not change (reminders and tracks refer to it).
        return [*self.readonly_fields, "stage"] if obj else self.readonly_fields

    def has_add_permission(self, request):
        return has_permission(request.user, Permission.TARGETS_MANAGE)

    def has_change_permission(self, request, obj=None):
        return has_permission(request.user, Permission.TARGETS_MANAGE)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        saved = target_services.stage_target_set(
            stage=obj.stage,
            by=request.user,
            data={name: form.cleaned_data.get(name) for name in turnaround.TARGET_FIELDS},
        )
        obj.pk, obj.updated_at, obj.updated_by = saved.pk, saved.updated_at, saved.updated_by
