"""Write logic of a project's life after access: progress reports (due, submitted, more asked,
accepted), the automatic suspension of a project whose report is overdue past the grace period
and its reinstatement on acceptance, and the close-out countersigned by the lead organisation.

Every service: lock the row inside a transaction (``@service``), check who may (403), what the
state allows (409), the input (400), change, append exactly one event to the report's or
close-out's chained history (and the application's own event when the project changes state),
and raise the notices (sent when the service ends, through the outbox).

Two ops accepting one report at once: each locks the report row first; the second to get the
lock finds it accepted and is refused (409), so the project is reinstated once.

``lifecycle_sweep`` is the daily (beat) work that changes state: it opens the reports falling
due, suspends projects whose report is overdue past the grace period and starts the close-out of
projects past their end date. Reminders are raised by the reminder sweep
(``workflow.lifecycle.reminders``).
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from access.models import User
from access.safe_people.services import (
    access_grants_end_for_application,
    access_grants_hold_for_application,
    access_grants_release_for_application,
)
from core import audit_chain
from core.errors import ValidationFailed
from core.transitions import chained_log, relock, take
from notifications.notices import raise_notice, service
from workflow.events import fire
from workflow.lifecycle.policies import (
    check_change_settings,
    check_countersign,
    check_decide_report,
    check_edit_closure,
    check_start_closure,
    check_write_report,
    is_igrp_member,
    is_ops,
)
from workflow.lifecycle.selectors import (
    OWED,
    blocking_report,
    ended_without_closure,
    live_projects_with_access_date,
    report_due_dates,
    reports_overdue_past_grace,
)
from workflow.models import (
    ActorRole,
    Application,
    Closure,
    ClosureEvent,
    ClosureState,
    LifecycleSettings,
    OutputKind,
    ProgressReport,
    ReportEvent,
    ReportRound,
    ReportState,
    State,
)
from workflow.reviews import services as reviews
from workflow.safes import services as five_safes
from workflow.transparency import services as transparency

R = ReportState
C = ClosureState
MAX_TEXT = 10000
URL = re.compile(r"https?://\S+")


# --- the chained histories ---------------------------------------------------------------------


def _append(
    model: Any,
    field: str,
    obj: Any,
    *,
    by: User | None,
    transition: str,
    from_state: str,
    reason: str = "",
) -> Any:
    previous = (
        model.objects.filter(**{field: obj}).order_by("-id").values_list("hash", flat=True).first()
    )
    event = model(
        actor=by,
        actor_name=(by.full_name or by.username) if by is not None else "System",
        transition=transition,
        from_state=from_state,
        to_state=obj.state,
        reason=reason[:4000],
        created_at=timezone.now(),
        **{field: obj},
    )
    event.prev_hash = previous or ""
    event.hash = audit_chain.digest(event.chain_content(), event.prev_hash)
    event.mac = audit_chain.seal(model.seal_label(), event.hash)
    event.save(force_insert=True)
    return event


def report_event(
    report: ProgressReport, *, by: User | None, transition: str, from_state: str, reason: str = ""
) -> ReportEvent:
    event: ReportEvent = _append(
        ReportEvent,
        "report",
        report,
        by=by,
        transition=transition,
        from_state=from_state,
        reason=reason,
    )
    return event


def closure_event(
    closure: Closure, *, by: User | None, transition: str, from_state: str, reason: str = ""
) -> ClosureEvent:
    event: ClosureEvent = _append(
        ClosureEvent,
        "closure",
        closure,
        by=by,
        transition=transition,
        from_state=from_state,
        reason=reason,
    )
    return event


_log_report = chained_log(report_event)
_log_closure = chained_log(closure_event)


def _report_context(report: ProgressReport, **extra: Any) -> dict[str, Any]:
    return {
        "reference": report.application.reference,
        "number": report.number,
        "due_on": report.due_on,
        **extra,
    }


def _closure_context(closure: Closure, **extra: Any) -> dict[str, Any]:
    return {"reference": closure.application.reference, **extra}


# --- settings ----------------------------------------------------------------------------------


DAYS_LIST = re.compile(r"^\s*\d{1,3}(\s*,\s*\d{1,3})*\s*$")


@service
def lifecycle_settings_update(*, by: User, data: Mapping[str, Any]) -> LifecycleSettings:
    """Ops change the schedule of reports and renewals (the next sweep uses it)."""
    check_change_settings(by)
    LifecycleSettings.objects.get_or_create(pk=1)
    current = LifecycleSettings.objects.select_for_update().get(pk=1)
    errors: dict[str, list[str]] = {}
    for name in ("report_period_months", "grace_days", "escalate_after_days"):
        if name in data:
            try:
                value = int(data[name])
            except (TypeError, ValueError):
                errors[name] = ["Enter a whole number."]
                continue
            low = 1 if name == "report_period_months" else 0
            if not low <= value <= 365:
                errors[name] = [f"Enter a number from {low} to 365."]
                continue
            setattr(current, name, value)
    for name in ("report_reminder_days", "renewal_reminder_days"):
        if name in data:
            text = str(data[name] or "")
            if not DAYS_LIST.match(text):
                errors[name] = ["Enter days as numbers separated by commas, like 30,14,1."]
                continue
            setattr(
                current,
                name,
                ",".join(str(d) for d in sorted({int(p) for p in text.split(",")}, reverse=True)),
            )
    if "accepted_by" in data:
        if data["accepted_by"] not in ("ops", "igrp"):
            errors["accepted_by"] = ["Choose ops or the IGRP."]
        else:
            current.accepted_by = data["accepted_by"]
    if errors:
        raise ValidationFailed("The settings were not changed.", fields=errors)
    current.updated_by = by
    current.save()
    return current


# --- progress reports: the team ----------------------------------------------------------------


def _answers(data: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    answers: dict[str, Any] = {}
    for name, missing in (
        ("outputs", "List the project's outputs and publications this year, or write “None”."),
        ("team_changes", "Say how the team changed, or write “No changes”."),
        ("incidents", "Describe any incident or breach, or write “None”."),
    ):
        text = str(data.get(name) or "").strip()
        if not text:
            errors[name] = [missing]
        elif len(text) > MAX_TEXT:
            errors[name] = [f"At most {MAX_TEXT} characters."]
        answers[name] = text
    needed = data.get("data_still_needed")
    if isinstance(needed, str):
        needed = {"true": True, "yes": True, "false": False, "no": False}.get(needed.lower())
    if not isinstance(needed, bool):
        errors["data_still_needed"] = ["Say whether the project still needs the data."]
    answers["data_still_needed"] = needed
    return answers, errors


def _record_answers(report: ProgressReport, by: User, answers: dict[str, Any]) -> None:
    report.outputs = answers["outputs"]
    report.team_changes = answers["team_changes"]
    report.incidents = answers["incidents"]
    report.data_still_needed = answers["data_still_needed"]
    report.submitted_by = by
    report.submitted_at = timezone.now()


@service
def report_submit(*, report: ProgressReport, by: User, data: Mapping[str, Any]) -> ProgressReport:
    """A member of the team submits the report due (outputs, team changes, incidents, whether
    the data are still needed); ops (or the IGRP) are told."""
    report = relock(ProgressReport, report.pk, "application")
    check_write_report(by, report, R.DUE)
    answers, errors = _answers(data)
    if not errors:
        _record_answers(report, by, answers)
        report.round += 1
    take(report, "submit", by=by, log=_log_report, errors=errors)
    ReportRound.objects.create(
        report=report,
        number=report.round,
        answers=answers,
        submitted_at=report.submitted_at or timezone.now(),
        submitted_by=by,
    )
    raise_notice("report.submitted", report, actor=by, **_report_context(report))
    return report


@service
def report_resubmit(*, report: ProgressReport, by: User, data: Mapping[str, Any]) -> ProgressReport:
    """The team answers every point of the consolidated request and submits again."""
    report = relock(ProgressReport, report.pk, "application")
    check_write_report(by, report, R.MORE_REQUESTED)
    answers, errors = _answers(data)
    previous = report.rounds.get(number=report.round)
    given = [str(a or "").strip() for a in (data.get("point_answers") or [])]
    if len(given) < len(previous.points) or not all(given[: len(previous.points)]):
        errors["point_answers"] = [
            f"Answer each of the {len(previous.points)} point"
            f"{'s' if len(previous.points) != 1 else ''} asked, in order."
        ]
    if not errors:
        _record_answers(report, by, answers)
        report.round += 1
    take(report, "resubmit", by=by, log=_log_report, errors=errors)
    answers["point_answers"] = given[: len(previous.points)]
    ReportRound.objects.create(
        report=report,
        number=report.round,
        answers=answers,
        submitted_at=report.submitted_at or timezone.now(),
        submitted_by=by,
    )
    raise_notice("report.resubmitted", report, actor=by, **_report_context(report))
    return report


# --- progress reports: ops (or the IGRP) ------------------------------------------------------


def _acceptor_role(by: User) -> str:
    if is_ops(by):
        return ActorRole.OPS
    return ActorRole.PANEL_MEMBER if is_igrp_member(by) else ActorRole.OPS


@service
def report_request_more(
    *, report: ProgressReport, by: User, points: Sequence[str]
) -> ProgressReport:
    """Ops (or the IGRP) ask for more: every point at once, in one round."""
    report = relock(ProgressReport, report.pk, "application")
    check_decide_report(by, report)
    cleaned = [str(p).strip()[:2000] for p in points if str(p or "").strip()]
    errors = {} if cleaned else {"points": ["Write at least one point the team must answer."]}
    take(
        report,
        "request_more",
        by=by,
        log=_log_report,
        errors=errors,
        reason=f"{len(cleaned)} point{'s' if len(cleaned) != 1 else ''}",
    )
    ReportRound.objects.filter(report=report, number=report.round).update(
        points=cleaned, decided_at=timezone.now(), decided_by=by
    )
    raise_notice("report.more_requested", report, actor=by, **_report_context(report))
    return report


@service
def report_accept(*, report: ProgressReport, by: User, note: str = "") -> ProgressReport:
    """Ops (or the IGRP) accept the report. When its lateness suspended the project, and no other
    overdue report holds it, the project is reinstated and its grants come back."""
    # The project first, then the report: the order the suspending sweep takes them in.
    application = Application.objects.locked(report.application_id)
    report = relock(ProgressReport, report.pk, "application")
    check_decide_report(by, report)
    now = timezone.now()
    report.accepted_at, report.accepted_by = now, by
    take(report, "accept", by=by, log=_log_report, reason=note.strip()[:2000])
    ReportRound.objects.filter(report=report, number=report.round).update(
        decided_at=now, decided_by=by
    )
    reinstated = False
    if report.suspended_project and blocking_report(application) is None:
        # Another report owed past the grace period keeps the project suspended: it now holds
        # the suspension, and accepting it reinstates.
        settings = LifecycleSettings.current()
        latest_due = timezone.localdate() - datetime.timedelta(days=settings.grace_days)
        still_owed = (
            ProgressReport.objects.filter(
                application=application, state__in=OWED, due_on__lt=latest_due
            )
            .order_by("number")
            .first()
        )
        if still_owed is not None:
            still_owed.suspended_project = True
            still_owed.save(update_fields=["suspended_project"])
    if report.suspended_project and blocking_report(application) is None:
        reason = f"Progress report {report.number} was accepted."
        fire(
            application,
            "reinstate",
            by=by,
            reason=reason,
            check_policy=False,
            role=_acceptor_role(by),
        )
        access_grants_release_for_application(application=application, by=by, reason=reason)
        transparency.register_record(application)
        reinstated = True
    raise_notice(
        "report.accepted", report, actor=by, **_report_context(report, reinstated=reinstated)
    )
    return report


# --- the sweep: reports falling due, suspension, projects past their end date ------------------


def reports_open_due(*, today: datetime.date | None = None) -> int:
    """Open every report due within the reminder horizon of ``today`` (idempotent)."""
    return _open_reports(today or timezone.localdate(), LifecycleSettings.current())


def _open_reports(today: datetime.date, settings: LifecycleSettings) -> int:
    horizon = today + datetime.timedelta(days=max(settings.report_days() or [0]))
    opened = 0
    # How many reports each live project has: one query, not one per project.
    have_count = dict(
        ProgressReport.objects.filter(application__state__in=(State.ACTIVE, State.SUSPENDED))
        .values("application_id")
        .annotate(n=Count("id"))
        .values_list("application_id", "n")
    )
    for application in live_projects_with_access_date().iterator(chunk_size=1000):
        granted_on = timezone.localtime(application.granted_at).date()  # type: ignore[attr-defined]
        due = list(report_due_dates(granted_on, settings.report_period_months, horizon))
        if len(due) <= have_count.get(application.pk, 0):
            continue  # every report due by the horizon is open already
        have = set(
            ProgressReport.objects.filter(application=application).values_list("number", flat=True)
        )
        for number, due_on in due:
            if number in have:
                continue
            with transaction.atomic():
                report, created = ProgressReport.objects.get_or_create(
                    application=application, number=number, defaults={"due_on": due_on}
                )
                if created:
                    report_event(
                        report,
                        by=None,
                        transition="open",
                        from_state="",
                        reason=f"due on {due_on.isoformat()}",
                    )
                    opened += 1
    return opened


@service
def report_suspend_project(
    *, report: ProgressReport, today: datetime.date, grace_days: int
) -> bool:
    """The system suspends the project of a report owed past the grace period (once: the
    application's lock orders two sweeps, and the second finds it suspended)."""
    application = Application.objects.locked(report.application_id)
    report = relock(ProgressReport, report.pk, "application")
    if application.state != State.ACTIVE or report.state not in (R.DUE, R.MORE_REQUESTED):
        return False
    reason = (
        f"Progress report {report.number} was due on {report.due_on:%-d %B %Y} and is more than "
        f"{grace_days} days overdue."
    )
    fire(application, "suspend", by=None, reason=reason, check_policy=False, role=ActorRole.SYSTEM)
    access_grants_hold_for_application(application=application, by=None, reason=reason)  # type: ignore[arg-type]
    transparency.register_record(application)
    report.suspended_project = True
    report.save(update_fields=["suspended_project"])
    report_event(
        report, by=None, transition="project_suspended", from_state=report.state, reason=reason
    )
    raise_notice(
        "report.project_suspended",
        report,
        actor=None,
        **_report_context(report, grace_days=grace_days),
    )
    return True


@service
def closure_open_for_ended(*, application: Application) -> Closure | None:
    """A project past its end date: its close-out starts and the PI is asked to complete it."""
    application = Application.objects.locked(application)
    if application.state not in (State.ACTIVE, State.SUSPENDED) or hasattr(application, "closure"):
        return None
    closure: Closure = Closure.objects.create(application=application, reason=Closure.Reason.ENDED)
    closure_event(
        closure,
        by=None,
        transition="start",
        from_state="",
        reason=f"The project ended on {application.end_date}.",
    )
    raise_notice("closure.started", closure, actor=None, **_closure_context(closure, ended=True))
    return closure


def lifecycle_sweep(*, today: datetime.date | None = None) -> dict[str, int]:
    """Beat, daily (and safe to run as often as you like): open the reports falling due within
    the reminder horizon, suspend projects whose report is owed past the grace period, start the
    close-out of projects past their end date."""
    today = today or timezone.localdate()
    settings = LifecycleSettings.current()
    opened = _open_reports(today, settings)
    suspended = sum(
        report_suspend_project(report=report, today=today, grace_days=settings.grace_days)
        for report in list(reports_overdue_past_grace(today, settings.grace_days))
    )
    closures = sum(
        closure_open_for_ended(application=application) is not None
        for application in list(ended_without_closure(today))
    )
    return {"reports_opened": opened, "suspended": suspended, "closures_started": closures}


# --- closure -----------------------------------------------------------------------------------


@service
def closure_start(*, application: Application, by: User) -> Closure:
    """The PI closes the project (ops may, on their behalf): a close-out form to complete."""
    application = Application.objects.locked(application)
    check_start_closure(by, application)
    ended = bool(application.end_date and application.end_date < timezone.localdate())
    closure: Closure = Closure.objects.create(
        application=application,
        reason=Closure.Reason.ENDED if ended else Closure.Reason.PI,
        started_by=by,
    )
    closure_event(closure, by=by, transition="start", from_state="")
    raise_notice("closure.started", closure, actor=by, **_closure_context(closure, ended=ended))
    return closure


def _closure_fields(
    closure: Closure, data: Mapping[str, Any], *, complete: bool
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if "outputs" in data:
        closure.outputs = str(data.get("outputs") or "").strip()[:MAX_TEXT]
    if "destruction_details" in data:
        closure.destruction_details = str(data.get("destruction_details") or "").strip()[:MAX_TEXT]
    if "destruction_attested" in data:
        attested = data.get("destruction_attested")
        closure.destruction_attested = attested in (True, "true", "on", "yes", "1")
    if "destroyed_on" in data:
        value = data.get("destroyed_on")
        if value in (None, ""):
            closure.destroyed_on = None
        elif isinstance(value, datetime.date):
            closure.destroyed_on = value
        else:
            try:
                closure.destroyed_on = datetime.date.fromisoformat(str(value))
            except ValueError:
                errors["destroyed_on"] = [
                    "Enter the date the copies were destroyed, like 2026-11-30."
                ]
    if closure.destroyed_on and closure.destroyed_on > timezone.localdate():
        errors["destroyed_on"] = ["The date the copies were destroyed must be today or earlier."]
    if complete:
        if not closure.outputs:
            errors["outputs"] = ["List the project's outputs, or write “None”."]
        if not closure.destruction_attested:
            errors["destruction_attested"] = [
                "Attest that every copy of the data outside the TRE has been destroyed."
            ]
        if not closure.destruction_details:
            errors["destruction_details"] = [
                "Say how the copies were destroyed, or that none were made."
            ]
        if closure.destroyed_on is None and "destroyed_on" not in errors:
            errors["destroyed_on"] = ["Enter the date the copies were destroyed."]
    return errors


@service
def closure_save(*, closure: Closure, by: User, data: Mapping[str, Any]) -> Closure:
    """The PI saves the close-out form without submitting it."""
    closure = relock(Closure, closure.pk, "application")
    check_edit_closure(by, closure)
    errors = _closure_fields(closure, data, complete=False)
    if errors:
        raise ValidationFailed("The close-out form was not saved.", fields=errors)
    closure.save()
    return closure


@service
def closure_submit(*, closure: Closure, by: User, data: Mapping[str, Any]) -> Closure:
    """The PI submits the close-out with the destruction attestation; the lead organisation's
    signatory is asked to countersign."""
    closure = relock(Closure, closure.pk, "application")
    check_edit_closure(by, closure)
    errors = _closure_fields(closure, data, complete=True)
    closure.submitted_at, closure.submitted_by = timezone.now(), by
    name = "submit" if closure.state == C.DRAFT else "resubmit"
    take(closure, name, by=by, log=_log_closure, errors=errors)
    raise_notice("closure.submitted", closure, actor=by, **_closure_context(closure))
    return closure


@service
def closure_send_back(*, closure: Closure, by: User, reason: str) -> Closure:
    """The signatory sends the close-out back to the PI, saying why."""
    closure = relock(Closure, closure.pk, "application")
    check_countersign(by, closure)
    reason = (reason or "").strip()
    errors = {} if reason else {"reason": ["Say what the principal investigator must change."]}
    closure.return_reason = reason[:4000]
    take(closure, "send_back", by=by, log=_log_closure, errors=errors, reason=reason)
    raise_notice("closure.returned", closure, actor=by, **_closure_context(closure, reason=reason))
    return closure


def _outputs_on_register(closure: Closure, by: User) -> None:
    """Every output line of the close-out with a link becomes an output on the register entry
    (lines without a link stay in the close-out record)."""
    application = closure.application
    known = set(application.outputs.values_list("url", flat=True))
    for line in closure.outputs.splitlines():
        found = URL.search(line)
        if not found:
            continue
        url = found.group(0).rstrip(").,;")
        if url in known:
            continue
        title = (line[: found.start()] + line[found.end() :]).strip(" -–—:|,") or url
        application.outputs.create(
            kind=OutputKind.REPORT if "report" in title.lower() else OutputKind.PUBLICATION,
            title=title[:300],
            url=url[:500],
            added_by=closure.submitted_by or by,
        )
        known.add(url)


@service
def closure_countersign(*, closure: Closure, by: User) -> Closure:
    """The lead organisation's signatory countersigns: the project closes, every grant ends,
    open review tracks and conditions close, and the register shows it closed with its
    outputs."""
    # The project first, then the close-out (the order every service here takes them in).
    application = Application.objects.locked(closure.application_id)
    closure = relock(Closure, closure.pk, "application")
    check_countersign(by, closure)
    closure.countersigned_at, closure.countersigned_by = timezone.now(), by
    take(closure, "countersign", by=by, log=_log_closure)
    reason = f"Close-out {closure.pk} countersigned: the data outside the TRE were destroyed."
    if application.state in (State.ACTIVE, State.SUSPENDED):
        fire(
            application, "close", by=by, reason=reason, check_policy=False, role=ActorRole.SIGNATORY
        )
        reviews.review_tracks_close(application=application, by=by, reason=reason)
        five_safes.conditions_close(application=application, by=by, reason=reason)
        access_grants_end_for_application(application=application, by=by, reason=reason)
    _outputs_on_register(closure, by)
    transparency.register_record(application)
    raise_notice("closure.countersigned", closure, actor=by, **_closure_context(closure))
    return closure
