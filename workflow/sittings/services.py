"""Write logic of panel sittings: plan a sitting, edit and publish its agenda, issue the papers,
take the attendance, decide the items, close the sitting and publish its minutes; switch a panel
between rolling review and sittings.

Every service locks the sitting row inside a transaction, checks who may (403), what the state
allows (409), the input (400), changes, appends exactly one event to the sitting's chained
history (``core.audit_chain``) and raises its notices (sent when the service ends, through the
outbox). An item's decision is the track's decision (``workflow.reviews``): the same event on
the application, the same combined outcome when it was the last track.

Two people editing one agenda at once (the chair and the secretariat, or the chair in two
tabs): each edit names the agenda version it was made on; the sitting's row lock serialises
them, and the second finds the version moved on and gets 409.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.utils import timezone

from access.models import User
from core import audit_chain
from core.errors import ConcurrentChange, InvalidTransition, ValidationFailed
from core.transitions import chained_log, relock, take
from notifications.notices import raise_notice, service
from workflow.models import (
    AgendaItem,
    AgendaItemState,
    Panel,
    PanelMembership,
    PanelMode,
    PaperRead,
    ReviewTrack,
    Sitting,
    SittingAttendance,
    SittingEvent,
    SittingState,
    TrackState,
)
from workflow.reviews.policies import is_open
from workflow.reviews.services.tracks import check_decision, decide_track, lock_track
from workflow.sittings.papers import paper_for
from workflow.sittings.policies import (
    check_at_sitting,
    check_decide_item,
    check_edit_agenda,
    check_plan,
    check_run,
    check_set_mode,
    may_read_item_papers,
)
from workflow.sittings.selectors import (
    UPCOMING,
    members_of,
    personal_data_in,
    quorum_for,
    ready_tracks,
    sitting_for_track,
)
from workflow.turnaround.targets import Target

# An agenda holds at most this many items (the API's lists are capped to it).
MAX_AGENDA_ITEMS = 100
MAX_MINUTES = 20_000
S = SittingState


# --- the chained history ----------------------------------------------------------------------


def append_event(
    sitting: Sitting, *, by: User | None, transition: str, from_state: str, reason: str = ""
) -> SittingEvent:
    """Append one event to the sitting's chain (the caller holds the sitting's row lock)."""
    previous = (
        SittingEvent.objects.filter(sitting=sitting)
        .order_by("-id")
        .values_list("hash", flat=True)
        .first()
    )
    event = SittingEvent(
        sitting=sitting,
        actor=by,
        actor_name=(by.full_name or by.username) if by is not None else "System",
        transition=transition,
        from_state=from_state,
        to_state=sitting.state,
        reason=reason[:4000],
        created_at=timezone.now(),
    )
    event.prev_hash = previous or ""
    event.hash = audit_chain.digest(event.chain_content(), event.prev_hash)
    event.mac = audit_chain.seal(SittingEvent.seal_label(), event.hash)
    event.save(force_insert=True)
    return event


_log = chained_log(append_event)


def _context(sitting: Sitting, **extra: Any) -> dict[str, Any]:
    return {
        "panel": sitting.panel.name,
        "date": sitting.date,
        "cut_off": sitting.cut_off,
        **extra,
    }


def _listed(sitting: Sitting) -> list[AgendaItem]:
    return list(
        sitting.items.filter(state=AgendaItemState.LISTED)
        .select_related("track__application", "track__panel")
        .order_by("position", "id")
    )


# --- due dates follow the sittings -------------------------------------------------------------


def refresh_due_dates(panel: Panel | int) -> int:
    """Every open track of a panel that sits is due on the sitting that will decide it (the one
    it is listed on, else the next whose cut-off it can make); without one, or on a rolling
    panel, on its target's due date again. Returns how many changed."""
    panel_id = panel if isinstance(panel, int) else panel.pk
    changed = 0
    for track in (
        ReviewTrack.objects.filter(panel_id=panel_id, state=TrackState.OPEN, superseded=False)
        .select_related("panel", "target")
        .order_by("id")
    ):
        found = sitting_for_track(track)
        if found is not None:
            due = found.date
        elif track.target is not None:
            due = Target.of(track.target).due(timezone.localtime(track.opened_at).date())
        else:
            continue
        if due != track.due_date:
            # Not a state: the due date is plain data, kept with the track.
            ReviewTrack.objects.filter(pk=track.pk).update(due_date=due)
            changed += 1
    return changed


