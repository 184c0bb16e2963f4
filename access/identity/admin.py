"""Admin for identity: read-only views of affiliations (decided on the organisation's people
page, never here) and registrations."""

from django.contrib import admin

from access.models import Affiliation, AffiliationEvent, Registration
from core.admin import ReadOnlyAdmin, ReadOnlyInline


class AffiliationEventInline(ReadOnlyInline):
    model = AffiliationEvent
    fields = ["created_at", "transition", "from_state", "to_state", "actor_name", "reason"]


@admin.register(Affiliation)
class AffiliationAdmin(ReadOnlyAdmin):
    list_display = ["person", "organisation", "state", "requested_at", "decided_by"]
    list_filter = ["state", "organisation"]
    search_fields = ["person__full_name", "person__email", "organisation__name"]
    inlines = [AffiliationEventInline]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyAdmin):
    list_display = ["email", "full_name", "organisation", "requested_at", "completed_at"]
    search_fields = ["email", "full_name"]
