"""Write logic of safe outputs: a project's output request, the two blind reviews, the
consolidated decision, the changes round and the release.

Every service: lock the request (or the project, to create one) inside a transaction, check who
may (403), what the state allows (409), the input (400), change, append exactly one event to
the request's chained history (``core.audit_chain``), and raise the notices (sent when the
service ends, through the outbox).

Both checkers submitting at the same moment: each review locks the request row first, so the
second to commit sees the first's review; both are kept, and exactly one of them (the one that
completes the pair) opens the consolidation.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.urls import reverse
from django.utils import timezone

from access.models import User
from core import audit_chain
from core.errors import ValidationFailed
from core.evidence import display_name, sha256_of
from core.transitions import chained_log, relock, take
from notifications.notices import raise_notice, service
from workflow.models import (
    Application,
    CheckerReview,
    Decision,
    FileKind,
    OutputEvent,
    OutputFile,
    OutputKind,
    OutputRequest,
    OutputRequestState,
    OutputRound,
    ProjectOutput,
)
from workflow.output_checks import acro_results
from workflow.output_checks.checks import check_file
from workflow.output_checks.files import stored_name, validate_output_file
from workflow.output_checks.policies import (
    REVIEWS_PER_ROUND,
    check_change,
    check_consolidate,
    check_create,
    check_review,
)

S = OutputRequestState
# At most this many files in one request (the API's lists of verdicts are capped to it).
MAX_FILES = 200


# --- the chained history ----------------------------------------------------------------------


def _actor_name(by: User | None) -> str:
    return (by.full_name or by.username) if by is not None else "System"


def append_event(
    output_request: OutputRequest,
    *,
    by: User | None,
    transition: str,
    from_state: str,
    reason: str = "",
) -> OutputEvent:
    """Append one event to the request's chain (the caller holds the request's row lock, so
    two writers cannot both extend the same head)."""
    previous = (
        OutputEvent.objects.filter(request=output_request)
        .order_by("-id")
        .values_list("hash", flat=True)
        .first()
    )
    event = OutputEvent(
        request=output_request,
        actor=by,
        actor_name=_actor_name(by),
        transition=transition,
        from_state=from_state,
        to_state=output_request.state,
        reason=reason[:4000],
        created_at=timezone.now(),
    )
    event.prev_hash = previous or ""
    event.hash = audit_chain.digest(event.chain_content(), event.prev_hash)
    event.mac = audit_chain.seal(OutputEvent.seal_label(), event.hash)
    event.save(force_insert=True)
    return event


_log = chained_log(append_event)


def _context(output_request: OutputRequest, **extra: Any) -> dict[str, Any]:
    return {
        "title": output_request.title,
        "reference": output_request.application.reference,
        "round": output_request.round,
        **extra,
    }


def _pending(output_request: OutputRequest) -> list[OutputFile]:
    """The files this round decides: current outputs without a standing decision."""
    return list(
        output_request.files.filter(current=True, kind=FileKind.OUTPUT, decision="").order_by("id")
    )


def _current_round(output_request: OutputRequest) -> OutputRound:
    return OutputRound.objects.get(request=output_request, number=output_request.round)


# --- the team ---------------------------------------------------------------------------------


@service
def output_request_create(
    *, application: Application, by: User, title: str, public: bool = False
) -> OutputRequest:
    """A member of an active project starts a request (a draft, to which files are added).

    Before: ``application`` is the project. After: a draft request with one ``created`` event.
    """
    application = Application.objects.locked(application)
    check_create(by, application)
    title = (title or "").strip()
    if not title:
        raise ValidationFailed("Give the request a title.", fields={"title": ["Enter a title."]})
    if len(title) > 200:
        raise ValidationFailed(
            "The title is too long.", fields={"title": ["At most 200 characters."]}
        )
    output_request: OutputRequest = OutputRequest.objects.create(
        application=application, title=title, public=bool(public), created_by=by
    )
    append_event(output_request, by=by, transition="create", from_state="")
    return output_request


@service
def output_file_add(
    *,
    output_request: OutputRequest,
    by: User,
    upload: UploadedFile[bytes] | None,
    description: str,
    disclosure_notes: str = "",
    kind: str = FileKind.OUTPUT,
) -> OutputFile:
    """The team adds a file to a draft request. Refused files (size, emptiness, type, archives)
    leave nothing stored. The automatic checks run now and are kept beside the file."""
    output_request = relock(OutputRequest, output_request.pk, "application")
    check_change(by, output_request, S.DRAFT)
    if output_request.files.filter(current=True).count() >= MAX_FILES:
        raise ValidationFailed(
            "The request has too many files.",
            fields={"file": [f"A request holds at most {MAX_FILES} files: start another."]},
        )
    return _store(
        output_request,
        by=by,
        upload=upload,
        description=description,
        disclosure_notes=disclosure_notes,
        kind=kind,
        replaces=None,
    )


def _store(
    output_request: OutputRequest,
    *,
    by: User,
    upload: UploadedFile[bytes] | None,
    description: str,
    disclosure_notes: str,
    kind: str,
    replaces: OutputFile | None,
) -> OutputFile:
    errors: dict[str, list[str]] = {}
    if kind not in FileKind.values:
        errors["kind"] = [f"Choose one of: {', '.join(FileKind.values)}."]
    description = (description or "").strip()
    if not description:
        errors["description"] = ["Describe what the file shows."]
    if errors:
        raise ValidationFailed("The file was not accepted.", fields=errors)
    content_type = validate_output_file(upload, field="file")
    assert upload is not None  # noqa: S101 - validate_output_file refused None
    name = display_name(upload)
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    output_file = OutputFile(
        request=output_request,
        kind=kind,
        description=description[:4000],
        disclosure_notes=(disclosure_notes or "").strip()[:4000],
        name=name,
        content_type=content_type,
        size=len(data),
        sha256=sha256_of(upload),
        auto_checks=check_file(data, content_type) if kind == FileKind.OUTPUT else {},
        added_in_round=max(output_request.round, 1),
        replaces=replaces,
        uploaded_by=by,
    )
    # Everything that can refuse has run; a failed commit leaves an orphan under a random name
    # that nothing links to or serves.
    output_file.file.save(stored_name(content_type, name), upload, save=False)
    output_file.save()
    what = "replaced" if replaces else "added"
    append_event(
        output_request,
        by=by,
        transition=f"file_{what}",
        from_state=output_request.state,
        reason=f"{name} ({kind}, sha256 {output_file.sha256})",
    )
    return output_file


@service
def output_request_acro_attach(
    *, output_request: OutputRequest, by: User, upload: UploadedFile[bytes] | None
) -> OutputRequest:
    """The team attaches the ``results.json`` ACRO wrote (replacing any earlier one); a file
    that is not ACRO's format is refused (400) and nothing is kept."""
    output_request = relock(OutputRequest, output_request.pk, "application")
    check_change(by, output_request, S.DRAFT, S.CHANGES_REQUESTED)
    output_request.acro_results = acro_results.read(upload)
    assert upload is not None  # noqa: S101 - read refused None
    output_request.acro_file_name = display_name(upload)
    output_request.save()
    statuses = [o["status"] for o in output_request.acro_results["outputs"]]
    append_event(
        output_request,
        by=by,
        transition="acro_attached",
        from_state=output_request.state,
        reason=", ".join(f"{s}: {statuses.count(s)}" for s in acro_results.STATUSES),
    )
    return output_request


