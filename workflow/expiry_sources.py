"""Where the expiry reminders find what is about to lapse: accreditations, access grants and
conditions. Plugged into the reminder sweep (``workflow.services.reminders``) at start-up; each
source selects with an indexed date range, so a sweep costs what is due, not what exists."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from access.models import AccessGrant, Accreditation, AccreditationState, GrantState

from .models import Condition, ConditionState
from .services import reminders


def accreditations_expiring(first: datetime.date, last: datetime.date) -> Iterable:
    for award in Accreditation.objects.filter(
        state=AccreditationState.ACCREDITED, expires_on__range=(first, last)
    ).select_related("person"):
        yield reminders.Expiring(
            recipients=[award.person],
            about=f"accreditation:{award.pk}",
            due_on=award.expires_on,
            url="/accreditation/",
            label=f"Your {award.get_kind_display().lower()}",
        )


def access_grants_ending(first: datetime.date, last: datetime.date) -> Iterable:
    for grant in AccessGrant.objects.filter(
        state=GrantState.ACTIVE, end_on__range=(first, last)
    ).select_related("person", "application"):
        yield reminders.Expiring(
            recipients=[grant.person],
            about=f"grant:{grant.pk}",
            due_on=grant.end_on,
            url=f"/applications/{grant.application_id}/",
            label=f"Your access for {grant.application.reference}",
        )


def conditions_due(first: datetime.date, last: datetime.date) -> Iterable:
    for condition in Condition.objects.filter(
        state=ConditionState.OPEN, due_date__range=(first, last)
    ).select_related("application", "responsible"):
        application = condition.application
        people = (
            [condition.responsible]
            if condition.responsible_id
            else [m.user for m in application.members.select_related("user")]
        )
        yield reminders.Expiring(
            recipients=people,
            about=f"condition:{condition.pk}",
            due_on=condition.due_date,
            url=f"/applications/{application.pk}/conditions/#condition-{condition.pk}",
            label=f"A condition on {application.reference}",
        )


def register() -> None:
    reminders.set_expiry_source("accreditation.expiring", accreditations_expiring)
    reminders.set_expiry_source("access.expiring", access_grants_ending)
    reminders.set_expiry_source("condition.due", conditions_due)
