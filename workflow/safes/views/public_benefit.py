"""The advisory public-benefit assessment: the team answers the framework while it may edit;
panel members score the 18 questions on their own, then see the others' scores and where they
diverge. Views translate only: ``workflow.safes`` holds the rules."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import NotAllowed, ValidationFailed
from core.web import apply_domain_errors, done, error_items
from workflow.involvement.selectors import summary as involvement_summary
from workflow.models import PublicBenefitScore
from workflow.pages import get_application
from workflow.safes import public_benefit_framework as framework
from workflow.safes import services as safes_services
from workflow.safes.forms import (
    FACTOR_RATING_LABELS,
    PublicBenefitAnswersForm,
    PublicBenefitScoreForm,
)
from workflow.safes.policies import (
    SCORING_STATES,
    can_edit_safeguards,
    can_score_public_benefit,
    can_see_panel_scores,
    may_score_public_benefit,
)
from workflow.safes.selectors import completeness, divergence, position


def _assessment(application):
    return getattr(application, "public_benefit_assessment", None)


@login_required
@require_http_methods(["GET", "POST"])
def public_benefit(request, pk: int):
    application = get_application(request, pk, whole=True)
    request.back_to = reverse("workflow:public-benefit", args=[pk])
    assessment = _assessment(application)
    editable = can_edit_safeguards(request.user, application)
    form = None
    if editable:
        form = PublicBenefitAnswersForm(
            request.POST if request.method == "POST" else None,
            initial=PublicBenefitAnswersForm.initial_from(assessment),
        )
    elif request.method == "POST":
        raise NotAllowed("Only the team answers its public-benefit assessment, while it may edit.")
    if form is not None and request.method == "POST" and form.is_valid():
        data, field_map = form.data_for_service()
        try:
            safes_services.public_benefit_update(
                application=application, by=request.user, data=data
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, field_map)
        else:
            messages.success(request, "Public-benefit assessment: saved.")
            return done(request, reverse("workflow:public-benefit", args=[pk]))
    answered, expected = completeness(assessment)
    may_score = can_score_public_benefit(request.user, application)
    errors = error_items(form)
    return render(
        request,
        "workflow/safes/public_benefit.html",
        {
            "title": f"Public benefit: {application.title}",
            "application": application,
            "form": form,
            "assessment": assessment,
            "answered": answered,
            "expected": expected,
            "expected_str": str(expected),
            "rating_labels": dict(FACTOR_RATING_LABELS),
            "position": position(application, assessment.scale if assessment else {}),
            "framework": framework,
            "may_score": may_score,
            # The panels read the public involvement beside the assessment.
            "involvement": involvement_summary(application),
            "error_items": errors,
        },
        status=400 if errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def public_benefit_score(request, pk: int):
    application = get_application(request, pk, whole=True)
    if not may_score_public_benefit(request.user, application):
        raise NotAllowed("Panel members reviewing the application score its public benefit.")
    url = reverse("workflow:public-benefit-score", args=[pk])
    request.back_to = url
    assessment = _assessment(application)
    mine = (
        PublicBenefitScore.objects.filter(assessment=assessment, scorer=request.user).first()
        if assessment
        else None
    )
    initial = {}
    if mine:
        initial = {f"score_{q.replace('.', '_')}": str(v) for q, v in mine.scores.items()}
        initial["comment"] = mine.comment
    form = PublicBenefitScoreForm(
        request.POST if request.method == "POST" else None, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        try:
            safes_services.public_benefit_score(
                application=application,
                by=request.user,
                scores=form.scores(),
                comment=form.cleaned_data["comment"],
            )
        except ValidationFailed as exc:
            field_map = {f"scores.{q}": f"score_{q.replace('.', '_')}" for q in framework.SCALE_IDS}
            field_map["scores"] = f"score_{framework.SCALE_IDS[0].replace('.', '_')}"
            apply_domain_errors(form, exc, field_map)
        else:
            messages.success(request, "Your scores are recorded.")
            return done(request, url)
    # Independent scoring: the others' scores only once you have given yours.
    rows = (
        divergence(assessment)
        if assessment and can_see_panel_scores(request.user, application)
        else []
    )
    questions = {q["id"]: q["question"] for q in framework.SCALE}
    for row in rows:
        row["text"] = questions[row["question"]]
    errors = error_items(form)
    return render(
        request,
        "workflow/safes/public_benefit_score.html",
        {
            "title": f"Score public benefit: {application.title}",
            "application": application,
            "form": form,
            "mine": mine,
            "rows": rows,
            "scorers": sorted({name for row in rows for name in row["panel"]}),
            "open": application.state in SCORING_STATES,
            "error_items": errors,
        },
        status=400 if errors else 200,
    )
