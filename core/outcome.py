"""Whether a request that lost its database connection changed anything.

``DatabaseUnavailableMiddleware`` (core/security.py) answers 503 when the connection dies. It
may say "nothing was changed" only when that is true, so every request is watched by a
``WriteTracker`` (a Django execute wrapper on the default connection):

* a write inside a transaction marks the transaction *pending* until it commits (an on-commit
  callback clears it and marks the request *committed*);
* a statement that fails with the connection inside a transaction ends that transaction
  (PostgreSQL rolls it back): nothing of it was saved, so *pending* is cleared;
* a write in autocommit counts as committed once sent, and as *unknown* when it fails;
* an error that reaches the middleware while a transaction is still *pending* came from
  outside any statement, i.e. from the COMMIT itself: the outcome is unknown.

``OutcomeUnknown`` is raised by the API's write views when the COMMIT of their one
transaction fails (core/api/idempotency.py): there the view knows it exactly.
"""

from __future__ import annotations

import contextvars
from dataclasses import dataclass
from typing import Any

from django.db import InterfaceError, OperationalError, transaction

WRITES = ("INSERT", "UPDATE", "DELETE", "MERGE")


class OutcomeUnknown(OperationalError):
    """The connection died while the change was being committed: it may or may not be saved."""


@dataclass
class WriteTracker:
    committed: bool = False
    pending: bool = False
    unknown: bool = False

    def __call__(self, execute, sql, params, many, context):
        connection = context["connection"]
        write = sql.lstrip()[:6].upper().startswith(WRITES)
        in_transaction = connection.in_atomic_block
        if write and in_transaction and not self.pending:
            self.pending = True
            transaction.on_commit(self._committed, using=connection.alias)
        try:
            result = execute(sql, params, many, context)
        except (OperationalError, InterfaceError):
            if in_transaction:
                self.pending = False  # the transaction died with its statement: rolled back
            elif write:
                self.unknown = True
            raise
        if write and not in_transaction:
            self.committed = True
        return result

    def _committed(self) -> None:
        self.pending = False
        self.committed = True

    def maybe_changed(self) -> bool:
        return self.committed or self.pending or self.unknown


_current: contextvars.ContextVar[WriteTracker | None] = contextvars.ContextVar(
    "write_tracker", default=None
)


def current() -> WriteTracker | None:
    return _current.get()


def tracking(tracker: WriteTracker) -> Any:
    return _current.set(tracker)


def stop_tracking(token: Any) -> None:
    _current.reset(token)
