"""Does a project fall in a data owner's pre-approved category of use? And if not, exactly why.

Explainable and early: the analyst and the team see, per requested dataset, which category
matches and why, or what stops each one (purpose not permitted, sensitivity too high, variables
outside the category, category expired or not yet in force), so they can fit the scope. The
match is frozen when the tracks open (``PreApprovedMatch``), citing ``category@version``.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.utils import timezone

from catalogue.models import PreApprovedCategory, Purpose, Sensitivity
from core.text import in_sentence
from workflow.models import Application, RequestedDataset


@dataclass
class CategoryVerdict:
    category_id: int
    version: int
    citation: str
    title: str
    conditions: str
    matches: bool
    reasons: list[str] = field(default_factory=list)


@dataclass
class DatasetMatch:
    dataset: str
    dataset_title: str
    provider_id: int
    provider: str
    matched: CategoryVerdict | None
    verdicts: list[CategoryVerdict]


def _judge(
    category: PreApprovedCategory, rd: RequestedDataset, purpose: str, day: datetime.date
) -> CategoryVerdict:
    terms = category.current  # only categories with a version are judged
    reasons: list[str] = []
    if not terms.is_valid_on(day):
        if day < terms.valid_from:
            reasons.append(f"The category is in force only from {terms.valid_from:%-d %B %Y}.")
        else:
            reasons.append(f"The category expired on {terms.valid_until:%-d %B %Y}.")
    if not purpose:
        reasons.append("The application does not state its purpose yet.")
    elif purpose not in terms.permitted_purposes:
        label = Purpose(purpose).label if purpose in Purpose.values else purpose
        reasons.append(f"The purpose '{label}' is not one this category permits.")
    sensitivity = rd.dataset.sensitivity
    if Sensitivity.rank(sensitivity) > Sensitivity.rank(terms.max_sensitivity):
        reasons.append(
            f"The data are {in_sentence(Sensitivity(sensitivity).label)}; the category allows "
            f"up to {in_sentence(Sensitivity(terms.max_sensitivity).label)}."
        )
    requested = [rv.variable for rv in rd.variables.all()]
    if terms.all_non_identifying_variables:
        outside = [v.name for v in requested if v.is_identifying]
        if outside:
            reasons.append(
                "The category covers non-identifying variables only; requested identifying: "
                + ", ".join(sorted(outside))
                + "."
            )
    else:
        permitted = {v.pk for v in terms.permitted_variables.all()}
        outside = [v.name for v in requested if v.pk not in permitted]
        if outside:
            reasons.append("Variables outside the category: " + ", ".join(sorted(outside)) + ".")
    return CategoryVerdict(
        category_id=category.pk,
        version=terms.version,
        citation=terms.citation,
        title=terms.title,
        conditions=terms.conditions,
        matches=not reasons,
        reasons=reasons,
    )


def match_application(
    application: Application, *, day: datetime.date | None = None
) -> list[DatasetMatch]:
    """Every requested dataset with the verdict of each of its categories (not retired)."""
    day = day or timezone.localdate()
    requested = application.requested_datasets.select_related("dataset__provider").prefetch_related(
        "variables__variable"
    )
    results = []
    for rd in requested:
        categories = (
            PreApprovedCategory.objects.not_retired()
            .filter(dataset=rd.dataset, current_version__isnull=False)
            .select_related("current_version")
            .prefetch_related("current_version__permitted_variables")
            .order_by("id")
        )
        verdicts = [_judge(c, rd, application.purpose, day) for c in categories]
        matched = next((v for v in verdicts if v.matches), None)
        results.append(
            DatasetMatch(
                dataset=rd.dataset.slug,
                dataset_title=rd.dataset.title,
                provider_id=rd.dataset.provider_id,
                provider=rd.dataset.provider.name,
                matched=matched,
                verdicts=verdicts,
            )
        )
    return results


def covered_organisations(matches: list[DatasetMatch]) -> dict[int, list[DatasetMatch]]:
    """Organisations every one of whose requested datasets falls in a category."""
    by_org: dict[int, list[DatasetMatch]] = {}
    for m in matches:
        by_org.setdefault(m.provider_id, []).append(m)
    return {org: ms for org, ms in by_org.items() if all(m.matched for m in ms)}
