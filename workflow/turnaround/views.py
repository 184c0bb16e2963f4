"""Operations: the stage targets (edited through ``stage_target_set``) and the turnaround
dashboard (the figures of ``workflow.services.metrics``, drawn as server-side SVG charts with
a summary and a table each), with its filters as a GET form and the CSV download."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from access.policy import Permission, has_permission
from core.errors import NotAllowed, ValidationFailed
from core.web import apply_domain_errors, error_items, throttled_when_anonymous
from workflow.amendments.selectors import turnaround_by_type
from workflow.models import StageTarget, State, TargetStage, TrackKind
from workflow.output_checks.selectors import output_check_figures
from workflow.turnaround import accuracy, charts, metrics
from workflow.turnaround.dashboard import dashboard, live_for
from workflow.turnaround.forms import StageTargetForm, TurnaroundFilterForm
from workflow.turnaround.services import stage_target_set
from workflow.turnaround.stage_guide import STAGES, stored_typical_days
from workflow.turnaround.targets import TargetBook, targets

STATE_LABELS = {s.value: s.label for s in State}
STAGE_LABELS = {
    **STATE_LABELS,
    State.APPROVED: "Grant access (approved)",
    State.CHANGES_REQUESTED: "Changes requested (applicant)",
    **{k.value: k.label for k in TrackKind},
}


def _require(user, permission: Permission, message: str) -> None:
    if not has_permission(user, permission):
        raise NotAllowed(message)


# --- stage targets ----------------------------------------------------------------------------


@login_required
def target_list(request):
    _require(request.user, Permission.TARGETS_MANAGE, "Only ops set stage targets.")
    rows = StageTarget.objects.select_related("updated_by").in_bulk()
    book = TargetBook(list(rows.values()))
    current, scheduled = book.current(), book.scheduled()
    labels = dict(TargetStage.choices)
    return render(
        request,
        "workflow/ops/targets.html",
        {
            "title": "Stage targets",
            "targets": [
                {
                    "target": t,
                    "label": labels.get(stage, stage),
                    "row": rows.get(t.id),
                    "scheduled": scheduled.get(stage, []),
                }
                # In the order stages were first given a target (the seeded ones first).
                for stage, t in sorted(
                    current.items(),
                    key=lambda item: min((v.id or 0 for v in book.versions[item[0]]), default=0),
                )
            ],
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def target_edit(request, stage: str):
    _require(request.user, Permission.TARGETS_MANAGE, "Only ops set stage targets.")
    current = targets().get(stage)
    if current is None:
        raise Http404("No such stage")
    form = StageTargetForm(
        request.POST if request.method == "POST" else None,
        initial={
            "days": current.days,
            "unit": current.unit,
            "due_soon_days": current.due_soon_days,
            "escalate_after_days": current.escalate_after_days,
        },
    )
    label = dict(TargetStage.choices).get(stage, stage)
    if request.method == "POST" and form.is_valid():
        try:
            stage_target_set(stage=stage, by=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            start = form.cleaned_data.get("effective_from")
            when = f"from {start:%-d %B %Y}" if start and start > timezone.localdate() else "now"
            messages.success(
                request,
                f"{label}: the new target applies to stages and tracks that start {when}; "
                "those already started keep theirs.",
            )
            return redirect("workflow:stage-targets")
    errors = error_items(form)
    return render(
        request,
        "workflow/ops/target_edit.html",
        {"title": f"Target: {label}", "label": label, "form": form, "error_items": errors},
        status=400 if errors else 200,
    )


# --- the turnaround dashboard -----------------------------------------------------------------


@login_required
def turnaround(request):
    _require(request.user, Permission.METRICS_VIEW, "The turnaround dashboard is for ops.")
    form = TurnaroundFilterForm(request.GET or None)
    errors = []
    if form.is_bound and not form.is_valid():
        errors = error_items(form)
        f = metrics.MetricsFilter()
    else:
        data = form.cleaned_data if form.is_bound else {}
        f = metrics.MetricsFilter(
            start=data.get("start"),
            end=data.get("end"),
            route=data.get("route") or None,
            dataset=data.get("dataset") or None,
        )
    # Unfiltered: the whole history's figures as stored (with the time they were worked out),
    # what is as of now read live; filtered: computed for this request.
    figures = dashboard(f)
    summary = figures.summary
    query = {
        k: v
        for k, v in (
            ("from", f.start and f.start.isoformat()),
            ("to", f.end and f.end.isoformat()),
            ("route", f.route),
            ("dataset", f.dataset),
        )
        if v
    }
    csv_url = reverse("v1:metrics-turnaround-csv") + (f"?{urlencode(query)}" if query else "")
    wip = summary["work_in_progress"]
    return render(
        request,
        "workflow/ops/turnaround.html",
        {
            "title": "Turnaround",
            "outputs": output_check_figures(),
            "amendments": turnaround_by_type(),
            "form": form,
            "error_items": errors,
            "summary": summary,
            "filtered": bool(query),
            "csv_url": csv_url,
            "as_of": figures.as_of,
            "live_as_of": figures.live_as_of,
            "live_minutes": round(live_for().total_seconds() / 60),
            "charts": [
                figures.distribution,
                figures.trend,
                charts.stages_against_targets(
                    [s for s in summary["stages"] if s["stage"] != State.IN_REVIEW],
                    [t for t in summary["tracks"] if t["kind"] == TrackKind.OWNER_SIGNOFF],
                    STAGE_LABELS,
                ),
                charts.panel_response(
                    summary["panel_response"], {"igrp": "IGRP", "dea_panel": "DEA panel"}
                ),
                charts.work_in_progress(wip["by_stage"], STAGE_LABELS),
            ],
            "wip": wip,
            "replay": accuracy.latest_report(),
            "owner_people": summary["pre_approved"]["count"] - summary["pre_approved"]["hits"],
            "judged": [
                {**version, "label": STAGE_LABELS.get(row.get("stage") or row["kind"], "")}
                for row in (*summary["stages"], *summary["tracks"])
                for version in row["judged_by"]
            ],
            "oldest": summary["oldest_open"],
            "track_labels": {k.value: k.label for k in TrackKind},
            "state_labels": STATE_LABELS,
        },
        status=400 if errors else 200,
    )


@throttled_when_anonymous
def how_to_get_access(request):
    typical, as_of = stored_typical_days()
    stages = [
        {
            "stage": s,
            "typical": f"{typical[s.key][0]} {typical[s.key][1]}" if s.key in typical else "",
        }
        for s in STAGES
    ]
    return render(
        request,
        "access/how_to_get_access.html",
        {"title": "How to get access", "stages": stages, "as_of": as_of},
    )
