"""The sitting pages: the sittings of one's panels (plan one), a sitting (its agenda, papers,
attendance, decisions item by item, close and minutes), an item's papers, and the public
minutes. Each page loads what the person may see (404 otherwise) and calls one service per
form; every agenda form carries the agenda version it was drawn from (409 when it moved on)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from core.errors import InvalidTransition, ValidationFailed
from core.web import apply_domain_errors, done, error_items
from workflow.models import AgendaItem, AgendaItemState, Panel, PanelMode, Sitting, SittingState
from workflow.sittings import services
from workflow.sittings.forms import (
    AttendanceForm,
    DeferForm,
    ItemDecisionForm,
    MinutesForm,
    PanelModeForm,
    SittingForm,
)
from workflow.sittings.policies import (
    can_decide_item,
    can_edit_agenda,
    can_set_mode,
    may_read_item_papers,
    may_run_panel,
    may_run_sitting,
)
from workflow.sittings.selectors import (
    agenda,
    attendance_tallies,
    deferred_reasons,
    members_of,
    present_ids,
    published_minutes,
    quorum_for,
    ready_tracks,
    sittings_visible_to,
)


def _page(sitting: Sitting) -> str:
    return reverse("workflow:sitting", args=[sitting.pk])


def _runnable_panels(user: Any) -> list[Panel]:
    return [
        p
        for p in Panel.objects.filter(mode=PanelMode.SITTING, is_active=True).order_by("name")
        if may_run_panel(user, p)
    ]


@login_required
@require_http_methods(["GET", "POST"])
def sitting_list(request: HttpRequest) -> HttpResponse:
    """The sittings of the panels one sits on (all for ops), and a form to plan one."""
    user: Any = request.user
    rows = list(sittings_visible_to(user).order_by("-date", "-id")[:200])
    panels = _runnable_panels(user)
    form = SittingForm(request.POST or None, panels=panels) if panels else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            panel = get_object_or_404(Panel, pk=form.cleaned_data["panel"])
            try:
                sitting = services.sitting_create(
                    panel=panel,
                    by=user,
                    date=form.cleaned_data["date"],
                    cut_off=form.cleaned_data["cut_off"],
                    location=form.cleaned_data["location"],
                )
            except ValidationFailed as exc:
                apply_domain_errors(form, exc)
            else:
                messages.success(request, "Sitting planned: check its agenda, then publish it.")
                return done(request, _page(sitting))
    errors = error_items(form)
    return render(
        request,
        "workflow/sittings/list.html",
        {
            "title": "Panel sittings",
            "sittings": rows,
            "form": form,
            "error_items": errors,
            "today": timezone.localdate(),
        },
        status=400 if errors else 200,
    )


def _agenda_tracks(sitting: Sitting) -> list[int]:
    return [
        i.track_id
        for i in sitting.items.filter(state=AgendaItemState.LISTED).order_by("position", "id")
    ]


def _number(request: HttpRequest, name: str) -> int:
    """A posted id or version; 0 when it is not one (the service then says what is wrong)."""
    value = request.POST.get(name, "")
    return int(value) if value.isdigit() and int(value) < 2**63 else 0


def _agenda_action(
    request: HttpRequest, sitting: Sitting, user: Any, action: str, *, reason: str = ""
) -> str:
    """Reorder, add or defer: the new list of tracks, sent with the version it was drawn on."""
    tracks = _agenda_tracks(sitting)
    track = _number(request, "track")
    if action in ("up", "down") and track in tracks:
        i = tracks.index(track)
        j = i - 1 if action == "up" else i + 1
        if 0 <= j < len(tracks):
            tracks[i], tracks[j] = tracks[j], tracks[i]
        said = "Agenda reordered."
    elif action == "defer":
        tracks = [t for t in tracks if t != track]
        said = "Item deferred to the next sitting."
    else:  # add
        tracks.append(track)
        said = "Application added to the agenda."
        reason = ""
    services.agenda_update(
        sitting=sitting,
        by=user,
        agenda_version=_number(request, "agenda_version"),
        tracks=tracks,
        reason=reason,
    )
    if action == "defer" and AgendaItem.objects.filter(
        sitting=sitting, track_id=track, deferred_reason_public=False
    ):
        said += (
            " The reason names a person: it is kept on the record, and not shown on the agenda "
            "or in the public minutes."
        )
    return said


def _defer_form(item: AgendaItem, data: Any = None) -> DeferForm:
    """The chair's reason for deferring one item (one form per item on the page)."""
    form = DeferForm(data, prefix="defer", auto_id=f"id_defer{item.pk}_%s")
    form.fields["reason"].label = f"Why is {item.track.application.reference} deferred? (optional)"
    return form


