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

from core.errors import NotAllowed, ValidationFailed
from core.forms import EmptyForm
from core.web import ErrorItem, apply_domain_errors, done, error_items
from workflow.lifecycle.policies import closures_visible_to, may_countersign
from workflow.models import ClosureState, Condition, ConditionState, Safe, State
from workflow.pages import get_application
from workflow.route import services as route_services
from workflow.route.policies import can_view, check_take, is_member
from workflow.route.selectors import applications_to_sign
from workflow.safes import services as safes_services
from workflow.safes.forms import EvidenceForm, SafeVerdictForm, VerifyForm
from workflow.safes.policies import (
    SIGNING_STATES,
    can_give_evidence,
    can_record_verdict,
    can_verify_condition,
    is_signatory_for,
    signing_application,
)
from workflow.safes.selectors import agreement_status, safe_people


def _url(name: str, application, *args) -> str:
    return reverse(f"workflow:{name}", args=[application.pk, *args])


def _five_safes_page(request, application, bound: SafeVerdictForm | None = None, status=200):
    overview = safes_services.five_safes_overview(application)
    may_assess = can_record_verdict(request.user, application)
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
    application = get_application(request, pk, whole=True)
    return _five_safes_page(request, application)


@login_required
@require_POST
def verdict(request, pk: int, safe: str):
    if safe not in Safe.values:
        raise Http404("No such safe")
    application = get_application(request, pk, whole=True)
    request.back_to = _url("five-safes", application)
    form = SafeVerdictForm(request.POST, prefix=safe)
    if form.is_valid():
        try:
            safes_services.safe_verdict_record(
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


def _conditions_page(request, application, bound=None, status=200):
    conditions = list(
        application.conditions.exclude(state=ConditionState.WITHDRAWN)
        .select_related("track", "responsible", "evidence_by", "verified_by")
        .order_by("timing", "id")
    )
    rows = []
    for c in conditions:
        c.application = application
        evidence_form = verify_form = None
        if can_give_evidence(request.user, c):
            evidence_form = (
                bound
                if isinstance(bound, EvidenceForm) and bound.prefix == f"evidence-{c.pk}"
                else EvidenceForm(condition=c, initial={"evidence": c.evidence})
            )
        if can_verify_condition(request.user, c):
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
    application = get_application(request, pk, whole=True)
    return _conditions_page(request, application)


@login_required
@require_POST
def condition_act(request, pk: int, condition_id: int, action: str):
    application = get_application(request, pk, whole=True)
    request.back_to = _url("conditions", application)
    condition = get_object_or_404(
        Condition.objects.select_related("application"), pk=condition_id, application=application
    )
    form: EvidenceForm | VerifyForm
    if action == "evidence":
        form = EvidenceForm(request.POST, condition=condition)
        call = lambda d: safes_services.condition_give_evidence(  # noqa: E731
            condition=condition, by=request.user, evidence=d["evidence"]
        )
        message = "Your evidence is recorded: staff will verify it."
    elif action == "verify":
        form = VerifyForm(request.POST, condition=condition)
        call = lambda d: safes_services.condition_verify(  # noqa: E731
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


@login_required
@require_http_methods(["GET", "POST"])
def agreement(request, pk: int):
    application = signing_application(request.user, pk)
    request.back_to = _url("agreement", application)
    member = is_member(request.user, application)
    signatory = is_signatory_for(request.user, application)
    errors: list[ErrorItem] = []
    if request.method == "POST":
        capacity = request.POST.get("capacity", "")
        try:
            safes_services.application_agreement_sign(
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
            "sees_application": can_view(request.user, application),
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
    # Close-outs of projects the organisation leads, waiting for a signatory's countersignature
    # (workflow/lifecycle/).
    closures = [
        c
        for c in closures_visible_to(request.user).filter(state=ClosureState.SUBMITTED)
        if may_countersign(request.user, c)
    ]
    return render(
        request,
        "workflow/safes/agreements_to_sign.html",
        {"title": "Agreements to sign", "rows": rows, "closures": closures},
    )


@login_required
@require_http_methods(["GET", "POST"])
def grant_access(request, pk: int):
    """The gate before access (every check, verdict, condition, signature and accreditation),
    then the button. The service decides; a refusal shows each of its reasons."""
    application = get_application(request, pk)
    request.back_to = reverse("workflow:application", args=[pk])
    check_take(request.user, application, "grant_access")
    form = EmptyForm(request.POST if request.method == "POST" else None)
    overview = safes_services.five_safes_overview(application)
    errors: list[ErrorItem] = []
    if request.method == "POST":
        try:
            route_services.application_grant_access(application=application, by=request.user)
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
        gate = route_services.access_gate_errors(application)
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
            "overview": overview,
            "without_verdict": [safe["label"] for safe in overview["safes"] if not safe["verdict"]],
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
