"""Where an amendment goes, and why: computed from its changes, the project's data and the
routing table (``RouteRule``), explained in words before it is submitted.

``explain(application, changes)`` answers a list of ``Step``: for each change, each rule of its
type and whether it applies here (``applies``), the reviewer it sends the change to, the
organisation concerned, why in one sentence, and, for a data owner whose pre-approved category
covers the data, the citation that skips their sign-off. ``tracks_of(steps)`` groups the
applying steps into the review tracks to open (one per reviewer and organisation).

No writes here: the services freeze what this answered when the amendment is submitted.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace
from typing import Any

from django.utils import timezone

from access.models import Organisation, User
from catalogue.models import Dataset, PreApprovedCategory
from workflow.amendments.models import (
    TRACK_REVIEWERS,
    ChangeType,
    ExtensionLimit,
    Reviewer,
    RouteRule,
    RouteWhen,
)
from workflow.reviews.preapproval import _judge
from workflow.route.models import Application, LegalGateway


@dataclass
class Step:
    change: int  # index in the amendment's changes
    change_type: str
    change_label: str
    summary: str  # the change in words
    reviewer: str
    reviewer_label: str
    when: str
    applies: bool
    why: str
    rule_id: int | None = None
    organisation_id: int | None = None
    organisation: str = ""
    target_days: int = 0
    pre_approved: dict[str, Any] | None = None  # the category that skips an owner's sign-off
    opens_track: bool = False

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrackPlan:
    reviewer: str
    organisation_id: int | None
    name: str
    target_days: int
    reasons: list[str] = field(default_factory=list)


# --- facts about one change -------------------------------------------------------------------


def _organisations_on(application: Application) -> set[int]:
    """The organisations already on the project: the lead and every member's affiliation."""
    orgs = set(
        application.members.exclude(user__affiliation__isnull=True).values_list(
            "user__affiliation_id", flat=True
        )
    )
    if application.lead_organisation_id:
        orgs.add(application.lead_organisation_id)
    return orgs


def _project_uses_dea(application: Application) -> bool:
    return application.requested_datasets.filter(legal_gateway=LegalGateway.DEA_RESEARCH).exists()


def _covering_category(
    application: Application, dataset: Dataset, variables: Sequence[Any], purpose: str
) -> dict[str, Any] | None:
    """The owner's active pre-approved category covering ``variables`` of ``dataset`` for this
    project's purpose, cited ``category@version``; None when none does."""
    proposed = SimpleNamespace(
        dataset=dataset,
        variables=SimpleNamespace(all=lambda: [SimpleNamespace(variable=v) for v in variables]),
    )
    categories = (
        PreApprovedCategory.objects.not_retired()
        .filter(dataset=dataset, current_version__isnull=False)
        .select_related("current_version")
        .prefetch_related("current_version__permitted_variables")
        .order_by("id")
    )
    today = timezone.localdate()
    for category in categories:
        verdict = _judge(category, proposed, purpose, today)  # type: ignore[arg-type]
        if verdict.matches:
            return {
                "category_id": verdict.category_id,
                "version": verdict.version,
                "citation": verdict.citation,
                "title": verdict.title,
            }
    return None


def _months_later(day: datetime.date, months: int) -> datetime.date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return datetime.date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - every month has a 28th


def owners_beyond_maximum(
    application: Application, end_date: datetime.date
) -> list[tuple[Organisation, datetime.date]]:
    """The data-providing organisations of the project whose maximum project length the new
    end date passes, each with the last day it allows."""
    start = application.start_date or (application.decided_at or timezone.now()).date()
    providers = (
        Organisation.objects.filter(datasets__in=application.requested_datasets.values("dataset"))
        .distinct()
        .order_by("name")
    )
    limits = dict(
        ExtensionLimit.objects.filter(organisation__in=providers).values_list(
            "organisation_id", "longest_project_months"
        )
    )
    beyond = []
    for org in providers:
        last = _months_later(start, limits.get(org.pk, ExtensionLimit.DEFAULT_MONTHS))
        if end_date > last:
            beyond.append((org, last))
    return beyond


