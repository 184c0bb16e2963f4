"""The demo's amendment (``manage.py demo_history`` adds it, idempotently): the researcher's
newest live project asks to extend its end date by six months, submitted and waiting for ops,
so its route, its diff and the ops queue can be seen."""

from __future__ import annotations

import datetime

from access.models import User
from workflow.amendments import services
from workflow.models import Amendment, Application, ProjectRole, State


def demo_amendment(researcher: User) -> Amendment | None:
    """Add the demo amendment once; None when there is no live project to amend, or when the
    demo already has it."""
    project = (
        Application.objects.filter(
            state=State.ACTIVE,
            members__user=researcher,
            members__project_role=ProjectRole.PRINCIPAL_INVESTIGATOR,
            end_date__isnull=False,
        )
        .order_by("-decided_at", "-id")
        .first()
    )
    if project is None or project.amendments.exists() or project.end_date is None:
        return None
    new_end = project.end_date + datetime.timedelta(days=182)
    draft = services.amendment_create(
        application=project,
        by=researcher,
        changes=[{"type": "extend_end_date", "end_date": new_end.isoformat()}],
        reason="Recruitment to the linked cohort took six months longer than planned.",
    )
    return services.amendment_submit(amendment=draft, by=researcher)
