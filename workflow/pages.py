"""What every application page shares: loading the application the person may see, with
what the pages read (the topics' views all load it here)."""

from __future__ import annotations

from typing import Any

from workflow.models import Application
from workflow.route.policies import visible_application
from workflow.route.selectors import application_detail_queryset


def get_application(request: Any, pk: Any, *, whole: bool = False) -> Application:
    """The application, if ``request.user`` may see it (404 otherwise, never 403: whether it
    exists is not theirs to know); ``whole``: pages that show all of it are not for someone who
    sees only their organisation's part (403)."""
    return visible_application(
        request.user, pk, whole=whole, queryset=application_detail_queryset()
    )
