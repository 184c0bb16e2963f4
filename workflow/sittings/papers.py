"""The papers of a sitting: one generated pack per agenda item, the application as it stands
when the papers are issued, with its Five Safes checks and its public-benefit assessment.

Frozen into ``AgendaItem.paper`` (JSON) so the panel decides on what it read, even if the team
edits the application afterwards (it cannot while in review; a later version is a new track)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from workflow.models import Application, PublicBenefitAssessment, ReviewTrack
from workflow.safes.checks import run_checks
from workflow.safes.selectors import completeness


def _public_benefit(application: Application) -> dict[str, Any]:
    assessment = PublicBenefitAssessment.objects.filter(application=application).first()
    answered, expected = completeness(assessment)
    if assessment is None:
        return {"answered": 0, "expected": expected, "tests": {}, "benefits": [], "risks": []}
    return {
        "answered": answered,
        "expected": expected,
        "tests": {
            factor: {"rating": value.get("rating", ""), "narrative": value.get("narrative", "")}
            for factor, value in sorted(assessment.tests.items())
        },
        "benefits": list(assessment.benefits),
        "risks": [
            {
                "dimension": r.dimension,
                "description": r.description,
                "residual": r.residual_likelihood * r.residual_severity,
                "mitigation": r.mitigation,
            }
            for r in assessment.risks.all()
        ],
    }


def paper_for(track: ReviewTrack) -> dict[str, Any]:
    """The pack for one item, as the application stands now."""
    application = track.application
    datasets = [
        {
            "dataset": rd.dataset.title,
            "legal_gateway": rd.get_legal_gateway_display(),
            "variables": [v.variable.name for v in rd.variables.all()],
        }
        for rd in application.requested_datasets.select_related("dataset").prefetch_related(
            "variables__variable"
        )
    ]
    checks = [
        {
            "code": r.code,
            "safe": r.safe,
            "title": r.title,
            "result": r.result,
            "message": r.message,
        }
        for r in run_checks(application)
    ]
    return {
        "generated_at": timezone.now().isoformat(),
        "reference": application.reference,
        "version": application.current_version,
        "title": application.title,
        "lay_summary": application.lay_summary,
        "research_question": application.research_question,
        "public_benefit_statement": application.public_benefit,
        "purpose": application.get_purpose_display() if application.purpose else "",
        "start_date": application.start_date.isoformat() if application.start_date else None,
        "end_date": application.end_date.isoformat() if application.end_date else None,
        "funder": application.funder,
        "datasets": datasets,
        "five_safes": checks,
        "public_benefit": _public_benefit(application),
        "track_round": track.round,
    }
