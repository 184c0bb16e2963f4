"""Panel sittings: a panel that meets (``Panel.mode == "sitting"``) decides the applications on
each sitting's agenda, item by item, instead of closing each track's vote as it completes.

A ``Sitting`` moves ``planned → agenda_published → papers_issued → held → minutes_published``.
Its agenda (``AgendaItem``) is built from the panel's tracks that are open and were referred by
the cut-off; the chair reorders, adds and defers items (each edit names the agenda version it
was made on, so two people editing at once cannot both win). Papers are a generated pack per
item (``AgendaItem.paper``: the application as it stands, its Five Safes checks and public-
benefit assessment). At the sitting the attendance (``SittingAttendance``) is recorded and each
item is decided as the track's decision (``workflow.reviews``), when the quorum is present.
The minutes are published in a public form without personal data. Every change appends one
``SittingEvent`` to the sitting's chained history (``core.audit_chain``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django_fsm import ConcurrentTransitionMixin, FSMField

from access.safe_people.models import AppendOnlyEvent
from core.transitions import transition
from workflow.reviews.models import Panel, ReviewTrack

__all__ = [
    "AgendaItem",
    "AgendaItemState",
    "PaperRead",
    "Sitting",
    "SittingAttendance",
    "SittingEvent",
    "SittingState",
]


class SittingState(models.TextChoices):
    PLANNED = "planned", "Planned"
    AGENDA_PUBLISHED = "agenda_published", "Agenda published"
    PAPERS_ISSUED = "papers_issued", "Papers issued"
    HELD = "held", "Held"
    MINUTES_PUBLISHED = "minutes_published", "Minutes published"


class Sitting(ConcurrentTransitionMixin, models.Model):
    panel = models.ForeignKey(Panel, on_delete=models.PROTECT, related_name="sittings")
    date = models.DateField(help_text="The day the panel meets")
    cut_off = models.DateField(
        help_text="Applications referred to the panel by this day go on the agenda"
    )
    location = models.CharField(max_length=200, blank=True)
    state = FSMField(
        max_length=20, choices=SittingState.choices, default=SittingState.PLANNED, protected=True
    )
    # Optimistic concurrency for the agenda: every edit names the version it was made on and
    # bumps it; an edit made on an older version is refused (409).
    agenda_version = models.PositiveIntegerField(default=1)
    # The public minutes: the chair's text (checked for personal data when published) and the
    # numbers of the sitting; names of members and teams never appear in them.
    minutes = models.TextField(blank=True)
    minutes_published_at = models.DateTimeField(null=True, blank=True)
    minutes_published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(cut_off__lte=models.F("date")),
                name="workflow_sitting_cut_off_not_after_date",
            ),
            models.UniqueConstraint(fields=["panel", "date"], name="workflow_one_sitting_a_day"),
            models.CheckConstraint(
                condition=Q(minutes_published_at__isnull=True, minutes_published_by__isnull=True)
                | Q(minutes_published_at__isnull=False, minutes_published_by__isnull=False),
                name="workflow_sitting_minutes_published_together",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.panel} sitting of {self.date:%-d %B %Y}"

    # --- transitions: who may take each is registered in sittings/policies.py ---------------

    @transition(
        state,
        source=SittingState.PLANNED,
        target=SittingState.AGENDA_PUBLISHED,
        event="sitting.agenda_published",
        notify="sitting.agenda_published",
        role="panel_chair",
    )
    def publish_agenda(self) -> None:
        pass

    @transition(
        state,
        source=SittingState.AGENDA_PUBLISHED,
        target=SittingState.PAPERS_ISSUED,
        event="sitting.papers_issued",
        notify="sitting.papers_ready",
        role="panel_chair",
    )
    def issue_papers(self) -> None:
        pass

    @transition(
        state,
        source=SittingState.PAPERS_ISSUED,
        target=SittingState.HELD,
        event="sitting.held",
        notify="",  # the items' decisions told the teams already
        role="panel_chair",
    )
    def close(self) -> None:
        pass

    @transition(
        state,
        source=SittingState.HELD,
        target=SittingState.MINUTES_PUBLISHED,
        event="sitting.minutes_published",
        notify="sitting.minutes_published",
        role="panel_chair",
    )
    def publish_minutes(self) -> None:
        pass


class AgendaItemState(models.TextChoices):
    LISTED = "listed", "On the agenda"
    DEFERRED = "deferred", "Deferred to a later sitting"
    DECIDED = "decided", "Decided"
    # The track was decided or closed elsewhere (the application withdrawn) before the sitting.
    WITHDRAWN = "withdrawn", "No longer before the panel"


class AgendaItem(models.Model):
    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="items")
    track = models.ForeignKey(ReviewTrack, on_delete=models.PROTECT, related_name="agenda_items")
    position = models.PositiveIntegerField()
    state = models.CharField(
        max_length=20, choices=AgendaItemState.choices, default=AgendaItemState.LISTED
    )
    # The generated pack, as the application stood when the papers were issued (or when the
    # item was added after that): ``workflow.sittings.papers.paper_for``.
    paper = models.JSONField(default=dict, blank=True)
    paper_generated_at = models.DateTimeField(null=True, blank=True)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    added_at = models.DateTimeField(auto_now_add=True)
    deferred_reason = models.TextField(blank=True)
    # Whether the reason names no person (``selectors.personal_data_in``, the minutes' check):
    # only then is it shown on the agenda and in the public minutes; it stays on the record.
    deferred_reason_public = models.BooleanField(default=True)

    class Meta:
        ordering = ["sitting", "position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sitting", "track"], name="workflow_agenda_item_once_per_sitting"
            ),
        ]

    def __str__(self) -> str:
        return f"Item {self.position} of {self.sitting}"

    @property
    def public_deferred_reason(self) -> str:
        """Why it was deferred, as the agenda and the public minutes show it: nothing when the
        reason names a person."""
        return self.deferred_reason if self.deferred_reason_public else ""


class SittingAttendance(models.Model):
    """Who was present at a sitting (recorded at the sitting by the chair)."""

    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="attendance")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    present = models.BooleanField(default=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["sitting", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["sitting", "member"], name="workflow_attendance_once_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.member} {'present' if self.present else 'absent'} at {self.sitting}"


class PaperRead(models.Model):
    """A member opened an item's papers (the reminder asks those who have not)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="reads")
    reader = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "reader"], name="workflow_paper_read_once")
        ]

    def __str__(self) -> str:
        return f"{self.reader} read {self.item}"


class SittingEvent(AppendOnlyEvent):
    """The sitting's chained, sealed history (``core.audit_chain``)."""

    CHAIN = "sitting"

    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="events")

    class Meta(AppendOnlyEvent.Meta):
        pass

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d} {self.transition} of sitting {self.sitting_id}"
