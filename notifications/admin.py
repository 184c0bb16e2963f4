"""Ops look at the outbox here: what is waiting, what failed and why. Rows are not edited by
hand (the delivery state machine owns them); failed emails can be requeued."""

from __future__ import annotations

from django.contrib import admin, messages

from core.admin import ReadOnlyAdmin
from notifications import services
from notifications.models import (
    DigestRun,
    EmailStatus,
    Notification,
    NotificationPreference,
    OutboundEmail,
)


class RequeueFailedAdmin(ReadOnlyAdmin):
    """An outbox's admin: every field read-only, failed emails requeued by the action (through
    ``requeue``, the outbox's service, which checks who may)."""

    actions = ["requeue_failed"]

    # Requeueing is a change: the action needs the change permission, while every field of
    # the row stays read-only (the delivery state machine owns them).
    def has_change_permission(self, request, obj=None) -> bool:
        return admin.ModelAdmin.has_change_permission(self, request, obj)

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def requeue(self, ids, by) -> int:
        raise NotImplementedError

    @admin.action(description="Requeue failed emails", permissions=["change"])
    def requeue_failed(self, request, queryset):
        failed = queryset.filter(email_status=EmailStatus.FAILED).values_list("pk", flat=True)
        count = self.requeue(failed, request.user)
        self.message_user(request, f"{count} failed email(s) requeued.", messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(RequeueFailedAdmin):
    list_display = [
        "id",
        "created_at",
        "kind",
        "recipient",
        "about",
        "email_status",
        "email_attempts",
        "next_attempt_at",
        "read_at",
    ]
    list_filter = ["email_status", "kind"]
    search_fields = ["about", "kind", "recipient__email", "subject"]
    list_select_related = ["recipient"]
    date_hierarchy = "created_at"

    def requeue(self, ids, by) -> int:
        return services.notifications_requeue_failed(notification_ids=ids, by=by)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(RequeueFailedAdmin):
    """Registration and invitation emails to addresses without an account: the same delivery
    states as notifications; failed ones can be requeued."""

    list_display = [
        "id",
        "created_at",
        "kind",
        "to_address",
        "about",
        "email_status",
        "email_attempts",
        "next_attempt_at",
        "last_error",
    ]
    list_filter = ["email_status", "kind"]
    search_fields = ["about", "kind", "to_address", "subject"]
    date_hierarchy = "created_at"

    def requeue(self, ids, by) -> int:
        return services.outbound_requeue_failed(email_ids=ids, by=by)


@admin.register(DigestRun)
class DigestRunAdmin(ReadOnlyAdmin):
    list_display = ["day", "recipient", "email_status", "email_attempts", "email_sent_at"]
    list_filter = ["email_status", "day"]
    list_select_related = ["recipient"]
    search_fields = ["recipient__email"]


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin):
    list_display = ["user", "email_mode", "updated_at"]
    list_filter = ["email_mode"]
    list_select_related = ["user"]
    search_fields = ["user__email"]
    raw_id_fields = ["user"]
