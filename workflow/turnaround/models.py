"""Turnaround: the targets ops set per stage and per panel, and the working-day calendar.

Stage clocks come from the event log (``Event``) and the review tracks' own rows. ``StageTarget``
holds configuration, ``CalendarDay`` a reference calendar that lets the database count working
days when it aggregates, and ``StageVisit`` the event log's state changes paired into visits
(written by the event writer in the same transaction, and rebuildable from the log at any
time: see ``workflow.services.turnaround``).
"""

from __future__ import annotations

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q


class DayUnit(models.TextChoices):
    WORKING = "working", "Working days (England and Wales bank holidays excluded)"
    CALENDAR = "calendar", "Calendar days"


class TargetStage(models.TextChoices):
    """The stages and tracks that have a target. Panels are keyed by track kind for now; a
    target for one named panel uses a key ``panel:<slug>`` (see ``track_target_keys``)."""

    SCOPING = "scoping", "Scoping (analyst)"
    INTERNAL_REVIEW = "internal_review", "Internal review (reviewers)"
    IGRP = "igrp", "IGRP panel response"
    DEA_PANEL = "dea_panel", "DEA panel response"
    OWNER_SIGNOFF = "owner_signoff", "Data owner sign-off"
    GRANT_ACCESS = "grant_access", "Grant access once approved (ops)"
    CHANGES_REQUESTED = "changes_requested", "Answer feedback (the applicant's clock)"
    OUTPUT_CHECK = "output_check", "Output checking (two checkers, per round)"


class StageTarget(models.Model):
    """One version of how long a stage (or a review track) should take, set by ops, in force
    from ``effective_from`` until the stage's next version.

    ``due_soon_days`` before the due date the holder of the step is reminded; on the due date
    and once overdue again; ``escalate_after_days`` past the due date ops are told (never when
    it is empty). Days count in the target's own unit. A change adds a version; a version in
    force is never edited, so every stage visit and track keeps the target it started under
    (``workflow.turnaround.targets``).
    """

    stage = models.CharField(
        max_length=60,
        db_index=True,
        help_text="A stage or track kind (scoping, igrp, ...) or panel:<slug> for one panel",
    )
    effective_from = models.DateTimeField(
        help_text="In force for stages and tracks that start from this moment"
    )
    days = models.PositiveSmallIntegerField()
    unit = models.CharField(max_length=10, choices=DayUnit.choices)
    due_soon_days = models.PositiveSmallIntegerField(
        default=3, help_text="Remind the holder this many days before the due date"
    )
    escalate_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Tell ops once the step is overdue by this many days (empty: never)",
    )
    updated_at = models.DateTimeField(null=True, blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["stage", "effective_from", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["stage", "effective_from"], name="workflow_target_one_version_at_a_time"
            ),
            models.CheckConstraint(condition=Q(days__gte=1), name="workflow_target_days_positive"),
            models.CheckConstraint(
                condition=Q(due_soon_days__lt=models.F("days")),
                name="workflow_target_due_soon_before_due",
            ),
            models.CheckConstraint(
                condition=Q(updated_at__isnull=True, updated_by__isnull=True)
                | Q(updated_at__isnull=False, updated_by__isnull=False),
                name="workflow_target_updated_at_by_together",
            ),
        ]

    def __str__(self) -> str:
        since = f" from {self.effective_from:%Y-%m-%d}" if self.effective_from else ""
        return f"{self.stage}: {self.days} {self.unit} days{since}"


class CalendarDay(models.Model):
    """One row per date: whether it is a working day in England and Wales, and how many
    working days there are from the first row up to and including it.

    ``workday_index(end) - workday_index(start)`` is the number of working days after
    ``start`` up to and including ``end`` (``day_index`` likewise counts calendar dates): two
    primary-key joins give any visit its working days inside one aggregate query. Filled and
    extended by ``turnaround.ensure_calendar``.
    """

    date = models.DateField(primary_key=True)
    is_working_day = models.BooleanField()
    workday_index = models.PositiveIntegerField(db_index=True)
    day_index = models.PositiveIntegerField(help_text="Days since the first row", db_index=True)
    holiday = models.CharField(max_length=100, blank=True)

    class Meta:
        db_table = "workflow_calendar_day"
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} ({'working' if self.is_working_day else 'not working'})"


