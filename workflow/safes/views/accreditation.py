"""Safe people in the browser: a researcher's own accreditation (status of each kind, what
each of their applications needs, applying), and the accreditation officer's queue (accredit or
refuse). Views translate only: ``access.safe_people`` holds every rule. These pages live in the
workflow because they show accreditation against the person's applications (access never
imports the workflow)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from access.forms import AccreditationApplyForm, AccreditationDecisionForm
from access.models import (
    SATISFIED_BY,
    Accreditation,
    AccreditationKind,
    AccreditationState,
    Requirement,
)
from access.policy import Permission, has_permission
from access.safe_people.policies import can_apply_for_accreditation
from access.safe_people.selectors import accreditations_visible_to, missing_requirements
from access.safe_people.services import (
    accreditation_accredit,
    accreditation_apply,
    accreditation_refuse,
)
from core.errors import ValidationFailed
from core.web import apply_domain_errors, error_items
from workflow.models import State
from workflow.route.selectors import applications_of_member
from workflow.safes.selectors import access_start, requirements_for


def accreditation_needs(person, applications) -> list[dict]:
    """For each application: each requirement of the project and whether ``person`` meets it
    on the day access would start (or has an application for it in progress)."""
    waiting = set(
        Accreditation.objects.filter(person=person, state=AccreditationState.APPLIED).values_list(
            "kind", flat=True
        )
    )
    rows = []
    for application in applications:
        day = access_start(application)
        requirements = requirements_for(application, list(application.requested_datasets.all()))
        missing = set(missing_requirements(person, requirements, day))
        needs = []
        for requirement in requirements:
            if requirement not in missing:
                status = "met"
            elif waiting & SATISFIED_BY[requirement]:
                status = "applied"
            else:
                status = "missing"
            needs.append(
                {
                    "requirement": requirement,
                    "label": Requirement(requirement).label,
                    "status": status,
                }
            )
        rows.append({"application": application, "day": day, "needs": needs})
    return rows


@login_required
def my_accreditation(request):
    if not can_apply_for_accreditation(request.user):
        raise PermissionDenied("This page is for researchers.")
    mine = list(
        Accreditation.objects.filter(person=request.user)
        .select_related("supervisor", "decided_by")
        .order_by("-applied_at", "-id")
    )
    today = timezone.localdate()
    kinds = []
    for kind in AccreditationKind:
        awards = [a for a in mine if a.kind == kind]
        current = next((a for a in awards if a.is_valid_on(today)), None)
        kinds.append(
            {"kind": kind.value, "label": kind.label, "current": current, "latest": awards[:1]}
        )
    open_states = (State.CLOSED, State.REJECTED, State.WITHDRAWN)
    applications = applications_of_member(request.user).exclude(state__in=open_states)
    return render(
        request,
        "access/accreditation.html",
        {
            "title": "My accreditation",
            "kinds": kinds,
            "awards": mine,
            "needs": accreditation_needs(request.user, applications.order_by("-id")),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def accreditation_apply_page(request):
    if not can_apply_for_accreditation(request.user):
        raise PermissionDenied("Only researchers apply for accreditation.")
    kind = request.GET.get("kind")
    initial = {"kind": kind} if kind in AccreditationKind.values else {}
    form = AccreditationApplyForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            accreditation_apply(by=request.user, **form.data_for_service())
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, {"supervisor": "supervisor_email"})
        else:
            messages.success(
                request,
                "Your application is with the accreditation officer. You will be told "
                "when they decide.",
            )
            return redirect("accreditation")
    errors = error_items(form)
    return render(
        request,
        "access/accreditation_apply.html",
        {"title": "Apply for accreditation", "form": form, "error_items": errors},
        status=400 if errors else 200,
    )


def _require_officer(user) -> None:
    if not has_permission(user, Permission.ACCREDITATION_DECIDE):
        raise PermissionDenied("This is for accreditation officers.")


@login_required
def officer_queue(request):
    _require_officer(request.user)
    waiting = accreditations_visible_to(request.user).filter(state=AccreditationState.APPLIED)
    recent = (
        accreditations_visible_to(request.user)
        .exclude(state=AccreditationState.APPLIED)
        .filter(decided_at__isnull=False)
        .order_by("-decided_at")[:10]
    )
    return render(
        request,
        "access/accreditation_queue.html",
        {
            "title": "Accreditation decisions",
            "waiting": waiting.order_by("applied_at", "id"),
            "recent": recent,
            "now": timezone.now(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def officer_decide(request, pk: int):
    _require_officer(request.user)
    accreditation = get_object_or_404(accreditations_visible_to(request.user), pk=pk)
    request.back_to = reverse("accreditation-queue")
    form = AccreditationDecisionForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if data["decision"] == "accredit":
                accreditation_accredit(
                    accreditation=accreditation, by=request.user, reason=data["reason"]
                )
            else:
                accreditation_refuse(
                    accreditation=accreditation, by=request.user, reason=data["reason"]
                )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            verb = "accredited" if data["decision"] == "accredit" else "refused"
            messages.success(request, f"{accreditation.person.full_name} is {verb}.")
            return redirect("accreditation-queue")
    errors = error_items(form)
    return render(
        request,
        "access/accreditation_decide.html",
        {
            "title": f"{accreditation.get_kind_display()}: {accreditation.person.full_name}",
            "accreditation": accreditation,
            "form": form,
            "error_items": errors,
            "needs": accreditation_needs(
                accreditation.person, applications_of_member(accreditation.person)
            ),
        },
        status=400 if errors else 200,
    )
