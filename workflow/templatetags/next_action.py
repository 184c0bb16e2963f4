"""The "You need to …" banner at the top of an application's pages."""

from __future__ import annotations

from typing import Any

from django import template

from workflow.route.next_action import next_action

register = template.Library()


@register.inclusion_tag("workflow/_next_action.html", takes_context=True)
def next_action_banner(context: dict[str, Any], application: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    if "page_next_action" in context:
        # The page worked it out already (the application's overview).
        action = context["page_next_action"]
    else:
        action = next_action(user, application) if application is not None and user else None
    # No button to the page the person is already on (the words still say what to do).
    here = getattr(request, "path", "")
    button = action is not None and action.href.split("#")[0] != here
    return {"action": action, "button": button}


@register.filter
def needs_action(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows of a list whose ``action`` waits on the reader."""
    return [row for row in rows if row.get("action")]
