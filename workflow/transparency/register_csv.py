"""The register's CSV, its cells written once per entry.

The CSV's columns come from the register's fields (``register.REGISTER_FIELDS``), in their
order. Every column but the last is read from the entry's own columns, so its cells change only
when the entry is written: ``kept_cells`` writes them (through the spreadsheet-safe writer, the
same dialect as the whole file) and ``services.register_record`` stores them on the entry
(``RegisterEntry.csv_cells``) in the same save. The last column (the links to the project's
outputs) is read at publication, so it is written when the file is: nothing for most entries,
the outputs of the few that have some.

A download then reads each entry's kept cells and adds its outputs: no cell is worked out per
download, and the first download after a change costs what reading the column costs (40,000
entries: 8 s of Python before, a fraction of a second now; ``docs/scaling.md``).

``CSV_FORMAT`` names the way the cells are written: a change of the columns (their headers or
their order) changes it by itself; a change of how a cell is written must bump
``CELLS_VERSION``. An entry whose stored format is not the current one (never written, written
before the format changed, or loaded by SQL) has its cells worked out from the entry while the
file is written, and stored then (``services.register_csv_cells_keep``): the first download
after such a change costs what every download cost before, once.
"""

from __future__ import annotations

import datetime
import hashlib
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from core import spreadsheet
from workflow.models import ProjectOutput, RegisterEntry, RegisterStatus
from workflow.transparency.register import REGISTER_FIELDS, RegisterField

# The CSV's columns, in the fields' order: (header, field's API name, cell).
CSV_COLUMNS = [
    (header, field.api, cell) for field in REGISTER_FIELDS for header, cell in field.csv_columns()
]

# The same columns, each with the field it reads: the CSV reads the entries themselves, not the
# serializer's output (a serializer per row was 94% of the export's time at 20,000 entries).
_COLUMNS: list[tuple[RegisterField, Callable[[Any], str]]] = [
    (field, cell) for field in REGISTER_FIELDS for _, cell in field.csv_columns()
]
# Kept with the entry: the columns of the fields stored on it. Read when the file is written:
# those of the fields read at publication (the outputs), which must come last.
_KEPT = [(field, cell) for field, cell in _COLUMNS if field.read is None]
_READ = [(field, cell) for field, cell in _COLUMNS if field.read is not None]
if _COLUMNS != _KEPT + _READ:
    raise TypeError("The register's fields read at publication must be its last CSV columns")
if len(_KEPT) < 2:
    # One empty cell alone is written as "" (a line that is not empty); among others, as
    # nothing: the kept cells must be more than one for their text to be the row's.
    raise TypeError("The register's CSV keeps at least two columns with each entry")


class _Echo:
    """A file that hands back what is written to it (the CSV writer's line)."""

    def write(self, text: str) -> str:
        return text


_WRITER = spreadsheet.writer(_Echo())  # cells a researcher wrote never run as formulas
LINE_END = "\r\n"  # the csv module's default line terminator, which the writer keeps

HEADER = _WRITER.writerow([header for header, _, _ in CSV_COLUMNS])

# Bump when a cell's rule changes (the fields' ``csv`` cells, ``plain_cell``, ``_cell_value``,
# ``core.spreadsheet``): the stored cells of every entry are then written again.
CELLS_VERSION = "1"
CSV_FORMAT = hashlib.sha256(f"{CELLS_VERSION}|{HEADER}".encode()).hexdigest()[:16]


def _cell_value(value: Any) -> Any:
    # The API's representation of the few types the columns hold: a date as ISO 8601.
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    return value


def _row_text(cells: list[str]) -> str:
    """Cells as the writer writes them in a row, without the line's end."""
    line = _WRITER.writerow(cells)
    return line[: -len(LINE_END)]


def _cell_text(cell: str) -> str:
    """One cell as the writer writes it among others (quoted as needed; empty as nothing)."""
    return _row_text([cell]) if cell else ""


def kept_cells(entry: RegisterEntry) -> str:
    """The entry's CSV row up to the columns read at publication, without the line's end: what
    ``RegisterEntry.csv_cells`` holds."""
    return _row_text([cell(_cell_value(field.value(entry))) for field, cell in _KEPT])


def read_cells(entry: RegisterEntry) -> str:
    """The cells read at publication (the outputs), each after a comma."""
    return "".join("," + _cell_text(cell(_cell_value(field.value(entry)))) for field, cell in _READ)


def _read_cells_of(application_id: int, status: str, outputs: list[ProjectOutput]) -> str:
    entry = RegisterEntry(application_id=application_id, status=status)
    entry.public_outputs = outputs  # type: ignore[attr-defined]
    return read_cells(entry)


def lines_from_stored(
    batches: Iterable[tuple[list[tuple[int, str, str, str]], dict[int, list[ProjectOutput]]]],
    stale: Callable[[list[int]], dict[int, RegisterEntry]],
    keep: Callable[[list[tuple[RegisterEntry, str]]], object],
) -> Iterator[str]:
    """The CSV: the header, then for each batch of ``(application id, status, kept cells, their
    format)`` rows with the outputs of its published entries, one line a row.

    A row whose cells are not of the current format (an entry loaded by SQL, written before the
    cells were kept or before the format changed) has them worked out from its entry, read by
    ``stale`` (application ids → entries, one query a batch), and handed to ``keep`` (entries
    with their cells) once the batch is sent, so that the next download reads them."""
    yield HEADER
    # An entry without outputs (most of them) has the same read cells as every other.
    no_outputs = _read_cells_of(0, RegisterStatus.APPROVED, [])
    for rows, outputs in batches:
        late = [app for app, _, _, fmt in rows if fmt != CSV_FORMAT]
        fresh = stale(late) if late else {}
        worked_out: list[tuple[RegisterEntry, str]] = []
        lines = []
        for app, status, cells, fmt in rows:
            if fmt != CSV_FORMAT:
                cells = kept_cells(fresh[app])
                worked_out.append((fresh[app], cells))
            published = outputs.get(app)
            tail = _read_cells_of(app, status, published) if published else no_outputs
            lines.append(f"{cells}{tail}{LINE_END}")
        yield "".join(lines)
        if worked_out:
            keep(worked_out)
