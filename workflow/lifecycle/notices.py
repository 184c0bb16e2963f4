"""Who is told of what happens to progress reports and close-outs (``notifications.notices``),
computed from the state after the change; the actor is never told of their own act.

The project's own changes (suspended, reinstated, closed) tell its team through the route's
notices (``application.suspended`` and so on); these add who else must act.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from access.models import OrganisationMembership, Role, User
from access.selectors import users_with_role
from notifications.notices import notice
from workflow.models import (
    Acceptor,
    Application,
    Closure,
    LifecycleSettings,
    PanelMembership,
    ProgressReport,
)

Context = Mapping[str, Any]


def _report_about(report: ProgressReport) -> str:
    return f"progress-report:{report.pk}"


def _report_page(report: ProgressReport, context: Context) -> str:
    return f"/progress-reports/{report.pk}/"


def _closure_about(closure: Closure) -> str:
    return f"closure:{closure.pk}"


def _closure_page(closure: Closure, context: Context) -> str:
    return f"/closures/{closure.pk}/"


def report_acceptors(application: Application) -> list[User]:
    """Ops, or the IGRP's members when ops set it so; never the project's own team."""
    if LifecycleSettings.current().accepted_by == Acceptor.IGRP:
        people = [
            m.user
            for m in PanelMembership.objects.filter(
                panel__track_kind="igrp", panel__is_active=True, left_on__isnull=True
            ).select_related("user")
        ]
    else:
        people = list(users_with_role(Role.OPS))
    return application.not_on_team(people)


def ops_for(application: Application) -> list[User]:
    return application.not_on_team(users_with_role(Role.OPS))


def signatories_for(application: Application) -> list[User]:
    if application.lead_organisation_id is None:
        return []
    people = User.objects.filter(
        memberships__organisation_id=application.lead_organisation_id,
        memberships__capacity=OrganisationMembership.Capacity.SIGNATORY,
        is_active=True,
    ).order_by("pk")
    return application.not_on_team(people)


def pi_or_team(application: Application) -> list[User]:
    pi = application.principal_investigator()
    return [pi] if pi is not None and pi.is_active else application.team()


@notice(
    "report.submitted",
    subject="{{ reference }}: progress report {{ number }} to review",
    body="The team of {{ reference }} has submitted progress report {{ number }}. Accept it or "
    "ask for more, every point at once.",
    url=_report_page,
    about=_report_about,
)
@notice(
    "report.resubmitted",
    subject="{{ reference }}: progress report {{ number }} answered",
    body="The team of {{ reference }} has answered your points on progress report {{ number }}.",
    url=_report_page,
    about=_report_about,
)
def _acceptors(report: ProgressReport, context: Context) -> list[User]:
    return report_acceptors(report.application)


@notice(
    "report.more_requested",
    subject="{{ reference }}: more is needed on progress report {{ number }}",
    body="Progress report {{ number }} of {{ reference }} needs more: the points are on the "
    "report's page. Answer them all and submit it again.",
    url=_report_page,
    about=_report_about,
)
@notice(
    "report.accepted",
    subject="{{ reference }}: progress report {{ number }} accepted",
    body="Progress report {{ number }} of {{ reference }} has been accepted."
    "{% if reinstated %} Access is reinstated.{% endif %}",
    url=_report_page,
    about=_report_about,
)
def _team(report: ProgressReport, context: Context) -> list[User]:
    team: list[User] = report.application.team()
    return team


@notice(
    "report.project_suspended",
    subject="{{ reference }} suspended: progress report {{ number }} overdue",
    body="Progress report {{ number }} of {{ reference }} was due on {{ due_on|date:'j F Y' }} "
    "and is {{ grace_days }} days past its grace period, so access is suspended. Accepting the "
    "report reinstates it.",
    url=_report_page,
    about=_report_about,
)
def _ops_of_report(report: ProgressReport, context: Context) -> list[User]:
    return ops_for(report.application)


@notice(
    "closure.started",
    subject="{{ reference }}: close-out form to complete",
    body="{% if ended %}{{ reference }} reached its end date. {% endif %}Complete the close-out "
    "form: the project's outputs and your attestation that every copy of the data outside the "
    "TRE has been destroyed. The lead organisation's signatory then countersigns it.",
    url=_closure_page,
    about=_closure_about,
)
@notice(
    "closure.returned",
    subject="{{ reference }}: close-out sent back by the signatory",
    body="The signatory sent the close-out of {{ reference }} back: {{ reason }}",
    url=_closure_page,
    about=_closure_about,
)
def _pi(closure: Closure, context: Context) -> list[User]:
    return pi_or_team(closure.application)


@notice(
    "closure.submitted",
    subject="{{ reference }}: close-out to countersign",
    body="The principal investigator of {{ reference }} attests that every copy of the data "
    "outside the TRE has been destroyed. Countersign the close-out for your organisation, or "
    "send it back saying why.",
    url=_closure_page,
    about=_closure_about,
)
def _signatories(closure: Closure, context: Context) -> list[User]:
    return signatories_for(closure.application)


@notice(
    "closure.countersigned",
    subject="{{ reference }} is closed",
    body="The close-out of {{ reference }} is countersigned: the project is closed, its access "
    "has ended and the register shows it closed with its outputs.",
    url=_closure_page,
    about=_closure_about,
)
def _team_and_ops(closure: Closure, context: Context) -> list[User]:
    application = closure.application
    return [*application.team(), *ops_for(application)]
