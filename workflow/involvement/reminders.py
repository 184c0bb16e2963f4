"""Consultations on the clock: the reminders raised by the existing sweep
(``workflow.turnaround.reminders``), once per consultation (the outbox's unique key).

* ``consultation.unanswered``: ``CONSULTATION_REMINDER_DAYS`` (7) after a team asked the consumer
  panel, still unanswered, to the panel's current members (never on the team);
* ``consultation.escalated``: ``CONSULTATION_ESCALATION_DAYS`` (14) after it was asked, still
  unanswered, to ops.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings

from access.models import Role
from workflow.involvement.models import Consultation
from workflow.involvement.selectors import consumer_panel_members, panels_seated
from workflow.turnaround.calendar import local_date
from workflow.turnaround.reminders import SWEEP_BATCH, Due, SweepClock, reminder, with_teams

BODY = (
    "{{ application.reference }} ({{ application.title }}) asked the {{ panel }} on "
    "{{ since|date:'j F Y' }}: “{{ question|truncatewords:40 }}” It is still waiting for the "
    "panel's written feedback."
)


def _waiting(clock: SweepClock, days: int) -> Iterable[Consultation]:
    limit = clock.now - datetime.timedelta(days=days)
    # The open consultations' partial index on (panel, requested_at).
    rows = (
        Consultation.objects.filter(answered_at__isnull=True, requested_at__lte=limit)
        .select_related("application", "panel")
        .order_by("id")
        .iterator(chunk_size=SWEEP_BATCH)
    )
    # Each application's team read a thousand at a time: who is not on it, without a query
    # per consultation.
    return with_teams(rows, lambda consultation: consultation.application)


def _due(consultation: Consultation, recipients: list, visit: str) -> Due:
    return Due(
        recipients=recipients,
        about=f"consultation:{consultation.pk}",
        visit=visit,
        url=f"/consumer-panel/consultations/{consultation.pk}/",
        context={
            "application": consultation.application,
            "panel": consultation.panel.name,
            "question": consultation.question,
            "since": local_date(consultation.requested_at),
        },
    )


@reminder(
    "consultation.unanswered",
    subject="{{ application.reference }}: a consultation waits for the {{ panel }}",
    body=BODY + " Please read the question and give the panel's feedback.",
)
def consultation_unanswered(clock: SweepClock) -> Iterable[Due]:
    seated: dict[int, list] = {}  # each panel's members, read once per sweep
    for consultation in _waiting(clock, settings.CONSULTATION_REMINDER_DAYS):
        if consultation.panel_id not in seated:
            seated.update(panels_seated([consultation.panel_id]))
        members = consumer_panel_members(consultation.panel, consultation.application, seated)
        yield _due(consultation, members, "waiting")


@reminder(
    "consultation.escalated",
    subject="{{ application.reference }}: the {{ panel }} has not answered a consultation",
    body=BODY + " Ask the panel's members, or seat more members who can answer.",
)
def consultation_escalated(clock: SweepClock) -> Iterable[Due]:
    for consultation in _waiting(clock, settings.CONSULTATION_ESCALATION_DAYS):
        ops = consultation.application.not_on_team(clock.directory(Role.OPS))
        yield _due(consultation, ops, "escalated")
