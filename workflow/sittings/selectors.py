"""Reads of the sittings: which sittings each person sees, which tracks are ready for an agenda,
the next sitting a track can make (its due date and forecast), who is present and whether the
quorum is, for one item."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from access.policy import Permission, has_permission
from workflow.models import (
    AgendaItem,
    AgendaItemState,
    ConflictOfInterest,
    Panel,
    PanelMembership,
    PanelMode,
    PaperRead,
    ReviewTrack,
    Sitting,
    SittingAttendance,
    SittingState,
    State,
    TrackState,
)

# A sitting before it is held: its agenda can still change and tracks can still be put on it.
UPCOMING = (SittingState.PLANNED, SittingState.AGENDA_PUBLISHED, SittingState.PAPERS_ISSUED)
# The states in which a track can still be added to a sitting by its cut-off.
TAKING_ITEMS = (SittingState.PLANNED, SittingState.AGENDA_PUBLISHED)


def seated_panel_ids(user: Any) -> set[int]:
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(
        PanelMembership.objects.filter(user=user, left_on__isnull=True).values_list(
            "panel_id", flat=True
        )
    )


def sittings_visible_to(user: Any) -> QuerySet[Sitting]:
    """Ops and anyone who sees every application see every sitting; a panel member the
    sittings of the panels they sit on; nobody else any (the public reads published minutes)."""
    rows: QuerySet[Sitting] = Sitting.objects.select_related("panel")
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return rows.none()
    if has_permission(user, Permission.VIEW_ALL_APPLICATIONS) or has_permission(
        user, Permission.PANEL_MANAGE
    ):
        return rows.all()
    return rows.filter(panel_id__in=seated_panel_ids(user))


def published_minutes() -> QuerySet[Sitting]:
    """Sittings with published minutes, newest first, with what their public form shows read
    in a fixed number of queries however many there are (``public_tallies``)."""
    rows: QuerySet[Sitting] = (
        Sitting.objects.filter(state=SittingState.MINUTES_PUBLISHED)
        .select_related("panel")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=AgendaItem.objects.select_related("track__application").order_by(
                    "position", "id"
                ),
            ),
            "attendance",
            "panel__memberships",
        )
        .order_by("-date", "-id")
    )
    return rows


def tallies(present: set[int], seats: list[PanelMembership]) -> dict[str, int]:
    """How many members were present, and how many of them independent and lay: the numbers the
    sitting page and the public minutes give (never names). ``present`` holds the ids of the
    members present; ``seats`` the panel's memberships (prefetched or read)."""
    independent = {seat.user_id for seat in seats if seat.is_independent}
    lay = {seat.user_id for seat in seats if seat.is_lay}
    return {
        "present": len(present),
        "independent_present": len(present & independent),
        "lay_present": len(present & lay),
    }


def public_tallies(sitting: Sitting) -> dict[str, int]:
    """``tallies`` from the prefetched rows of ``published_minutes``."""
    present = {a.member_id for a in sitting.attendance.all() if a.present}
    return tallies(present, list(sitting.panel.memberships.all()))


def deferred_reasons(sitting: Sitting) -> list[str]:
    """Why items were deferred, as the public minutes say it: each reason that names no person
    (``personal_data_in``, checked when the item was deferred), once, without the application's
    reference (an application not yet decided is not named in public). From the prefetched
    items of ``published_minutes``."""
    reasons: list[str] = []
    for item in sitting.items.all():
        reason = item.public_deferred_reason
        if item.state == AgendaItemState.DEFERRED and reason and reason not in reasons:
            reasons.append(reason)
    return reasons


def ready_tracks(sitting: Sitting) -> QuerySet[ReviewTrack]:
    """The panel's tracks that are open in review and were referred by the sitting's cut-off,
    and are not already on this sitting's agenda or listed on another upcoming one."""
    cut_off_end = datetime.datetime.combine(
        sitting.cut_off + datetime.timedelta(days=1),
        datetime.time.min,
        tzinfo=timezone.get_current_timezone(),
    )
    elsewhere = AgendaItem.objects.filter(
        state=AgendaItemState.LISTED, sitting__state__in=UPCOMING
    ).values("track_id")
    tracks: QuerySet[ReviewTrack] = (
        ReviewTrack.objects.filter(
            panel_id=sitting.panel_id,
            state=TrackState.OPEN,
            superseded=False,
            application__state=State.IN_REVIEW,
            opened_at__lt=cut_off_end,
        )
        .exclude(agenda_items__sitting=sitting)
        .exclude(pk__in=elsewhere)
        .select_related("application")
        .order_by("opened_at", "id")
    )
    return tracks


