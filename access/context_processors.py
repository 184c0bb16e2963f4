"""What every page's layout needs: the navigation for this person and their unread count."""

from __future__ import annotations

from access.models import Role
from access.navigation import entries_for
from notifications.selectors import notifications_visible_to


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    context = {"nav_items": entries_for(user, request.path), "unread_count": 0}
    if user is not None and user.is_authenticated:
        context["unread_count"] = notifications_visible_to(user, unread=True).count()
        context["role_labels"] = sorted(
            _role_label(name) for name in user.role_names if _role_label(name)
        )
    return context


def _role_label(name: str) -> str:

    return Role(name).label if name in Role.values else ""
