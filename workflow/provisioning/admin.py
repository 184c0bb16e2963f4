"""Admin of provisioning: service accounts are created here by ops (the token is shown once);
the feed, receivers and deliveries are read here, and deliveries sent again. Receivers are
registered on the ops page or through the API (both validate the address)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from core.admin import ReadOnlyAdmin, ReadOnlyInline
from core.errors import DomainError
from workflow.provisioning import services
from workflow.provisioning.models import (
    EntitlementChange,
    ServiceAccount,
    WebhookAttempt,
    WebhookDelivery,
    WebhookReceiver,
)
from workflow.provisioning.policies import SCOPES


@admin.register(EntitlementChange)
class EntitlementChangeAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "application", "person", "occurred_at"]
    list_filter = ["kind"]


@admin.register(WebhookReceiver)
class WebhookReceiverAdmin(ReadOnlyAdmin):
    list_display = ["url", "description", "active", "created_at"]
    exclude = ["secret"]


class AttemptInline(ReadOnlyInline):
    model = WebhookAttempt
    fields = ["at", "status_code", "error", "response_body", "duration_ms", "manual"]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["id", "receiver", "change", "status", "attempts", "last_status_code"]
    list_filter = ["status", "receiver"]
    inlines = [AttemptInline]
    actions = ["redeliver"]

    @admin.action(description="Send the selected deliveries again")
    def redeliver(self, request: HttpRequest, queryset: Any) -> None:
        for delivery in queryset:
            try:
                services.webhook_delivery_redeliver(by=request.user, delivery=delivery)  # type: ignore[arg-type]
            except DomainError as refused:
                self.message_user(request, refused.detail, messages.ERROR)
                return
        self.message_user(request, f"{queryset.count()} queued to send again.")


class ServiceAccountForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in SCOPES], widget=forms.CheckboxSelectMultiple
    )
    token_days = forms.IntegerField(min_value=1, max_value=3650, initial=365)

    class Meta:
        model = ServiceAccount
        fields = ["name", "scopes"]


@admin.register(ServiceAccount)
class ServiceAccountAdmin(admin.ModelAdmin):
    """Adding one makes its user (no roles, no password) and a token, shown once."""

    form = ServiceAccountForm
    list_display = ["name", "scopes", "user", "created_at"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        account, key = services.service_account_create(
            by=request.user,  # type: ignore[arg-type]
            name=form.cleaned_data["name"],
            scopes=form.cleaned_data["scopes"],
            token_days=form.cleaned_data["token_days"],
        )
        obj.pk, obj.user = account.pk, account.user
        self.message_user(
            request,
            f"Service account {account.name} created. Its token (shown only now): {key}",
            messages.WARNING,
        )
