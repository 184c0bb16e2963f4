"""Transparency: the register entry, decision records and project outputs.

``register_record`` is called, in the same transaction, by every service that decides an
application or changes the status the public sees (the combined decision, a rejection at
internal review, granting, suspending, reinstating and closing access). Nobody retypes the
register: it is written from the application as it stands, and only public fields are copied.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connection
from django.utils import timezone

from access.models import User
from core.errors import ValidationFailed
from notifications.notices import service
from workflow.models import (
    Application,
    DecisionRecord,
    OutputKind,
    ProjectOutput,
    RegisterEntry,
    ReviewTrack,
    State,
    TrackKind,
)
from workflow.safes.services import five_safes_overview
from workflow.transparency.policies import check_add_output
from workflow.transparency.register import PUBLIC_STATUS, dataset_keys, entry_values
from workflow.transparency.register_csv import CSV_FORMAT, kept_cells


def register_record(application: Application) -> RegisterEntry | None:
    """Write (or rewrite) the application's register entry from its current state.

    Preconditions: inside the transaction of the change it reflects. Postconditions: an
    application in a register state has exactly one entry holding only public fields (the
    fields are ``register.REGISTER_FIELDS``); a declined one holds only the fields published
    for every decision (reference, organisation, status and its decision date, for the year
    filter) and every other column is emptied. Applications never decided (drafts, withdrawn)
    have no entry.
    """
    status = PUBLIC_STATUS.get(application.state)
    if status is None or not application.reference:
        return None
    values = entry_values(application, status)
    # The entry's CSV cells, written with it: a download reads them (``register_csv``).
    values.update(
        csv_cells=kept_cells(RegisterEntry(application=application, **values)),
        csv_format=CSV_FORMAT,
    )
    entry, _ = RegisterEntry.objects.update_or_create(application=application, defaults=values)
    return entry


def register_csv_cells_keep(worked_out: list[tuple[RegisterEntry, str]]) -> int:
    """Store CSV cells worked out from entries that had none of the current format (a download
    found them: ``register_csv.lines_from_stored``); returns how many were stored.

    Each entry is written only if it is still as it was read (its ``updated_at``): one changed
    meanwhile got its cells from ``register_record`` and keeps them. ``updated_at`` itself is
    left alone, so the register's version, and its validators, do not move. On PostgreSQL one
    statement for the lot (the cells as arrays); elsewhere (SQLite, the zero-setup run) one a
    row."""
    if not worked_out:
        return 0
    if connection.vendor == "postgresql":
        table = RegisterEntry._meta.db_table
        with connection.cursor() as cursor:
            # The table's name is ours; the values are parameters.
            cursor.execute(
                f"UPDATE {table} AS e SET csv_cells = v.cells, csv_format = %s"  # noqa: S608  # nosec B608
                " FROM unnest(%s::bigint[], %s::timestamptz[], %s::text[]) AS v(id, at, cells)"
                " WHERE e.id = v.id AND e.updated_at = v.at",
                [
                    CSV_FORMAT,
                    [entry.pk for entry, _ in worked_out],
                    [entry.updated_at for entry, _ in worked_out],
                    [cells for _, cells in worked_out],
                ],
            )
            return int(cursor.rowcount)
    stored = 0
    for entry, cells in worked_out:
        stored += RegisterEntry.objects.filter(pk=entry.pk, updated_at=entry.updated_at).update(
            csv_cells=cells, csv_format=CSV_FORMAT
        )
    return stored


# --- decision records ---------------------------------------------------------------------------


def _track_name(track: ReviewTrack) -> str:
    if track.kind == TrackKind.OWNER_SIGNOFF and track.organisation is not None:
        return f"Data owner sign-off: {track.organisation.name}"
    return track.panel.name if track.panel is not None else track.get_kind_display()


def decision_record_create(
    *, application: Application, outcome: str, by: User | None, reason: str = ""
) -> DecisionRecord:
    """Freeze the decision just taken on ``application``.

    Preconditions: inside the decision's transaction, after its transition. For a combined
    decision the current (not superseded) tracks are the ones decided; a rejection at internal
    review has none and carries its ``reason``.
    """
    tracks = list(
        application.tracks.filter(superseded=False)
        .select_related("panel", "organisation")
        .prefetch_related("pre_approved__category_version", "pre_approved__dataset")
        .order_by("kind", "organisation__name", "id")
    )
    stage = State.IN_REVIEW if tracks else State.INTERNAL_REVIEW
    track_rows = []
    citations = []
    for t in tracks:
        cited = [
            {
                "dataset": m.dataset.slug,
                "category": m.category_version.citation,
                "title": m.category_version.title,
            }
            for m in t.pre_approved.all()
        ]
        citations.extend(cited)
        track_rows.append(
            {
                "kind": t.kind,
                "name": _track_name(t),
                "round": t.round,
                "version": t.version,
                "outcome": t.outcome,
                "rationale": t.rationale,
                "conditions": t.conditions,
                "automatic": t.automatic,
                "decided_at": t.decided_at.isoformat() if t.decided_at else None,
                "pre_approved": cited,
                # A panel's decision: the votes counted and how many were lay members'.
                "votes": t.votes_counted,
                "lay_votes": t.lay_votes_counted,
            }
        )
    slugs = sorted(application.requested_datasets.values_list("dataset__slug", flat=True))
    overview = five_safes_overview(application)
    five_safes = {
        s["safe"]: {
            "verdict": s["verdict"].verdict if s["verdict"] else None,
            "verdict_rationale": s["verdict"].rationale if s["verdict"] else "",
            "checks": [
                {"code": c.code, "result": c.result, "message": c.message} for c in s["checks"]
            ],
        }
        for s in overview["safes"]
    }
    return DecisionRecord.objects.create(
        application=application,
        version=application.current_version,
        outcome=outcome,
        stage=stage,
        decided_at=application.decided_at or timezone.now(),
        decided_by_name=(by.full_name or by.username) if by is not None else "System",
        reason=reason,
        tracks=track_rows,
        conditions=list(dict.fromkeys(c for t in tracks for c in t.conditions)),
        pre_approved=citations,
        five_safes=five_safes,
        reference=application.reference or "",
        title=application.title,
        purpose=application.purpose,
        datasets=slugs,
        dataset_keys=dataset_keys(slugs),
    )


# --- outputs ------------------------------------------------------------------------------------


def output_errors(kind: str, title: str, url: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if kind not in OutputKind.values:
        errors["kind"] = ["Choose publication, code, report or other."]
    if not title.strip():
        errors["title"] = ["Give the output a title."]
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        errors["url"] = ["Enter a web address starting with https:// or http://."]
    return errors


@service
def project_output_add(
    *, application: Application, by: User, kind: str, title: str, url: str
) -> ProjectOutput:
    """A member of an active, suspended or closed project links an output; it appears on the
    register entry at once."""
    application = Application.objects.locked(application)
    check_add_output(by, application)
    errors = output_errors(kind, title, url)
    if errors:
        raise ValidationFailed("The output has invalid fields.", fields=errors)
    output = ProjectOutput.objects.create(
        application=application, kind=kind, title=title.strip(), url=url.strip(), added_by=by
    )
    return output
