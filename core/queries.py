"""Query helpers shared by the apps."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.db.models.expressions import RawSQL

# The element types ``among`` may name (its SQL is built from one of these, never from input).
ARRAY_TYPES = frozenset({"bigint", "text"})


def among(values: Iterable[Any], element_type: str) -> Any:
    """The right-hand side of an ``__in`` filter over many values. On PostgreSQL, one array
    parameter (``IN (SELECT unnest(%s::bigint[]))``): thousands of ids are one parameter, not
    one placeholder each for psycopg to parse and Django to resolve (an eighth of the reminder
    sweep's CPU with 5,000 items a batch), and no query nears the 65,535 parameters psycopg
    accepts. Elsewhere (SQLite), the list itself."""
    if element_type not in ARRAY_TYPES:
        raise ValueError(f"among: {element_type!r} is not one of {sorted(ARRAY_TYPES)}")
    values = list(values)
    if connection.vendor != "postgresql":
        return values
    return RawSQL(f"SELECT unnest(%s::{element_type}[])", (values,))  # noqa: S611
