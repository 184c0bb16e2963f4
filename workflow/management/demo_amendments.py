"""The demo's amendments (``manage.py demo_history`` adds them, idempotently): the researcher's
newest live project asks to extend its end date by six months, submitted and waiting for ops,
so its route, its diff and the ops queue can be seen; the next live project asks to change its
research question, submitted to the IGRP, one member has voted: the IGRP's blind first round
and its rule (quorum, lay vote) can be seen on the amendment's page as each member and the
chair (docs/amendments.md)."""

from __future__ import annotations

import datetime

from access.models import User
from workflow.amendments import services
from workflow.amendments.policies import can_vote
from workflow.models import Amendment, Application, ProjectRole, State


def _live_projects(researcher: User) -> list[Application]:
    return list(
        Application.objects.filter(
            state=State.ACTIVE,
            members__user=researcher,
            members__project_role=ProjectRole.PRINCIPAL_INVESTIGATOR,
            end_date__isnull=False,
        ).order_by("-decided_at", "-id")[:2]
    )


def demo_panel_amendment(researcher: User, voter: User | None) -> Amendment | None:
    """Add the IGRP's amendment once, on the researcher's second live project, with
    ``voter``'s vote; None when there is no such project or it has an amendment already."""
    projects = _live_projects(researcher)
    if len(projects) < 2 or projects[1].amendments.exists():
        return None
    draft = services.amendment_create(
        application=projects[1],
        by=researcher,
        changes=[
            {
                "type": "change_question",
                "research_question": "Does the association differ between urban and rural areas?",
            }
        ],
        reason="The first results suggest a difference worth testing.",
    )
    amendment = services.amendment_submit(amendment=draft, by=researcher)
    track = amendment.tracks.filter(reviewer="igrp").first()
    if voter is not None and track is not None and can_vote(voter, track):
        services.amendment_vote_cast(track=track, by=voter, choice="approved")
    return amendment


def demo_amendment(researcher: User) -> Amendment | None:
    """Add the demo amendment once; None when there is no live project to amend, or when the
    demo already has it."""
    projects = _live_projects(researcher)
    project = projects[0] if projects else None
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
