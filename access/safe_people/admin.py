"""Admin for safe people: read-only views of what the services write.

States change only through the services (the officer's decisions, the nightly tasks, the
route), so the admin shows accreditation and grants with their histories and offers no edit.
An agreement text can be added here (the next version) and edited until someone signs it.
"""

from django.contrib import admin
from django.utils import timezone

from access.models import (
    AccessGrant,
    AccessGrantEvent,
    Accreditation,
    AccreditationEvent,
    AgreementSignature,
    AgreementText,
)
from core.admin import ReadOnlyAdmin, ReadOnlyInline


class AccreditationEventInline(ReadOnlyInline):
    model = AccreditationEvent
    fields = ["created_at", "transition", "from_state", "to_state", "actor_name", "reason"]


@admin.register(Accreditation)
class AccreditationAdmin(ReadOnlyAdmin):
    list_display = ["person", "kind", "state", "issued_on", "expires_on", "decided_by"]
    list_filter = ["kind", "state"]
    search_fields = ["person__full_name", "person__email", "certificate_number"]
    inlines = [AccreditationEventInline]


@admin.register(AgreementText)
class AgreementTextAdmin(admin.ModelAdmin):
    list_display = ["version", "title", "published_at", "published_by"]
    readonly_fields = ["published_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.published_at = timezone.now()
        super().save_model(request, obj, form, change)

    def has_change_permission(self, request, obj=None):
        # Signed text never changes: publish a new version instead.
        return super().has_change_permission(request, obj) and not (
            obj is not None and obj.signatures.exists()
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not (
            obj is not None and obj.signatures.exists()
        )


@admin.register(AgreementSignature)
class AgreementSignatureAdmin(ReadOnlyAdmin):
    list_display = ["application", "signer", "capacity", "agreement", "signed_at"]
    list_filter = ["capacity"]


class AccessGrantEventInline(ReadOnlyInline):
    model = AccessGrantEvent
    fields = ["created_at", "transition", "from_state", "to_state", "actor_name", "reason"]


@admin.register(AccessGrant)
class AccessGrantAdmin(ReadOnlyAdmin):
    list_display = ["application", "person", "state", "start_on", "end_on", "project_on_hold"]
    list_filter = ["state", "project_on_hold"]
    search_fields = ["person__full_name", "application__reference"]
    inlines = [AccessGrantEventInline]
