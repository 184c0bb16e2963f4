"""Admin for public involvement: read-only (it changes through the pages and the API)."""

from django.contrib import admin

from core.admin import ReadOnlyAdmin
from workflow.models import Consultation, InvolvementActivity, PublicInterest


@admin.register(PublicInterest)
class PublicInterestAdmin(ReadOnlyAdmin):
    list_display = ["application", "high", "required", "flagged_at", "required_at"]
    list_filter = ["high", "required"]


@admin.register(InvolvementActivity)
class InvolvementActivityAdmin(ReadOnlyAdmin):
    list_display = ["application", "status", "held_on", "who"]
    list_filter = ["status"]


@admin.register(Consultation)
class ConsultationAdmin(ReadOnlyAdmin):
    list_display = ["application", "panel", "requested_at", "answered_at"]