class StageVisit(models.Model):
    """One visit of one state by one application: from the event that entered the state to the
    next event that changed it (``left_at`` empty while the application is still there).

    A projection of the event log, not a second source of truth: ``record_event`` writes it in
    the transaction of the event (closing the open visit and opening the next), and
    ``turnaround.rebuild_stage_visits`` derives it again from the log (the migration that added
    it, the benchmark's loader, and a test that checks the two agree). It exists so that the
    reminder sweep finds the visits due in a window with an index range, and the ops metrics
    read one row per visit instead of ordering every event of every application.
    """

    event = models.OneToOneField(
        "workflow.Event", on_delete=models.PROTECT, primary_key=True, related_name="stage_visit"
    )
    application = models.ForeignKey(
        "workflow.Application", on_delete=models.CASCADE, related_name="stage_visits"
    )
    state = models.CharField(max_length=30)
    from_state = models.CharField(max_length=30, blank=True)
    visit = models.PositiveIntegerField(help_text="1 for the application's first visit of state")
    entered_at = models.DateTimeField()
    left_at = models.DateTimeField(null=True, blank=True)
    next_state = models.CharField(max_length=30, blank=True)
    # The local (UK) dates of entering and leaving: what working days are counted between, kept
    # so that aggregates join the calendar on a column instead of converting every timestamp.
    entered_on = models.DateField()
    left_on = models.DateField(null=True, blank=True)
    # The stage's due date on its clock as this visit starts, fixed then (as a track's is):
    # the target in force when the stage first started, less the time its earlier visits used
    # (the clock pauses while the applicant holds the application). Empty for states without
    # a target. ``target`` is the version that judged it.
    due_on = models.DateField(null=True, blank=True)
    target = models.ForeignKey(
        StageTarget, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        db_table = "workflow_stage_visit"
        ordering = ["entered_at", "event"]
        indexes = [
            models.Index(fields=["application", "entered_at"], name="workflow_visit_app_idx"),
            # The sweep: open visits of a state due in a date window.
            models.Index(
                fields=["state", "due_on"],
                condition=Q(left_at__isnull=True),
                name="workflow_visit_open_due_idx",
            ),
            # The staff queues: open visits soonest due first, then longest in the stage.
            models.Index(
                fields=["due_on", "entered_at"],
                condition=Q(left_at__isnull=True),
                name="workflow_visit_open_order_idx",
            ),
            # Open a year: first submissions (the first visit of scoping) by date.
            models.Index(
                fields=["entered_at"],
                condition=Q(state="scoping", visit=1),
                name="workflow_visit_submitted_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(left_at__isnull=True),
                name="workflow_visit_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application_id} in {self.state} from {self.entered_at:%Y-%m-%d %H:%M}"


class ForecastReplay(models.Model):
    """One measurement of the forecast's accuracy: the TRE's history replayed
    (``workflow.turnaround.accuracy``, ``manage.py forecast_accuracy``), shown to ops on the
    Turnaround page."""

    created_at = models.DateTimeField(auto_now_add=True)
    report = models.JSONField(encoder=DjangoJSONEncoder)

    class Meta:
        db_table = "workflow_forecast_replay"
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Forecast replay of {self.created_at:%Y-%m-%d %H:%M}"


class StoredFigure(models.Model):
    """A slow-changing figure kept rather than recomputed on every request: the public typical
    time of each stage (``stage_guide.typical_days``) was the whole turnaround summary redone
    for every anonymous visit (0.77 s at 100,000 applications). Refreshed by beat
    (``workflow.tasks.refresh_figures``), or on first use when missing or older than a day;
    the page says as of when."""

    key = models.CharField(max_length=60, primary_key=True)
    value = models.JSONField(encoder=DjangoJSONEncoder)
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "workflow_stored_figure"

    def __str__(self) -> str:
        return f"{self.key} as of {self.computed_at:%Y-%m-%d %H:%M}"


__all__ = [
    "CalendarDay",
    "DayUnit",
    "ForecastReplay",
    "StageTarget",
    "StageVisit",
    "StoredFigure",
    "TargetStage",
]
