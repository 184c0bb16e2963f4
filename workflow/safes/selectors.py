"""Reads of the Five Safes: the public-benefit assessment's completeness, position and where
the panel's scores diverge (advisory: nothing here blocks or decides anything).

Scoring (seeds §4.8, derived): each feature's sub-score is the mean of its scale questions
(not applicable left out); the overall position is the mean of the feature sub-scores (equal
weights); the band uses ``settings.PUBLIC_BENEFIT_BANDS``, with a higher bar for "likely" when
the project uses identifiable or special-category data.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from statistics import mean
from typing import Any

from django.conf import settings
from django.utils import timezone

from access.models import (
    SATISFIED_BY,
    Accreditation,
    AccreditationState,
    AgreementSignature,
    AgreementText,
    Requirement,
    SignatureCapacity,
    User,
)
from access.safe_people.selectors import (
    agreement_current,
    unmet,
    valid_kinds,
    valid_kinds_of,
)
from catalogue.models import Sensitivity
from workflow.models import (
    Application,
    LegalGateway,
    PublicBenefitAssessment,
    RequestedDataset,
)
from workflow.safes import public_benefit_framework as framework


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


def _members(application: Application) -> list[User]:
    """The team's people, from what the application's page loaded with it when it did."""
    if "members" in getattr(application, "_prefetched_objects_cache", {}):
        return [m.user for m in application.members.all()]
    return [m.user for m in application.members.select_related("user")]


def safe_people(application: Application) -> list[dict[str, Any]]:
    """Each member and what the project needs of them on the day access would start: held,
    waiting for a decision, or missing."""
    # The registry's rule, given the datasets already loaded (``requirements_of`` narrows the
    # query with ``only()``, which clashes with the page's prefetch).
    requirements = requirements_for(application, list(application.requested_datasets.all()))
    day = access_start(application)
    members = _members(application)
    waiting: dict[int, set[str]] = {}
    for person_id, kind in Accreditation.objects.filter(
        person__in=members, state=AccreditationState.APPLIED
    ).values_list("person_id", "kind"):
        waiting.setdefault(person_id, set()).add(kind)
    # Every member's accreditations in one query (one a member, before).
    held = valid_kinds_of([person.pk for person in members], day)
    rows = []
    for person in members:
        missing = unmet(requirements, held[person.pk])
        applied = [r for r in missing if waiting.get(person.pk, set()) & SATISFIED_BY[r]]
        rows.append(
            {
                "person": person,
                "missing": [Requirement(r).label for r in missing if r not in applied],
                "applied": [Requirement(r).label for r in applied],
            }
        )
    return rows


class OwnAccreditations:
    """One person's row of ``safe_people`` for many applications at once (their own list):
    their accreditations read once per day that access would start and once for those
    waiting for a decision, the applications' requested datasets taken from a prefetch. A
    list of applications had read every member's accreditations for each row (six queries a
    row; docs/benchmarks.md)."""

    def __init__(self, person: User) -> None:
        self.person = person
        self._held: dict[datetime.date, set[str]] = {}
        self._waiting: set[str] | None = None

    def _held_on(self, day: datetime.date) -> set[str]:
        if day not in self._held:
            self._held[day] = valid_kinds(self.person, day)
        return self._held[day]

    def _applied(self) -> set[str]:
        if self._waiting is None:
            self._waiting = set(
                Accreditation.objects.filter(
                    person=self.person, state=AccreditationState.APPLIED
                ).values_list("kind", flat=True)
            )
        return self._waiting

    def row(self, application: Application) -> dict[str, Any]:
        """What ``safe_people(application)`` says of this person (one of its members)."""
        requirements = requirements_for(application, list(application.requested_datasets.all()))
        held = self._held_on(access_start(application))
        missing = [r for r in requirements if not (held & SATISFIED_BY[r])]
        applied = [r for r in missing if self._applied() & SATISFIED_BY[r]] if missing else []
        return {
            "person": self.person,
            "missing": [Requirement(r).label for r in missing if r not in applied],
            "applied": [Requirement(r).label for r in applied],
        }


def agreement_status(application: Application) -> dict[str, Any]:
    """The current agreement, who must sign it for this application and who has."""
    current = agreement_current()
    signatures = list(
        AgreementSignature.objects.filter(application=application)
        .select_related("signer", "agreement", "organisation")
        .order_by("signed_at", "id")
    )
    on_current = [s for s in signatures if current is not None and s.agreement_id == current.pk]
    signed_members = {s.signer_id for s in on_current if s.capacity == SignatureCapacity.MEMBER}
    members = _members(application)
    signatory = next(
        (s for s in on_current if s.capacity == SignatureCapacity.ORGANISATION_SIGNATORY), None
    )
    return {
        "agreement": current,
        "members": [{"person": m, "signed": m.pk in signed_members} for m in members],
        "organisation": application.lead_organisation,
        "organisation_signed_by": signatory.signer if signatory else None,
        "signatures": signatures,
        "signed_count": len(signed_members) + (1 if signatory is not None else 0),
        "complete": current is not None
        and all(m.pk in signed_members for m in members)
        and signatory is not None,
    }


def agreement_access_errors(application: Application) -> dict[str, list[str]]:
    status = agreement_status(application)
    current: AgreementText | None = status["agreement"]
    if current is None:
        return {"agreement": ["No data access agreement is published: ops must publish one."]}
    errors: dict[str, list[str]] = {}
    unsigned = [str(m["person"]) for m in status["members"] if not m["signed"]]
    if unsigned:
        errors["agreement.members"] = [
            f"Not yet signed version {current.version} of the agreement: {', '.join(unsigned)}."
        ]
    if status["organisation_signed_by"] is None:
        org = status["organisation"]
        errors["agreement.organisation"] = [
            f"No signatory of {org.name if org else 'the lead organisation'} has signed version "
            f"{current.version} of the agreement."
        ]
    return errors


def requirements_for(
    application: Application, requested: Iterable[RequestedDataset] | None = None
) -> list[str]:
    """What every member must hold: safe-researcher training always; DEA accreditation (full or
    provisional) when any dataset uses the DEA research gateway."""
    requested = (
        requested
        if requested is not None
        else list(application.requested_datasets.only("legal_gateway"))
    )
    needed: list[str] = [Requirement.SAFE_RESEARCHER]
    if any(rd.legal_gateway == LegalGateway.DEA_RESEARCH for rd in requested):
        needed.append(Requirement.DEA_ACCREDITED)
    return needed


def requirements_of(application: Application) -> list[str]:
    return requirements_for(application)


def access_start(application: Application) -> datetime.date:
    today = timezone.localdate()
    return max(today, application.start_date) if application.start_date else today
