"""Hot ``values()`` queries compiled once, run many times.

Turning a queryset into SQL (resolving lookups, joins, ordering, the columns of each model) is
most of what a small query costs Django: on the application detail, five times the database's
own time (docs/benchmarks.md, section 1). A query whose shape never changes, only its
arguments, can be compiled once per thread (each thread has its own database connection, and a
gunicorn sync worker or a Celery process has one thread) and then run with new arguments, its
rows still converted by Django's compiler (so SQLite's timestamps and JSON come back as they
would from the queryset).

Only for queries whose SQL depends on nothing but the arguments: never on the time, the
request or settings that can change while the process runs.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from typing import Any

from django.db import connections
from django.db.models import QuerySet

# Placeholder arguments, each a value no real argument takes (ids are positive).
_PLACEHOLDERS = itertools.count(-(2**62), -1)


class CompiledValues:
    """``CompiledValues(build, "application_id")`` where ``build(application_id=...)`` returns a
    ``values()`` queryset; calling it with ``application_id=7`` returns the rows as dicts, as
    ``list(build(application_id=7))`` would. The arguments must be integers (ids)."""

    def __init__(self, build: Callable[..., QuerySet], *arguments: str) -> None:
        self._build = build
        self._arguments = arguments
        self._alias: str | None = None
        # Per thread, as Django's connections are: a compiler belongs to its connection.
        self._local = threading.local()

    def __call__(self, **arguments: int) -> list[dict[str, Any]]:
        if set(arguments) != set(self._arguments):
            raise TypeError(f"expected the arguments {', '.join(self._arguments)}")
        placeholders, compiler, names, sql, params = self._compile()
        values = [
            arguments[placeholders[p]] if isinstance(p, int) and p in placeholders else p
            for p in params
        ]
        with compiler.connection.cursor() as cursor:
            cursor.execute(sql, values)
            rows = cursor.fetchall()
        return [dict(zip(names, row, strict=True)) for row in compiler.results_iter([rows])]

    def _compile(self) -> tuple:
        if self._alias is None:
            sample = self._build(**dict.fromkeys(self._arguments, 0))
            self._alias = sample.db
        compiled = getattr(self._local, "compiled", None)
        if compiled is None:
            connection = connections[self._alias]
            placeholders = {next(_PLACEHOLDERS): name for name in self._arguments}
            queryset = self._build(**{name: value for value, name in placeholders.items()})
            query = queryset.query
            if not query.values_select and not query.annotation_select:
                raise TypeError("CompiledValues needs a values() queryset")
            compiler = query.get_compiler(connection=connection)
            sql, params = compiler.as_sql()
            params = tuple(params)
            if {p for p in params if isinstance(p, int) and p in placeholders} != set(placeholders):
                raise ValueError("every argument must reach the SQL as a parameter")
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
            compiled = self._local.compiled = (placeholders, compiler, names, sql, params)
        return compiled
