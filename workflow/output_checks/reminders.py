"""Output checking on the clock: reminders raised by the existing sweep
(``workflow.turnaround.reminders``), once per round (the outbox's unique key).

A round is on the checkers' clock from the moment it opens (submission or resubmission) until
its consolidated decision; the stage target ``output_check`` (default 5 working days, set by ops
at /ops/targets/) gives its due date. Time while changes are requested is the team's, and a new
round starts a new clock.

* ``output_check.overdue``: the day after the due date, to the checkers still expected (every
  eligible checker while reviews are missing; the two reviewers while they consolidate);
* ``output_check.escalated``: ``escalate_after_days`` after the due date, to ops.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from access.models import Role, User
from workflow.models import OutputRequest, OutputRequestState, OutputRound, TargetStage
from workflow.output_checks.notices import eligible_checkers
from workflow.turnaround.calendar import add_days, local_date
from workflow.turnaround.reminders import Due, SweepClock, reminder

BODY = (
    "{{ reference }}: the output request {{ title }} (round {{ round }}) was due for its "
    "checkers' decision on {{ due_on|date:'j F Y' }}."
)


def _open_rounds() -> Iterable[tuple[OutputRequest, OutputRound]]:
    rows = (
        OutputRequest.objects.filter(
            state__in=[OutputRequestState.SUBMITTED, OutputRequestState.CONSOLIDATING]
        )
        .select_related("application")
        .order_by("id")
    )
    for output_request in rows:
        current = (
            output_request.rounds.filter(number=output_request.round)
            .prefetch_related("reviews__checker")
            .first()
        )
        if current is not None:
            yield output_request, current


def due_on(output_round: OutputRound, clock: SweepClock) -> datetime.date:
    target = clock.book.at(TargetStage.OUTPUT_CHECK, output_round.opened_at)
    assert target is not None  # noqa: S101 - the stage has a default target
    return add_days(local_date(output_round.opened_at), target.days, target.unit)


def _expected(output_request: OutputRequest, output_round: OutputRound) -> list[User]:
    reviewers = [review.checker for review in output_round.reviews.all()]
    if output_request.state == OutputRequestState.CONSOLIDATING:
        return reviewers
    done = {person.pk for person in reviewers}
    return [person for person in eligible_checkers(output_request) if person.pk not in done]


def _due(output_request: OutputRequest, output_round: OutputRound, recipients, due: datetime.date):
    return Due(
        recipients=recipients,
        about=f"output-request:{output_request.pk}",
        visit=f"round-{output_round.number}",
        url=f"/output-checks/{output_request.pk}/",
        context={
            "reference": output_request.application.reference,
            "title": output_request.title,
            "round": output_round.number,
            "due_on": due,
        },
    )


@reminder(
    "output_check.overdue",
    subject="Output check overdue: {{ title }}",
    body=BODY + " Please review it, or agree the decision with the other checker.",
)
def output_check_overdue(clock: SweepClock) -> Iterable[Due]:
    for output_request, output_round in _open_rounds():
        due = due_on(output_round, clock)
        if clock.today > due:
            yield _due(output_request, output_round, _expected(output_request, output_round), due)


@reminder(
    "output_check.escalated",
    subject="Escalation: output check overdue: {{ title }}",
    body=BODY + " It needs ops' attention: assign another output checker if need be.",
)
def output_check_escalated(clock: SweepClock) -> Iterable[Due]:
    target = clock.targets.get(TargetStage.OUTPUT_CHECK)
    if target is None or target.escalate_after_days is None:
        return
    for output_request, output_round in _open_rounds():
        due = due_on(output_round, clock)
        if clock.today > add_days(due, target.escalate_after_days, target.unit):
            team = output_request.application.team_ids()
            ops = [u for u in clock.directory(Role.OPS) if u.pk not in team]
            yield _due(output_request, output_round, ops, due)
