"""The Five Safes on the route: safeguards the team declares, the checks at the gates, the
reviewer's verdicts, telling people what accreditation they need, and going live.

Called by the route at fixed points, each inside the transaction of the change:

* ``application_submit`` / ``application_resubmit`` → ``tell_members_what_they_need``;
* refer to panels → ``referral_gate`` (no failing safe-projects or safe-data check), then
  ``referred`` (the checks the panels received it with);
* grant access → ``access_gate`` (every check, verdict, condition and signature), then
  ``go_live`` (the checks that let it through, and the access grants);
* the combined outcome "approved" → ``after_approval`` (conditions, agreement requests).

Each gate runs the checks once and hands the results on to what it records.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from access.models import (
    SATISFIED_BY,
    START_KIND,
    AccessGrant,
    Accreditation,
    AccreditationKind,
    Requirement,
    User,
)
from access.safe_people.selectors import applications_in_progress, missing_requirements
from access.safe_people.services import access_grants_create
from core.errors import ValidationFailed
from core.evidence import display_name, sha256_of, stored_name, validate_evidence
from notifications.notices import raise_notice, service
from workflow.events import record_event
from workflow.models import (
    MAX_CONDITIONS,
    ActorRole,
    Application,
    ApplicationSafeguards,
    Condition,
    ConditionOrigin,
    ConditionState,
    EventKind,
    FiveSafesCheckResult,
    FiveSafesRun,
    Gate,
    ReviewTrack,
    Safe,
    SafeVerdict,
    Verdict,
)
from workflow.safes.checks import CheckResult, gate_errors, run_checks
from workflow.safes.policies import check_edit_safeguards, check_record_verdict
from workflow.safes.selectors import (
    access_start,
    agreement_access_errors,
    requirements_of,
)
from workflow.safes.services.agreement import request_signatures
from workflow.safes.services.conditions import (
    condition_terms_errors,
    conditions_access_errors,
    conditions_from_tracks,
)

SAFEGUARD_FIELDS = (
    "ethics_reference",
    "ethics_committee",
    "ethics_approved_on",
    "access_inside_tre_only",
    "intended_outputs",
)


def safeguards_of(application: Application) -> ApplicationSafeguards:
    return getattr(application, "safeguards", None) or ApplicationSafeguards(
        application=application
    )


@service
def safeguards_update(
    *, application: Application, by: User, data: dict[str, Any]
) -> ApplicationSafeguards:
    """The team records ethics approval, intended outputs, TRE-only access and acknowledges the
    disclosure-control rules (``acknowledge_disclosure_rules: true``), while it may edit."""
    application = Application.objects.locked(application)
    check_edit_safeguards(by, application, "the safeguards")
    approved_on = data.get("ethics_approved_on")
    if approved_on and approved_on > timezone.localdate():
        raise ValidationFailed(
            "The safeguards have problems.",
            fields={"ethics_approved_on": ["The approval date cannot be in the future."]},
        )
    safeguards, _ = ApplicationSafeguards.objects.get_or_create(application=application)
    for name in SAFEGUARD_FIELDS:
        if name in data:
            value = data[name]
            setattr(safeguards, name, value.strip() if isinstance(value, str) else value)
    if "acknowledge_disclosure_rules" in data:
        if data["acknowledge_disclosure_rules"]:
            safeguards.disclosure_rules_acknowledged_at = timezone.now()
            safeguards.disclosure_rules_acknowledged_by = by
            safeguards.disclosure_min_cell_count = settings.DISCLOSURE_MIN_CELL_COUNT
        else:
            safeguards.disclosure_rules_acknowledged_at = None
            safeguards.disclosure_rules_acknowledged_by = None
            safeguards.disclosure_min_cell_count = None
    safeguards.updated_by = by
    safeguards.save()
    record_event(
        application=application,
        kind=EventKind.SAFEGUARDS_UPDATED,
        by=by,
        role=ActorRole.MEMBER,
        payload={"fields": sorted(data)},
    )
    return safeguards


@service
def safeguards_ethics_letter_attach(
    *, application: Application, by: User, upload: UploadedFile[bytes] | None
) -> ApplicationSafeguards:
    """The team attaches (or replaces) the ethics approval letter while it may edit.

    Before: ``upload`` is whatever the client sent. After: a PDF, PNG or JPEG within the size
    limit is stored under a random name outside the web root, its SHA-256 is on the safeguards
    and in the event (so the audit chain vouches for the file), and the letter it replaces is
    deleted from storage once the change has committed.
    """
    application = Application.objects.locked(application)
    check_edit_safeguards(by, application, "the ethics approval letter")
    content_type = validate_evidence(upload, field="file")
    assert upload is not None  # noqa: S101 - validate_evidence refused None
    safeguards, _ = ApplicationSafeguards.objects.get_or_create(application=application)
    replaced = safeguards.ethics_letter.name
    checksum = sha256_of(upload)
    safeguards.ethics_letter.save(stored_name(content_type), upload, save=False)
    # Everything that can refuse has run; if the transaction still fails the stored file is an
    # orphan under a random name that nothing links to or serves (harmless, and rare).
    storage = safeguards.ethics_letter.storage
    safeguards.ethics_letter_name = display_name(upload)
    safeguards.ethics_letter_type = content_type
    safeguards.ethics_letter_sha256 = checksum
    safeguards.updated_by = by
    safeguards.save()
    if replaced:
        transaction.on_commit(lambda: storage.delete(replaced))
    record_event(
        application=application,
        kind=EventKind.SAFEGUARDS_UPDATED,
        by=by,
        role=ActorRole.MEMBER,
        payload={
            "fields": ["ethics_letter"],
            "file": {"name": safeguards.ethics_letter_name, "sha256": checksum},
        },
    )
    return safeguards


def five_safes_overview(
    application: Application, *, today: datetime.date | None = None
) -> dict[str, Any]:
    """Checks and verdicts side by side, per safe, with what each gate would say now."""
    results = run_checks(application, today=today)
    verdicts = {v.safe: v for v in application.safe_verdicts.select_related("decided_by")}
    conditions = list(
        application.conditions.filter(origin=ConditionOrigin.SAFE).exclude(
            state=ConditionState.WITHDRAWN
        )
    )
    safes = []
    for safe in Safe:
        safes.append(
            {
                "safe": safe.value,
                "label": safe.label,
                "checks": [r for r in results if r.safe == safe],
                "verdict": verdicts.get(safe.value),
                "conditions": [c for c in conditions if c.safe == safe.value],
            }
        )
    last = application.five_safes_runs.order_by("-run_at", "-id").first()
    return {
        "application": application,
        "checked_on": today or timezone.localdate(),
        "safes": safes,
        "gates": {
            gate: {"open": not errors, "blocking": sorted(errors)}
            for gate, errors in (
                (Gate.REFER_TO_PANELS, gate_errors(results, Gate.REFER_TO_PANELS)),
                (Gate.GRANT_ACCESS, gate_errors(results, Gate.GRANT_ACCESS)),
            )
        },
        "last_run": last,
    }


def record_run(
    application: Application, *, gate: str, by: User | None, results: list[CheckResult]
) -> FiveSafesRun:
    """Keep the checks as they stood when a gate was passed (for the view and the audit)."""
    run = FiveSafesRun.objects.create(
        application=application,
        gate=gate,
        version=application.current_version or None,
        run_at=timezone.now(),
        run_by=by,
    )
    FiveSafesCheckResult.objects.bulk_create(
        FiveSafesCheckResult(run=run, code=r.code, safe=r.safe, result=r.result, message=r.message)
        for r in results
    )
    record_event(
        application=application,
        kind=EventKind.FIVE_SAFES_CHECKED,
        by=by,
        role=ActorRole.SYSTEM,
        payload={"run": run.pk, "gate": gate, "results": {r.code: r.result for r in results}},
    )
    return run


def referral_gate(application: Application) -> tuple[dict[str, list[str]], list[CheckResult]]:
    """What stops the referral (a failing safe-projects or safe-data check), and the checks'
    results, run once."""
    results = run_checks(application)
    return gate_errors(results, Gate.REFER_TO_PANELS), results


def access_gate(application: Application) -> tuple[dict[str, list[str]], list[CheckResult]]:
    """What stops access (any check not passing, a safe judged not met, a before-access
    condition not verified, the agreement not signed by every member and the signatory), and
    the checks' results, run once."""
    # Lock the members' awards first, so an officer revoking one while access is granted either
    # commits before the checks read it (and access is refused) or waits and then sees the new
    # grants (and suspends the member's). Called inside the grant_access transaction.
    list(
        Accreditation.objects.select_for_update(of=("self",))
        .filter(person__in=application.members.values("user"))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    results = run_checks(application)
    errors = gate_errors(results, Gate.GRANT_ACCESS)
    for verdict in application.safe_verdicts.filter(verdict=Verdict.NOT_MET):
        errors[f"five_safes.verdicts.{verdict.safe}"] = [
            f"{verdict.get_safe_display()} was judged not met: {verdict.rationale}"
        ]
    errors.update(conditions_access_errors(application))
    errors.update(agreement_access_errors(application))
    return errors, results


@service
def safe_verdict_record(
    *,
    application: Application,
    by: User,
    safe: str,
    verdict: str,
    rationale: str,
    conditions: Sequence[dict[str, Any]] = (),
) -> SafeVerdict:
    """A reviewer's verdict on one safe, replacing any earlier one. "Met with conditions" sets
    conditions (obligations with this safe as their source); the open conditions of the verdict
    it replaces are withdrawn."""
    application = Application.objects.locked(application)
    check_record_verdict(by, application)
    errors: dict[str, list[str]] = {}
    if safe not in Safe.values:
        errors["safe"] = [f"Choose one of {', '.join(Safe.values)}."]
    if verdict not in Verdict.values:
        errors["verdict"] = [f"Choose one of {', '.join(Verdict.values)}."]
    if not rationale.strip():
        errors["rationale"] = ["Give the reasons for the verdict."]
    texts = [c for c in conditions if str(c.get("text", "")).strip()]
    if verdict == Verdict.MET_WITH_CONDITIONS and not texts:
        errors["conditions"] = ["State at least one condition."]
    if verdict in (Verdict.MET, Verdict.NOT_MET) and texts:
        errors["conditions"] = ["Conditions go with 'met with conditions' only."]
    if len(conditions) > MAX_CONDITIONS:
        errors["conditions"] = [f"State at most {MAX_CONDITIONS} conditions."]
        texts = []  # not checked one by one
    errors.update(_condition_term_errors(application, texts))
    if errors:
        raise ValidationFailed("The verdict has problems.", fields=errors)
    record, _ = SafeVerdict.objects.update_or_create(
        application=application,
        safe=safe,
        defaults={
            "verdict": verdict,
            "rationale": rationale.strip(),
            "version": application.current_version or None,
            "decided_at": timezone.now(),
            "decided_by": by,
        },
    )
    now = timezone.now()
    for old in application.conditions.select_for_update().filter(
        origin=ConditionOrigin.SAFE, safe=safe, state=ConditionState.OPEN
    ):
        old.withdraw()
        old.withdrawn_at = now
        old.save()
    pi = application.principal_investigator()
    for c in texts:
        Condition.objects.create(
            application=application,
            text=c["text"].strip(),
            origin=ConditionOrigin.SAFE,
            safe=safe,
            responsible=c.get("responsible") or pi,
            timing=c.get("timing") or "before_access",
            due_date=c.get("due_date"),
        )
    record_event(
        application=application,
        kind=EventKind.SAFE_VERDICT,
        by=by,
        role=ActorRole.REVIEWER,
        reason=record.rationale,
        payload={"safe": safe, "verdict": verdict, "conditions": [c["text"] for c in texts]},
    )
    return record


def _condition_term_errors(
    application: Application, conditions: Sequence[dict[str, Any]]
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    for index, c in enumerate(conditions):
        for field, messages in condition_terms_errors(application, c).items():
            errors[f"conditions.{index}.{field}"] = messages
    return errors


def tell_members_what_they_need(application: Application) -> int:
    """Each member without a valid accreditation the project needs (and no application for it
    in progress) is told what to start, once per person, requirement and application. Called
    on submission and resubmission (new members are told then). Returns how many were told."""
    day = access_start(application)
    told = 0
    for member in application.members.select_related("user"):
        person = member.user
        for requirement in missing_requirements(person, requirements_of(application), day):
            if applications_in_progress(person, SATISFIED_BY[requirement]):
                continue
            start_label = AccreditationKind(START_KIND[requirement]).label
            if requirement == Requirement.DEA_ACCREDITED:
                start_label += " (or provisional, with a fully accredited supervisor)"
            raise_notice(
                "accreditation.needed",
                application,
                person=person,
                requirement=requirement,
                reference=application.reference,
                requirement_label=Requirement(requirement).label,
                start_label=start_label,
            )
            told += 1
    return told


def referred(application: Application, *, by: User, results: list[CheckResult]) -> FiveSafesRun:
    """After ``refer_to_panels``: keep the checks the panels received the application with."""
    return record_run(application, gate=Gate.REFER_TO_PANELS, by=by, results=results)


def go_live(application: Application, *, by: User, results: list[CheckResult]) -> list[AccessGrant]:
    """After ``grant_access``: keep the checks that let it through and give every member a
    grant until the project's end date, requiring what the project requires."""
    record_run(application, gate=Gate.GRANT_ACCESS, by=by, results=results)
    if application.end_date is None:  # never: an application is submitted with its end date
        raise ValidationFailed(
            "The project has no end date.", fields={"end_date": ["Enter the project end date."]}
        )
    people = [m.user for m in application.members.select_related("user")]
    return access_grants_create(
        application=application,
        people=people,
        start_on=access_start(application),
        end_on=application.end_date,
        requirements=requirements_of(application),
        by=by,
    )


def after_approval(application: Application, *, tracks: Sequence[ReviewTrack], by: User) -> None:
    """The application was approved: the tracks' conditions become obligations, and the team and
    the lead organisation's signatories are asked to sign the agreement."""
    conditions_from_tracks(application, tracks=tracks, by=by)
    request_signatures(application)
