"""Pages of public involvement: an application's involvement (what the team did and plans, the
flag, a reviewer's requirement, the consumer panel's feedback) with one small form per step,
and the consumer panel's consultations and feedback page."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import ValidationFailed
from core.forms import Form
from core.web import apply_domain_errors, done, error_items, paginate
from workflow.involvement import services
from workflow.involvement.forms import (
    ActivityForm,
    ConsultationForm,
    FeedbackForm,
    FlagForm,
    RequireForm,
)
from workflow.involvement.policies import (
    can_answer,
    can_flag,
    can_record,
    can_request_consultation,
    can_require,
    can_see_consultation,
    check_answer,
    check_flag,
    check_record,
    check_request_consultation,
    check_require,
)
from workflow.involvement.selectors import (
    consultations_for,
    consumer_panel,
    consumer_panel_ids,
    summary,
)
from workflow.models import Application, Consultation
from workflow.pages import get_application


@dataclass(frozen=True)
class Step:
    """One form of the involvement page: its heading, form, who may, the service, its words."""

    heading: str
    intro: str
    form: type[Form]
    check: Callable[[Any, Application], None]
    act: Callable[..., Any]
    button: str
    success: str


STEPS: dict[str, Step] = {
    "flag": Step(
        "Public interest",
        "Projects likely to be of high public interest involve the public from design to "
        "output. The team or a reviewer says whether this one is.",
        FlagForm,
        check_flag,
        services.public_interest_flag,
        "Save",
        "Public interest: saved.",
    ),
    "require": Step(
        "Require public involvement",
        "The team is asked to involve the public and to record what they did and what changed "
        "as a result.",
        RequireForm,
        check_require,
        services.public_involvement_require,
        "Require public involvement",
        "Public involvement is now required. The team has been told.",
    ),
    "record": Step(
        "Record public involvement",
        "Involvement the team has done, or plans: a consultation, a workshop, a patient group.",
        ActivityForm,
        check_record,
        services.involvement_record,
        "Record the involvement",
        "The involvement is recorded.",
    ),
    "consult": Step(
        "Ask the consumer panel",
        "The TRE's consumer panel are members of the public. They read your question, your lay "
        "summary and your public benefit statement, and give written feedback, which is "
        "attached to the application for the review panels.",
        ConsultationForm,
        check_request_consultation,
        services.consultation_request,
        "Send the request",
        "Your request is sent to the consumer panel.",
    ),
}


@login_required
def involvement_page(request, pk: int):
    application = get_application(request, pk, whole=True)
    user = request.user
    return render(
        request,
        "workflow/involvement/page.html",
        {
            "title": f"Public involvement: {application.title}",
            "application": application,
            "involvement": summary(application),
            "can_flag": can_flag(user, application),
            "can_require": can_require(user, application),
            "can_record": can_record(user, application),
            "can_consult": can_request_consultation(user, application),
            "has_consumer_panel": consumer_panel() is not None,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def involvement_step(request, pk: int, step: str):
    if step not in STEPS:
        raise Http404("No such step.")
    spec = STEPS[step]
    application = get_application(request, pk, whole=True)
    back = reverse("workflow:involvement", args=[application.pk])
    request.back_to = back
    spec.check(request.user, application)
    form = spec.form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            spec.act(application=application, by=request.user, **form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, spec.success)
            return done(request, back)
    errors = error_items(form)
    return render(
        request,
        "workflow/involvement/step.html",
        {
            "title": f"{spec.heading}: {application.title}",
            "application": application,
            "step": spec,
            "form": form,
            "back": back,
            "error_items": errors,
        },
        status=400 if errors else 200,
    )


# --- the consumer panel -----------------------------------------------------------------------


@login_required
def consultation_list(request):
    if not consumer_panel_ids(request.user):
        raise PermissionDenied("Consultations are for members of the consumer panel.")
    listing = paginate(request, consultations_for(request.user))
    return render(
        request,
        "workflow/involvement/consultations.html",
        {
            "title": "Consumer panel consultations",
            "listing": listing,
            "consultations": listing.page.object_list,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def consultation_detail(request, consultation_id: int):
    consultation = get_object_or_404(
        Consultation.objects.select_related("application", "panel", "requested_by", "answered_by"),
        pk=consultation_id,
    )
    user = request.user
    if not can_see_consultation(user, consultation):
        raise Http404("No such consultation.")
    request.back_to = reverse("workflow:consultation", args=[consultation.pk])
    answering = can_answer(user, consultation)
    form = FeedbackForm(request.POST if request.method == "POST" and answering else None)
    if request.method == "POST" and not answering:
        check_answer(user, consultation)  # says why: 403, or 409 when already answered
    if request.method == "POST" and form.is_valid():
        try:
            services.consultation_answer(
                consultation=consultation, by=user, feedback=form.cleaned_data["feedback"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "The consumer panel's feedback is attached to the project.")
            return done(request, reverse("workflow:consultations"))
    errors = error_items(form)
    return render(
        request,
        "workflow/involvement/consultation.html",
        {
            "title": f"Consultation: {consultation.application.title}",
            "consultation": consultation,
            "application": consultation.application,
            "form": form if answering else None,
            "error_items": errors,
            "from_panel": bool(consumer_panel_ids(user)),
        },
        status=400 if errors else 200,
    )
