"""An application's own pages, for everyone who may see it: the overview with what happens
next and what they may do, the timeline, the decision letter, versions and their differences,
and the steps of the route (each a confirmation page that calls one service)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import ValidationFailed
from core.forms import EmptyForm, NoteForm, ReasonForm
from core.web import apply_domain_errors, done, error_items
from workflow.models import MAX_FEEDBACK_ITEMS, ConditionState, State
from workflow.pages import get_application
from workflow.reviews.letters import DECISION_EVENTS, decision_letter
from workflow.reviews.preapproval import match_application
from workflow.reviews.selectors import open_feedback_items
from workflow.route import services as route_services
from workflow.route.content import diff, submission_errors
from workflow.route.forms import FeedbackComposerForm
from workflow.route.next_action import next_action
from workflow.route.policies import (
    WARNING_STEPS,
    available_steps,
    can_edit,
    check_take,
    is_member,
    visible_view,
)
from workflow.route.selectors import next_actors
from workflow.route.views.common import next_step, submit_task, task_list
from workflow.safes.policies import (
    SIGNING_STATES,
)
from workflow.safes.selectors import agreement_status, safe_people
from workflow.timeline import entries, timeline_for
from workflow.transparency.policies import can_add_output
from workflow.turnaround.forecast import forecast_view


@dataclass(frozen=True)
class StepPage:
    """A step of the route taken from a confirmation page."""

    title: str
    intro: str
    button: str
    form: type[forms.Form]
    call: Callable[[Any, Any, dict], Any]
    done_message: str
    warning: bool = False


STEPS: dict[str, StepPage] = {
    "complete_scoping": StepPage(
        "Complete scoping",
        "The application goes to internal review. You need to have recorded that it is "
        "feasible, and every requested variable must be in scope.",
        "Complete scoping",
        EmptyForm,
        lambda app, by, d: route_services.application_complete_scoping(application=app, by=by),
        "Scoping is complete: the application is in internal review.",
    ),
    "refer_to_panels": StepPage(
        "Refer to the panels and data owners",
        "Every review it needs opens at once: the Independent Governance Review Panel, the DEA "
        "panel if the DEA gateway is used, and each data owner's sign-off (at once, "
        "automatically, where a pre-approved category covers their data).",
        "Refer for review",
        NoteForm,
        lambda app, by, d: route_services.application_refer_to_panels(
            application=app, by=by, note=d["reason"]
        ),
        "The application is with the panels and data owners.",
    ),
    "reject": StepPage(
        "Reject the application",
        "Rejection is final. The team reads your reason in the decision letter.",
        "Reject the application",
        ReasonForm,
        lambda app, by, d: route_services.application_reject(
            application=app, by=by, reason=d["reason"]
        ),
        "The application is rejected.",
        warning=True,
    ),
    "withdraw": StepPage(
        "Withdraw the application",
        "Withdrawing is final: to continue later you would start a new application.",
        "Withdraw the application",
        NoteForm,
        lambda app, by, d: route_services.application_withdraw(
            application=app, by=by, reason=d["reason"]
        ),
        "The application is withdrawn.",
        warning=True,
    ),
    "grant_access": StepPage(
        "Grant access",
        "The team's access to the data opens now, for the project's dates.",
        "Grant access",
        EmptyForm,
        lambda app, by, d: route_services.application_grant_access(application=app, by=by),
        "Access is granted.",
    ),
    "suspend": StepPage(
        "Suspend access",
        "The team loses access until it is reinstated. They read your reason.",
        "Suspend access",
        ReasonForm,
        lambda app, by, d: route_services.application_suspend(
            application=app, by=by, reason=d["reason"]
        ),
        "Access is suspended.",
        warning=True,
    ),
    "reinstate": StepPage(
        "Reinstate access",
        "The team's access opens again.",
        "Reinstate access",
        NoteForm,
        lambda app, by, d: route_services.application_reinstate(
            application=app, by=by, reason=d["reason"]
        ),
        "Access is reinstated.",
    ),
    "close": StepPage(
        "Close the project",
        "Access ends for good and the project is closed.",
        "Close the project",
        NoteForm,
        lambda app, by, d: route_services.application_close(
            application=app, by=by, reason=d["reason"]
        ),
        "The project is closed.",
        warning=True,
    ),
}


def step_url(application, name: str) -> str:
    if name in {"submit", "resubmit"}:
        return reverse("workflow:submit", args=[application.pk])
    if name == "request_changes":
        return reverse("workflow:request-changes", args=[application.pk])
    if name == "grant_access":  # the gate is shown before the button
        return reverse("workflow:grant-access", args=[application.pk])
    return reverse("workflow:step", args=[application.pk, name.replace("_", "-")])


STEP_LABELS = {
    "submit": "Check and submit",
    "resubmit": "Check and resubmit",
    "request_changes": "Request changes",
    **{name: page.title for name, page in STEPS.items()},
}


def actions_for(user, application) -> list[dict]:
    """The steps ``user`` may take now, as buttons to their pages (the final or destructive
    ones last): exactly those the policies allow, so no page offers a step its viewer cannot
    take."""
    return [
        {
            "name": name,
            "label": STEP_LABELS.get(name, name.replace("_", " ").capitalize()),
            "href": step_url(application, name),
            "warning": name in WARNING_STEPS,
        }
        for name in available_steps(user, application)
    ]


@login_required
def overview(request, pk: int):
    application = get_application(request, pk)
    user = request.user
    view = visible_view(user, application)
    member = is_member(user, application)
    datasets = view.datasets(application.requested_datasets.all())
    tracks = view.tracks(t for t in application.tracks.all() if not t.superseded)
    open_items = open_feedback_items(application) if member else []
    editable = can_edit(user, application)
    sections = (
        task_list(application, submission_errors(application), open_items) if editable else []
    )
    completed = sum(1 for task in sections if task["status"] == "Completed")
    actions = actions_for(user, application)
    # Who holds the next step, read once for the page's three uses of it (what happens next,
    # the reader's own next action and its banner): the team's are not asked of it.
    actors = None if member else next_actors(application)
    # The team's accreditations, read once for the reader's own next action and the page's
    # safe-people part.
    people = (
        safe_people(application)
        if application.state in SAFE_PEOPLE_STATES and (member or view.whole)
        else None
    )
    action = next_action(user, application, actors=actors, people=people)
    if sections:
        # Checking and submitting is the task list's last task, offered once every section
        # is completed, rather than a button that leads to a page of errors.
        actions = [a for a in actions if a["name"] not in ("submit", "resubmit")]
    context = {
        "title": application.title,
        "application": application,
        "member": member,
        "full_view": view.whole,
        "editable": editable,
        "next_step": next_step(user, application, actors=actors),
        "actions": actions,
        # One primary button a page: the next step's banner has it when there is one.
        "next_action_shown": action is not None,
        # The banner shows it (``next_action_banner``) without asking again.
        "page_next_action": action,
        "datasets": datasets,
        "tracks": tracks,
        "tasks": [*sections, submit_task(application, sections)] if sections else [],
        "sections_completed": completed,
        "sections_total": len(sections),
        "open_items": open_items,
        "unanswered": sum(1 for i in open_items if not i.response),
        "has_letter": application.events.filter(kind__in=DECISION_EVENTS).exists(),
        "is_analyst": application.analyst_id == user.pk,
        "may_add_outputs": can_add_output(user, application),
        "safeguards": getattr(application, "safeguards", None) if view.whole else None,
        **overview_context(user, application, full_view=view.whole, people=people),
    }
    return render(request, "workflow/application/overview.html", context)


@login_required
def timeline(request, pk: int):
    application = get_application(request, pk)
    events = entries(timeline_for(request.user, application, newest_first=True))
    return render(
        request,
        "workflow/application/timeline.html",
        {"title": f"Timeline: {application.title}", "application": application, "events": events},
    )


@login_required
def letter(request, pk: int):
    application = get_application(request, pk, whole=True)
    return render(
        request,
        "workflow/application/letter.html",
        {
            "title": f"Decision letter: {application.title}",
            "application": application,
            "letter": decision_letter(application),
        },
    )


@login_required
def versions(request, pk: int):
    """The versions frozen at each submission, and what changed between two of them."""
    application = get_application(request, pk, whole=True)
    all_versions = list(application.versions.select_related("created_by").order_by("number"))
    numbers = [v.number for v in all_versions]
    changes = None
    chosen = {}
    if len(numbers) >= 2:
        for key, default in (("from", numbers[-2]), ("to", numbers[-1])):
            raw = request.GET.get(key, "")
            chosen[key] = int(raw) if raw.isdigit() and int(raw) in numbers else default
        contents = {v.number: v.content for v in all_versions}
        changes = diff(contents[chosen["from"]], contents[chosen["to"]])
    return render(
        request,
        "workflow/application/versions.html",
        {
            "title": f"Versions: {application.title}",
            "application": application,
            "versions": all_versions,
            "numbers": numbers,
            "chosen": chosen,
            "changes": changes,
        },
    )


@login_required
def pre_approval(request, pk: int):
    """Per requested dataset: the category it falls within and why, or why none fits."""
    application = get_application(request, pk)
    matches = visible_view(request.user, application).matches(match_application(application))
    return render(
        request,
        "workflow/application/pre_approval.html",
        {
            "title": f"Pre-approved categories: {application.title}",
            "application": application,
            "matches": matches,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def step(request, pk: int, name: str):
    """Confirm and take one step of the route (the service checks who may, and when)."""
    page = STEPS.get(name.replace("-", "_"))
    if page is None:
        raise Http404("No such step")
    application = get_application(request, pk)
    request.back_to = reverse("workflow:application", args=[pk])
    # Only someone who may take the step now is shown its form (403, or 409 with the reason).
    check_take(request.user, application, name.replace("-", "_"))
    form = page.form(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            page.call(application, request.user, form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, page.done_message)
            return done(request, reverse("workflow:application", args=[pk]))
    return render(
        request,
        "workflow/application/step.html",
        {
            "title": page.title,
            "page": page,
            "application": application,
            "form": form,
            "error_items": error_items(form),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def request_changes(request, pk: int):
    """The consolidated feedback composer: every point at once, each tied to a section."""
    application = get_application(request, pk)
    request.back_to = reverse("workflow:application", args=[pk])
    check_take(request.user, application, "request_changes")
    try:
        rows = min(max(int(request.POST.get("rows", 1)), 1), MAX_FEEDBACK_ITEMS)
    except ValueError:
        rows = 1
    adding = request.method == "POST" and "add" in request.POST
    if adding:
        rows = min(rows + 1, MAX_FEEDBACK_ITEMS)
    form = FeedbackComposerForm(
        request.POST if request.method == "POST" else None, rows=rows, initial={"rows": rows}
    )
    errors = []
    if request.method == "POST" and not adding and form.is_valid():
        items, field_map = form.items()
        try:
            route_services.application_request_changes(
                application=application,
                by=request.user,
                items=items,
                summary=form.cleaned_data["summary"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, field_map)
        else:
            count = len(items)
            messages.success(
                request, f"Your {count} point{'s' if count != 1 else ''} went to the team together."
            )
            return done(request, reverse("workflow:application", args=[pk]))
    if not adding:
        errors = error_items(form)
    data = request.POST.copy() if adding else None
    if data is not None:
        data["rows"] = str(rows)
        form = FeedbackComposerForm(data, rows=rows)
    return render(
        request,
        "workflow/application/request_changes.html",
        {
            "title": "Request changes",
            "application": application,
            "form": form,
            "error_items": errors,
            "added": adding,
        },
        status=400 if errors else 200,
    )


# The states in which the page shows the team's safe-people checks.
SAFE_PEOPLE_STATES = tuple(
    s for s in State if s not in (State.DRAFT, State.REJECTED, State.WITHDRAWN, State.CLOSED)
)


def overview_context(
    user, application, *, full_view: bool, people: list[dict] | None = None
) -> dict:
    """What the application page adds for the Five Safes: safe people (``people`` when the
    page read them already), the agreement, the conditions, and the forecast."""
    if not full_view:
        return {}
    state = application.state
    context: dict = {"five_safes_visible": state != State.DRAFT}
    if state in SAFE_PEOPLE_STATES:
        context["safe_people"] = people if people is not None else safe_people(application)
    if state in (*SIGNING_STATES, State.ACTIVE, State.SUSPENDED):
        context["agreement"] = agreement_status(application)
    context["conditions_count"] = application.conditions.exclude(
        state=ConditionState.WITHDRAWN
    ).count()
    if state not in (State.ACTIVE, State.SUSPENDED, State.CLOSED, State.REJECTED, State.WITHDRAWN):
        context["forecast"] = forecast_view(application)
    return context
