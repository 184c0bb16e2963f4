"""The TRE staff's pages: the analyst's scoping queue and workspace, the reviewers' internal
review queue, and ops' work assignment with the analysts' load."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from access.policy import Permission, has_permission
from catalogue.models import Variable
from core.errors import NotAllowed, ValidationFailed
from core.web import apply_domain_errors, done, error_items, paginate
from workflow.models import Application, State
from workflow.pages import get_application
from workflow.reviews.preapproval import match_application
from workflow.route import services as route_services
from workflow.route.forms import AssignAnalystForm, QueueFilterForm, ScopingForm
from workflow.route.policies import (
    can_record_feasibility,
    can_update_scoping,
    check_assign_analyst,
    may_work_on_scoping,
)
from workflow.route.selectors import (
    IN_PROGRESS,
    AnalystLoad,
    analyst_load,
    analyst_queue,
    late_only,
    ops_queue,
    queue_rows,
    reviewer_queue,
    search_applications,
    stage_counts,
)
from workflow.route.services import scoping_errors
from workflow.route.views.application import actions_for
from workflow.turnaround.calendar import local_date


def _require(request, perm: Permission, message: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied(message)


def _work_queue(
    request,
    applications: QuerySet[Application],
    *,
    stages: tuple[str, ...],
    waiting: tuple[str, ...],
    analysts: list[AnalystLoad] | None = None,
    waiting_label: str = "Waiting for you",
) -> dict[str, Any]:
    """A staff queue's context: ``applications`` filtered by the request (``stage``, where
    the choice "waiting for you" is ``waiting``; ``analyst``; ``q``; ``late``), counted per
    stage, a page of rows soonest due first. A bounded number of queries whatever the size."""
    form = QueueFilterForm(
        request.GET or None,
        stages=[(s, State(s).label) for s in stages],
        analysts=None if analysts is None else [(str(a.analyst.pk), a.full_name) for a in analysts],
        waiting_label=waiting_label,
    )
    chosen = waiting
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            applications = search_applications(applications, data["q"])
        if data.get("analyst") == "none":
            applications = applications.filter(analyst__isnull=True)
        elif data.get("analyst"):
            applications = applications.filter(analyst_id=int(data["analyst"]))
        if data["late"]:
            today = local_date(timezone.now())
            applications = late_only(applications, today)
        if data["stage"]:
            chosen = (data["stage"],)
    counts = stage_counts(applications)
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("stage", None)
    base = query.urlencode()

    def link(stage: str) -> str:
        return f"?{base}&stage={stage}" if base else f"?stage={stage}"

    stage_links = [
        {
            "label": State(s).label,
            "count": counts.get(s, 0),
            "url": link(s),
            "current": chosen == (s,),
        }
        for s in stages
    ]
    total = sum(counts.get(s, 0) for s in chosen)
    listing = paginate(request, queue_rows(applications.filter(state__in=chosen)), count=total)
    return {
        "form": form,
        "error_items": error_items(form),
        "listing": listing,
        "rows": listing.page.object_list,
        "total": total,
        "stage_links": stage_links,
        "waiting_url": f"?{base}" if base else "?",
        "waiting_current": chosen == waiting,
        "today": local_date(timezone.now()),
    }


def _queue_response(request, template: str, context: dict[str, Any]):
    return render(request, template, context, status=400 if context["error_items"] else 200)


# --- analysts ----------------------------------------------------------------------------


@login_required
def scoping_list(request):
    _require(request, Permission.SCOPING_DECIDE, "The scoping queue is for analysts.")
    context = _work_queue(
        request,
        analyst_queue(request.user),
        stages=(State.SCOPING, State.CHANGES_REQUESTED),
        waiting=(State.SCOPING,),
    )
    return _queue_response(
        request, "workflow/staff/scoping_queue.html", {"title": "Scoping", **context}
    )


@login_required
@require_http_methods(["GET", "POST"])
def scoping_workspace(request, pk: int):
    """Agree the variables from the data dictionary, see the pre-approved match and why,
    record feasibility; from here complete scoping or request changes."""
    application = get_application(request, pk, whole=True)
    if not may_work_on_scoping(request.user, application):
        raise NotAllowed("Only the assigned analyst and the team work on scoping.")
    request.back_to = reverse("workflow:scoping", args=[pk])
    scoping = getattr(application, "scoping", None)
    dataset_ids = [rd.dataset_id for rd in application.requested_datasets.all()]
    variables = list(
        Variable.objects.filter(dataset_id__in=dataset_ids)
        .select_related("dataset")
        .order_by("dataset__slug", "name")
    )
    is_analyst = can_record_feasibility(request.user, application)
    initial = {}
    if scoping is not None:
        initial = {
            "scoped_variables": [
                str(pk) for pk in scoping.scoped_variables.values_list("pk", flat=True)
            ],
            "refined_research_question": scoping.refined_research_question,
            "linkage_needs": scoping.linkage_needs,
            "feasibility_notes": scoping.feasibility_notes,
            "feasible": {True: "yes", False: "no"}.get(scoping.feasible, ""),
            "support_needed": scoping.support_needed,
            "meeting_medium": scoping.meeting_medium,
        }
    form = ScopingForm(
        request.POST if request.method == "POST" else None,
        variables=variables,
        is_analyst=is_analyst,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            route_services.scoping_update(
                application=application, by=request.user, data=form.data_for_service()
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Scoping record saved.")
            return done(request, reverse("workflow:scoping", args=[pk]))
    requested = {
        rv.variable_id for rd in application.requested_datasets.all() for rv in rd.variables.all()
    }
    errors = error_items(form)
    return render(
        request,
        "workflow/staff/scoping_workspace.html",
        {
            "title": f"Scoping: {application.title}",
            "application": application,
            "form": form,
            "error_items": errors,
            "matches": match_application(application),
            "requested_ids": requested,
            "blockers": scoping_errors(application) if application.state == State.SCOPING else {},
            "actions": actions_for(request.user, application),
            "editable": can_update_scoping(request.user, application),
        },
        status=400 if errors else 200,
    )


# --- reviewers ---------------------------------------------------------------------------


@login_required
def internal_review_list(request):
    _require(request, Permission.INTERNAL_REVIEW_DECIDE, "Internal review is for reviewers.")
    context = _work_queue(
        request,
        reviewer_queue(request.user),
        stages=(State.INTERNAL_REVIEW,),
        waiting=(State.INTERNAL_REVIEW,),
    )
    return _queue_response(
        request,
        "workflow/staff/internal_review_queue.html",
        {"title": "Internal review", **context},
    )


# --- ops ---------------------------------------------------------------------------------


@login_required
def ops_dashboard(request):
    """Work in progress (a page of it, soonest due first, filtered and counted per stage) with
    its analyst, and the analysts' load."""
    _require(request, Permission.ANALYST_ASSIGN, "The operations dashboard is for ops.")
    analysts = analyst_load()
    context = _work_queue(
        request,
        ops_queue(request.user),
        stages=IN_PROGRESS,
        waiting=IN_PROGRESS,
        analysts=analysts,
        waiting_label="All in progress",
    )
    return _queue_response(
        request,
        "workflow/staff/ops_dashboard.html",
        {
            "title": "Operations",
            "analysts": analysts,
            **context,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def assign_analyst(request, pk: int):
    _require(request, Permission.ANALYST_ASSIGN, "Only ops assign analysts.")
    application = get_application(request, pk)
    request.back_to = reverse("workflow:ops-dashboard")
    check_assign_analyst(request.user, application)
    form = AssignAnalystForm(
        request.POST if request.method == "POST" else None,
        initial={"analyst": application.analyst_id},
    )
    if request.method == "POST" and form.is_valid():
        try:
            route_services.application_assign_analyst(
                application=application, by=request.user, analyst=form.cleaned_data["analyst"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(
                request,
                f"{form.cleaned_data['analyst'].full_name} is now the analyst for "
                f"{application.reference}.",
            )
            return done(request, reverse("workflow:ops-dashboard"))
    errors = error_items(form)
    return render(
        request,
        "workflow/staff/assign_analyst.html",
        {
            "title": f"Assign the analyst: {application.reference}",
            "application": application,
            "form": form,
            "error_items": errors,
            "analysts": analyst_load(),
        },
        status=400 if errors else 200,
    )
