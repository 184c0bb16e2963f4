"""Sittings on the clock: the reminder raised by the existing sweep
(``workflow.turnaround.reminders``), once per member and sitting (the outbox's unique key);
every sitting in the window is read with four queries, whatever its members and papers.

* ``sitting.papers_unread``: from two days before a sitting whose papers are issued until its
  day, to each current member who has not opened every item's papers.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from access.models import User
from workflow.models import Sitting, SittingState
from workflow.sittings.selectors import papers_unread_at
from workflow.turnaround.reminders import Due, SweepClock, reminder

# How many days before the sitting the members who have not read the papers are reminded.
DAYS_BEFORE = 2


@reminder(
    "sitting.papers_unread",
    subject="Papers not yet read: {{ panel }} on {{ date|date:'j F Y' }}",
    body="The {{ panel }} sits on {{ date|date:'l j F Y' }}. You have not yet opened the papers "
    "of {{ unread }} item{{ unread|pluralize }} on its agenda: please read them before the "
    "sitting.",
)
def papers_unread_before_sitting(clock: SweepClock) -> Iterable[Due]:
    sittings = list(
        Sitting.objects.filter(
            state=SittingState.PAPERS_ISSUED,
            date__gte=clock.today,
            date__lte=clock.today + datetime.timedelta(days=DAYS_BEFORE),
        )
        .select_related("panel")
        .order_by("date", "id")
    )
    # Who has not read which papers, and those people, for every sitting at once.
    unread_at = papers_unread_at(sittings)
    people = {
        u.pk: u
        for u in User.objects.filter(
            pk__in=set().union(*unread_at.values()) if unread_at else set(), is_active=True
        )
    }
    for sitting in sittings:
        for user_id, count in sorted(unread_at.get(sitting.pk, {}).items()):
            if user_id not in people:
                continue
            yield Due(
                recipients=[people[user_id]],
                about=f"sitting:{sitting.pk}",
                visit=f"sitting-{sitting.pk}",
                url=f"/reviews/sittings/{sitting.pk}/",
                context={"panel": sitting.panel.name, "date": sitting.date, "unread": count},
            )
