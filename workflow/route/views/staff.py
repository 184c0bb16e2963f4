"""The TRE staff's pages: the analyst's scoping queue and workspace, the reviewers' internal
review queue, and ops' work assignment with the analysts' load."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from access.policy import Permission, has_permission
from catalogue.models import Variable
from core.errors import NotAllowed, ValidationFailed
from core.web import apply_domain_errors, done, error_items
from workflow.models import FINAL_STATES, State
from workflow.output_checks.selectors import output_check_figures
from workflow.pages import get_application
from workflow.reviews.preapproval import match_application
from workflow.route import services as route_services
from workflow.route.forms import AssignAnalystForm, ScopingForm
from workflow.route.policies import (
    can_record_feasibility,
    can_update_scoping,
    check_assign_analyst,
    may_work_on_scoping,
)
from workflow.route.selectors import (
    analyst_load,
    application_list,
    internal_review_queue,
    scoping_queue,
    with_stage_age,
)
from workflow.route.services import scoping_errors
from workflow.route.views.application import actions_for


def _require(request, perm: Permission, message: str) -> None:
    if not has_permission(request.user, perm):
        raise PermissionDenied(message)


# --- analysts ----------------------------------------------------------------------------


@login_required
def scoping_list(request):
    _require(request, Permission.SCOPING_DECIDE, "The scoping queue is for analysts.")
    return render(
        request,
        "workflow/staff/scoping_queue.html",
        {"title": "Scoping", "applications": scoping_queue(request.user)},
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
    return render(
        request,
        "workflow/staff/internal_review_queue.html",
        {"title": "Internal review", "applications": internal_review_queue(request.user)},
    )


# --- ops ---------------------------------------------------------------------------------


@login_required
def ops_dashboard(request):
    """Work in flight with its analyst and age, the analysts' load, and applications waiting
    for access to be granted."""
    _require(request, Permission.ANALYST_ASSIGN, "The operations dashboard is for ops.")
    in_flight = with_stage_age(
        application_list(request.user).exclude(state__in=[State.DRAFT, *FINAL_STATES])
    ).order_by("stage_entered_at", "id")
    return render(
        request,
        "workflow/staff/ops_dashboard.html",
        {
            "title": "Operations",
            "in_flight": in_flight,
            "analysts": analyst_load(),
            "outputs": output_check_figures(),
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
