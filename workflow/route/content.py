"""The application's content, in one place: every field the team writes, how the form asks
it, what it is called in a summary, and what submission needs of it (``PARTS``, the task list's
sections in order). The section forms, the API's input and output, the snapshot frozen at each
(re)submission and the difference between two versions, check your answers, and the rules
content must meet to be submitted are all derived from it.

To add a field: the model field (and its migration) on ``Application``, and its ``Question``
here, in the part of the task list that asks it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.conf import settings
from django.db.models import TextChoices

from catalogue.models import Purpose
from workflow.models import Application, LegalGateway, ProjectRole, Route, Section

WORD = re.compile(r"\b[\w'’-]+\b")

Kind = Literal["line", "text", "choice", "date", "organisation"]


@dataclass(frozen=True)
class Question:
    """One field of the application the team writes."""

    name: str  # the ``Application`` field
    label: str  # the question, as the form asks it
    title: str  # its name in a summary: check your answers, the versions' differences
    kind: Kind
    why: str = ""  # why we ask it, in plain words, beside the question
    hint: str = ""
    missing: str = ""  # the message when it is still empty at submission ("": optional)
    max_length: int | None = None
    choices: type[TextChoices] | None = None
    option_hints: Mapping[str, str] = field(default_factory=dict)
    default: str | None = None
    always: bool = False  # it can never be empty, not even in a draft (the title)
    rows: int = 6


@dataclass(frozen=True)
class Part:
    """A section of the task list: what it asks, in order."""

    key: str
    label: str
    hint: str = ""
    questions: tuple[Question, ...] = ()
    # What the section edits that is not a field of its own: the team, the datasets, the
    # safeguards (each with its own page and rules).
    collection: str = ""


# The safeguards section is not one of the feedback sections (``Section``): it has its own
# record (``ApplicationSafeguards``), judged by the Five Safes checks.
SAFEGUARDS = "safeguards"

PARTS: tuple[Part, ...] = (
    Part(
        Section.SUMMARY,
        "Title and summary",
        "Published in the register if approved",
        questions=(
            Question(
                "title",
                "Project title",
                "Title",
                "line",
                why="The title appears in the public register of approved projects and in every "
                "message about your application.",
                missing="Enter a title.",
                max_length=250,
                always=True,
            ),
            Question(
                "lay_summary",
                "Lay summary",
                "Lay summary",
                "text",
                why="It is published so that the public can see how data about them are used. "
                "Panels include lay members who read it first.",
                hint="Write for someone with no research background, in up to 300 words.",
                missing="Enter a lay summary.",
                rows=8,
            ),
        ),
    ),
    Part(
        Section.RESEARCH_QUESTION,
        "Research question",
        questions=(
            Question(
                "research_question",
                "What is your research question?",
                "Research question",
                "text",
                why="The analyst uses it to choose the datasets and variables that can answer "
                "it, and the panels to judge whether the data asked for are needed and no more.",
                missing="Enter the research question.",
            ),
        ),
    ),
    Part(
        Section.PUBLIC_BENEFIT,
        "Public benefit",
        questions=(
            Question(
                "public_benefit",
                "How will the public benefit?",
                "Public benefit",
                "text",
                why="Data about people are used for research only in the public interest: the "
                "panels weigh this benefit against the privacy risk.",
                missing="Enter a public-benefit statement.",
            ),
        ),
    ),
    Part(
        Section.PURPOSE,
        "Purpose and route",
        questions=(
            Question(
                "purpose",
                "What is the purpose of the project?",
                "Purpose",
                "choice",
                why="Data owners approve some uses in advance by purpose: a project within such "
                "a category does not wait for the owner's sign-off.",
                missing="Enter the purpose.",
                choices=Purpose,
            ),
            Question(
                "route",
                "Which route is it?",
                "Route",
                "choice",
                why="Exploratory projects are time-boxed and reviewed under the Digital Economy "
                "Act's rules.",
                choices=Route,
                option_hints={
                    Route.STANDARD: "A research project with a defined question.",
                    Route.EXPLORATORY: "A short feasibility study under the Digital Economy Act.",
                },
                default=Route.STANDARD,
                always=True,
            ),
        ),
    ),
    Part(
        Section.DATES,
        "Dates and funding",
        questions=(
            Question(
                "start_date",
                "Start date",
                "Start date",
                "date",
                why="Access is granted for the project's dates only.",
                missing="Enter the project start date.",
            ),
            Question(
                "end_date",
                "End date",
                "End date",
                "date",
                missing="Enter the project end date.",
            ),
            Question(
                "funder",
                "Funder",
                "Funder",
                "line",
                why="The funder is published in the register with the project.",
                max_length=200,
            ),
            Question(
                "lead_organisation",
                "Lead organisation",
                "Lead organisation",
                "organisation",
                why="The agreement to use the data is made with an organisation, not a person.",
                hint="The legal entity that will sign the data access agreement.",
                missing="Name the lead organisation (the legal entity that signs).",
            ),
        ),
    ),
    Part(Section.TEAM, "Team", collection="members"),
    Part(Section.DATA, "Datasets and variables", collection="datasets"),
    Part(
        SAFEGUARDS,
        "Safeguards: ethics, setting and outputs",
        "What the Five Safes checks read",
        collection="safeguards",
    ),
)
PART_BY_KEY: dict[str, Part] = {part.key: part for part in PARTS}
QUESTIONS: dict[str, Question] = {q.name: q for part in PARTS for q in part.questions}
# Which part each field (or collection) belongs to: where an error about it is fixed.
FIELD_PART: dict[str, str] = {
    **{q.name: part.key for part in PARTS for q in part.questions},
    **{part.collection: part.key for part in PARTS if part.collection},
}
# The fields stored on the application as values (the lead organisation is a link).
SCALAR_FIELDS = tuple(name for name, q in QUESTIONS.items() if q.kind != "organisation")


def title_of(path: str) -> str:
    """A change's path in words: ``research_question`` → "Research question"."""
    head, _, rest = path.partition(".")
    if head in QUESTIONS:
        return QUESTIONS[head].title
    if head == "members":
        return f"Team: {rest}"
    if head == "datasets":
        slug, _, tail = rest.partition(".")
        tail = tail.replace("variables.", "variable ").replace(".", " ").replace("_", " ")
        return f"{slug}: {tail}".strip(": ")
    return path.replace("_", " ").capitalize()


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
            application.lead_organisation.name if application.lead_organisation else None
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
    for change in changes:
        change["label"] = title_of(change["path"])
    return changes


def submission_errors(application: Application) -> dict[str, list[str]]:
    """What stops the application being submitted, as messages per field (empty: none)."""
    errors: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    limit = settings.LAY_SUMMARY_MAX_WORDS
    for question in QUESTIONS.values():
        if not question.missing:
            continue
        attribute = f"{question.name}_id" if question.kind == "organisation" else question.name
        value = getattr(application, attribute)
        if value is None or (isinstance(value, str) and not value.strip()):
            add(question.name, question.missing)
    words = word_count(application.lay_summary)
    if words > limit:
        add(
            "lay_summary",
            f"The lay summary has {words} words; it will be published, so keep it to {limit}.",
        )
    if (
        application.start_date
        and application.end_date
        and application.end_date <= application.start_date
    ):
        add("end_date", "The project must end after it starts.")

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
