"""What several workflow pages share: loading an application the person may see, the task
list's sections, what happens next, and answering a normal or an HTMX request."""

from __future__ import annotations

from django.urls import reverse

from workflow.lifecycle.selectors import blocking_report
from workflow.models import Application, State
from workflow.reviews.selectors import open_feedback_items
from workflow.route.content import FIELD_PART, PART_BY_KEY, PARTS, SAFEGUARDS, Part
from workflow.route.policies import is_member
from workflow.route.selectors import HOLDER_WORDS, next_actors
from workflow.safes.checks import safeguard_problems

# Each section of the task list by its key (the sections feedback points refer to).
SECTION_BY_KEY = PART_BY_KEY


def section_of(path: str) -> str | None:
    """The section an error path (``lay_summary``, ``datasets.0.justification``) belongs to."""
    return FIELD_PART.get(path.split(".")[0])


def section_url(application: Application, key: str) -> str:
    return reverse("workflow:section", args=[application.pk, key])


def task_list(application: Application, errors: dict[str, list[str]], open_items) -> list[dict]:
    """Each section with its status: completed when nothing in it stops submission,
    "needs changes" when an unanswered feedback point is about it."""
    asked = {item.section for item in open_items if not item.response}
    tasks = []
    for spec in PARTS:
        problems: list
        if spec.key == SAFEGUARDS:
            problems = safeguard_problems(application)
            filled = hasattr(application, "safeguards")
        else:
            problems = [p for p in errors if section_of(p) == spec.key]
            filled = _filled(application, spec)
        if spec.key in asked:
            status = "Needs changes"
        elif not problems:
            status = "Completed"
        elif filled:
            status = "Incomplete"
        else:
            status = "Not yet started"
        tasks.append(
            {
                "key": spec.key,
                "label": spec.label,
                "href": section_url(application, spec.key),
                "status": status,
                "hint": spec.hint,
            }
        )
    return tasks


def submit_task(application: Application, tasks: list[dict]) -> dict:
    """The task list's last task: checking and submitting, which cannot start until every
    section (Safeguards included) is completed."""
    ready = all(task["status"] == "Completed" for task in tasks)
    resubmitting = application.state == State.CHANGES_REQUESTED
    return {
        "key": "submit",
        "label": "Check and resubmit" if resubmitting else "Check and submit",
        "href": reverse("workflow:submit", args=[application.pk]) if ready else "",
        "status": "Not yet started" if ready else "Cannot start yet",
        "hint": "" if ready else "When every section above is completed",
    }


def _filled(application: Application, part: Part) -> bool:
    """Has the team started the section (a default choice does not count)?"""
    if part.collection == "members":
        return application.members.count() > 1
    if part.collection == "datasets":
        return application.requested_datasets.exists()
    return any(
        bool(getattr(application, f"{q.name}_id" if q.kind == "organisation" else q.name))
        for q in part.questions
        if q.default is None
    )


# What happens next: for the person who holds the step, for the team, and for everyone else.
YOUR_STEP = {
    State.DRAFT: "Complete each section, then check your answers and submit.",
    State.SCOPING: "Scope the project with the team: agree the variables in scope and record "
    "whether it is feasible, then complete scoping or request changes.",
    State.INTERNAL_REVIEW: "Review it: refer it to the panels and data owners, request changes "
    "or reject it.",
    State.IN_REVIEW: "Your decision is needed on one of its reviews.",
    State.APPROVED: "Grant access once every condition to meet before access is met and the "
    "agreement is signed.",
    State.SUSPENDED: "Access is suspended: reinstate it or close the project.",
}
NEXT_FOR_TEAM = {
    State.DRAFT: "Complete each section, then check your answers and submit.",
    State.SCOPING: "An analyst is scoping your project with you. They will contact you about "
    "the data; nothing is needed from you until then.",
    State.CHANGES_REQUESTED: "Answer every point raised, change the application where they ask, "
    "then resubmit.",
    State.INTERNAL_REVIEW: "Governance staff are checking the application before the panels.",
    State.IN_REVIEW: "The panels and the data owners are reviewing it, at the same time.",
    State.APPROVED: "Approved. Operations will open access once every condition to meet before "
    "access is met.",
    State.ACTIVE: "Access is granted. Keep to the conditions in the decision letter.",
    State.SUSPENDED: "Access is suspended. Operations will contact you.",
    State.REJECTED: "The application was not approved. The reasons are in the decision letter.",
    State.WITHDRAWN: "The application was withdrawn.",
    State.CLOSED: "The project is closed.",
}


def next_step(user, application: Application, *, actors: list | None = None) -> str:
    """What happens next, as ``user`` should read it: their own action first when the step is
    theirs (``next_actors``, or ``actors`` when the page already read it), else who it is
    waiting for."""
    if is_member(user, application):
        if application.state == State.CHANGES_REQUESTED:
            waiting = sum(1 for i in open_feedback_items(application) if not i.response)
            if waiting:
                return (
                    f"Answer the {waiting} point{'s' if waiting != 1 else ''} still open, change "
                    "the application where they ask, then resubmit."
                )
            return "Every point is answered: check your answers and resubmit."
        if (
            application.state == State.SUSPENDED
            and (report := blocking_report(application)) is not None
        ):
            return (
                f"Access is suspended because progress report {report.number} is overdue. "
                "Send it from the project's progress reports page: access comes back once it "
                "is accepted."
            )
        return NEXT_FOR_TEAM[application.state]
    if application.state in YOUR_STEP and any(
        p.pk == user.pk for p in (next_actors(application) if actors is None else actors)
    ):
        return YOUR_STEP[application.state]
    holder = HOLDER_WORDS[application.state]
    if holder.startswith("nobody"):
        return f"{application.get_state_display()}: nothing more is waiting."
    return f"{application.get_state_display()}: waiting for {holder}."
