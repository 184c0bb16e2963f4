"""Reads that decide what a person may see of notifications."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet

from access.models import User
from notifications.models import EmailMode, Notification
from notifications.models import NotificationPreference as Preference


def notifications_visible_to(
    user: User | AnonymousUser, *, unread: bool | None = None
) -> QuerySet[Notification]:
    """A person's own inbox, newest first; nobody sees anyone else's notifications (and
    someone signed out has none)."""
    if user.pk is None:
        return Notification.objects.none()
    queryset = Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-id")
    if unread is True:
        queryset = queryset.filter(read_at__isnull=True)
    elif unread is False:
        queryset = queryset.filter(read_at__isnull=False)
    return queryset


def preference_for(user: User) -> Preference:
    """The stored preference, or the default (immediate email) unsaved."""
    try:
        return Preference.objects.get(user_id=user.pk)
    except Preference.DoesNotExist:
        return Preference(user=user, email_mode=EmailMode.IMMEDIATE)