# --- the route -------------------------------------------------------------------------------


def _summary(change: dict[str, Any], facts: dict[str, Any]) -> str:
    kind = change["type"]
    if kind in (ChangeType.ADD_MEMBER, ChangeType.REMOVE_MEMBER):
        person = facts.get("person")
        name = person.full_name if person else f"person {change.get('user')}"
        return ("Add " if kind == ChangeType.ADD_MEMBER else "Remove ") + name
    if kind in (ChangeType.ADD_DATASET, ChangeType.REMOVE_DATASET, ChangeType.ADD_VARIABLES):
        dataset = facts.get("dataset")
        title = dataset.title if dataset else change.get("dataset", "")
        if kind == ChangeType.ADD_VARIABLES:
            return f"Add variables of {title}: {', '.join(change.get('variables', []))}"
        return ("Add " if kind == ChangeType.ADD_DATASET else "Remove ") + title
    if kind == ChangeType.CHANGE_QUESTION:
        return "Change the research question or purpose"
    if kind == ChangeType.EXTEND_END_DATE:
        return f"Extend the end date to {change.get('end_date')}"
    return "Change the principal investigator or lead organisation"


def _facts(application: Application, change: dict[str, Any]) -> dict[str, Any]:
    """What the rules test about one change (already validated by the services)."""
    kind = change["type"]
    facts: dict[str, Any] = {"uses_dea": _project_uses_dea(application)}
    if kind in (ChangeType.ADD_MEMBER, ChangeType.REMOVE_MEMBER):
        person = (
            User.objects.select_related("affiliation")
            .filter(pk=int(change.get("user") or 0))
            .first()
        )
        facts["person"] = person
        org = person.affiliation if person else None
        facts["organisation"] = org
        facts["new_organisation"] = org is not None and org.pk not in _organisations_on(application)
    if kind == ChangeType.CHANGE_LEAD and change.get("lead_organisation"):
        org = Organisation.objects.filter(pk=change["lead_organisation"]).first()
        facts["organisation"] = org
        facts["new_organisation"] = org is not None and org.pk not in _organisations_on(application)
    if kind in (ChangeType.ADD_DATASET, ChangeType.ADD_VARIABLES, ChangeType.REMOVE_DATASET):
        dataset = (
            Dataset.objects.select_related("provider").filter(slug=change.get("dataset")).first()
        )
        facts["dataset"] = dataset
        if dataset is not None:
            facts["organisation"] = dataset.provider
            names = change.get("variables", [])
            variables = list(dataset.variables.filter(name__in=names))
            if kind == ChangeType.ADD_VARIABLES:
                existing = application.requested_datasets.filter(dataset=dataset).first()
                if existing is not None:
                    variables += [rv.variable for rv in existing.variables.all()]
                    facts["gateway"] = existing.legal_gateway
            else:
                facts["gateway"] = change.get("legal_gateway", "")
            purpose = change.get("purpose") or application.purpose
            facts["pre_approved"] = (
                _covering_category(application, dataset, variables, purpose)
                if kind != ChangeType.REMOVE_DATASET
                else None
            )
    if kind == ChangeType.EXTEND_END_DATE:
        end = change.get("end_date")
        day = datetime.date.fromisoformat(end) if isinstance(end, str) else end
        facts["beyond"] = owners_beyond_maximum(application, day) if day else []
    return facts


