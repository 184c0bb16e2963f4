"""Admin for the workflow: read-only views of what the services write.

State and events never change here: the state machine's field is protected and the event table
is append-only, so the admin shows them and offers no edit or delete.
"""

from django import forms
from django.contrib import admin

from access.policy import Permission, has_permission

from .models import (
    Application,
    ApplicationMember,
    ApplicationVersion,
    ConflictOfInterest,
    Event,
    FeedbackItem,
    FeedbackRequest,
    Panel,
    PanelMembership,
    PreApprovedMatch,
    RequestedDataset,
    ReviewTrack,
    StageTarget,
    Vote,
)
from .services import turnaround


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class MemberInline(ReadOnlyInline):
    model = ApplicationMember
    fields = ["user", "project_role"]


class DatasetInline(ReadOnlyInline):
    model = RequestedDataset
    fields = ["dataset", "legal_gateway", "justification"]


class TrackInline(ReadOnlyInline):
    model = ReviewTrack
    fields = ["kind", "organisation", "state", "round", "superseded", "outcome", "due_date"]


class EventInline(ReadOnlyInline):
    model = Event
    fields = ["created_at", "kind", "actor_name", "actor_role", "from_state", "to_state", "reason"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "state", "analyst", "submitted_at", "updated_at"]
    list_filter = ["state", "route", "purpose"]
    search_fields = ["reference", "title"]
    inlines = [MemberInline, DatasetInline, TrackInline, EventInline]


@admin.register(ReviewTrack)
class ReviewTrackAdmin(ReadOnlyAdmin):
    list_display = ["application", "kind", "organisation", "state", "outcome", "due_date"]
    list_filter = ["kind", "state", "outcome"]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "application", "kind", "actor_name", "actor_role", "to_state"]
    list_filter = ["kind", "actor_role"]
    search_fields = ["application__reference", "actor_name"]


class FeedbackItemInline(ReadOnlyInline):
    model = FeedbackItem
    fields = ["section", "text", "response", "responded_at"]


@admin.register(FeedbackRequest)
class FeedbackRequestAdmin(ReadOnlyAdmin):
    list_display = ["application", "round", "stage", "requested_by", "requested_at", "resolved_at"]
    inlines = [FeedbackItemInline]


@admin.register(ApplicationVersion)
class ApplicationVersionAdmin(ReadOnlyAdmin):
    list_display = ["application", "number", "created_by", "created_at"]


class PanelMembershipInline(admin.TabularInline):
    model = PanelMembership
    extra = 0
    fields = ["user", "is_chair", "is_independent", "joined_on", "left_on"]
    readonly_fields = ["joined_on"]
    autocomplete_fields = ["user"]


@admin.register(Panel)
class PanelAdmin(admin.ModelAdmin):
    """Ops configure panels here: quorum, rule, independent votes, target, members, chair."""

    list_display = [
        "name",
        "track_kind",
        "quorum",
        "decision_rule",
        "min_independent_votes",
        "is_active",
    ]
    list_filter = ["track_kind", "is_active"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [PanelMembershipInline]

    def has_delete_permission(self, request, obj=None):
        # Tracks cite their panel; retire a panel by making it inactive.
        return False


@admin.register(Vote)
class VoteAdmin(ReadOnlyAdmin):
    list_display = ["track", "member", "choice", "cast_at", "changed_at"]
    list_filter = ["choice"]


@admin.register(ConflictOfInterest)
class ConflictOfInterestAdmin(ReadOnlyAdmin):
    list_display = ["application", "user", "declared_at"]


@admin.register(PreApprovedMatch)
class PreApprovedMatchAdmin(ReadOnlyAdmin):
    list_display = ["track", "dataset", "category_version", "matched_at"]


class StageTargetForm(forms.ModelForm):
    class Meta:
        model = StageTarget
        fields = ["stage", *turnaround.TARGET_FIELDS]

    def clean(self):
        data = super().clean()
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
        saved = turnaround.stage_target_set(
            stage=obj.stage,
            by=request.user,
            data={name: form.cleaned_data.get(name) for name in turnaround.TARGET_FIELDS},
        )
        obj.pk, obj.updated_at, obj.updated_by = saved.pk, saved.updated_at, saved.updated_by


from . import admin_safes  # noqa: E402, F401  (the Five Safes, public benefit, conditions)