@service
def panel_mode_set(*, panel: Panel, by: User, mode: str) -> Panel:
    """Ops switch a panel between rolling review and sittings. The open tracks' due dates
    follow at once. Refused (409) while a sitting of the panel is under way with items on it."""
    check_set_mode(by)
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    if mode not in PanelMode.values:
        raise ValidationFailed(
            "Choose how the panel decides.", fields={"mode": ["Choose rolling or sitting."]}
        )
    if mode == panel.mode:
        return panel
    if (
        mode == PanelMode.ROLLING
        and AgendaItem.objects.filter(
            sitting__panel=panel, sitting__state=S.PAPERS_ISSUED, state=AgendaItemState.LISTED
        ).exists()
    ):
        raise InvalidTransition(
            "A sitting of this panel has its papers issued: hold it (or defer its items) before "
            "the panel reviews on a rolling basis.",
            current_state=panel.mode,
        )
    panel.mode = mode
    panel.save(update_fields=["mode"])
    refresh_due_dates(panel)
    return panel


# --- planning and the agenda -----------------------------------------------------------------


def _date_errors(date: Any, cut_off: Any) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(date, datetime.date):
        errors["date"] = ["Enter the date of the sitting."]
    if not isinstance(cut_off, datetime.date):
        errors["cut_off"] = ["Enter the cut-off date."]
    if errors:
        return errors
    if cut_off > date:
        errors["cut_off"] = ["The cut-off must be on or before the date of the sitting."]
    if date < timezone.localdate():
        errors["date"] = ["The sitting must be today or in the future."]
    return errors


def _add_items(sitting: Sitting, tracks: Sequence[ReviewTrack], *, by: User) -> list[AgendaItem]:
    last = sitting.items.order_by("-position").values_list("position", flat=True).first() or 0
    added = []
    for offset, track in enumerate(tracks, start=1):
        item = AgendaItem.objects.create(
            sitting=sitting, track=track, position=last + offset, added_by=by
        )
        if sitting.state == S.PAPERS_ISSUED:
            _generate_paper(item)
        added.append(item)
    return added


def _generate_paper(item: AgendaItem) -> None:
    item.paper = paper_for(item.track)
    item.paper_generated_at = timezone.now()
    item.save(update_fields=["paper", "paper_generated_at"])


@service
def sitting_create(
    *, panel: Panel, by: User, date: Any, cut_off: Any, location: str = ""
) -> Sitting:
    """The chair or ops plan a sitting. Its agenda starts with the panel's tracks already ready
    by the cut-off; the open tracks' due dates follow the new sitting when it is their next.

    400: a cut-off after the date, a date in the past, a second sitting the same day."""
    panel = Panel.objects.select_for_update().get(pk=panel.pk)
    check_plan(by, panel)
    errors = _date_errors(date, cut_off)
    if len(location or "") > 200:
        errors["location"] = ["At most 200 characters."]
    if not errors and Sitting.objects.filter(panel=panel, date=date).exists():
        errors["date"] = [f"The {panel.name} already sits on {date:%-d %B %Y}."]
    if errors:
        raise ValidationFailed("The sitting has invalid fields.", fields=errors)
    sitting: Sitting = Sitting.objects.create(
        panel=panel, date=date, cut_off=cut_off, location=(location or "").strip(), created_by=by
    )
    _add_items(sitting, list(ready_tracks(sitting)), by=by)
    append_event(sitting, by=by, transition="create", from_state="")
    refresh_due_dates(panel)
    return sitting


