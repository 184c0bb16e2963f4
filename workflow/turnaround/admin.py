"""Admin for stage targets: ops set them here as in the API (``stage_target_set``): each save
adds a version of the stage's target."""

from django import forms
from django.contrib import admin

from access.policy import Permission, has_permission
from workflow.models import (
    StageTarget,
)
from workflow.turnaround import services as target_services
from workflow.turnaround import targets as turnaround


class StageTargetForm(forms.ModelForm):
    in_force_from = forms.DateField(
        required=False,
        help_text="From when this version is in force (empty: from now). Saving always adds a "
        "version: stages and tracks that started before keep the one they started under.",
    )

    class Meta:
        model = StageTarget
        fields = ["stage", *turnaround.TARGET_FIELDS]

    def clean(self):
        super().clean()
        data = self.cleaned_data
        creating = self.instance.pk is None
        problems = turnaround.target_errors(
            data.get("stage", ""),
            {**data, "effective_from": data.get("in_force_from")},
            creating=creating,
        )
        for field, field_messages in problems.items():
            for message in field_messages:
                field = "in_force_from" if field == "effective_from" else field
                self.add_error(field if field in self.fields else None, message)
        return data


@admin.register(StageTarget)
class StageTargetAdmin(admin.ModelAdmin):
    """Ops set targets here as in the API (``stage_target_set``, stamped with who and when)."""

    form = StageTargetForm
    list_display = [
        "stage",
        "effective_from",
        "days",
        "unit",
        "due_soon_days",
        "escalate_after_days",
        "updated_by",
    ]
    list_filter = ["stage"]
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
        # A new version of the stage's target (never an edit of one in force).
        saved = target_services.stage_target_set(
            stage=obj.stage,
            by=request.user,
            data={
                **{name: form.cleaned_data.get(name) for name in turnaround.TARGET_FIELDS},
                "effective_from": form.cleaned_data.get("in_force_from"),
            },
        )
        obj.pk, obj.updated_at, obj.updated_by = saved.pk, saved.updated_at, saved.updated_by
