"""The lifecycle pages: a project's progress reports (the team answers, ops or the IGRP accept
or ask for more), ops' queue of reports and their settings, and the close-out (the PI completes
it, the lead organisation's signatory countersigns). Each page loads what the person may see
(404 otherwise) and calls one service per form."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import NotAllowed, ValidationFailed
from core.web import apply_domain_errors, done, error_items, paginate
from workflow.lifecycle import services
from workflow.lifecycle.forms import (
    AcceptForm,
    ClosureForm,
    ReportForm,
    RequestMoreForm,
    SendBackForm,
    SettingsForm,
)
from workflow.lifecycle.policies import (
    check_see_settings,
    closure_actions,
    is_ops,
    is_pi,
    is_report_acceptor,
    report_actions,
    reports_visible_to,
    visible_closure,
    visible_report,
)
from workflow.lifecycle.selectors import LIVE, OWED, renewal_path, reports_of
from workflow.models import Closure, LifecycleSettings, ProgressReport, ReportState
from workflow.pages import get_application


def _report_page(report: ProgressReport) -> str:
    return reverse("workflow:progress-report", args=[report.pk])


def _closure_page(closure: Closure) -> str:
    return reverse("workflow:closure", args=[closure.pk])


@login_required
def project_reports(request: HttpRequest, pk: int) -> HttpResponse:
    """A project's reports, its close-out and its renewal link, for the team and staff."""
    application = get_application(request, pk)
    user: Any = request.user
    closure = Closure.objects.filter(application=application).first()
    can_close = (
        application.state in LIVE and closure is None and (is_pi(user, application) or is_ops(user))
    )
    return render(
        request,
        "workflow/lifecycle/project.html",
        {
            "title": f"Progress reports and closure of {application.reference}",
            "application": application,
            "reports": reports_of(application),
            "closure": closure,
            "can_close": can_close,
            "renewal_url": renewal_path(application) if application.state in LIVE else "",
            "settings": LifecycleSettings.current(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def progress_report(request: HttpRequest, pk: int) -> HttpResponse:
    """One report: what was answered each round, the points asked, and the one form the
    person may use now."""
    report = visible_report(request.user, pk)
    user: Any = request.user
    action = request.POST.get("action", "") if request.method == "POST" else ""
    data = request.POST if request.method == "POST" else None
    previous = report.rounds.filter(number=report.round).first()
    points = previous.points if previous and report.state == ReportState.MORE_REQUESTED else []
    initial = {
        "outputs": report.outputs,
        "team_changes": report.team_changes,
        "incidents": report.incidents,
        "data_still_needed": (
            "" if report.data_still_needed is None else "yes" if report.data_still_needed else "no"
        ),
    }
    report_form = ReportForm(
        data if action in ("submit", "resubmit") else None, initial=initial, points=points
    )
    more_form = RequestMoreForm(data if action == "request_more" else None)
    accept_form = AcceptForm(data if action == "accept" else None)
    target = {"request_more": more_form, "accept": accept_form}.get(action, report_form)
    try:
        if action in ("submit", "resubmit") and report_form.is_valid():
            service = services.report_submit if action == "submit" else services.report_resubmit
            service(report=report, by=user, data=report_form.data_for_service())
            messages.success(request, "Report submitted: you will hear when it is accepted.")
            return done(request, _report_page(report))
        if action == "request_more" and more_form.is_valid():
            services.report_request_more(report=report, by=user, points=more_form.point_list())
            messages.success(request, "The team is asked for more, every point at once.")
            return done(request, _report_page(report))
        if action == "accept" and accept_form.is_valid():
            services.report_accept(report=report, by=user, note=accept_form.cleaned_data["note"])
            messages.success(request, "Report accepted.")
            return done(request, _report_page(report))
    except ValidationFailed as exc:
        apply_domain_errors(target, exc)
    report = ProgressReport.objects.select_related("application").get(pk=report.pk)
    bound = [f for f in (report_form, more_form, accept_form) if f.is_bound]
    return render(
        request,
        "workflow/lifecycle/report.html",
        {
            "title": f"Progress report {report.number} of {report.application.reference}",
            "report": report,
            "rounds": report.rounds.select_related("submitted_by", "decided_by"),
            "actions": report_actions(user, report),
            "report_form": report_form,
            "more_form": more_form,
            "accept_form": accept_form,
            "overdue": report.state in OWED and report.due_on < timezone.localdate(),
            "error_items": error_items(*bound),
        },
        status=400 if any(f.errors for f in bound) else 200,
    )


@login_required
def report_queue(request: HttpRequest) -> HttpResponse:
    """Ops' (or the IGRP's) reports: awaiting a decision first, then those owed, soonest due."""
    user: Any = request.user
    if not (is_ops(user) or is_report_acceptor(user)):
        raise NotAllowed("The progress report queue is for ops (or the IGRP, by setting).")
    rows = (
        reports_visible_to(user)
        .exclude(state=ReportState.ACCEPTED)
        .filter(application__state__in=LIVE)
    )
    waiting = list(rows.filter(state=ReportState.SUBMITTED).order_by("submitted_at", "id")[:200])
    owed = paginate(request, rows.filter(state__in=OWED).order_by("due_on", "id"))
    return render(
        request,
        "workflow/lifecycle/queue.html",
        {
            "title": "Progress reports",
            "waiting": waiting,
            "owed": owed,
            "today": timezone.localdate(),
        },
    )


@login_required
@require_POST
def start_closure(request: HttpRequest, pk: int) -> HttpResponse:
    application = get_application(request, pk)
    closure = services.closure_start(application=application, by=request.user)  # type: ignore[arg-type]
    messages.success(request, "Close-out started: complete the form and submit it.")
    return done(request, _closure_page(closure))


@login_required
@require_http_methods(["GET", "POST"])
def closure_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The close-out: the PI's form, the signatory's countersignature."""
    closure = visible_closure(request.user, pk)
    user: Any = request.user
    action = request.POST.get("action", "") if request.method == "POST" else ""
    data = request.POST if request.method == "POST" else None
    initial = {
        "outputs": closure.outputs,
        "destruction_details": closure.destruction_details,
        "destroyed_on": closure.destroyed_on,
        "destruction_attested": closure.destruction_attested,
    }
    form = ClosureForm(data if action in ("save", "submit") else None, initial=initial)
    back_form = SendBackForm(data if action == "send_back" else None)
    try:
        if action in ("save", "submit") and form.is_valid():
            fields = dict(form.cleaned_data)
            if action == "save":
                services.closure_save(closure=closure, by=user, data=fields)
                messages.success(request, "Saved. Submit it when it is complete.")
            else:
                services.closure_submit(closure=closure, by=user, data=fields)
                messages.success(request, "Submitted: the signatory is asked to countersign.")
            return done(request, _closure_page(closure))
        if action == "send_back" and back_form.is_valid():
            services.closure_send_back(
                closure=closure, by=user, reason=back_form.cleaned_data["reason"]
            )
            messages.success(request, "Sent back to the principal investigator.")
            return done(request, _closure_page(closure))
        if action == "countersign":
            services.closure_countersign(closure=closure, by=user)
            messages.success(request, "Countersigned: the project is closed and its access ended.")
            return done(request, _closure_page(closure))
    except ValidationFailed as exc:
        apply_domain_errors(back_form if action == "send_back" else form, exc)
    closure = Closure.objects.select_related("application", "countersigned_by").get(pk=closure.pk)
    bound = [f for f in (form, back_form) if f.is_bound]
    actions = closure_actions(user, closure)
    return render(
        request,
        "workflow/lifecycle/closure.html",
        {
            "title": f"Close-out of {closure.application.reference}",
            "closure": closure,
            "actions": actions,
            "form": form,
            "back_form": back_form,
            "error_items": error_items(*bound),
        },
        status=400 if any(f.errors for f in bound) else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def settings_page(request: HttpRequest) -> HttpResponse:
    """Ops read and change the schedule of reports and renewals."""
    user: Any = request.user
    check_see_settings(user)
    current = LifecycleSettings.current()
    form = SettingsForm(
        request.POST if request.method == "POST" else None,
        initial={
            name: getattr(current, name)
            for name in (
                "report_period_months",
                "grace_days",
                "report_reminder_days",
                "escalate_after_days",
                "renewal_reminder_days",
                "accepted_by",
            )
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.lifecycle_settings_update(by=user, data=form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        else:
            messages.success(request, "Settings saved: the next sweep uses them.")
            return done(request, reverse("workflow:lifecycle-settings"))
    return render(
        request,
        "workflow/lifecycle/settings.html",
        {
            "title": "Progress report and renewal settings",
            "form": form,
            "current": current,
            "error_items": error_items(form),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


__all__ = [
    "closure_page",
    "progress_report",
    "project_reports",
    "report_queue",
    "settings_page",
    "start_closure",
]