@service
def agenda_update(
    *,
    sitting: Sitting,
    by: User,
    agenda_version: int,
    tracks: Sequence[int],
    reason: str = "",
) -> Sitting:
    """Set the agenda: ``tracks`` are the review tracks to decide at this sitting, in order.
    A listed item left out is deferred (to the next sitting whose cut-off it makes); a track not
    yet on it is added (the chair can add one referred after the cut-off). Decided items stay.

    ``agenda_version`` is the version the edit was made on: 409 when someone changed the agenda
    since. 400: a track that is not open in review, of another panel, listed twice, or listed on
    another upcoming sitting."""
    sitting = relock(Sitting, sitting.pk, "panel")
    check_edit_agenda(by, sitting)
    if agenda_version != sitting.agenda_version:
        raise ConcurrentChange(
            "Someone else changed this agenda since you opened it (you edited version "
            f"{agenda_version}, it is now at version {sitting.agenda_version}); reload and try "
            "again.",
            current_state=sitting.state,
        )
    wanted = list(tracks)
    if len(wanted) > MAX_AGENDA_ITEMS:
        raise ValidationFailed(
            "The agenda is too long.",
            fields={"tracks": [f"An agenda holds at most {MAX_AGENDA_ITEMS} items."]},
        )
    problems: list[str] = []
    if len(set(wanted)) != len(wanted):
        problems.append("An application is listed twice.")
    found = {
        t.pk: t
        for t in ReviewTrack.objects.filter(pk__in=wanted).select_related("application", "panel")
    }
    items = {i.track_id: i for i in sitting.items.all()}
    elsewhere = dict(
        AgendaItem.objects.filter(
            track_id__in=wanted, state=AgendaItemState.LISTED, sitting__state__in=UPCOMING
        )
        .exclude(sitting=sitting)
        .values_list("track_id", "sitting__date")
    )
    for pk in wanted:
        track = found.get(pk)
        if track is None or track.panel_id != sitting.panel_id:
            problems.append(f"Review track {pk} is not one of the {sitting.panel.name}'s.")
            continue
        label = track.application.reference or f"application {track.application_id}"
        existing = items.get(pk)
        if existing is not None and existing.state == AgendaItemState.DECIDED:
            problems.append(f"{label} is already decided at this sitting.")
        elif not is_open(track):
            problems.append(
                f"{label}: its review track is not open ({track.get_state_display().lower()})."
            )
        elif pk in elsewhere:
            problems.append(
                f"{label} is on the agenda of the sitting of {elsewhere[pk]:%-d %B %Y}: defer it "
                "there first."
            )
    if problems:
        raise ValidationFailed("The agenda has invalid items.", fields={"tracks": problems})
    order = {pk: n for n, pk in enumerate(wanted)}
    deferred: list[AgendaItem] = []
    added: list[AgendaItem] = []
    decided = sitting.items.filter(state=AgendaItemState.DECIDED).count()
    for item in sitting.items.exclude(state=AgendaItemState.DECIDED).order_by("position"):
        if item.track_id in order:
            item.state = AgendaItemState.LISTED
            item.deferred_reason = ""
            item.deferred_reason_public = True
            item.position = decided + order[item.track_id] + 1
        elif item.state == AgendaItemState.LISTED:
            item.state = AgendaItemState.DEFERRED
            item.deferred_reason = reason.strip()[:2000] or "Deferred by the chair."
            item.deferred_reason_public = not personal_data_in(sitting, item.deferred_reason)
            item.position = MAX_AGENDA_ITEMS + decided + len(order) + len(deferred) + 1
            deferred.append(item)
        item.save(update_fields=["state", "deferred_reason", "deferred_reason_public", "position"])
        listed = item.state == AgendaItemState.LISTED
        if listed and sitting.state == S.PAPERS_ISSUED and not item.paper:
            _generate_paper(item)
    for pk in wanted:
        if pk not in items:
            item = AgendaItem.objects.create(
                sitting=sitting,
                track=found[pk],
                position=decided + order[pk] + 1,
                added_by=by,
            )
            if sitting.state == S.PAPERS_ISSUED:
                _generate_paper(item)
            added.append(item)
    sitting.agenda_version += 1
    sitting.save(update_fields=["agenda_version"])
    words = [f"agenda version {sitting.agenda_version}: {len(wanted)} item(s)"]
    if added:
        words.append("added " + ", ".join(_ref(i) for i in added))
    if deferred:
        words.append("deferred " + ", ".join(_ref(i) for i in deferred))
    if reason.strip():
        words.append(reason.strip())
    append_event(
        sitting,
        by=by,
        transition="agenda_update",
        from_state=sitting.state,
        reason="; ".join(words),
    )
    refresh_due_dates(sitting.panel_id)
    return sitting


