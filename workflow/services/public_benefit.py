"""The public-benefit assessment: the team's answers, the panel's independent scores, and a
summary that informs the panel. Advisory: nothing here blocks or decides anything.

Scoring (seeds §4.8, derived): each feature's sub-score is the mean of its scale questions
(not applicable left out); the overall position is the mean of the feature sub-scores (equal
weights); the band uses ``settings.PUBLIC_BENEFIT_BANDS``, with a higher bar for "likely" when
the project uses identifiable or special-category data ("the standards for demonstrating public
benefit have to be seen as higher ... where the possible harm caused by the intrusion is higher").
"""

from __future__ import annotations

from statistics import mean
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from access.exceptions import InvalidTransition, NotAllowed, ValidationFailed
from access.models import User
from access.policy import Permission, has_permission
from catalogue.models import Sensitivity
from workflow import public_benefit as framework
from workflow.models import (
    ActorRole,
    Application,
    EventKind,
    PublicBenefitAssessment,
    PublicBenefitRisk,
    PublicBenefitScore,
    State,
)

from .core import lock_application, record_event

EDITABLE = (State.DRAFT, State.CHANGES_REQUESTED)
# Panel members score while the panels review the application.
SCORING_STATES = (State.IN_REVIEW,)


def assessment_for(application: Application) -> PublicBenefitAssessment:
    assessment, _ = PublicBenefitAssessment.objects.get_or_create(application=application)
    return assessment


