"""The application's content: the snapshot frozen at each (re)submission, the difference
between two snapshots, and the rules content must meet to be submitted."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings

from workflow.models import Application, LegalGateway, ProjectRole

WORD = re.compile(r"\b[\w'’-]+\b")

SCALAR_FIELDS = (
    "title",
    "lay_summary",
    "research_question",
    "public_benefit",
    "purpose",
    "route",
    "start_date",
    "end_date",
    "funder",
)


def word_count(text: str) -> int:
    return len(WORD.findall(text or ""))


def snapshot(application: Application) -> dict[str, Any]:
    """Everything the researcher asked for, in a stable JSON shape (decisions cite versions)."""
    members = application.members.select_related("user").order_by("id")
    datasets = application.requested_datasets.select_related("dataset").prefetch_related(
        "variables__variable"
    )
    return {
        **{
            name: (str(value) if value is not None else None)
            for name in SCALAR_FIELDS
            for value in [getattr(application, name)]
        },
        "lead_organisation": (
            application.lead_organisation.name if application.lead_organisation_id else None
        ),
        "members": [
            {"user_id": m.user_id, "name": m.user.full_name, "project_role": m.project_role}
            for m in members
        ],
        "datasets": [
            {
                "slug": rd.dataset.slug,
                "title": rd.dataset.title,
                "legal_gateway": rd.legal_gateway,
                "justification": rd.justification,
                "variables": [
                    {
                        "name": rv.variable.name,
                        "identifying": rv.variable.is_identifying,
                        "justification": rv.justification,
                    }
                    for rv in sorted(rd.variables.all(), key=lambda rv: rv.variable.name)
                ],
            }
            for rd in sorted(datasets, key=lambda rd: rd.dataset.slug)
        ],
    }


def _flatten(content: dict[str, Any]) -> dict[str, Any]:
    """Paths a person can read: ``datasets.wlgp.variables.alf_pe.justification``."""
    flat: dict[str, Any] = {}
    for key, value in content.items():
        if key == "members":
            for m in value:
                flat[f"members.{m['name']}"] = m["project_role"]
        elif key == "datasets":
            for d in value:
                base = f"datasets.{d['slug']}"
                flat[f"{base}.legal_gateway"] = d["legal_gateway"]
                flat[f"{base}.justification"] = d.get("justification", "")
                for v in d["variables"]:
                    flat[f"{base}.variables.{v['name']}.justification"] = v["justification"]
        else:
            flat[key] = value
    return flat


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Field-by-field changes between two snapshots: added, removed or changed."""
    a, b = _flatten(before), _flatten(after)
    changes = []
    for path in sorted(a.keys() | b.keys()):
        if path not in a:
            changes.append({"path": path, "change": "added", "before": None, "after": b[path]})
        elif path not in b:
            changes.append({"path": path, "change": "removed", "before": a[path], "after": None})
        elif a[path] != b[path]:
            changes.append({"path": path, "change": "changed", "before": a[path], "after": b[path]})
    return changes


def submission_errors(application: Application) -> dict[str, list[str]]:
    """What stops the application being submitted, as messages per field (empty: none)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    limit = settings.LAY_SUMMARY_MAX_WORDS
    for name, label in (
        ("title", "a title"),
        ("lay_summary", "a lay summary"),
        ("research_question", "the research question"),
        ("public_benefit", "a public-benefit statement"),
        ("purpose", "the purpose"),
    ):
        if not (getattr(application, name) or "").strip():
            add(name, f"Enter {label}.")
    words = word_count(application.lay_summary)
    if words > limit:
        add(
            "lay_summary",
            f"The lay summary has {words} words; it will be published, so keep it to {limit}.",
        )
    if application.start_date is None:
        add("start_date", "Enter the project start date.")
    if application.end_date is None:
        add("end_date", "Enter the project end date.")
    if (
        application.start_date
        and application.end_date
        and application.end_date <= application.start_date
    ):
        add("end_date", "The project must end after it starts.")
    if application.lead_organisation_id is None:
        add("lead_organisation", "Name the lead organisation (the legal entity that signs).")

    roles = list(application.members.values_list("project_role", flat=True))
    if ProjectRole.PRINCIPAL_INVESTIGATOR not in roles:
        add("members", "Name a principal investigator.")

    requested = list(
        application.requested_datasets.select_related("dataset").prefetch_related(
            "variables__variable"
        )
    )
    if not requested:
        add("datasets", "Request at least one dataset.")
    for index, rd in enumerate(requested):
        prefix = f"datasets.{index}"
        gateway_error = gateway_problem(rd.dataset, rd.legal_gateway)
        if gateway_error:
            add(f"{prefix}.legal_gateway", gateway_error)
        variables = list(rd.variables.all())
        if not variables:
            add(f"{prefix}.variables", f"Choose the variables you need from {rd.dataset.title}.")
        if not rd.justification.strip() and any(not v.justification.strip() for v in variables):
            add(
                f"{prefix}.justification",
                f"Say why you need {rd.dataset.title}, or justify each variable.",
            )
        for v_index, rv in enumerate(variables):
            if rv.variable.dataset_id != rd.dataset_id:
                add(
                    f"{prefix}.variables.{v_index}.variable",
                    f"{rv.variable.name} is not a variable of {rd.dataset.title}.",
                )
            if rv.variable.is_identifying and not rv.justification.strip():
                add(
                    f"{prefix}.variables.{v_index}.justification",
                    f"{rv.variable.name} can identify people: justify it on its own.",
                )
    return errors


def gateway_problem(dataset, legal_gateway: str) -> str | None:
    """Why this dataset cannot be shared by this gateway, or None when it can."""
    if legal_gateway != LegalGateway.DEA_RESEARCH:
        return None
    if dataset.holder_has_health_service_functions:
        return (
            f"{dataset.title} is held by a body with health-service functions: the Digital "
            "Economy Act research power excludes it. Choose another legal gateway."
        )
    if not dataset.dea_gateway_permitted:
        return f"{dataset.title} is not shared under the Digital Economy Act research power."
    return None
