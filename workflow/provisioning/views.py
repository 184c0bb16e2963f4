"""Ops: the secure environment's webhook receivers, their deliveries and each attempt, a
delivery sent again by hand. Translation only: the services and selectors decide."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import ValidationFailed
from core.web import apply_domain_errors, error_items
from workflow.provisioning import selectors, services
from workflow.provisioning.forms import WebhookReceiverForm
from workflow.provisioning.models import DeliveryStatus, WebhookReceiver
from workflow.provisioning.policies import check_manage_provisioning

RECENT = 50


@login_required
@require_http_methods(["GET", "POST"])
def webhooks(request):
    check_manage_provisioning(request.user)
    form = WebhookReceiverForm(request.POST if request.method == "POST" else None)
    created = None
    if request.method == "POST" and form.is_valid():
        try:
            created = services.webhook_receiver_register(by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            form = WebhookReceiverForm()
    receivers = WebhookReceiver.objects.annotate(
        pending=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.PENDING)),
        delivered=Count("deliveries", filter=Q(deliveries__status=DeliveryStatus.DELIVERED)),
    ).order_by("id")
    errors = error_items(form)
    return render(
        request,
        "workflow/ops/webhooks.html",
        {
            "title": "Webhooks to the secure environment",
            "form": form,
            "error_items": errors,
            "created": created,
            "receivers": receivers,
            "deliveries": selectors.deliveries()[:RECENT],
        },
        status=400 if errors else 200,
    )


@login_required
def webhook_delivery(request, pk: int):
    check_manage_provisioning(request.user)
    delivery = get_object_or_404(selectors.deliveries(), pk=pk)
    return render(
        request,
        "workflow/ops/webhook_delivery.html",
        {
            "title": f"Delivery {delivery.pk}",
            "delivery": delivery,
            "attempts": delivery.log.order_by("-id"),
            "payload": selectors.change_payload(delivery.change),
        },
    )


@login_required
@require_POST
def webhook_redeliver(request, pk: int):
    check_manage_provisioning(request.user)
    delivery = get_object_or_404(selectors.deliveries(), pk=pk)
    services.webhook_delivery_redeliver(by=request.user, delivery=delivery)
    messages.success(request, f"Delivery {delivery.pk} will be sent again now.")
    return redirect("workflow:webhook-delivery", pk=delivery.pk)
