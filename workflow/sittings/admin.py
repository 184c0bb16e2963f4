"""Admin for sittings: read-only, like the rest of the workflow (the services write these rows;
the chair and ops run a sitting from its page or the API)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from workflow.models import AgendaItem, Sitting, SittingAttendance, SittingEvent


class ItemInline(ReadOnlyInline):
    model = AgendaItem
    fields = ["position", "track", "state", "deferred_reason", "paper_generated_at"]


class AttendanceInline(ReadOnlyInline):
    model = SittingAttendance
    fields = ["member", "present", "recorded_at"]


class EventInline(ReadOnlyInline):
    model = SittingEvent
    fields = ["created_at", "actor_name", "transition", "from_state", "to_state", "reason"]


@admin.register(Sitting)
class SittingAdmin(ReadOnlyAdmin):
    list_display = ["panel", "date", "cut_off", "state", "agenda_version"]
    list_filter = ["panel", "state"]
    inlines = [ItemInline, AttendanceInline, EventInline]
