"""Admin for applications and their audit trail: read-only views of what the services write."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from workflow.models import (
    Application,
    ApplicationMember,
    ApplicationVersion,
    Event,
    RequestedDataset,
    ReviewTrack,
    TeamInvitation,
)


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


@admin.register(Application)
class ApplicationAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "state", "analyst", "submitted_at", "updated_at"]
    list_filter = ["state", "route", "purpose"]
    search_fields = ["reference", "title"]
    inlines = [MemberInline, DatasetInline, TrackInline, EventInline]


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "application", "kind", "actor_name", "actor_role", "to_state"]
    list_filter = ["kind", "actor_role"]
    search_fields = ["application__reference", "actor_name"]


@admin.register(ApplicationVersion)
class ApplicationVersionAdmin(ReadOnlyAdmin):
    list_display = ["application", "number", "created_by", "created_at"]


@admin.register(TeamInvitation)
class TeamInvitationAdmin(admin.ModelAdmin):
    """Invitations onto teams: withdrawn here (status), otherwise read-only."""

    list_display = ["email", "application", "project_role", "status", "invited_at", "invited_by"]
    list_filter = ["status"]
    search_fields = ["email", "application__reference"]
    readonly_fields = [
        "application",
        "email",
        "project_role",
        "invited_at",
        "invited_by",
        "accepted_at",
        "accepted_by",
    ]

    def has_add_permission(self, request, obj=None) -> bool:
        return False
