"""The research team's pages: their applications, the application form section by section
(each section a page that saves), the team, the datasets and variables, checking and
submitting, and answering feedback point by point."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from catalogue.models import Dataset
from core.errors import InvalidTransition, NotAllowed, ValidationFailed
from core.middleware import back_url
from core.web import ErrorItem, apply_domain_errors, done, error_items
from workflow.models import FeedbackItem, ProjectRole, Section, State
from workflow.pages import get_application
from workflow.reviews import services as reviews_services
from workflow.reviews.policies import can_answer_feedback, may_answer_feedback
from workflow.reviews.preapproval import match_application
from workflow.reviews.selectors import feedback_rounds, open_feedback_items
from workflow.route import services as route_services
from workflow.route.content import submission_errors
from workflow.route.forms import (
    SECTION_FORMS,
    AddDatasetForm,
    DatasetRequestForm,
    FeedbackAnswerForm,
    NewApplicationForm,
    SafeguardsForm,
    TeamMemberForm,
)
from workflow.route.next_action import next_action
from workflow.route.policies import (
    EDITABLE_STATES,
    can_create,
    check_create,
    check_edit,
    may_submit,
)
from workflow.route.selectors import applications_of_member, open_invitations, with_stage_age
from workflow.route.views.common import (
    SAFEGUARDS,
    SECTION_BY_KEY,
    next_step,
    safeguard_problems,
    section_of,
    section_url,
    task_list,
)
from workflow.safes import services as safes_services
from workflow.safes.selectors import OwnAccreditations

LAY_SUMMARY_WORDS = 300
# A yes/no question's answer from a nullable boolean (None: not answered).
YES_NO_BY_VALUE: dict[bool | None, str] = {True: "yes", False: "no"}


def _overview(application) -> str:
    return reverse("workflow:application", args=[application.pk])


def _editable(request, pk: int):
    """The application, if the person may edit it now (403 if they may not, 409 banner if
    it is not the team's turn)."""
    application = get_application(request, pk)
    request.back_to = _overview(application)
    check_edit(request.user, application)
    return application


def _render(request, template, context, form=None, extra_errors=()):
    errors = error_items(form, extra=extra_errors) if form is not None else list(extra_errors)
    context = {"error_items": errors, **context}
    return render(request, template, context, status=400 if errors else 200)


# --- lists -------------------------------------------------------------------------------


@login_required
def my_applications(request):
    if not can_create(request.user):
        raise PermissionDenied("This list is for researchers.")
    # The person's accreditations are read once for the list, the requested datasets in one
    # prefetch: a row in scoping or review costs no query of its own (it had cost six).
    applications = (
        with_stage_age(applications_of_member(request.user))
        .prefetch_related("requested_datasets")
        .order_by("-updated_at", "-id")
    )
    own = OwnAccreditations(request.user)
    rows = [
        {
            "application": a,
            "next": next_step(request.user, a),
            "action": next_action(request.user, a, own=own),
        }
        for a in applications
    ]
    # What waits on this person comes first (a stable sort keeps the latest change first
    # within each group).
    rows.sort(key=lambda row: row["action"] is None)
    return render(
        request,
        "workflow/researcher/my_applications.html",
        {"title": "My applications", "rows": rows},
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_application(request):
    check_create(request.user)
    form = NewApplicationForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            application = route_services.application_create(by=request.user, data=form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Your application is started. Complete each section.")
            return done(request, _overview(application))
    return _render(
        request,
        "workflow/researcher/new.html",
        {"title": "Start an application", "form": form},
        form,
    )


# --- sections -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def section(request, pk: int, key: str):
    if key == Section.TEAM:
        return team(request, pk)
    if key == Section.DATA:
        return datasets(request, pk)
    if key == SAFEGUARDS:
        return safeguards(request, pk)
    form_class = SECTION_FORMS.get(key)
    if form_class is None:
        raise Http404("No such section")
    application = _editable(request, pk)
    initial = {name: getattr(application, name) for name in form_class.base_fields}
    form = form_class(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            route_services.application_update(
                application=application, by=request.user, data=form.cleaned_data
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, f"{SECTION_BY_KEY[key].label}: saved.")
            if not request.htmx:
                return done(request, _overview(application))
            # Saved in place: the page stays, with the confirmation.
            form = form_class(initial=form.cleaned_data)
    return _render(
        request,
        "workflow/researcher/section.html",
        {
            "title": SECTION_BY_KEY[key].label,
            "application": application,
            "section": SECTION_BY_KEY[key],
            "form": form,
            "feedback": _feedback_for(application, key),
            "maxwords": LAY_SUMMARY_WORDS,
        },
        form,
    )


def safeguards(request, pk: int):
    """Ethics approval, TRE-only access, intended outputs and the disclosure-control rules:
    what the Five Safes checks read and the application itself does not hold."""
    application = _editable(request, pk)
    current = safes_services.safeguards_of(application)
    minimum = settings.DISCLOSURE_MIN_CELL_COUNT
    acknowledged = (
        current.disclosure_rules_acknowledged_at is not None
        and current.disclosure_min_cell_count == minimum
    )
    initial = {
        "ethics_committee": current.ethics_committee,
        "ethics_reference": current.ethics_reference,
        "ethics_approved_on": current.ethics_approved_on,
        "intended_outputs": current.intended_outputs,
        "access_inside_tre_only": YES_NO_BY_VALUE.get(current.access_inside_tre_only),
        "acknowledge_disclosure_rules": acknowledged,
    }
    form = SafeguardsForm(
        request.POST if request.method == "POST" else None,
        initial=initial,
        min_cell_count=minimum,
    )
    if request.method == "POST" and form.is_valid():
        try:
            safes_services.safeguards_update(
                application=application, by=request.user, data=form.data_for_service()
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Safeguards: saved.")
            return done(request, _overview(application))
    return _render(
        request,
        "workflow/researcher/safeguards.html",
        {
            "title": "Safeguards",
            "application": application,
            "safeguards": current,
            "section": SECTION_BY_KEY[SAFEGUARDS],
            "form": form,
            "problems": safeguard_problems(application),
            "min_cell_count": minimum,
        },
        form,
    )


def _feedback_for(application, key: str) -> list[FeedbackItem]:
    return [i for i in open_feedback_items(application) if i.section == key]


def _members(application) -> list[dict]:
    return [
        {"user": m.user, "project_role": m.project_role}
        for m in application.members.select_related("user")
    ]


def team(request, pk: int):
    application = _editable(request, pk)
    form = TeamMemberForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        email = form.cleaned_data["email"]
        index = application.members.count()
        try:
            invitation = route_services.team_member_invite(
                application=application,
                email=email,
                project_role=form.cleaned_data["project_role"],
                by=request.user,
            )
        except ValidationFailed as exc:
            apply_domain_errors(
                form,
                exc,
                {f"members.{index}.user": "email", f"members.{index}.project_role": "project_role"},
            )
        else:
            if invitation is None:
                added = application.members.select_related("user").order_by("-id").first()
                messages.success(request, f"{added.user if added else email} is on the team.")
            else:
                messages.success(
                    request,
                    f"{email} has no account here yet: we sent them an invitation. They join "
                    "the team when they accept it.",
                )
            return done(request, section_url(application, Section.TEAM))
    return _render(
        request,
        "workflow/researcher/team.html",
        {
            "title": "Team",
            "application": application,
            "section": SECTION_BY_KEY[Section.TEAM],
            "members": application.members.select_related("user"),
            "invitations": open_invitations(application),
            "form": form,
            "feedback": _feedback_for(application, Section.TEAM),
            "pi": ProjectRole.PRINCIPAL_INVESTIGATOR,
        },
        form,
    )


@login_required
@require_POST
def invitation_withdraw(request, pk: int, invitation_id: int):
    """A team member takes back an invitation from the team page (any state: the page shows
    the button while the team can change)."""
    application = get_application(request, pk)
    request.back_to = _overview(application)
    invitation = get_object_or_404(application.invitations.all(), pk=invitation_id)
    route_services.invitation_withdraw(invitation=invitation, by=request.user)
    messages.success(
        request, f"The invitation to {invitation.email} is withdrawn: its link no longer works."
    )
    return done(request, section_url(application, Section.TEAM))


@login_required
@require_POST
def member_remove(request, pk: int, user_id: int):
    application = _editable(request, pk)
    members = [m for m in _members(application) if m["user"].pk != user_id]
    route_services.application_update(
        application=application, by=request.user, data={"members": members}
    )
    messages.success(request, "Removed from the team.")
    return done(request, section_url(application, Section.TEAM))


def _requested(application) -> list[dict]:
    """The datasets as ``application_update`` takes them, in the application's order."""
    return [
        {
            "dataset": rd.dataset,
            "legal_gateway": rd.legal_gateway,
            "justification": rd.justification,
            "variables": [
                {"variable": rv.variable.name, "justification": rv.justification}
                for rv in rd.variables.all()
            ],
        }
        for rd in application.requested_datasets.select_related("dataset").prefetch_related(
            "variables__variable"
        )
    ]


def datasets(request, pk: int):
    application = _editable(request, pk)
    matches = {m.dataset: m for m in match_application(application)}
    return _render(
        request,
        "workflow/researcher/datasets.html",
        {
            "title": "Datasets and variables",
            "application": application,
            "section": SECTION_BY_KEY[Section.DATA],
            "requested": [
                {"rd": rd, "match": matches.get(rd.dataset.slug)}
                for rd in application.requested_datasets.select_related(
                    "dataset__provider"
                ).prefetch_related("variables__variable")
            ],
            "feedback": _feedback_for(application, Section.DATA),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_add(request, pk: int):
    application = _editable(request, pk)
    form = AddDatasetForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        current = _requested(application)
        index = len(current)
        entry = {**form.cleaned_data, "variables": []}
        try:
            route_services.application_update(
                application=application, by=request.user, data={"datasets": [*current, entry]}
            )
        except ValidationFailed as exc:
            prefix = f"datasets.{index}"
            apply_domain_errors(
                form,
                exc,
                {
                    f"{prefix}.{name}": name
                    for name in ("dataset", "legal_gateway", "justification")
                },
            )
        else:
            messages.success(request, "Added. Now choose the variables you need.")
            return done(
                request,
                reverse(
                    "workflow:dataset-edit",
                    args=[application.pk, form.cleaned_data["dataset"].slug],
                ),
            )
    return _render(
        request,
        "workflow/researcher/dataset_add.html",
        {"title": "Add a dataset", "application": application, "form": form},
        form,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dataset_edit(request, pk: int, slug: str):
    application = _editable(request, pk)
    current = _requested(application)
    index = next((i for i, d in enumerate(current) if d["dataset"].slug == slug), None)
    if index is None:
        raise Http404("This dataset is not requested")
    dataset = get_object_or_404(Dataset.objects.select_related("provider"), slug=slug)
    entry = current[index]
    initial = {
        "legal_gateway": entry["legal_gateway"],
        "justification": entry["justification"],
        "variables": [v["variable"] for v in entry["variables"]],
        **{f"why_{v['variable']}": v["justification"] for v in entry["variables"]},
    }
    form = DatasetRequestForm(
        request.POST if request.method == "POST" else None, dataset=dataset, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        new_entry = form.entry()
        current[index] = new_entry
        prefix = f"datasets.{index}"
        field_map = {
            f"{prefix}.legal_gateway": "legal_gateway",
            f"{prefix}.justification": "justification",
            f"{prefix}.variables": "variables",
        }
        for v_index, v in enumerate(new_entry["variables"]):
            field_map[f"{prefix}.variables.{v_index}.variable"] = "variables"
            field_map[f"{prefix}.variables.{v_index}.justification"] = f"why_{v['variable']}"
        try:
            route_services.application_update(
                application=application, by=request.user, data={"datasets": current}
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, field_map)
        else:
            messages.success(request, f"{dataset.title}: saved.")
            return done(request, section_url(application, Section.DATA))
    return _render(
        request,
        "workflow/researcher/dataset_edit.html",
        {"title": dataset.title, "application": application, "dataset": dataset, "form": form},
        form,
    )


@login_required
@require_POST
def dataset_remove(request, pk: int, slug: str):
    application = _editable(request, pk)
    remaining = [d for d in _requested(application) if d["dataset"].slug != slug]
    route_services.application_update(
        application=application, by=request.user, data={"datasets": remaining}
    )
    messages.success(request, "The dataset is removed from the request.")
    return done(request, section_url(application, Section.DATA))


# --- check and submit -------------------------------------------------------------------


def _error_links(application, errors: dict[str, list[str]]) -> list[ErrorItem]:
    """Each reason the application cannot be submitted, linking to where it is fixed."""
    # The same datasets in the same order as ``submission_errors`` numbers them.
    requested = list(
        application.requested_datasets.select_related("dataset").prefetch_related(
            "variables__variable"
        )
    )
    slugs = [rd.dataset.slug for rd in requested]
    items: list[ErrorItem] = []
    for path, messages_ in errors.items():
        parts = path.split(".")
        if parts[0] == SAFEGUARDS:
            href = section_url(application, SAFEGUARDS)
        elif parts[0] == "items":
            href = reverse("workflow:feedback", args=[application.pk])
        elif path == "datasets":
            href = reverse("workflow:dataset-add", args=[application.pk]) + "#id_dataset"
        elif parts[0] == "datasets" and len(parts) > 2 and parts[1].isdigit():
            slug = slugs[int(parts[1])] if int(parts[1]) < len(slugs) else ""
            field = parts[-1] if parts[-1] != "variable" else "variables"
            if len(parts) == 5 and parts[-1] == "justification":
                # The reason box of that very variable, on the dataset's page.
                variables = list(requested[int(parts[1])].variables.all())
                index = int(parts[3])
                field = f"why_{variables[index].variable.name}" if index < len(variables) else ""
                field = field or "variables"
            href = reverse("workflow:dataset-edit", args=[application.pk, slug]) + f"#id_{field}"
        elif section := section_of(path):
            href = section_url(application, section) + f"#id_{parts[0]}"
        else:
            href = ""
        items.extend(ErrorItem(message, href) for message in messages_)
    return items


@login_required
@require_http_methods(["GET", "POST"])
def submit(request, pk: int):
    """Check your answers, then submit (or resubmit after changes were requested)."""
    application = get_application(request, pk)
    request.back_to = _overview(application)
    if not may_submit(request.user, application):
        raise NotAllowed("Only members of the application can submit it.")
    resubmitting = application.state == State.CHANGES_REQUESTED
    errors: list[ErrorItem] = []
    if request.method == "POST":
        call = (
            route_services.application_resubmit
            if resubmitting
            else route_services.application_submit
        )
        try:
            call(application=application, by=request.user)
        except ValidationFailed as exc:
            errors = _error_links(application, exc.fields) or [ErrorItem(exc.detail)]
        else:
            messages.success(
                request,
                "Resubmitted: it is back with the stage that asked for changes."
                if resubmitting
                else "Submitted. An analyst will scope the project with you.",
            )
            return done(request, _overview(application))
    open_items = open_feedback_items(application)
    return _render(
        request,
        "workflow/researcher/submit.html",
        {
            "title": "Check your answers before resubmitting"
            if resubmitting
            else "Check your answers before submitting",
            "application": application,
            "resubmitting": resubmitting,
            "tasks": task_list(application, submission_errors(application), open_items),
            "members": application.members.select_related("user"),
            "requested": application.requested_datasets.select_related(
                "dataset__provider"
            ).prefetch_related("variables__variable"),
            "editable": application.state in EDITABLE_STATES,
            "safeguards": safes_services.safeguards_of(application),
        },
        extra_errors=errors,
    )


# --- feedback ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def feedback(request, pk: int):
    """Every round's points; while the team may answer, one form holds an answer box for each
    open point, so saving keeps everything typed in all of them (with or without JavaScript)."""
    return _feedback_page(request, pk, posted=request.method == "POST")


def _feedback_page(request, pk: int, *, posted: bool = False, bound_form=None):
    application = get_application(request, pk, whole=True)
    request.back_to = reverse("workflow:feedback", args=[pk])
    answering = can_answer_feedback(request.user, application)
    items = list(open_feedback_items(application)) if answering else []
    if posted and not answering:
        if not may_answer_feedback(request.user, application):
            raise NotAllowed("Only members of the application can answer its feedback.")
        raise InvalidTransition(
            "Feedback can be answered only while changes are requested.",
            current_state=application.state,
        )
    forms_by_item = {}
    for item in items:
        if bound_form is not None and bound_form.item_id == item.pk:
            forms_by_item[item.pk] = bound_form
        elif posted:
            forms_by_item[item.pk] = FeedbackAnswerForm(request.POST, item=item)
        else:
            forms_by_item[item.pk] = FeedbackAnswerForm(
                item=item, initial={"response": item.response}
            )
    for number, item in enumerate(items, start=1):
        forms_by_item[item.pk].fields["response"].label = f"Your answer to point {number}"
    if posted:
        typed = {
            item.pk: forms_by_item[item.pk].data.get(
                forms_by_item[item.pk].add_prefix("response"), ""
            )
            for item in items
        }
        if items and not any(text.strip() for text in typed.values()):
            bound_form = forms_by_item[items[0].pk]
            bound_form.is_valid()  # blank: "Write your answer to this point."
        else:
            saved = reviews_services.feedback_answers_save(
                application=application, by=request.user, responses=typed
            )
            count = len(saved)
            messages.success(
                request,
                f"{count} answer{'s' if count != 1 else ''} saved."
                if count
                else "Your answers were already saved.",
            )
            if not request.htmx:
                return done(request, reverse("workflow:feedback", args=[pk]))
    rounds = feedback_rounds(application)
    return _render(
        request,
        "workflow/researcher/feedback.html",
        {
            "title": f"Feedback: {application.title}",
            "application": application,
            "rounds": rounds,
            "forms_by_item": forms_by_item,
            "answering": answering,
            "unanswered": sum(1 for i in open_feedback_items(application) if not i.response),
            "section_links": _feedback_section_links(application),
        },
        bound_form,
    )


def _feedback_section_links(application) -> dict[str, str]:
    """Where each point's section is changed (scoping and general points have no page)."""
    return {key: section_url(application, key) for key in SECTION_BY_KEY}


@login_required
@require_POST
def answer(request, pk: int, item_id: int):
    application = get_application(request, pk)
    request.back_to = reverse("workflow:feedback", args=[pk])
    item = get_object_or_404(
        FeedbackItem.objects.select_related("request"), pk=item_id, request__application=application
    )
    form = FeedbackAnswerForm(request.POST, item=item)
    if form.is_valid():
        try:
            reviews_services.feedback_item_respond(
                item=item, by=request.user, response=form.cleaned_data["response"]
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Your answer is saved.")
            if request.htmx:
                return _feedback_page(request, pk)
            return done(request, reverse("workflow:feedback", args=[pk]) + f"#item-{item.pk}")
    return _feedback_page(request, pk, bound_form=form)


@login_required
@require_POST
def ethics_letter(request, pk: int):
    """Attach the ethics approval letter from a page (the form is the partial
    workflow/_ethics_letter.html). Refusals come back as a banner on the page it came from."""
    application = get_application(request, pk)
    request.back_to = _overview(application)
    safes_services.safeguards_ethics_letter_attach(
        application=application, by=request.user, upload=request.FILES.get("file")
    )
    messages.success(request, "Ethics approval letter attached.")
    return done(request, back_url(request))


def invitation(request, token: str):
    """An invitation onto a team, from the link in its email: who invited you to what; accept
    it signed in with the address it was sent to. A link used, expired, or for another address
    is a page that says so, and nothing changes."""
    from access.identity.tokens import LinkProblem
    from access.identity.views import LINK_PROBLEMS, registration_open

    def problem(reason: str, status: int):
        return render(
            request,
            "access/identity/link_problem.html",
            {"title": "This invitation link does not work", "problem": LINK_PROBLEMS[reason]},
            status=status,
        )

    try:
        invited = route_services.invitation_from_link(token)
    except LinkProblem as exc:
        return problem(exc.reason, 410 if exc.reason in ("expired", "used") else 400)
    errors: list[ErrorItem] = []
    if request.method == "POST" and request.user.is_authenticated:
        try:
            application = route_services.invitation_accept(token=token, by=request.user)
        except LinkProblem as exc:
            return problem(exc.reason, 403 if exc.reason == "other_email" else 410)
        except ValidationFailed as exc:
            errors = [ErrorItem(m) for messages_ in exc.fields.values() for m in messages_]
        else:
            messages.success(request, f"You are on the team of {application.reference}.")
            return done(request, reverse("workflow:application", args=[application.pk]))
    return render(
        request,
        "workflow/researcher/invitation.html",
        {
            "title": "You are invited to join a research project",
            "invitation": invited,
            "other_email": request.user.is_authenticated
            and request.user.email.lower() != invited.email.lower(),
            "registration_open": registration_open(),
            "error_items": errors,
        },
        status=400 if errors else 200,
    )
