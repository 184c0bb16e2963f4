"""Reads of the transparency features: the public register, decision records, outputs.

The register reads only ``RegisterEntry`` (public fields by construction) and the links of the
project's outputs; nothing here joins to people, votes or rationale.
"""

from __future__ import annotations

import datetime
import hashlib
import itertools
from collections.abc import Iterator
from typing import Any

from django.db.models import Exists, Max, OuterRef, Prefetch, Q, QuerySet

from access.policy import Permission, has_permission
from workflow.models import (
    Application,
    DecisionRecord,
    ProjectOutput,
    RegisterEntry,
    RegisterStatus,
)


def register_entries() -> QuerySet[RegisterEntry]:
    """Every entry, newest decision first, with the outputs of approved projects (two queries
    whatever the page length)."""
    # count, the page, the page's applications (id and state) and their outputs: four queries.
    return RegisterEntry.objects.prefetch_related(
        Prefetch("application", queryset=Application.objects.only("id", "state")),
        Prefetch(
            "application__outputs",
            queryset=ProjectOutput.objects.order_by("added_at", "id"),
            to_attr="public_outputs",
        ),
    )


def outputs_by_application(application_ids: list[int]) -> dict[int, list[ProjectOutput]]:
    """The outputs of these applications (published entries), oldest first, by application:
    one query; an application without outputs is left out."""
    outputs: dict[int, list[ProjectOutput]] = {}
    if not application_ids:
        return outputs
    for output in ProjectOutput.objects.filter(application_id__in=application_ids).order_by(
        "added_at", "id"
    ):
        outputs.setdefault(output.application_id, []).append(output)
    return outputs


def register_csv_rows(
    entries: QuerySet[RegisterEntry], *, chunk: int = 2000
) -> Iterator[tuple[list[tuple[int, str, str, str]], dict[int, list[ProjectOutput]]]]:
    """``entries`` (filtered, ordered) as ``(application id, status, CSV cells kept with the
    entry, their format)`` rows, read through a server-side cursor ``chunk`` at a time, each
    chunk with the outputs of its published entries (one query): no model is made per entry."""
    has_outputs = Exists(ProjectOutput.objects.filter(application_id=OuterRef("application_id")))
    rows = (
        entries.prefetch_related(None)
        .values_list("application_id", "status", "csv_cells", "csv_format", has_outputs)
        .iterator(chunk_size=chunk)
    )
    while batch := list(itertools.islice(rows, chunk)):
        # Outputs asked for only of the entries that have some (an index probe each, in the
        # same query): most have none, and an ``IN`` of 2,000 ids a chunk was 80 ms of it.
        with_outputs = [
            app for app, status, _, _, has in batch if has and status != RegisterStatus.DECLINED
        ]
        yield (
            [(app, status, cells, fmt) for app, status, cells, fmt, _ in batch],
            outputs_by_application(with_outputs),
        )


def register_entries_of(application_ids: list[int]) -> dict[int, RegisterEntry]:
    """The entries of these applications, by application (one query)."""
    return {
        e.application_id: e
        for e in RegisterEntry.objects.filter(application_id__in=application_ids)
    }


def register_last_change() -> datetime.datetime | None:
    """When the public register last changed: an entry written or updated, or an output
    added (entries and outputs are never deleted). Two index lookups (migration 0019)."""
    changed = [
        RegisterEntry.objects.aggregate(at=Max("updated_at"))["at"],
        ProjectOutput.objects.aggregate(at=Max("added_at"))["at"],
    ]
    known = [moment for moment in changed if moment is not None]
    return max(known) if known else None


def register_version() -> tuple[datetime.datetime | None, int | None, int | None]:
    """``register_last_change`` and the newest entry's and output's ids (two versions written in
    the same instant differ in them): what names one version of the register, in the same two
    index lookups."""
    entries = RegisterEntry.objects.aggregate(at=Max("updated_at"), newest=Max("id"))
    outputs = ProjectOutput.objects.aggregate(at=Max("added_at"), newest=Max("id"))
    known = [moment for moment in (entries["at"], outputs["at"]) if moment is not None]
    return (max(known) if known else None), entries["newest"], outputs["newest"]


def register_etag(last_change: datetime.datetime | None, *parts: Any) -> str:
    """A strong validator for a view of the register: its last change and whatever else the
    answer depends on (the filters, who is signed in)."""
    text = "|".join(str(part) for part in (last_change and last_change.isoformat(), *parts))
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def register_filter(
    entries: QuerySet[RegisterEntry],
    *,
    dataset: str | None = None,
    organisation: str | None = None,
    status: str | None = None,
    year: int | None = None,
) -> QuerySet[RegisterEntry]:
    if dataset:
        # Declined entries publish no datasets, so they never match a dataset filter.
        entries = entries.filter(dataset_keys__contains=f",{dataset},")
    if organisation:
        entries = entries.filter(organisation_slug=organisation)
    if status:
        entries = entries.filter(status=status)
    if year:
        entries = entries.filter(latest_decision_on__year=year)
    return entries


def outputs_of(entry: RegisterEntry) -> list[ProjectOutput]:
    """The outputs shown on an entry: none for a declined application."""
    if entry.status == RegisterStatus.DECLINED:
        return []
    outputs = getattr(entry, "public_outputs", None)
    if outputs is None:
        outputs = getattr(entry.application, "public_outputs", None)
    if outputs is None:
        outputs = list(entry.application.outputs.order_by("added_at", "id"))
    return outputs


def decision_records_visible_to(user: Any) -> QuerySet[DecisionRecord]:
    """Every decision record for those who may read them, none for anyone else."""
    if not has_permission(user, Permission.DECISION_RECORDS_VIEW):
        return DecisionRecord.objects.none()
    return DecisionRecord.objects.all()


def decision_records_search(
    records: QuerySet[DecisionRecord],
    *,
    dataset: str | None = None,
    purpose: str | None = None,
    outcome: str | None = None,
    q: str | None = None,
) -> QuerySet[DecisionRecord]:
    if dataset:
        records = records.filter(dataset_keys__contains=f",{dataset},")
    if purpose:
        records = records.filter(purpose=purpose)
    if outcome:
        records = records.filter(outcome=outcome)
    if q:
        records = records.filter(Q(title__icontains=q) | Q(reference__icontains=q))
    return records