def next_sitting(
    panel: Panel | int, ready_on: datetime.date, *, exclude: set[int] | None = None
) -> Sitting | None:
    """The next sitting of ``panel`` whose cut-off a track ready on ``ready_on`` can make: still
    taking items, its cut-off on or after that day, not today's past."""
    panel_id = panel if isinstance(panel, int) else panel.pk
    today = timezone.localdate()
    rows: QuerySet[Sitting] = Sitting.objects.filter(
        panel_id=panel_id, state__in=TAKING_ITEMS, cut_off__gte=ready_on, date__gte=today
    ).order_by("date", "id")
    if exclude:
        rows = rows.exclude(pk__in=exclude)
    found: Sitting | None = rows.first()
    return found


def sitting_for_track(track: ReviewTrack) -> Sitting | None:
    """The sitting that will decide ``track``: the upcoming one it is listed on, else the next
    one whose cut-off it can make (not one that deferred it). None on a rolling panel."""
    if track.panel_id is None or track.state != TrackState.OPEN:
        return None
    panel = track.panel
    if panel is None or panel.mode != PanelMode.SITTING:
        return None
    listed = (
        AgendaItem.objects.filter(
            track=track, state=AgendaItemState.LISTED, sitting__state__in=UPCOMING
        )
        .select_related("sitting")
        .order_by("sitting__date")
        .first()
    )
    if listed is not None:
        return listed.sitting
    done = set(
        AgendaItem.objects.filter(track=track)
        .exclude(state=AgendaItemState.LISTED)
        .values_list("sitting_id", flat=True)
    )
    opened = timezone.localtime(track.opened_at).date() if track.opened_at else timezone.localdate()
    # A track deferred from a sitting is ready for any later one whatever its cut-off.
    ready_on = opened if not done else datetime.date.min
    return next_sitting(panel, ready_on, exclude=done)


def sitting_dates(tracks: list[ReviewTrack]) -> dict[int, datetime.date]:
    """For the forecast: the date of the sitting that will decide each of these tracks (those
    of a panel that decides at sittings: no query for the others)."""
    out: dict[int, datetime.date] = {}
    for track in tracks:
        if track.panel is None or track.panel.mode != PanelMode.SITTING:
            continue
        found = sitting_for_track(track)
        if found is not None:
            out[track.pk] = found.date
    return out


# --- the agenda, the papers and the attendance ---------------------------------------------------


def agenda(sitting: Sitting) -> list[AgendaItem]:
    return list(sitting.items.select_related("track__application").order_by("position", "id").all())


def members_of(sitting: Sitting) -> list[PanelMembership]:
    return list(
        PanelMembership.objects.filter(panel_id=sitting.panel_id, left_on__isnull=True)
        .select_related("user")
        .order_by("-is_chair", "user__full_name")
    )


def present_ids(sitting: Sitting) -> set[int]:
    return set(
        SittingAttendance.objects.filter(sitting=sitting, present=True).values_list(
            "member_id", flat=True
        )
    )


@dataclass
class Quorum:
    """Whether enough members are present to decide one item."""

    needed: int
    independent_needed: int
    present: int
    independent_present: int
    conflicted: list[str] = field(default_factory=list)
    # The panel's lay rule (``Panel.min_lay_votes``): members of the public present.
    lay_needed: int = 0
    lay_present: int = 0

    @property
    def missing(self) -> list[str]:
        out = []
        if self.present < self.needed:
            out.append(
                f"{self.present} of the {self.needed} members needed "
                f"{'is' if self.present == 1 else 'are'} present"
                + (
                    f" (not counting {', '.join(self.conflicted)}, conflicted)"
                    if self.conflicted
                    else ""
                )
            )
        if self.independent_present < self.independent_needed:
            out.append(
                f"{self.independent_present} of the {self.independent_needed} independent "
                "members needed present"
            )
        if self.lay_present < self.lay_needed:
            out.append(f"{self.lay_present} of the {self.lay_needed} lay members needed present")
        return out

    @property
    def met(self) -> bool:
        return not self.missing


