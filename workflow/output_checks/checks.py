"""Automatic disclosure checks of a file, where the data allow: shown to the checkers beside
the file, never deciding on their own.

A CSV table is read as follows (docs/output-checking.md):

* a **frequency table** (no ``total`` column): every whole number in a column after the first
  is a count. A count above zero and below ``DISCLOSURE_MIN_CELL_COUNT`` fails the threshold
  rule; a zero is flagged for review (it may disclose that nobody has a characteristic);
* a **magnitude table**, when the counts are given: a ``count`` (or ``n``) column is checked by
  the threshold rule, and a row with a ``total`` and its ``largest`` (and ``second_largest``)
  contributions is checked by the dominance (N-K) rules: the largest contribution above 50% of
  the total, or the two largest above 90%, fails.

Anything else (figures, PDFs, text) cannot be checked automatically; that is said, not hidden.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings

COUNT_COLUMNS = {"count", "n", "freq", "frequency"}
TOTAL_COLUMNS = {"total", "sum"}
LARGEST_COLUMNS = {"largest", "max", "largest_contribution"}
SECOND_COLUMNS = {"second_largest", "second", "second_largest_contribution"}
# ACRO's defaults for the N-K dominance rules.
NK_RULES = ((1, Decimal("0.5")), (2, Decimal("0.9")))
MAX_FINDINGS = 50


def _number(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        return None
    return value if value.is_finite() else None


def _uncheckable(reason: str) -> dict[str, Any]:
    return {"checkable": False, "outcome": "review", "summary": reason, "findings": []}


def check_file(data: bytes, content_type: str) -> dict[str, Any]:
    """What the automatic checks find in one file."""
    if content_type != "text/csv":
        return _uncheckable(
            "This type of file cannot be checked automatically: a checker must read it."
        )
    try:
        return check_table(data.decode("utf-8-sig"))
    except (csv.Error, UnicodeDecodeError):
        return _uncheckable("The table could not be read as CSV: a checker must read it.")


def check_table(text: str) -> dict[str, Any]:
    minimum = settings.DISCLOSURE_MIN_CELL_COUNT
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if len(rows) < 2:
        return _uncheckable("The table has no data rows: a checker must read it.")
    header = [cell.strip().lower() for cell in rows[0]]
    columns = {name: index for index, name in enumerate(header)}

    def find(names: set[str]) -> int | None:
        return next((columns[n] for n in names if n in columns), None)

    total_at, largest_at = find(TOTAL_COLUMNS), find(LARGEST_COLUMNS)
    second_at, count_at = find(SECOND_COLUMNS), find(COUNT_COLUMNS)
    magnitude = total_at is not None
    findings: list[dict[str, Any]] = []

    def flag(rule: str, row: int, column: str, value: Any, message: str) -> None:
        findings.append(
            {"rule": rule, "row": row, "column": column, "value": str(value), "message": message}
        )

    for number, row in enumerate(rows[1:], start=1):
        label = row[0].strip() if row else ""
        if magnitude:
            count_cells = [count_at] if count_at is not None else []
        else:
            count_cells = list(range(1, len(row)))
        for index in count_cells:
            if index >= len(row):
                continue
            value = _number(row[index])
            if value is None or value != value.to_integral_value():
                continue
            column = rows[0][index].strip() if index < len(rows[0]) else str(index)
            if 0 < value < minimum:
                flag(
                    "threshold",
                    number,
                    column,
                    value,
                    f"Row {number} ({label}), {column}: {value} is below the minimum cell "
                    f"count of {minimum}.",
                )
            elif value == 0:
                flag(
                    "zero",
                    number,
                    column,
                    value,
                    f"Row {number} ({label}), {column}: a zero cell; check it discloses nothing.",
                )
        if magnitude and largest_at is not None:
            total = _number(row[total_at]) if total_at is not None and total_at < len(row) else None
            largest = _number(row[largest_at]) if largest_at < len(row) else None
            second = (
                _number(row[second_at]) if second_at is not None and second_at < len(row) else None
            )
            if total and total > 0 and largest is not None:
                for n, k in NK_RULES:
                    top = largest if n == 1 else (largest + second if second is not None else None)
                    if top is not None and top > k * total and total_at is not None:
                        flag(
                            "dominance",
                            number,
                            rows[0][total_at].strip(),
                            total,
                            f"Row {number} ({label}): the {'largest' if n == 1 else 'two largest'}"
                            f" contribution{'s' if n > 1 else ''} make more than "
                            f"{int(k * 100)}% of the total (N-K rule, N={n}).",
                        )
                        break
    fails = [f for f in findings if f["rule"] in ("threshold", "dominance")]
    outcome = "fail" if fails else ("review" if findings else "pass")
    if fails:
        summary = (
            f"{len(fails)} cell{'s fail' if len(fails) != 1 else ' fails'} the disclosure rules."
        )
    elif findings:
        summary = "No cell fails the rules; zero cells need a look."
    else:
        summary = f"Every count is at least {minimum}" + (
            "; no row is dominated." if magnitude and largest_at is not None else "."
        )
    return {
        "checkable": True,
        "outcome": outcome,
        "summary": summary,
        "kind": "magnitude" if magnitude else "frequency",
        "min_cell_count": minimum,
        "findings": findings[:MAX_FINDINGS],
        "more_findings": max(0, len(findings) - MAX_FINDINGS),
    }