@service
def output_request_submit(*, output_request: OutputRequest, by: User) -> OutputRequest:
    """The team submits the draft: round 1 opens and every eligible checker is told."""
    output_request = relock(OutputRequest, output_request.pk, "application")
    check_change(by, output_request, S.DRAFT)
    errors = {}
    outputs = output_request.files.filter(current=True, kind=FileKind.OUTPUT).count()
    if not outputs:
        errors["files"] = ["Add at least one output to release."]
    output_request.round = 1
    output_request.submitted_at = timezone.now()
    take(output_request, "submit", by=by, log=_log, errors=errors)
    OutputRound.objects.create(request=output_request, number=1, opened_at=timezone.now())
    raise_notice(
        "output.submitted", output_request, actor=by, **_context(output_request, count=outputs)
    )
    return output_request


def _decisions(
    output_request: OutputRequest, items: Sequence[Mapping[str, Any]], *, field: str
) -> dict[str, dict[str, str]]:
    """``{file_id: {"decision", "comment"}}`` for exactly the round's pending files; a comment is
    needed for anything but an approval."""
    pending = {f.pk: f for f in _pending(output_request)}
    out: dict[str, dict[str, str]] = {}
    problems: list[str] = []
    for item in items:
        file_id = item.get("file")
        decision = item.get("decision")
        comment = str(item.get("comment") or "").strip()
        if file_id not in pending:
            problems.append(f"File {file_id} is not one this round decides.")
            continue
        if decision not in Decision.values:
            problems.append(f"{pending[file_id].name}: choose approve, reject or changes.")
            continue
        if decision != Decision.APPROVE and not comment:
            problems.append(f"{pending[file_id].name}: say why (a comment is needed).")
            continue
        out[str(file_id)] = {"decision": decision, "comment": comment[:4000]}
    missing = [f.name for pk, f in pending.items() if str(pk) not in out]
    if missing and not problems:
        problems.append(f"Give a verdict on every file: {', '.join(missing)}.")
    if problems:
        raise ValidationFailed("The verdicts are not complete.", fields={field: problems})
    return out