@login_required
@require_http_methods(["GET", "POST"])
def sitting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One sitting: its agenda and the one step its chair (or ops) may take now."""
    sitting: Sitting = get_object_or_404(sittings_visible_to(request.user), pk=pk)
    user: Any = request.user
    action = request.POST.get("action", "") if request.method == "POST" else ""
    today = timezone.localdate()
    members = members_of(sitting)
    attendance_form = AttendanceForm(
        request.POST if action == "attendance" else None,
        members=members,
        initial={"present": [str(i) for i in present_ids(sitting)]},
    )
    decide_item = None
    decision_form = ItemDecisionForm(request.POST if action == "decide" else None, prefix="decide")
    minutes_form = MinutesForm(request.POST if action == "minutes" else None)
    defer_track = _number(request, "track") if action == "defer" else 0
    defer_form = DeferForm(request.POST if action == "defer" else None, prefix="defer")
    said = ""
    if action in ("up", "down", "add"):
        said = _agenda_action(request, sitting, user, action)
    elif action == "defer":
        if defer_form.is_valid():
            said = _agenda_action(
                request, sitting, user, action, reason=defer_form.cleaned_data["reason"]
            )
    elif action == "publish_agenda":
        services.agenda_publish(sitting=sitting, by=user)
        said = "Agenda published: the members and the teams are told."
    elif action == "issue_papers":
        services.papers_issue(sitting=sitting, by=user)
        said = "Papers issued: the members are told."
    elif action == "close":
        services.sitting_close(sitting=sitting, by=user)
        said = "The sitting is recorded as held."
    elif action == "attendance" and attendance_form.is_valid():
        services.attendance_record(
            sitting=sitting,
            by=user,
            present=[int(v) for v in attendance_form.cleaned_data["present"]],
        )
        said = "Attendance recorded."
    elif action == "decide":
        decide_item = get_object_or_404(AgendaItem, pk=_number(request, "item"), sitting=sitting)
        if decision_form.is_valid():
            try:
                services.item_decide(item=decide_item, by=user, **decision_form.cleaned_data)
            except ValidationFailed as exc:
                apply_domain_errors(decision_form, exc)
            else:
                said = "Decision recorded."
    elif action == "minutes" and minutes_form.is_valid():
        try:
            services.minutes_publish(
                sitting=sitting, by=user, minutes=minutes_form.cleaned_data["minutes"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(minutes_form, exc)
        else:
            said = "Minutes published."
    elif action:
        raise Http404
    if said:
        messages.success(request, said)
        return done(request, _page(sitting))
    sitting.refresh_from_db()
    items = agenda(sitting)
    running = bool(may_run_sitting(user, sitting))
    rows: list[dict[str, Any]] = []
    for item in items:
        item.sitting = sitting
        rows.append(
            {
                "item": item,
                "quorum": quorum_for(item)
                if sitting.state == SittingState.PAPERS_ISSUED and item.state == "listed"
                else None,
                "can_decide": can_decide_item(user, item, today),
                "can_read": item.paper_generated_at is not None
                and may_read_item_papers(user, item),
                "form": decision_form
                if decide_item is not None and decide_item.pk == item.pk
                else ItemDecisionForm(prefix="decide", auto_id=f"id_item{item.pk}_%s"),
                "defer_form": _defer_form(
                    item, request.POST if item.track_id == defer_track else None
                ),
            }
        )
    listed = [i for i in items if i.state == AgendaItemState.LISTED]
    bound_defer = next((r["defer_form"] for r in rows if r["defer_form"].is_bound), None)
    errors = error_items(attendance_form, decision_form, minutes_form, bound_defer)
    return render(
        request,
        "workflow/sittings/detail.html",
        {
            "title": str(sitting),
            "sitting": sitting,
            "rows": rows,
            "listed": listed,
            "running": running,
            "editing": can_edit_agenda(user, sitting),
            "addable": list(ready_tracks(sitting)[:50]) if can_edit_agenda(user, sitting) else [],
            "at_sitting": sitting.state == SittingState.PAPERS_ISSUED and today >= sitting.date,
            "attendance_form": attendance_form,
            "minutes_form": minutes_form,
            "tallies": attendance_tallies(sitting),
            "error_items": errors,
        },
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def panel_mode_edit(request: HttpRequest, panel_id: int) -> HttpResponse:
    """Ops switch a panel between rolling review and sittings, through the API's service:
    refused (409, on the page) while a sitting of the panel with its papers issued still has
    items listed."""
    user: Any = request.user
    if not can_set_mode(user):
        raise PermissionDenied("Only ops change how a panel decides.")
    panel = get_object_or_404(Panel, pk=panel_id)
    back = reverse("workflow:panel-rules")
    request.back_to = back  # type: ignore[attr-defined]
    form = PanelModeForm(
        request.POST if request.method == "POST" else None, initial={"mode": panel.mode}
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.panel_mode_set(panel=panel, by=user, mode=form.cleaned_data["mode"])
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        except InvalidTransition as exc:
            form.add_error("mode", exc.detail)
            status = 409
        else:
            panel.refresh_from_db()
            said = "at sittings" if panel.mode == PanelMode.SITTING else "on a rolling basis"
            messages.success(request, f"{panel.name}: the panel now decides {said}.")
            return done(request, back)
    errors = error_items(form if form.is_bound else None)
    return render(
        request,
        "workflow/sittings/panel_mode.html",
        {
            "title": f"How the {panel.name} decides",
            "panel": panel,
            "form": form,
            "back": back,
            "error_items": errors,
            "listed": AgendaItem.objects.filter(
                sitting__panel=panel,
                sitting__state=SittingState.PAPERS_ISSUED,
                state=AgendaItemState.LISTED,
            ).count(),
        },
        status=status if status != 200 else (400 if errors else 200),
    )


@login_required
@require_GET
def paper(request: HttpRequest, pk: int, item_id: int) -> HttpResponse:
    """One item's papers, as generated when they were issued; opening them counts as read."""
    sitting: Sitting = get_object_or_404(sittings_visible_to(request.user), pk=pk)
    item: AgendaItem = get_object_or_404(
        AgendaItem.objects.select_related("track__application"), pk=item_id, sitting=sitting
    )
    item.sitting = sitting
    if item.paper_generated_at is None or not may_read_item_papers(request.user, item):
        raise Http404
    services.papers_read(item=item, by=request.user)  # type: ignore[arg-type]
    return render(
        request,
        "workflow/sittings/paper.html",
        {
            "title": f"Papers: {item.paper.get('reference', '')}",
            "sitting": sitting,
            "item": item,
            "paper": item.paper,
        },
    )


@require_GET
def minutes_list(request: HttpRequest) -> HttpResponse:
    """Every panel's published minutes (no login)."""
    return render(
        request,
        "workflow/sittings/minutes_list.html",
        {"title": "Minutes of panel sittings", "sittings": list(published_minutes()[:200])},
    )


@require_GET
def minutes(request: HttpRequest, pk: int) -> HttpResponse:
    """One sitting's public minutes (no login): numbers, references and outcomes, no names."""
    sitting: Sitting = get_object_or_404(published_minutes(), pk=pk)
    decided = [
        i
        for i in sitting.items.select_related("track__application").order_by("position")
        if i.state == AgendaItemState.DECIDED
    ]
    return render(
        request,
        "workflow/sittings/minutes.html",
        {
            "title": f"Minutes: {sitting}",
            "sitting": sitting,
            "decided": decided,
            "deferred": sitting.items.filter(state=AgendaItemState.DEFERRED).count(),
            "deferred_reasons": deferred_reasons(sitting),
            "tallies": attendance_tallies(sitting),
        },
    )
