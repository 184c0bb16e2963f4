"""Reads of a project's life after access (progress reports, renewal reminders, closure).

The lifecycle topic owns this module (branch ``lifecycle``); this copy holds only the one
function the amendments topic calls, returning None, so that the amendments branch stands on its
own. The coordinator takes the lifecycle topic's version on merge.
"""

from __future__ import annotations

from typing import Any


def scope_growth_blocked(application: Any) -> str | None:
    """Why ``application`` may not grow in scope now (a suspended-for-overdue project until its
    progress report is accepted), or None when it may. Owned by the lifecycle topic."""
    return None