def quorum_for(item: AgendaItem) -> Quorum:
    """Present members who may decide this item: current members, present, not on the team,
    not conflicted on the application."""
    sitting = item.sitting
    panel = sitting.panel
    application = item.track.application
    present = present_ids(sitting)
    team = application.team_ids()
    conflicted = set(
        ConflictOfInterest.objects.filter(application=application).values_list("user_id", flat=True)
    )
    counted = 0
    independent = 0
    lay = 0
    conflicted_names = []
    for membership in members_of(sitting):
        if membership.user_id not in present:
            continue
        if membership.user_id in conflicted or membership.user_id in team:
            conflicted_names.append(membership.user.full_name or membership.user.username)
            continue
        counted += 1
        independent += int(membership.is_independent)
        lay += int(membership.is_lay)
    return Quorum(
        needed=panel.quorum,
        independent_needed=panel.min_independent_votes,
        present=counted,
        independent_present=independent,
        conflicted=conflicted_names,
        lay_needed=panel.min_lay_votes,
        lay_present=lay,
    )


def papers_unread(sitting: Sitting) -> dict[int, int]:
    """For each current member: how many listed items' papers they have not opened."""
    return papers_unread_at([sitting]).get(sitting.pk, {})


def papers_unread_at(sittings: Iterable[Sitting]) -> dict[int, dict[int, int]]:
    """``papers_unread`` of each of ``sittings`` (by id), in three queries for them all: their
    listed items, their panels' current members and who read which papers (the reminder sweep
    asks it of every sitting in the next days, not a query per member)."""
    sittings = list(sittings)
    items: dict[int, set[int]] = {}
    for sitting_id, item_id in AgendaItem.objects.filter(
        sitting_id__in=[s.pk for s in sittings], state=AgendaItemState.LISTED
    ).values_list("sitting_id", "pk"):
        items.setdefault(sitting_id, set()).add(item_id)
    if not items:
        return {}
    panels = {s.panel_id for s in sittings if s.pk in items}
    members: dict[int, list[int]] = {}
    for panel_id, user_id in PanelMembership.objects.filter(
        panel_id__in=panels, left_on__isnull=True
    ).values_list("panel_id", "user_id"):
        members.setdefault(panel_id, []).append(user_id)
    read: dict[int, set[int]] = {}
    for reader_id, item_id in PaperRead.objects.filter(
        item_id__in=set().union(*items.values())
    ).values_list("reader_id", "item_id"):
        read.setdefault(reader_id, set()).add(item_id)
    out: dict[int, dict[int, int]] = {}
    for sitting in sittings:
        listed = items.get(sitting.pk)
        if not listed:
            continue
        unread = {
            user_id: len(listed - read.get(user_id, set()))
            for user_id in members.get(sitting.panel_id, [])
        }
        out[sitting.pk] = {user_id: n for user_id, n in unread.items() if n}
    return out


def attendance_tallies(sitting: Sitting) -> dict[str, int]:
    """``tallies`` read for one sitting (two queries)."""
    present = set(
        SittingAttendance.objects.filter(sitting=sitting, present=True).values_list(
            "member_id", flat=True
        )
    )
    seats = list(
        PanelMembership.objects.filter(panel_id=sitting.panel_id, user_id__in=present).only(
            "user_id", "is_independent", "is_lay"
        )
    )
    return tallies(present, seats)


EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
PHONE = re.compile(r"(?:\+?\d[\d ()-]{8,}\d)")


def personal_data_in(sitting: Sitting, text: str) -> list[str]:
    """What in a public text (the minutes, a reason for deferring) names a person: an email
    address, a telephone number, or the name of a panel member or of anyone on the team of an
    application on the agenda."""
    found = []
    if EMAIL.search(text):
        found.append("an email address")
    if PHONE.search(text):
        found.append("a telephone number")
    people = {m.user for m in members_of(sitting)}
    for item in sitting.items.select_related("track__application"):
        people.update(item.track.application.team())
    lowered = text.lower()
    for person in sorted(people, key=lambda p: p.full_name or ""):
        name = (person.full_name or "").strip()
        if len(name) >= 4 and name.lower() in lowered:
            found.append(f"the name {name}")
    return found
