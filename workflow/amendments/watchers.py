"""What amendments do when something happens elsewhere (``notifications.notices.watch``): a
member an amendment added to a live project, who has signed the agreement, gets their access
grant the moment their accreditation is confirmed, or the moment a suspended project is
reinstated (inside that change's transaction)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from notifications.notices import watch
from workflow.amendments.services import grant_if_ready, grants_follow
from workflow.route.models import Application, State


@watch("accreditation.accredited")
def grants_follow_accreditation(kind: str, accreditation: Any, context: Mapping[str, Any]) -> None:
    """Every active project the person is on without a grant (in an active project, only a
    member an amendment added has none) gives them one now if they are ready."""
    person = accreditation.person
    by = context.get("actor") or person
    projects = (
        Application.objects.filter(state=State.ACTIVE, members__user=person)
        .exclude(access_grants__person=person)
        .distinct()
    )
    for application in projects:
        grant_if_ready(application, person, by=by)


@watch("application.reinstated")
def grants_follow_reinstatement(kind: str, application: Any, context: Mapping[str, Any]) -> None:
    """A member added while the project was suspended gets their grant when it is reinstated
    (the reinstatement brings back only the grants that existed)."""
    by = context.get("actor")
    if by is not None:
        grants_follow(application, by=by)
