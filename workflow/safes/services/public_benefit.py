"""The public-benefit assessment: the team's answers, the panel's independent scores, and a
summary that informs the panel. Advisory: nothing here blocks or decides anything.

Scoring (seeds §4.8, derived): each feature's sub-score is the mean of its scale questions
(not applicable left out); the overall position is the mean of the feature sub-scores (equal
weights); the band uses ``settings.PUBLIC_BENEFIT_BANDS``, with a higher bar for "likely" when
the project uses identifiable or special-category data ("the standards for demonstrating public
benefit have to be seen as higher ... where the possible harm caused by the intrusion is higher").
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from access.models import User
from core.errors import ValidationFailed
from notifications.notices import service
from workflow.events import record_event
from workflow.models import (
    ActorRole,
    Application,
    EventKind,
    PublicBenefitAssessment,
    PublicBenefitRisk,
    PublicBenefitScore,
)
from workflow.safes import public_benefit_framework as framework
from workflow.safes.policies import check_edit_safeguards, check_score_public_benefit


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


@service
def public_benefit_update(
    *, application: Application, by: User, data: dict[str, Any]
) -> PublicBenefitAssessment:
    """The team answers the framework while the application is editable.

    ``tests``, ``scale`` and ``beneficiaries`` merge by question; ``benefits`` and ``risks``
    replace the lists. Nothing here is checked for completeness: the panel sees what is there.
    """
    application = Application.objects.locked(application)
    check_edit_safeguards(by, application, "the public-benefit assessment")
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


@service
def public_benefit_score(
    *, application: Application, by: User, scores: dict[str, Any], comment: str = ""
) -> PublicBenefitScore:
    """A panel member scores the 18 questions on their own (a second call replaces their score)."""
    application = Application.objects.locked(application)
    check_score_public_benefit(by, application)
    errors: dict[str, list[str]] = {}
    for question_id, value in scores.items():
        if question_id not in framework.SCALE_IDS:
            errors[f"scores.{question_id}"] = ["Not a question of the public-benefit scale."]
        elif problem := _score_error(value):
            errors[f"scores.{question_id}"] = [problem]
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
