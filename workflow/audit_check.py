"""The whole audit trail checked at once (``manage.py verify_audit``), and the signed
checkpoints of every chain head kept outside the database (``manage.py audit_checkpoint``, and
hourly from beat).

Six machines keep a chained, sealed history (``core.audit_chain``): applications
(``workflow.Event``, which also holds the agreement's signatures, the reviews and the Five Safes),
researchers' accreditations, access grants, output requests (``workflow.OutputEvent``), progress
reports and close-outs (``ReportEvent``, ``ClosureEvent``). For each, every object must have a
chain; every chain must be intact link by link and seal by seal; its last state-changing event must
agree with the object's state now (and, for an application, its last event with the current
version); and no chain may be shorter than, or differ from, what the last checkpoint
recorded. Each kind of break has a name (``Break.kind``):

``broken_link``, ``altered``, ``forged``, ``unknown_key``
    one chain, event by event (``core.audit_chain.first_break``);
``missing_chain``
    an object without any event, or a chain in the checkpoint that is gone (TRUNCATE, a deleted
    application with its events);
``state_mismatch``, ``version_mismatch``
    the chain's head disagrees with the object (its last events were removed, or the object
    was edited around the services);
``truncated``, ``rewritten``
    the chain is shorter than at the last checkpoint, or its event at the checkpoint's length
    has another hash;
``checkpoint_forged``
    the checkpoint file's own seal does not verify.

A checkpoint is one JSON file per run in ``settings.AUDIT_CHECKPOINT_DIR``, a directory the
app's operating-system user writes and the database cannot (deploy/README.md), sealed with the
audit key: for each chain its length and the hash of its last event.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Count, Max
from django.utils import timezone

from access.models import (
    AccessGrant,
    AccessGrantEvent,
    Accreditation,
    AccreditationEvent,
    Affiliation,
    AffiliationEvent,
)
from core import audit_chain
from core.audit_chain import Break
from workflow.amendments.models import Amendment, AmendmentEvent
from workflow.audit import Event, content_of, digest
from workflow.lifecycle.models import Closure, ClosureEvent, ProgressReport, ReportEvent
from workflow.output_checks.models import OutputEvent, OutputRequest
from workflow.route.models import Application
from workflow.sittings.models import Sitting, SittingEvent

CHECKPOINT_LABEL = "audit.checkpoint"
CHECKPOINT_FORMAT = 1


@dataclass(frozen=True)
class Machine:
    """One audited machine: its objects, its events and how an event is hashed and sealed."""

    name: str
    objects: type[models.Model]
    events: type[models.Model]
    parent: str  # the events' foreign key to the object, e.g. "application_id"
    content: Callable[[Any], Mapping[str, Any]]
    digest: Callable[[Mapping[str, Any], str], str]
    label: str
    has_version: bool = False


MACHINES = (
    Machine(
        "application",
        Application,
        Event,
        "application_id",
        content_of,
        digest,
        Event.SEAL_LABEL,
        has_version=True,
    ),
    Machine(
        "accreditation",
        Accreditation,
        AccreditationEvent,
        "accreditation_id",
        lambda event: event.chain_content(),
        audit_chain.digest,
        AccreditationEvent.seal_label(),
    ),
    Machine(
        "grant",
        AccessGrant,
        AccessGrantEvent,
        "grant_id",
        lambda event: event.chain_content(),
        audit_chain.digest,
        AccessGrantEvent.seal_label(),
    ),
    Machine(
        "affiliation",
        Affiliation,
        AffiliationEvent,
        "affiliation_id",
        lambda event: event.chain_content(),
        audit_chain.digest,
        AffiliationEvent.seal_label(),
    ),
    Machine(
        "output_request",
        OutputRequest,
        OutputEvent,
        "request_id",
        lambda event: event.chain_content(),
        audit_chain.digest,
        OutputEvent.seal_label(),
    ),
    Machine(
        "sitting",
        Sitting,
        SittingEvent,
        "sitting_id",
        lambda event: event.chain_content(),
        audit_chain.digest,
        SittingEvent.seal_label(),
    ),
    Machine(
        "progress_report",
        ProgressReport,
        ReportEvent,
        "report_id",
        lambda event: event.chain_content(),
        audit_chain.digest,
        ReportEvent.seal_label(),
    ),
    Machine(
        "closure",
        Closure,
        ClosureEvent,
        "closure_id",
        lambda event: event.chain_content(),
        audit_chain.digest,
        ClosureEvent.seal_label(),
    ),
    Machine(
        "amendment",
        Amendment,
        AmendmentEvent,
        "amendment_id",
        lambda event: event.chain_content(),
        audit_chain.digest,
        AmendmentEvent.seal_label(),
    ),
)


# --- checkpoints ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Checkpoint:
    path: Path
    written_at: str
    # machine name → object id → (length, hash of its last event)
    chains: dict[str, dict[int, tuple[int, str]]]


def checkpoint_dir() -> Path | None:
    configured = getattr(settings, "AUDIT_CHECKPOINT_DIR", "")
    return Path(configured) if configured else None


def _body_text(body: Mapping[str, Any]) -> str:
    return json.dumps(body, sort_keys=True, separators=(",", ":"))


def latest_checkpoint() -> tuple[Checkpoint | None, Break | None]:
    """The newest checkpoint, or ``None``; and a ``checkpoint_forged`` break when its file
    does not verify (then no checkpoint is trusted)."""
    directory = checkpoint_dir()
    if directory is None or not directory.is_dir():
        return None, None
    files = sorted(directory.glob("checkpoint-*.json"))
    if not files:
        return None, None
    path = files[-1]
    where = f"checkpoint {path.name}"
    try:
        document = json.loads(path.read_text())
        mac = document.pop("mac")
        chains = {
            machine: {int(pk): (int(length), str(head)) for pk, (length, head) in heads.items()}
            for machine, heads in document["chains"].items()
        }
        written_at = str(document["written_at"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, Break("checkpoint_forged", where, None, f"unreadable: {exc}")
    problem = audit_chain.seal_problem(CHECKPOINT_LABEL, _body_text(document), mac)
    if problem:
        return None, Break(
            "checkpoint_forged", where, None, f"its seal does not verify ({problem})"
        )
    return Checkpoint(path, written_at, chains), None


def chain_heads() -> dict[str, dict[int, tuple[int, str]]]:
    """Every chain's length and last hash, as committed now (one grouped query per machine,
    then the hashes of the last events)."""
    heads: dict[str, dict[int, tuple[int, str]]] = {}
    for machine in MACHINES:
        rows = (
            machine.events._default_manager.order_by()
            .values(machine.parent)
            .annotate(length=Count("id"), last=Max("id"))
        )
        lengths = {row[machine.parent]: (row["length"], row["last"]) for row in rows}
        hashes = dict(
            machine.events._default_manager.filter(id__in=[last for _, last in lengths.values()])
            .order_by()
            .values_list("id", "hash")
        )
        heads[machine.name] = {pk: (length, hashes[last]) for pk, (length, last) in lengths.items()}
    return heads


class CheckpointRefused(RuntimeError):
    def __init__(self, breaks: list[Break]) -> None:
        super().__init__(f"{len(breaks)} audit breaks: not sealing a broken log")
        self.breaks = breaks


def write_checkpoint() -> Path:
    """Seal every chain head into a new file in ``AUDIT_CHECKPOINT_DIR``.

    Refuses (``CheckpointRefused``) when the whole log does not verify: a checkpoint vouches for
    what it records, so it is never taken of a broken log. Written to a temporary name and
    renamed, so a reader never sees half a file.
    """
    directory = checkpoint_dir()
    if directory is None:
        raise RuntimeError("AUDIT_CHECKPOINT_DIR is not set")
    report = verify()
    if report.breaks:
        raise CheckpointRefused(report.breaks)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    now = timezone.now()
    body = {
        "format": CHECKPOINT_FORMAT,
        "written_at": audit_chain.timestamp(now),
        "chains": {
            machine: {str(pk): [length, head] for pk, (length, head) in sorted(chains.items())}
            for machine, chains in report.heads.items()
        },
    }
    document = {**body, "mac": audit_chain.seal(CHECKPOINT_LABEL, _body_text(body))}
    # UTC in the name so that names sort as times do, whatever the server's zone.
    name = f"checkpoint-{audit_chain.timestamp(now).replace(':', '').replace('-', '')}.json"
    path = directory / name
    temporary = directory / f".{name}.tmp"
    temporary.write_text(json.dumps(document, sort_keys=True))
    os.chmod(temporary, 0o440)
    os.replace(temporary, path)
    return path


# --- the whole log -------------------------------------------------------------------------


@dataclass
class Report:
    chains: int = 0
    events: int = 0
    breaks: list[Break] = field(default_factory=list)
    checkpoint: Checkpoint | None = None
    # What a checkpoint written now would record (only for intact chains).
    heads: dict[str, dict[int, tuple[int, str]]] = field(default_factory=dict)


def _grouped(machine: Machine, only: int | None) -> Iterator[tuple[int, list[Any]]]:
    events = machine.events._default_manager.order_by(machine.parent, "id")
    if only is not None:
        events = events.filter(**{machine.parent: only})
    for pk, chain in groupby(
        events.iterator(chunk_size=2000), key=lambda event: getattr(event, machine.parent)
    ):
        yield pk, list(chain)


def _head_breaks(
    machine: Machine, where: str, chain: list[Any], obj: Mapping[str, Any] | None
) -> Iterable[Break]:
    if obj is None:
        return
    moves = [event for event in chain if event.to_state]
    if moves and moves[-1].to_state != obj["state"]:
        yield Break(
            "state_mismatch",
            where,
            moves[-1].pk,
            f"the last recorded move is to {moves[-1].to_state}, but the {machine.name} is "
            f"{obj['state']} (events were removed from the end, or the row was edited)",
        )
    if machine.has_version and (chain[-1].version or 0) != obj["current_version"]:
        yield Break(
            "version_mismatch",
            where,
            chain[-1].pk,
            f"the last event records version {chain[-1].version or 0}, but the application is "
            f"at version {obj['current_version']}",
        )


def _checkpoint_breaks(
    where: str, chain: list[Any], recorded: tuple[int, str] | None, checkpoint: Checkpoint
) -> Iterable[Break]:
    if recorded is None:
        return
    length, head = recorded
    if len(chain) < length:
        yield Break(
            "truncated",
            where,
            chain[-1].pk,
            f"{len(chain)} events, {length} at the checkpoint of {checkpoint.written_at}"
            " (events were removed from the end)",
        )
    elif chain[length - 1].hash != head:
        yield Break(
            "rewritten",
            where,
            chain[length - 1].pk,
            f"event {length} of the chain has hash {chain[length - 1].hash}, the checkpoint of "
            f"{checkpoint.written_at} recorded {head}",
        )


def verify(*, application: int | None = None) -> Report:
    """Check every audited machine's chains (or one application's) against its objects and
    the latest checkpoint. Reads one machine at a time, in id order, with an iterator."""
    report = Report()
    checkpoint, problem = latest_checkpoint()
    report.checkpoint = checkpoint
    if problem:
        report.breaks.append(problem)
    machines = MACHINES[:1] if application is not None else MACHINES
    for machine in machines:
        fields = ["pk", "state", *(["current_version"] if machine.has_version else [])]
        objects_qs = machine.objects._default_manager.order_by()
        if application is not None:
            objects_qs = objects_qs.filter(pk=application)
        objects = {row["pk"]: row for row in objects_qs.values(*fields)}
        recorded = checkpoint.chains.get(machine.name, {}) if checkpoint else {}
        heads: dict[int, tuple[int, str]] = {}
        seen: set[int] = set()
        for pk, chain in _grouped(machine, application):
            seen.add(pk)
            report.chains += 1
            report.events += len(chain)
            where = f"{machine.name} {pk}"
            broken = audit_chain.first_break(
                where, chain, content=machine.content, digest=machine.digest, label=machine.label
            )
            found = (
                [broken] if broken else list(_head_breaks(machine, where, chain, objects.get(pk)))
            )
            if checkpoint is not None and not broken:
                found += _checkpoint_breaks(where, chain, recorded.get(pk), checkpoint)
            report.breaks += found
            if not found:
                heads[pk] = (len(chain), chain[-1].hash)
        for pk in sorted(objects.keys() - seen):
            report.breaks.append(
                Break(
                    "missing_chain",
                    f"{machine.name} {pk}",
                    None,
                    "it has no events at all (its history was deleted or truncated)",
                )
            )
        for pk in sorted(recorded.keys() - seen - objects.keys()):
            if checkpoint is None or (application is not None and pk != application):
                continue
            report.breaks.append(
                Break(
                    "missing_chain",
                    f"{machine.name} {pk}",
                    None,
                    f"its chain of {recorded[pk][0]} events was in the checkpoint of "
                    f"{checkpoint.written_at}; neither it nor its events exist now",
                )
            )
        report.heads[machine.name] = heads
    return report