# --- the checkers -----------------------------------------------------------------------------


@service
def output_review_submit(
    *, output_request: OutputRequest, by: User, verdicts: Sequence[Mapping[str, Any]]
) -> CheckerReview:
    """One checker's blind verdicts on every file of the round.

    Before: the request is awaiting checks and fewer than two checkers have reviewed this round.
    After: the review is kept; when it is the second, the request moves to consolidation (once:
    the request's row lock orders simultaneous reviews).
    """
    output_request = relock(OutputRequest, output_request.pk, "application")
    output_round = OutputRound.objects.filter(
        request=output_request, number=output_request.round
    ).first()
    check_review(by, output_request, output_round)
    assert output_round is not None  # noqa: S101 - check_review refused a request without one
    decided = _decisions(output_request, verdicts, field="verdicts")
    review = CheckerReview.objects.create(
        round=output_round, checker=by, verdicts=decided, submitted_at=timezone.now()
    )
    append_event(
        output_request,
        by=by,
        transition="review_submitted",
        from_state=output_request.state,
        reason=f"round {output_round.number}",
    )
    if output_round.reviews.count() >= REVIEWS_PER_ROUND:
        take(
            output_request,
            "open_consolidation",
            by=None,
            log=_log,
            check_policy=False,
            reason=f"round {output_round.number}: both reviews are in",
        )
        raise_notice(
            "output.consolidation_opened", output_request, actor=by, **_context(output_request)
        )
    return review


@service
def output_request_consolidate(
    *, output_request: OutputRequest, by: User, decisions: Sequence[Mapping[str, Any]]
) -> OutputRequest:
    """The consolidated decision on every file of the round, agreed by the checkers (recorded by
    one of them, or by a third checker settling a disagreement).

    After: any file needing changes sends the request back to the team; otherwise the approved
    outputs are released (downloadable by the team) or, if none is approved, nothing is.
    """
    output_request = relock(OutputRequest, output_request.pk, "application")
    check_consolidate(by, output_request)
    decided = _decisions(output_request, decisions, field="decisions")
    now = timezone.now()
    files = {str(f.pk): f for f in _pending(output_request)}
    for file_id, item in decided.items():
        files[file_id].decision = item["decision"]
        files[file_id].save(update_fields=["decision"])
    output_round = _current_round(output_request)
    output_round.decisions = decided
    output_round.consolidated_at = now
    output_round.consolidated_by = by
    output_round.save()
    outputs = list(output_request.files.filter(current=True, kind=FileKind.OUTPUT))
    if any(f.decision == Decision.CHANGES for f in outputs):
        name = "request_changes"
    elif any(f.decision == Decision.APPROVE for f in outputs):
        name = "release"
    else:
        name = "reject"
    released = 0
    if name != "request_changes":
        output_request.finished_at = now
        output_request.finished_by = by
    take(output_request, name, by=by, log=_log, reason=f"round {output_round.number}")
    if name == "release":
        released_files = [f for f in outputs if f.decision == Decision.APPROVE]
        for output_file in released_files:
            output_file.released_at = now
            output_file.save(update_fields=["released_at"])
        released = len(released_files)
        if output_request.public:
            _on_the_register(output_request, released_files)
    kinds = {
        "release": "output.released",
        "reject": "output.rejected",
        "request_changes": "output.changes_requested",
    }
    raise_notice(
        kinds[name], output_request, actor=by, **_context(output_request, released=released)
    )
    return output_request


