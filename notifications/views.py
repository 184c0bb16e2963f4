"""The notifications inbox and how a person wants email."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from notifications import selectors, services
from notifications.forms import PreferenceForm


@login_required
def inbox(request):
    notifications = selectors.notifications_visible_to(request.user)
    page = Paginator(notifications, 25).get_page(request.GET.get("page"))
    return render(
        request,
        "notifications/inbox.html",
        {
            "title": "Notifications",
            "page": page,
            "preference": selectors.preference_for(request.user),
        },
    )


@login_required
@require_POST
def open_notification(request, pk: int):
    """Mark it read and go to the page it is about."""
    notification = get_object_or_404(selectors.notifications_visible_to(request.user), pk=pk)
    services.notification_mark_read(notification=notification, by=request.user)
    if url_has_allowed_host_and_scheme(notification.url, allowed_hosts=None):
        return redirect(notification.url)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    count = services.notifications_mark_all_read(by=request.user)
    messages.success(request, f"{count} notification{'s' if count != 1 else ''} marked as read.")
    return redirect("notifications:inbox")


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    current = selectors.preference_for(request.user)
    form = PreferenceForm(
        request.POST if request.method == "POST" else None,
        initial={"email_mode": current.email_mode},
    )
    if request.method == "POST" and form.is_valid():
        services.preference_set(user=request.user, email_mode=form.cleaned_data["email_mode"])
        messages.success(request, "Your email preference is saved.")
        return redirect("notifications:inbox")
    return render(
        request,
        "notifications/preferences.html",
        {"title": "Email preferences", "form": form},
    )
