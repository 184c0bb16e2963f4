"""Admin for amendments: the routing table and the owners' longest projects are ops's to change
here (the one place the rules live); amendments themselves are read-only (the services write
them)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from workflow.models import (
    Amendment,
    AmendmentEvent,
    AmendmentTrack,
    AmendmentVote,
    ExtensionLimit,
    RouteRule,
)


@admin.register(RouteRule)
class RouteRuleAdmin(admin.ModelAdmin):
    list_display = ["change_type", "reviewer", "when", "target_days", "active"]
    list_editable = ["target_days", "active"]
    list_filter = ["change_type", "reviewer", "active"]


@admin.register(ExtensionLimit)
class ExtensionLimitAdmin(admin.ModelAdmin):
    list_display = ["organisation", "longest_project_months"]


class TrackInline(ReadOnlyInline):
    model = AmendmentTrack
    fields = ["reviewer", "organisation", "state", "due_date", "outcome", "decided_by"]


class EventInline(ReadOnlyInline):
    model = AmendmentEvent
    fields = ["created_at", "actor_name", "transition", "from_state", "to_state", "reason"]


@admin.register(AmendmentVote)
class AmendmentVoteAdmin(ReadOnlyAdmin):
    list_display = ["track", "member", "choice", "cast_at"]


@admin.register(Amendment)
class AmendmentAdmin(ReadOnlyAdmin):
    list_display = ["application", "number", "state", "submitted_at", "decided_at"]
    list_filter = ["state"]
    inlines = [TrackInline, EventInline]