def _score_error(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
        return "Score from 1 (left of the scale) to 5 (right), or null for not applicable."
    return None


def _validate(data: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}

    def add(path: str, message: str) -> None:
        errors.setdefault(path, []).append(message)

    for factor_id, answer in (data.get("tests") or {}).items():
        if factor_id not in framework.FACTOR_IDS:
            add(
                f"tests.{factor_id}",
                "Not a factor of the purposeful, proportionate or responsible tests.",
            )
        elif not isinstance(answer, dict) or answer.get("rating") not in framework.FACTOR_RATINGS:
            add(f"tests.{factor_id}.rating", "Rate it met, partly, not_met or n_a.")
    for question_id, answer in (data.get("scale") or {}).items():
        if question_id not in framework.SCALE_IDS:
            add(f"scale.{question_id}", "Not a question of the public-benefit scale.")
            continue
        if not isinstance(answer, dict):
            add(f"scale.{question_id}", "Give a score and a justification.")
            continue
        problem = _score_error(answer.get("score"))
        if problem:
            add(f"scale.{question_id}.score", problem)
        elif answer.get("score") is None and not str(answer.get("na_reason", "")).strip():
            add(f"scale.{question_id}.na_reason", "Say why the question does not apply.")
    for index, benefit in enumerate(data.get("benefits") or []):
        if benefit not in framework.BENEFIT_IDS:
            add(f"benefits.{index}", f"{benefit!r} is not a benefit dimension.")
    for question_id in data.get("beneficiaries") or {}:
        if question_id not in framework.BENEFICIARY_QUESTION_IDS:
            add(f"beneficiaries.{question_id}", "Not one of the value questions.")
    for index, risk in enumerate(data.get("risks") or []):
        prefix = f"risks.{index}"
        if risk.get("dimension") not in framework.RISK_IDS:
            add(f"{prefix}.dimension", "Choose one of the risk dimensions.")
        if not str(risk.get("description", "")).strip():
            add(f"{prefix}.description", "Describe the risk.")
        for name in ("likelihood", "severity", "residual_likelihood", "residual_severity"):
            value = risk.get(name)
            if value is None or _score_error(value):
                add(f"{prefix}.{name}", "From 1 (lowest) to 5 (highest).")
        if not any(k.startswith(prefix) for k in errors):
            inherent = risk["likelihood"] * risk["severity"]
            residual = risk["residual_likelihood"] * risk["residual_severity"]
            if residual > inherent:
                add(
                    f"{prefix}.residual_likelihood",
                    "The residual risk cannot exceed the risk before mitigation.",
                )
            if residual < inherent and not str(risk.get("mitigation", "")).strip():
                add(f"{prefix}.mitigation", "Say what lowers the risk.")
    return errors


@transaction.atomic
def public_benefit_update(
    *, application: Application, by: User, data: dict[str, Any]
) -> PublicBenefitAssessment:
    """The team answers the framework while the application is editable.

    ``tests``, ``scale`` and ``beneficiaries`` merge by question; ``benefits`` and ``risks``
    replace the lists. Nothing here is checked for completeness: the panel sees what is there.
    """
    application = lock_application(application)
    if not has_permission(by, Permission.APPLICATION_EDIT, application):
        raise NotAllowed("Only the team edits its public-benefit assessment.")
    if application.state not in EDITABLE:
        raise InvalidTransition(
            "The public-benefit assessment can be edited while the application is a draft or "
            "changes are requested.",
            current_state=application.state,
        )
    errors = _validate(data)
    if errors:
        raise ValidationFailed("The public-benefit assessment has problems.", fields=errors)
    assessment = assessment_for(application)
    for name in ("tests", "scale", "beneficiaries"):
        if name in data:
            merged = dict(getattr(assessment, name))
            merged.update(data[name])
            setattr(assessment, name, merged)
    if "benefits" in data:
        assessment.benefits = list(dict.fromkeys(data["benefits"]))
    assessment.updated_by = by
    assessment.save()
    if "risks" in data:
        assessment.risks.all().delete()
        PublicBenefitRisk.objects.bulk_create(
            PublicBenefitRisk(
                assessment=assessment,
                dimension=r["dimension"],
                description=r["description"].strip(),
                likelihood=r["likelihood"],
                severity=r["severity"],
                mitigation=str(r.get("mitigation", "")).strip(),
                residual_likelihood=r["residual_likelihood"],
                residual_severity=r["residual_severity"],
            )
            for r in data["risks"]
        )
    record_event(
        application=application,
        kind=EventKind.PUBLIC_BENEFIT_UPDATED,
        by=by,
        role=ActorRole.MEMBER,
        payload={"parts": sorted(data)},
    )
    return assessment


@transaction.atomic
def public_benefit_score(
    *, application: Application, by: User, scores: dict[str, Any], comment: str = ""
) -> PublicBenefitScore:
    """A panel member scores the 18 questions on their own (a second call replaces their score)."""
    application = lock_application(application)
    if not has_permission(by, Permission.PUBLIC_BENEFIT_SCORE, application):
        raise NotAllowed("Only panel members who can see the application score its public benefit.")
    if application.state not in SCORING_STATES:
        raise InvalidTransition(
            "Panel members score public benefit while the application is in review.",
            current_state=application.state,
        )
    errors: dict[str, list[str]] = {}
    for question_id, value in scores.items():
        if question_id not in framework.SCALE_IDS:
            errors[f"scores.{question_id}"] = ["Not a question of the public-benefit scale."]
        elif _score_error(value):
            errors[f"scores.{question_id}"] = [_score_error(value)]
    if not scores:
        errors["scores"] = ["Score at least one question."]
    if errors:
        raise ValidationFailed("The scores have problems.", fields=errors)
    assessment = assessment_for(application)
    score, _ = PublicBenefitScore.objects.update_or_create(
        assessment=assessment,
        scorer=by,
        defaults={"scores": dict(scores), "comment": comment.strip(), "scored_at": timezone.now()},
    )
    record_event(
        application=application,
        kind=EventKind.PUBLIC_BENEFIT_SCORED,
        by=by,
        role=ActorRole.PANEL_MEMBER,
        payload={"questions": len(scores)},
    )
    return score


# --- reads ----------------------------------------------------------------------------------


def completeness(assessment: PublicBenefitAssessment | None) -> tuple[int, int]:
    """(answered, expected): every factor rated, every scale question scored or marked not
    applicable, at least one benefit and one risk."""
    total = len(framework.FACTOR_IDS) + len(framework.SCALE_IDS) + 2
    if assessment is None:
        return 0, total
    done = sum(1 for f in framework.FACTOR_IDS if f in assessment.tests)
    done += sum(1 for q in framework.SCALE_IDS if q in assessment.scale)
    done += 1 if assessment.benefits else 0
    done += 1 if assessment.risks.exists() else 0
    return done, total


def _higher_risk(application: Application) -> bool:
    for rd in application.requested_datasets.select_related("dataset").prefetch_related(
        "variables__variable"
    ):
        if rd.dataset.sensitivity == Sensitivity.IDENTIFIABLE:
            return True
        if any(
            rv.variable.is_identifying or rv.variable.is_sensitive_category
            for rv in rd.variables.all()
        ):
            return True
    return False


def position(application: Application, scores: dict[str, Any]) -> dict[str, Any]:
    """Feature sub-scores, the overall position and its band, for one set of scale scores."""
    by_feature: dict[int, list[int]] = {}
    for q in framework.SCALE:
        value = scores.get(q["id"])
        if isinstance(value, dict):
            value = value.get("score")
        if isinstance(value, int):
            by_feature.setdefault(q["feature"], []).append(value)
    features = {f: round(mean(v), 2) for f, v in sorted(by_feature.items())}
    overall = round(mean(features.values()), 2) if features else None
    bands = settings.PUBLIC_BENEFIT_BANDS
    higher_risk = _higher_risk(application)
    likely = bands["likely_higher_risk"] if higher_risk else bands["likely"]
    if overall is None:
        band = None
    elif overall >= likely:
        band = "likely"
    elif overall >= bands["some_issues"]:
        band = "some_issues"
    else:
        band = "may_not_be_recognised"
    return {
        "features": {framework.FEATURES[f]: s for f, s in features.items()},
        "overall": overall,
        "band": band,
        "band_label": framework.BANDS[band] if band else "",
        "higher_bar": higher_risk,
    }


def divergence(assessment: PublicBenefitAssessment) -> list[dict[str, Any]]:
    """Per question: the team's score, each panel member's, and whether they diverge (a spread of
    ``settings.PUBLIC_BENEFIT_DIVERGENCE`` or more between panel members)."""
    panel = list(assessment.panel_scores.select_related("scorer"))
    rows = []
    for q in framework.SCALE:
        team = (assessment.scale.get(q["id"]) or {}).get("score")
        given = {str(s.scorer): s.scores.get(q["id"]) for s in panel}
        numbers = [v for v in given.values() if isinstance(v, int)]
        spread = max(numbers) - min(numbers) if len(numbers) > 1 else 0
        rows.append(
            {
                "question": q["id"],
                "team": team,
                "panel": given,
                "spread": spread,
                "diverges": spread >= settings.PUBLIC_BENEFIT_DIVERGENCE,
            }
        )
    return rows