def _applies(when: str, facts: dict[str, Any]) -> tuple[bool, str]:
    """Does a rule's condition hold for this change, and the fact in words."""
    org = facts.get("organisation")
    if when == RouteWhen.ALWAYS:
        return True, ""
    if when in (RouteWhen.SAME_ORGANISATION, RouteWhen.NEW_ORGANISATION):
        new = bool(facts.get("new_organisation"))
        name = org.name if org else "Their organisation"
        fact = f"{name} is {'new to' if new else 'already on'} the project"
        return (new if when == RouteWhen.NEW_ORGANISATION else not new), fact
    if when == RouteWhen.NOT_PRE_APPROVED:
        cited = facts.get("pre_approved")
        if cited:
            return False, f"pre-approved category {cited['citation']} ({cited['title']}) covers it"
        return True, "no active pre-approved category covers it"
    if when == RouteWhen.DEA_GATEWAY:
        dea = facts.get("gateway") == LegalGateway.DEA_RESEARCH
        return dea, (
            "it is shared under the DEA research gateway"
            if dea
            else "it is not shared under the DEA research gateway"
        )
    if when == RouteWhen.PROJECT_USES_DEA:
        dea = bool(facts.get("uses_dea"))
        return dea, ("the project uses DEA data" if dea else "the project uses no DEA data")
    beyond = facts.get("beyond", [])
    if when == RouteWhen.BEYOND_MAXIMUM:
        if beyond:
            names = ", ".join(f"{o.name} (up to {last:%-d %B %Y})" for o, last in beyond)
            return True, f"it passes the longest project these owners allow: {names}"
        return False, "it is within every owner's longest project"
    # WITHIN_MAXIMUM
    return (not beyond), (
        "it is within every owner's longest project"
        if not beyond
        else "it passes an owner's longest project"
    )


def explain(application: Application, changes: Sequence[dict[str, Any]]) -> list[Step]:
    """Every rule of every change's type, applied to this project, in words."""
    rules = list(RouteRule.objects.filter(active=True).order_by("change_type", "id"))
    steps: list[Step] = []
    for index, change in enumerate(changes):
        facts = _facts(application, change)
        summary = _summary(change, facts)
        for rule in (r for r in rules if r.change_type == change["type"]):
            applies, fact = _applies(rule.when, facts)
            org: Organisation | None = facts.get("organisation")
            reviewer_label = Reviewer(rule.reviewer).label
            organisations: list[Organisation | None] = [None]
            if rule.reviewer in (Reviewer.DATA_OWNER, Reviewer.ORGANISATION_SIGNATORY):
                organisations = [org]
                if rule.when == RouteWhen.BEYOND_MAXIMUM:
                    organisations = [o for o, _ in facts.get("beyond", [])] or [None]
            for target_org in organisations:
                verb = "goes to" if applies else "does not go to"
                if rule.reviewer == Reviewer.NONE:
                    verb = "takes effect at once" if applies else "does not take effect at once"
                    who = ""
                else:
                    who = f" {reviewer_label[0].lower()}{reviewer_label[1:]}"
                    if target_org is not None:
                        who += f" of {target_org.name}"
                why = f"{summary} {verb}{who}" + (f": {fact}." if fact else ".")
                if rule.note:
                    why += f" {rule.note}"
                steps.append(
                    Step(
                        change=index,
                        change_type=change["type"],
                        change_label=ChangeType(change["type"]).label,
                        summary=summary,
                        reviewer=rule.reviewer,
                        reviewer_label=reviewer_label,
                        when=rule.when,
                        applies=applies,
                        why=why,
                        rule_id=rule.pk,
                        organisation_id=target_org.pk if target_org else None,
                        organisation=target_org.name if target_org else "",
                        target_days=rule.target_days,
                        pre_approved=facts.get("pre_approved")
                        if rule.when == RouteWhen.NOT_PRE_APPROVED
                        else None,
                        opens_track=applies and rule.reviewer in TRACK_REVIEWERS,
                    )
                )
    return steps


def tracks_of(steps: Sequence[Step]) -> list[TrackPlan]:
    """The review tracks the steps open: one per reviewer (and organisation), its target the
    longest of the rules that sent the amendment there."""
    plans: dict[tuple[str, int | None], TrackPlan] = {}
    for step in steps:
        if not step.opens_track:
            continue
        key = (step.reviewer, step.organisation_id)
        name = step.reviewer_label + (f": {step.organisation}" if step.organisation else "")
        plan = plans.setdefault(
            key, TrackPlan(step.reviewer, step.organisation_id, name, step.target_days)
        )
        plan.target_days = max(plan.target_days, step.target_days)
        plan.reasons.append(step.why)
    return list(plans.values())


def takes_effect_at_once(steps: Sequence[Step]) -> bool:
    return not any(s.opens_track for s in steps)
