"""What the secure environment is told, and when: each change to a grant or a live project
becomes a change in the feed (and a webhook delivery per receiver that wants it).

Watched notices (``notifications.notices.watch``) are handled at the end of the service that
raised them, inside its transaction, in the order they were raised. A notice tells people;
a watcher tells machines, whoever the people are:

=========================  =====================================
notice                     changes
=========================  =====================================
access_grant.granted       grant.created, member.joined
access_grant.suspended     grant.suspended
access_grant.reinstated    grant.reinstated
access_grant.ended         grant.ended, member.left
application.closed         project.closed
=========================  =====================================
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import AccessGrant
from notifications.notices import watch
from workflow.provisioning.models import ChangeKind
from workflow.provisioning.outbox import change_record
from workflow.provisioning.selectors import dataset_slugs
from workflow.route.models import Application

GRANT_CHANGES: dict[str, tuple[ChangeKind, ...]] = {
    "access_grant.granted": (ChangeKind.GRANT_CREATED, ChangeKind.MEMBER_JOINED),
    "access_grant.suspended": (ChangeKind.GRANT_SUSPENDED,),
    "access_grant.reinstated": (ChangeKind.GRANT_REINSTATED,),
    "access_grant.ended": (ChangeKind.GRANT_ENDED, ChangeKind.MEMBER_LEFT),
}
# The grant's state right after the notice's change (a later change in the same service may
# have moved it on; each change reports its own).
STATE_AFTER = {
    "access_grant.granted": "active",
    "access_grant.suspended": "suspended",
    "access_grant.reinstated": "active",
    "access_grant.ended": "ended",
}


def grant_data(grant: AccessGrant, state: str) -> dict[str, Any]:
    application = grant.application
    return {
        "project": application.reference,  # type: ignore[attr-defined]
        "application": grant.application_id,
        "grant": grant.pk,
        "state": state,
        "person": {
            "id": grant.person_id,
            "username": grant.person.username,
            "email": grant.person.email,
        },
        "start_on": grant.start_on.isoformat(),
        "end_on": grant.end_on.isoformat(),
        "datasets": dataset_slugs(application),  # type: ignore[arg-type]
        "reason": grant.suspension_reason
        if state == "suspended"
        else grant.end_reason
        if state == "ended"
        else "",
    }


@watch(*GRANT_CHANGES)
def _grant_changed(kind: str, grant: AccessGrant, context: Mapping[str, Any]) -> None:
    data = grant_data(grant, STATE_AFTER[kind])
    for change in GRANT_CHANGES[kind]:
        change_record(
            kind=change,
            application=grant.application,  # type: ignore[arg-type]
            grant=grant,
            person=grant.person,
            data=data,
        )


@watch("application.closed")
def _project_closed(kind: str, application: Application, context: Mapping[str, Any]) -> None:
    change_record(
        kind=ChangeKind.PROJECT_CLOSED,
        application=application,
        data={
            "project": application.reference,
            "application": application.pk,
            "state": "closed",
            "datasets": dataset_slugs(application),
        },
    )
