"""A project's life after access on the clock: reminders raised by the existing sweep
(``workflow.turnaround.reminders``), each once (the outbox's unique key). The days are ops'
settings (``LifecycleSettings``, /ops/lifecycle/).

* ``report.due_soon``: a progress report due in 30, 14 and 1 days (the nearest threshold
  crossed), to the team;
* ``report.escalated``: a report still owed ``escalate_after_days`` after its due date, to ops
  (the sweep of ``services.lifecycle_sweep`` suspends the project after the grace period);
* ``renewal.due``: the project's grants end in 90, 30 and 14 days, to the team, with the link
  to ask for an extension (an amendment extending the end date);
* ``closure.chase``: a close-out not completed (to the PI) or not countersigned (to the lead
  organisation's signatories), each week it stays so.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from access.models import Role
from workflow.lifecycle.notices import pi_or_team, signatories_for
from workflow.lifecycle.selectors import OWED, open_closures, renewal_path
from workflow.models import Application, ClosureState, LifecycleSettings, ProgressReport, State
from workflow.turnaround.calendar import local_date
from workflow.turnaround.reminders import SWEEP_BATCH, Due, SweepClock, reminder, with_teams


def _application_of(report: ProgressReport) -> Application:
    return report.application


def _threshold(days_left: int, thresholds: list[int]) -> int | None:
    crossed = [t for t in thresholds if days_left <= t]
    return min(crossed) if crossed else None


@reminder(
    "report.due_soon",
    subject="{{ reference }}: progress report {{ number }} due in {{ days_left }} days",
    body="Progress report {{ number }} of {{ reference }} is due on {{ due_on|date:'l j F Y' }}. "
    "Tell us about the outputs, changes to the team, any incident and whether you still need "
    "the data. A report more than {{ grace_days }} days late suspends access.",
)
def report_due_soon(clock: SweepClock) -> Iterable[Due]:
    settings = LifecycleSettings.current()
    thresholds = settings.report_days()
    if not thresholds:
        return
    last = clock.today + datetime.timedelta(days=max(thresholds))
    reports = (
        ProgressReport.objects.filter(
            state__in=OWED,
            due_on__range=(clock.today, last),
            application__state__in=(State.ACTIVE, State.SUSPENDED),
        )
        .select_related("application")
        .order_by("id")
    )
    for report in with_teams(reports.iterator(chunk_size=SWEEP_BATCH), _application_of):
        days_left = (report.due_on - clock.today).days
        threshold = _threshold(days_left, thresholds)
        if threshold is None:
            continue
        yield Due(
            recipients=report.application.team(),
            about=f"progress-report:{report.pk}",
            visit=f"{report.due_on.isoformat()}:{threshold}d",
            url=f"/progress-reports/{report.pk}/",
            context={
                "reference": report.application.reference,
                "number": report.number,
                "due_on": report.due_on,
                "days_left": days_left,
                "grace_days": settings.grace_days,
            },
        )


@reminder(
    "report.escalated",
    subject="Escalation: {{ reference }} progress report {{ number }} is overdue",
    body="Progress report {{ number }} of {{ reference }} was due on {{ due_on|date:'j F Y' }} "
    "and the team has not sent it. Access is suspended automatically on "
    "{{ suspends_on|date:'j F Y' }} unless it is accepted by then.",
)
def report_escalated(clock: SweepClock) -> Iterable[Due]:
    settings = LifecycleSettings.current()
    latest_due = clock.today - datetime.timedelta(days=settings.escalate_after_days)
    reports = (
        ProgressReport.objects.filter(
            state__in=OWED, due_on__lte=latest_due, application__state=State.ACTIVE
        )
        .select_related("application")
        .order_by("id")
    )
    for report in with_teams(reports.iterator(chunk_size=SWEEP_BATCH), _application_of):
        application = report.application
        yield Due(
            recipients=application.not_on_team(clock.directory(Role.OPS)),
            about=f"progress-report:{report.pk}",
            visit=f"{report.due_on.isoformat()}:escalated",
            url=f"/progress-reports/{report.pk}/",
            context={
                "reference": application.reference,
                "number": report.number,
                "due_on": report.due_on,
                "suspends_on": report.due_on + datetime.timedelta(days=settings.grace_days + 1),
            },
        )


@reminder(
    "renewal.due",
    subject="{{ reference }}: access ends in {{ days_left }} days",
    body="Access for {{ reference }} ends on {{ end_date|date:'l j F Y' }}. If the project needs "
    "longer, ask for a renewal (an amendment extending the end date): {{ renew_url }}. "
    "Otherwise, close the project and attest that the data were destroyed.",
)
def renewal_due(clock: SweepClock) -> Iterable[Due]:
    thresholds = LifecycleSettings.current().renewal_days()
    if not thresholds:
        return
    last = clock.today + datetime.timedelta(days=max(thresholds))
    projects = Application.objects.filter(
        state__in=(State.ACTIVE, State.SUSPENDED),
        end_date__range=(clock.today, last),
        closure__isnull=True,
    ).order_by("id")
    for application in with_teams(projects.iterator(chunk_size=SWEEP_BATCH), lambda a: a):
        assert application.end_date is not None  # noqa: S101 - filtered on its range
        days_left = (application.end_date - clock.today).days
        threshold = _threshold(days_left, thresholds)
        if threshold is None:
            continue
        yield Due(
            recipients=application.team(),
            about=f"application:{application.pk}",
            visit=f"renewal:{application.end_date.isoformat()}:{threshold}d",
            url=renewal_path(application),
            context={
                "reference": application.reference,
                "end_date": application.end_date,
                "days_left": days_left,
                "renew_url": renewal_path(application),
            },
        )


@reminder(
    "closure.chase",
    subject="{{ reference }}: the close-out is still {{ waiting }}",
    body="The close-out of {{ reference }} started on {{ since|date:'j F Y' }} and is still "
    "{{ waiting }}. {{ ask }}",
)
def closure_chase(clock: SweepClock) -> Iterable[Due]:
    for closure in open_closures():
        application = closure.application
        if closure.state == ClosureState.SUBMITTED and closure.submitted_at is not None:
            since = local_date(closure.submitted_at)
            recipients = signatories_for(application)
            waiting, ask = (
                "awaiting the signatory's countersignature",
                "Countersign it for your organisation, or send it back saying why.",
            )
        else:
            since = local_date(closure.started_at)
            recipients = pi_or_team(application)
            missing = []
            if not closure.outputs:
                missing.append("the outputs")
            if not closure.destruction_attested:
                missing.append("the attestation that the data were destroyed")
            waiting = "incomplete"
            ask = "Still missing: " + (" and ".join(missing) or "your submission") + "."
        weeks = (clock.today - since).days // 7
        if weeks < 1:
            continue
        yield Due(
            recipients=recipients,
            about=f"closure:{closure.pk}",
            visit=f"{closure.state}:{since.isoformat()}:week{weeks}",
            url=f"/closures/{closure.pk}/",
            context={
                "reference": application.reference,
                "since": since,
                "waiting": waiting,
                "ask": ask,
            },
        )
