"""The Five Safes on an application's pages: checks and verdicts side by side, conditions with
their evidence and verification, the data access agreement and who has signed it, the gate
before access is granted, and what the application page shows of all of it (safe people, the
agreement, the forecast). Views translate only: the services hold every rule."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from access.exceptions import NotAllowed, ValidationFailed
from access.models import AccreditationState, Requirement
from access.policy import Permission, has_permission
from access.web import ErrorItem, apply_domain_errors, error_items
from workflow import services
from workflow.five_safes_checks import requirements_for
from workflow.forms import EmptyForm, EvidenceForm, SafeVerdictForm, VerifyForm
from workflow.models import Condition, ConditionState, Safe, State
from workflow.rules import is_member
from workflow.selectors import applications_to_sign, applications_visible_to
from workflow.services.agreements import SIGNING_STATES, agreement_status, signatories_of
from workflow.services.conditions import WORKING_STATES
from workflow.services.forecast import application_forecast
from workflow.services.safes import (
    VERDICT_STATES,
    access_gate_errors,
    access_start,
)

from .common import done, get_application, require_full_view

STAGE_WORDS = {
    State.DRAFT: "Writing the application",
    State.SCOPING: "Scoping with the analyst",
    State.CHANGES_REQUESTED: "Your changes",
    State.INTERNAL_REVIEW: "Internal review",
    State.IN_REVIEW: "Panels and data owners",
    State.APPROVED: "Granting access",
}
TRACK_WORDS = {
    "igrp": "Independent Governance Review Panel",
    "dea_panel": "DEA accreditation panel",
    "owner_signoff": "Data owner sign-off",
}


def _url(name: str, application, *args) -> str:
    return reverse(f"workflow:{name}", args=[application.pk, *args])


# --- what the application page shows ----------------------------------------------------------


def safe_people(application) -> list[dict]:
    """Each member and what the project needs of them on the day access would start: held,
    waiting for a decision, or missing."""
    from access.models import SATISFIED_BY, Accreditation
    from access.services import missing_requirements

    # The registry's rule, given the datasets already loaded (``requirements_of`` narrows the
    # query with ``only()``, which clashes with the page's prefetch).
    requirements = requirements_for(application, list(application.requested_datasets.all()))
    day = access_start(application)
    members = [m.user for m in application.members.select_related("user")]
    waiting: dict[int, set[str]] = {}
    for person_id, kind in Accreditation.objects.filter(
        person__in=members, state=AccreditationState.APPLIED
    ).values_list("person_id", "kind"):
        waiting.setdefault(person_id, set()).add(kind)
    rows = []
    for person in members:
        missing = missing_requirements(person, requirements, day)
        applied = [r for r in missing if waiting.get(person.pk, set()) & SATISFIED_BY[r]]
        rows.append(
            {
                "person": person,
                "missing": [Requirement(r).label for r in missing if r not in applied],
                "applied": [Requirement(r).label for r in applied],
            }
        )
    return rows


def forecast_view(application) -> dict | None:
    """The forecast in words for the page: each step ahead with its expected end and what the
    estimate rests on."""
    forecast = application_forecast(application)
    if forecast["predicted_access_date"] is None:
        return None
    steps = []
    for step in forecast["steps"]:
        estimate = step.get("estimate")
        if step.get("tracks"):
            basis = "; ".join(
                f"{TRACK_WORDS.get(t['kind'], t['kind'])} by {t['expected_end']:%-d %B %Y}"
                for t in step["tracks"]
            )
        elif estimate and estimate["source"] == "history":
            basis = f"median of {estimate['samples']} past applications"
        elif estimate:
            unit = "working days" if estimate["unit"] == "working" else "days"
            basis = f"target of {estimate['days']:g} {unit} (too little history)"
        else:
            basis = ""
        steps.append(
            {
                "label": STAGE_WORDS.get(step["stage"], step["stage"]),
                "current": step["status"] == "current",
                "expected_end": step["expected_end"],
                "basis": basis,
            }
        )
    return {
        "date": forecast["predicted_access_date"],
        "steps": steps,
        "warnings": [w["detail"] for w in forecast["warnings"]],
    }


def overview_context(user, application, *, full_view: bool) -> dict:
    """What the application page adds for the Five Safes: safe people, the agreement, the
    conditions, and the forecast."""
    if not full_view:
        return {}
    state = application.state
    context: dict = {"five_safes_visible": state != State.DRAFT}
    if state not in (State.DRAFT, State.REJECTED, State.WITHDRAWN, State.CLOSED):
        context["safe_people"] = safe_people(application)
    if state in (*SIGNING_STATES, State.ACTIVE, State.SUSPENDED):
        context["agreement"] = agreement_status(application)
    context["conditions_count"] = application.conditions.exclude(
        state=ConditionState.WITHDRAWN
    ).count()
    if state not in (State.ACTIVE, State.SUSPENDED, State.CLOSED, State.REJECTED, State.WITHDRAWN):
        context["forecast"] = forecast_view(application)
    return context


# --- the Five Safes view ----------------------------------------------------------------------


def _five_safes_page(request, application, bound: SafeVerdictForm | None = None, status=200):
    overview = services.five_safes_overview(application)
    may_assess = application.state in VERDICT_STATES and has_permission(
        request.user, Permission.FIVE_SAFES_ASSESS, application
    )
    for safe in overview["safes"]:
        verdict = safe["verdict"]
        if not may_assess:
            safe["form"] = None
        elif bound is not None and bound.prefix == safe["safe"]:
            safe["form"] = bound
        else:
            safe["form"] = SafeVerdictForm(
                prefix=safe["safe"],
                initial={"verdict": verdict.verdict, "rationale": verdict.rationale}
                if verdict
                else {},
            )
    return render(
        request,
        "workflow/safes/five_safes.html",
        {
            "title": f"Five Safes: {application.title}",
            "application": application,
            "overview": overview,
            "may_assess": may_assess,
            "error_items": error_items(bound),
        },
        status=status,
    )


@login_required
def five_safes(request, pk: int):
    application = get_application(request, pk)
    require_full_view(request.user, application)
    return _five_safes_page(request, application)


@login_required
@require_POST
def verdict(request, pk: int, safe: str):
    if safe not in Safe.values:
        raise Http404("No such safe")
    application = get_application(request, pk)
    require_full_view(request.user, application)
    request.back_to = _url("five-safes", application)
    form = SafeVerdictForm(request.POST, prefix=safe)
    if form.is_valid():
        try:
            services.safe_verdict_record(
                application=application,
                by=request.user,
                safe=safe,
                verdict=form.cleaned_data["verdict"],
                rationale=form.cleaned_data["rationale"],
                conditions=form.conditions_for_service(),
            )
        except ValidationFailed as exc:
            apply_domain_errors(
                form,
                exc,
                {
                    **{f"conditions.{i}.due_date": "due_date" for i in range(20)},
                    **{f"conditions.{i}.timing": "timing" for i in range(20)},
                },
            )
        else:
            messages.success(request, f"{Safe(safe).label}: your verdict is recorded.")
            return done(request, _url("five-safes", application) + f"#safe-{safe}")
    return _five_safes_page(request, application, form, status=400)


# --- conditions -------------------------------------------------------------------------------


def _conditions_page(request, application, bound=None, status=200):
    conditions = list(
        application.conditions.exclude(state=ConditionState.WITHDRAWN)
        .select_related("track", "responsible", "evidence_by", "verified_by")
        .order_by("timing", "id")
    )
    working = application.state in WORKING_STATES
    rows = []
    for c in conditions:
        is_open = c.state == ConditionState.OPEN and working
        evidence_form = verify_form = None
        if is_open and has_permission(request.user, Permission.CONDITION_EVIDENCE, c):
            evidence_form = (
                bound
                if isinstance(bound, EvidenceForm) and bound.prefix == f"evidence-{c.pk}"
                else EvidenceForm(condition=c, initial={"evidence": c.evidence})
            )
        if is_open and has_permission(request.user, Permission.CONDITION_VERIFY, c):
            verify_form = (
                bound
                if isinstance(bound, VerifyForm) and bound.prefix == f"verify-{c.pk}"
                else VerifyForm(condition=c)
            )
        rows.append({"condition": c, "evidence_form": evidence_form, "verify_form": verify_form})
    return render(
        request,
        "workflow/safes/conditions.html",
        {
            "title": f"Conditions: {application.title}",
            "application": application,
            "rows": rows,
            "error_items": error_items(bound),
        },
        status=status,
    )


@login_required
def conditions(request, pk: int):
    application = get_application(request, pk)
    require_full_view(request.user, application)
    return _conditions_page(request, application)


@login_required
@require_POST
def condition_act(request, pk: int, condition_id: int, action: str):
    application = get_application(request, pk)
    require_full_view(request.user, application)
    request.back_to = _url("conditions", application)
    condition = get_object_or_404(
        Condition.objects.select_related("application"), pk=condition_id, application=application
    )
    if action == "evidence":
        form = EvidenceForm(request.POST, condition=condition)
        call = lambda d: services.condition_give_evidence(  # noqa: E731
            condition=condition, by=request.user, evidence=d["evidence"]
        )
        message = "Your evidence is recorded: staff will verify it."
    elif action == "verify":
        form = VerifyForm(request.POST, condition=condition)
        call = lambda d: services.condition_verify(  # noqa: E731
            condition=condition, by=request.user, note=d["note"]
        )
        message = "The condition is verified as met."
    else:
        raise Http404("No such action")
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, message)
            return done(request, _url("conditions", application) + f"#condition-{condition.pk}")
    return _conditions_page(request, application, form, status=400)


# --- the agreement ----------------------------------------------------------------------------


def _signing_application(request, pk: int):
    """Whoever may see the application, or a signatory of its lead organisation (who must reach
    the agreement without otherwise seeing the application); 404 for anyone else."""
    visible = applications_visible_to(request.user).filter(pk=pk).first()
    if visible is not None:
        return visible
    return get_object_or_404(applications_to_sign(request.user), pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def agreement(request, pk: int):
    application = _signing_application(request, pk)
    request.back_to = _url("agreement", application)
    member = is_member(request.user, application)
    signatory = any(u.pk == request.user.pk for u in signatories_of(application))
    errors: list[ErrorItem] = []
    if request.method == "POST":
        capacity = request.POST.get("capacity", "")
        try:
            services.application_agreement_sign(
                application=application, by=request.user, capacity=capacity
            )
        except ValidationFailed as exc:
            errors = [ErrorItem(m) for ms in exc.fields.values() for m in ms] or [
                ErrorItem(exc.detail)
            ]
        else:
            messages.success(request, "You have signed the data access agreement.")
            return done(request, _url("agreement", application))
    status = agreement_status(application)
    me_signed_member = any(
        m["person"].pk == request.user.pk and m["signed"] for m in status["members"]
    )
    signer = status["organisation_signed_by"]
    return render(
        request,
        "workflow/safes/agreement.html",
        {
            "title": f"Data access agreement: {application.title}",
            "application": application,
            "status": status,
            "signing_open": application.state in SIGNING_STATES,
            "sign_as_member": member and not me_signed_member,
            "sign_as_signatory": signatory and signer is None,
            "sees_application": applications_visible_to(request.user).filter(pk=pk).exists(),
            "error_items": errors,
        },
        status=400 if errors else 200,
    )


@login_required
def agreements_to_sign(request):
    applications = list(applications_to_sign(request.user).order_by("-id"))
    if not applications and not request.user.memberships.filter(capacity="signatory").exists():
        raise NotAllowed("This list is for the authorised signatories of an organisation.")
    rows = [
        {"application": a, "status": agreement_status(a), "open": a.state in SIGNING_STATES}
        for a in applications
    ]
    return render(
        request,
        "workflow/safes/agreements_to_sign.html",
        {"title": "Agreements to sign", "rows": rows},
    )


# --- granting access --------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def grant_access(request, pk: int):
    """The gate before access (every check, verdict, condition, signature and accreditation),
    then the button. The service decides; a refusal shows each of its reasons."""
    application = get_application(request, pk)
    if not has_permission(request.user, Permission.ACCESS_MANAGE, application):
        raise NotAllowed("Only operations grant access.")
    request.back_to = reverse("workflow:application", args=[pk])
    form = EmptyForm(request.POST if request.method == "POST" else None)
    errors: list[ErrorItem] = []
    if request.method == "POST":
        try:
            services.application_grant_access(application=application, by=request.user)
        except ValidationFailed as exc:
            errors = [
                ErrorItem(m, f"#{_anchor(path)}") for path, ms in exc.fields.items() for m in ms
            ]
            errors = errors or [ErrorItem(exc.detail)]
        else:
            messages.success(request, "Access is granted.")
            return done(request, reverse("workflow:application", args=[pk]))
    # The same function the grant runs; it locks the members' awards, so inside a transaction
    # (released when the page is read).
    with transaction.atomic():
        gate = access_gate_errors(application)
    return render(
        request,
        "workflow/safes/grant_access.html",
        {
            "title": f"Grant access: {application.title}",
            "application": application,
            "form": form,
            "gate": [ErrorItem(m, f"#{_anchor(p)}") for p, ms in gate.items() for m in ms],
            "approved": application.state == State.APPROVED,
            "people": safe_people(application),
            "agreement": agreement_status(application),
            "overview": services.five_safes_overview(application),
            "conditions": application.conditions.exclude(state=ConditionState.WITHDRAWN),
            "error_items": errors,
        },
        status=400 if errors else 200,
    )


def _anchor(path: str) -> str:
    """Where on the gate page an error path is shown."""
    head = path.split(".")[0]
    if head == "five_safes":
        return "gate-checks"
    return {"conditions": "gate-conditions", "agreement": "gate-agreement"}.get(head, "gate")