def _on_the_register(output_request: OutputRequest, released: list[OutputFile]) -> None:
    """A public request's release becomes an output on the project's register entry: its title
    and files. The files themselves stay with the team, so the link is the public record of the
    release on the register entry (anyone may open it), not the team's request page."""
    names = ", ".join(f.name for f in released)
    application = output_request.application
    entry = reverse("workflow:register-entry", args=[application.reference])
    ProjectOutput.objects.create(
        application=application,
        kind=OutputKind.OTHER,
        title=f"Released after output checking: {output_request.title} ({names})"[:300],
        url=f"{settings.SITE_URL.rstrip('/')}{entry}#outputs",
        added_by=output_request.created_by,
    )


# --- the changes round ----------------------------------------------------------------------


@service
def output_file_replace(
    *,
    output_request: OutputRequest,
    by: User,
    output_file: OutputFile,
    upload: UploadedFile[bytes] | None,
    description: str = "",
    disclosure_notes: str | None = None,
) -> OutputFile:
    """The team replaces a file the checkers asked changes to (the old one is kept, no longer
    current)."""
    output_request = relock(OutputRequest, output_request.pk, "application")
    check_change(by, output_request, S.CHANGES_REQUESTED)
    output_file = OutputFile.objects.get(pk=output_file.pk, request=output_request)
    if not output_file.current or output_file.decision != Decision.CHANGES:
        raise ValidationFailed(
            "Only a file the checkers asked changes to can be replaced.",
            fields={"file": ["The checkers did not ask for changes to this file."]},
        )
    new = _store(
        output_request,
        by=by,
        upload=upload,
        description=description or output_file.description,
        disclosure_notes=(
            output_file.disclosure_notes if disclosure_notes is None else disclosure_notes
        ),
        kind=output_file.kind,
        replaces=output_file,
    )
    new.added_in_round = output_request.round + 1
    new.save(update_fields=["added_in_round"])
    output_file.current = False
    output_file.save(update_fields=["current"])
    return new


@service
def output_request_resubmit(
    *, output_request: OutputRequest, by: User, answers: Mapping[int, str]
) -> OutputRequest:
    """The team answers every consolidated comment asking for changes and resubmits: a new round
    opens for the changed (or answered) files; approved and rejected files keep their decision."""
    output_request = relock(OutputRequest, output_request.pk, "application")
    check_change(by, output_request, S.CHANGES_REQUESTED)
    output_round = _current_round(output_request)
    asked = [int(pk) for pk, d in output_round.decisions.items() if d["decision"] == "changes"]
    given = {int(k): str(v or "").strip() for k, v in answers.items()}
    missing = [pk for pk in asked if not given.get(pk)]
    errors = {}
    if missing:
        names = OutputFile.objects.filter(pk__in=missing).values_list("name", flat=True)
        errors["answers"] = [f"Answer the checkers' comment on {name}." for name in names]
    unknown = [pk for pk in given if pk not in asked]
    if unknown and not missing:
        errors["answers"] = ["Answer only the comments that asked for changes."]
    take(
        output_request,
        "resubmit",
        by=by,
        log=_log,
        errors=errors,
        reason=f"round {output_request.round}",
    )
    output_round.answers = {str(pk): given[pk][:4000] for pk in asked}
    output_round.save(update_fields=["answers"])
    # Answered but not replaced: the same file is decided again.
    output_request.files.filter(current=True, decision=Decision.CHANGES).update(decision="")
    output_request.round += 1
    output_request.save(update_fields=["round"])
    OutputRound.objects.create(
        request=output_request, number=output_request.round, opened_at=timezone.now()
    )
    raise_notice("output.resubmitted", output_request, actor=by, **_context(output_request))
    return output_request