def _ref(item: AgendaItem) -> str:
    return item.track.application.reference or f"application {item.track.application_id}"


@service
def agenda_publish(*, sitting: Sitting, by: User) -> Sitting:
    """Publish the agenda: every track ready by the cut-off and not yet on it joins it; the
    panel's members and the teams of the applications on it are told."""
    sitting = relock(Sitting, sitting.pk, "panel")
    check_run(by, sitting)
    if sitting.state == S.PLANNED:
        _add_items(sitting, list(ready_tracks(sitting)), by=by)
    errors = {} if _listed(sitting) else {"tracks": ["The agenda is empty: add an application."]}
    take(sitting, "publish_agenda", by=by, log=_log, errors=errors)
    sitting.agenda_version += 1
    sitting.save(update_fields=["agenda_version"])
    listed = _listed(sitting)
    raise_notice(
        "sitting.agenda_published", sitting, actor=by, **_context(sitting, count=len(listed))
    )
    for item in listed:
        raise_notice(
            "sitting.application_listed",
            item.track,
            actor=by,
            app=item.track.application,
            **_context(sitting),
        )
    refresh_due_dates(sitting.panel_id)
    return sitting


@service
def papers_issue(*, sitting: Sitting, by: User) -> Sitting:
    """Issue the papers: tracks ready by the cut-off still join the agenda, then one pack is
    generated per item from the application as it stands; the members are told."""
    sitting = relock(Sitting, sitting.pk, "panel")
    check_run(by, sitting)
    if sitting.state == S.AGENDA_PUBLISHED:
        _add_items(sitting, list(ready_tracks(sitting)), by=by)
    take(sitting, "issue_papers", by=by, log=_log)
    listed = _listed(sitting)
    for item in listed:
        _generate_paper(item)
    sitting.agenda_version += 1
    sitting.save(update_fields=["agenda_version"])
    raise_notice("sitting.papers_ready", sitting, actor=by, **_context(sitting, count=len(listed)))
    refresh_due_dates(sitting.panel_id)
    return sitting


@service
def papers_read(*, item: AgendaItem, by: User) -> PaperRead | None:
    """A member opened an item's papers (once is enough; None for those who need not read)."""
    sitting = Sitting.objects.get(pk=item.sitting_id)
    seated = PanelMembership.objects.filter(
        panel_id=sitting.panel_id, user=by, left_on__isnull=True
    ).exists()
    item.sitting = sitting
    if not seated or not may_read_item_papers(by, item):
        return None
    read, _created = PaperRead.objects.get_or_create(item=item, reader=by)
    return read


# --- at the sitting ------------------------------------------------------------------------------


@service
def attendance_record(*, sitting: Sitting, by: User, present: Sequence[int]) -> Sitting:
    """Record who is present (the others are absent), at the sitting. 400 for someone not a
    current member of the panel."""
    sitting = relock(Sitting, sitting.pk, "panel")
    check_run(by, sitting)
    check_at_sitting(sitting, timezone.localdate())
    members = {m.user_id: m for m in members_of(sitting)}
    strangers = [pk for pk in present if pk not in members]
    if strangers:
        raise ValidationFailed(
            "Only the panel's members attend.",
            fields={"present": [f"{len(strangers)} of those named do not sit on this panel."]},
        )
    here = set(present)
    for user_id in members:
        SittingAttendance.objects.update_or_create(
            sitting=sitting,
            member_id=user_id,
            defaults={"present": user_id in here, "recorded_by": by},
        )
    append_event(
        sitting,
        by=by,
        transition="attendance",
        from_state=sitting.state,
        reason=f"{len(here)} of {len(members)} members present",
    )
    return sitting


