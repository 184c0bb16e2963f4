"""The output-checking pages: the team's requests (start one, add files, attach ACRO's results,
submit, answer the checkers and resubmit, download what is released) and the checkers' queue,
blind review and consolidation. Each page loads the request the person may see (404
otherwise) and calls one service per form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from core.errors import ValidationFailed
from core.evidence import evidence_response
from core.web import apply_domain_errors, done, error_items, paginate
from workflow.models import (
    Application,
    Decision,
    FileKind,
    OutputFile,
    OutputRequest,
    OutputRequestState,
    State,
)
from workflow.output_checks import services
from workflow.output_checks.forms import AcroForm, AnswerForm, FileForm, RequestForm, VerdictForm
from workflow.output_checks.overview import request_view
from workflow.output_checks.policies import (
    can_download,
    is_checker,
    requests_visible_to,
    visible_request,
)
from workflow.pages import get_application


def _page(request: HttpRequest, output_request: OutputRequest) -> str:
    return reverse("workflow:output-request", args=[output_request.pk])


# The checkers' queue shows its oldest this many, and how many wait in all.
WAITING_SHOWN = 25


@login_required
def output_requests(request: HttpRequest) -> HttpResponse:
    """The team's requests and, for checkers, the queue (never their own project's). Both a
    page at a time, whatever the number of requests: the queue's oldest first with its total,
    every request the person may see newest first with GOV.UK pagination (the list had been
    the newest 200, with a query per row to leave out the checker's own projects)."""
    user: Any = request.user
    visible = requests_visible_to(user)
    projects = Application.objects.filter(members__user=user, state=State.ACTIVE).distinct()
    checker = is_checker(user)
    waiting: list[OutputRequest] = []
    waiting_count = 0
    if checker:
        queue = (
            visible.filter(
                state__in=(OutputRequestState.SUBMITTED, OutputRequestState.CONSOLIDATING)
            )
            .exclude(application__members__user=user)
            .order_by("submitted_at", "id")
        )
        waiting = list(queue[:WAITING_SHOWN])
        waiting_count = len(waiting) if len(waiting) < WAITING_SHOWN else queue.count()
    return render(
        request,
        "workflow/output_checks/list.html",
        {
            "title": "Output checks",
            "listing": paginate(request, visible.order_by("-created_at", "-id")),
            "waiting": waiting,
            "waiting_count": waiting_count,
            "projects": projects,
            "checker": checker,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def new_request(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_application(request, pk)
    user: Any = request.user
    form = RequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            created = services.output_request_create(
                application=application, by=user, **form.cleaned_data
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Request started: add its files, then submit it.")
            return done(request, _page(request, created))
    return render(
        request,
        "workflow/output_checks/new.html",
        {
            "title": "Ask for outputs to be released",
            "application": application,
            "form": form,
            "error_items": error_items(form),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _pending(output_request: OutputRequest) -> list[OutputFile]:
    return list(
        output_request.files.filter(current=True, kind=FileKind.OUTPUT, decision="").order_by("id")
    )


def _asked(output_request: OutputRequest) -> list[OutputFile]:
    return list(output_request.files.filter(current=True, decision=Decision.CHANGES).order_by("id"))


@login_required
@require_http_methods(["GET", "POST"])
def output_request(request: HttpRequest, pk: int) -> HttpResponse:
    """One request: its files, checks, ACRO statuses and rounds, and the one form the person
    may use now."""
    found = visible_request(request.user, pk)
    user: Any = request.user
    action = request.POST.get("action", "") if request.method == "POST" else ""
    data = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    file_form = FileForm(
        data if action == "add_file" else None, files if action == "add_file" else None
    )
    acro_form = AcroForm(
        data if action == "attach_acro" else None, files if action == "attach_acro" else None
    )
    review_form = VerdictForm(data if action == "review" else None, files=_pending(found))
    consolidate_form = VerdictForm(
        data if action == "consolidate" else None,
        files=_pending(found),
        prefix_label="Decision on ",
    )
    answer_form = AnswerForm(
        data if action == "resubmit" else None,
        files if action == "resubmit" else None,
        files=_asked(found),
    )
    try:
        if action == "add_file" and file_form.is_valid():
            services.output_file_add(
                output_request=found,
                by=user,
                upload=file_form.cleaned_data["file"],
                description=file_form.cleaned_data["description"],
                disclosure_notes=file_form.cleaned_data["disclosure_notes"],
                kind=file_form.cleaned_data["kind"],
            )
            messages.success(request, "File added, with its automatic checks.")
            return done(request, _page(request, found))
        if action == "attach_acro" and acro_form.is_valid():
            services.output_request_acro_attach(
                output_request=found, by=user, upload=acro_form.cleaned_data["acro"]
            )
            messages.success(request, "ACRO's results are attached.")
            return done(request, _page(request, found))
        if action == "submit":
            services.output_request_submit(output_request=found, by=user)
            messages.success(request, "Submitted: two output checkers will review it.")
            return done(request, _page(request, found))
        if action == "review" and review_form.is_valid():
            services.output_review_submit(
                output_request=found, by=user, verdicts=review_form.items()
            )
            messages.success(request, "Your review is submitted.")
            return done(request, _page(request, found))
        if action == "consolidate" and consolidate_form.is_valid():
            services.output_request_consolidate(
                output_request=found, by=user, decisions=consolidate_form.items()
            )
            messages.success(request, "The consolidated decision is recorded.")
            return done(request, _page(request, found))
        if action == "resubmit" and answer_form.is_valid():
            for output_file in answer_form.asked:
                replacement = answer_form.cleaned_data.get(f"replacement_{output_file.pk}")
                if replacement:
                    services.output_file_replace(
                        output_request=found, by=user, output_file=output_file, upload=replacement
                    )
            services.output_request_resubmit(
                output_request=found,
                by=user,
                answers={
                    f.pk: answer_form.cleaned_data[f"answer_{f.pk}"] for f in answer_form.asked
                },
            )
            messages.success(request, "Resubmitted: a new round of checks has started.")
            return done(request, _page(request, found))
    except ValidationFailed as exc:
        target = {
            "add_file": file_form,
            "attach_acro": acro_form,
            "review": review_form,
            "consolidate": consolidate_form,
            "resubmit": answer_form,
        }.get(action, file_form)
        if action == "attach_acro":
            apply_domain_errors(target, exc, {"file": "acro"})
        elif action in ("review", "consolidate", "resubmit", "submit"):
            target.add_error(
                None, " ".join(m for ms in exc.fields.values() for m in ms) or exc.detail
            )
        else:
            apply_domain_errors(target, exc)
    found = OutputRequest.objects.select_related("application").get(pk=found.pk)
    view = request_view(user, found)
    bound = [
        f for f in (file_form, acro_form, review_form, consolidate_form, answer_form) if f.is_bound
    ]
    return render(
        request,
        "workflow/output_checks/detail.html",
        {
            "title": found.title,
            "output_request": found,
            "view": view,
            "file_form": file_form,
            "acro_form": acro_form,
            "review_form": review_form,
            "consolidate_form": consolidate_form,
            "answer_form": answer_form,
            "current_round": view["rounds"][-1] if view["rounds"] else None,
            "error_items": error_items(*bound),
        },
        status=400 if any(f.errors for f in bound) else 200,
    )


@login_required
def download(request: HttpRequest, pk: int, file_id: int) -> FileResponse:
    found = visible_request(request.user, pk)
    output_file = get_object_or_404(OutputFile, pk=file_id, request=found)
    if not can_download(request.user, output_file):
        raise Http404("No such released file.")
    return evidence_response(
        output_file.file, name=output_file.name, content_type=output_file.content_type
    )


__all__ = ["download", "new_request", "output_request", "output_requests"]
