"""Admin for output requests: read-only, like the rest of the workflow (the services write these
rows). Ops give people the ``output_checker`` role in the user admin."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from workflow.models import CheckerReview, OutputEvent, OutputFile, OutputRequest, OutputRound


class FileInline(ReadOnlyInline):
    model = OutputFile
    fields = ["name", "kind", "content_type", "size", "current", "decision", "released_at"]


class RoundInline(ReadOnlyInline):
    model = OutputRound
    fields = ["number", "opened_at", "consolidated_at", "consolidated_by"]


class EventInline(ReadOnlyInline):
    model = OutputEvent
    fields = ["created_at", "actor_name", "transition", "from_state", "to_state", "reason"]


@admin.register(OutputRequest)
class OutputRequestAdmin(ReadOnlyAdmin):
    list_display = ["title", "application", "state", "round", "submitted_at", "finished_at"]
    list_filter = ["state", "public"]
    inlines = [FileInline, RoundInline, EventInline]


@admin.register(CheckerReview)
class CheckerReviewAdmin(ReadOnlyAdmin):
    list_display = ["round", "checker", "submitted_at"]