@service
def item_decide(
    *,
    item: AgendaItem,
    by: User,
    outcome: str,
    rationale: str = "",
    conditions: Sequence[str] = (),
) -> AgendaItem:
    """The chair records the panel's decision on one item: the track's decision, as on a
    rolling panel (its event, and the combined outcome when it was the last track).

    409 when the quorum is not present, naming what is missing; 409 before the sitting's day or
    once it is closed; 400 for a decision without reasons or conditions where they are needed."""
    sitting = relock(Sitting, item.sitting_id, "panel")
    item = AgendaItem.objects.select_for_update().get(pk=item.pk)
    application, track = lock_track(item.track)
    item.sitting = sitting
    item.track = track
    check_decide_item(by, item, timezone.localdate())
    check_decision(track, outcome, rationale, conditions)
    quorum = quorum_for(item)
    if not quorum.met:
        raise InvalidTransition(
            "The quorum is not present to decide "
            f"{application.reference}: " + "; ".join(quorum.missing) + ".",
            current_state=sitting.state,
            missing=quorum.missing,
        )
    decide_track(
        application,
        track,
        by=by,
        outcome=outcome,
        rationale=rationale,
        conditions=conditions,
        extra={
            "sitting": sitting.pk,
            "sitting_date": sitting.date.isoformat(),
            "item": item.position,
            "present": quorum.present,
            "independent_present": quorum.independent_present,
            "lay_present": quorum.lay_present,
        },
    )
    item.state = AgendaItemState.DECIDED
    item.save(update_fields=["state"])
    append_event(
        sitting,
        by=by,
        transition="item_decided",
        from_state=sitting.state,
        reason=f"Item {item.position} ({application.reference}): {outcome}",
    )
    return item


@service
def sitting_close(*, sitting: Sitting, by: User) -> Sitting:
    """Record the sitting as held. Items not decided are deferred to the next sitting."""
    sitting = relock(Sitting, sitting.pk, "panel")
    check_run(by, sitting)
    if sitting.state == S.PAPERS_ISSUED:
        check_at_sitting(sitting, timezone.localdate())
    left = _listed(sitting)
    take(
        sitting,
        "close",
        by=by,
        log=_log,
        reason=f"{len(left)} item(s) not reached, deferred" if left else "",
    )
    for item in left:
        item.state = AgendaItemState.DEFERRED
        item.deferred_reason = "Not reached at the sitting."
        item.deferred_reason_public = True
        item.save(update_fields=["state", "deferred_reason", "deferred_reason_public"])
    refresh_due_dates(sitting.panel_id)
    return sitting


@service
def minutes_publish(*, sitting: Sitting, by: User, minutes: str) -> Sitting:
    """Publish the minutes in their public form: the chair's text and, per item, the
    application's reference and outcome, and how many members attended; never a name.

    400 for a sitting not held, for empty minutes, and for minutes that name a person."""
    sitting = relock(Sitting, sitting.pk, "panel")
    check_run(by, sitting)
    text = (minutes or "").strip()
    if sitting.state in (S.PLANNED, S.AGENDA_PUBLISHED, S.PAPERS_ISSUED):
        raise ValidationFailed(
            "The sitting has not been held.",
            fields={"minutes": ["Minutes are published once the sitting has been held."]},
        )
    errors: dict[str, list[str]] = {}
    if not text:
        errors["minutes"] = ["Write the minutes."]
    elif len(text) > MAX_MINUTES:
        errors["minutes"] = [f"At most {MAX_MINUTES} characters."]
    else:
        named = personal_data_in(sitting, text)
        if named:
            errors["minutes"] = [
                "The public minutes carry no personal data: remove " + ", ".join(named) + "."
            ]
    sitting.minutes = text
    sitting.minutes_published_at = timezone.now()
    sitting.minutes_published_by = by
    take(sitting, "publish_minutes", by=by, log=_log, errors=errors)
    raise_notice("sitting.minutes_published", sitting, actor=by, **_context(sitting))
    return sitting
