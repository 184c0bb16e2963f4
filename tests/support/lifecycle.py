"""Shared helpers for the lifecycle tests: an active project (access granted today) and the
answers of a progress report. The sweeps take the day they run as a parameter, so a test moves
a year on by passing a later day."""

from __future__ import annotations

import datetime

from django.utils import timezone

from tests.factories.workflow import World
from workflow.lifecycle.selectors import add_months
from workflow.models import Application, ProgressReport, State

ANSWERS = {
    "outputs": "Paper in Lancet Public Health (2026)",
    "team_changes": "No changes",
    "incidents": "None",
    "data_still_needed": True,
}


class Project:
    """A World with a project that became active today."""

    def __init__(self, world: World | None = None) -> None:
        self.world = world or World()
        self.project: Application = self.world.at(State.ACTIVE)
        w = self.world
        self.pi, self.colleague, self.outsider = w.pi, w.colleague, w.outsider
        self.ops, self.signatory, self.panel = w.ops, w.signatory, w.panel
        self.granted_on = timezone.localdate()
        self.first_due = add_months(self.granted_on, 12)

    def refresh(self) -> Application:
        self.project.refresh_from_db()
        return self.project

    def day(self, days_after_due: int) -> datetime.date:
        return self.first_due + datetime.timedelta(days=days_after_due)

    def first_report(self) -> ProgressReport:
        """Open the first report (the sweep, a month before it is due)."""
        from workflow.lifecycle.services import lifecycle_sweep

        lifecycle_sweep(today=self.day(-30))
        return ProgressReport.objects.get(application=self.project, number=1)
