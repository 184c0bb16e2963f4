"""Records that are written once and never changed: audit events, decision records.

``ImmutableModel`` refuses, in code, to update or delete a saved row, and its queryset refuses
bulk updates and deletes. On PostgreSQL a trigger refuses UPDATE and DELETE as well
(``append_only_trigger_sql``, used by the migrations of the tables that need it), so a row is
safe from the application's own connection whichever way it is reached.
"""

from __future__ import annotations

from typing import Any, NoReturn

from django.db import models


def _refuse(model: type[models.Model], change: str) -> NoReturn:
    plural = str(model._meta.verbose_name_plural)  # Django always sets it
    raise TypeError(f"{plural.capitalize()} are append-only: {change}")


class ImmutableQuerySet(models.QuerySet):
    """Refuses ``update`` and ``delete`` (and so ``bulk_update``, ``update_or_create`` on an
    existing row)."""

    def update(self, **kwargs: Any) -> NoReturn:
        _refuse(self.model, "they cannot be updated")

    def delete(self) -> NoReturn:
        _refuse(self.model, "they cannot be deleted")

    _raw_delete = delete  # type: ignore[assignment]


class ImmutableModel(models.Model):
    """A row that is inserted and then only read."""

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not self._state.adding:
            _refuse(type(self), "they cannot be updated")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        _refuse(type(self), "they cannot be deleted")


def append_only_trigger_sql(table: str) -> tuple[str, str]:
    """(forward, reverse) SQL for a PostgreSQL trigger that refuses UPDATE and DELETE on
    ``table`` (for a ``RunSQL`` in the migration that creates or protects it)."""
    function = f"{table}_append_only"
    forward = f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            RAISE EXCEPTION '{table} is append-only: % refused', TG_OP;
        END;
        $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {function} ON {table};
        CREATE TRIGGER {function} BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION {function}();
    """
    reverse = f"DROP TRIGGER IF EXISTS {function} ON {table}; DROP FUNCTION IF EXISTS {function}();"
    return forward, reverse


# Set for one session (``SET tre.allow_audit_truncate = on``) by what may empty an audit table
# on purpose: the test runner's flush between tests, the benchmarks' synthetic loads. Nothing
# in the application sets it; a superuser can, as they can drop the trigger: the trigger stops
# a mistaken or a least-privileged TRUNCATE, and verify_audit finds the rest.
TRUNCATE_SETTING = "tre.allow_audit_truncate"


def no_truncate_trigger_sql(table: str) -> tuple[str, str]:
    """(forward, reverse) SQL for a PostgreSQL statement trigger that refuses TRUNCATE on
    ``table`` (row triggers never see a TRUNCATE; it also fires for a ``CASCADE`` from the
    tables it references)."""
    function = f"{table}_no_truncate"
    forward = f"""
        CREATE OR REPLACE FUNCTION {function}() RETURNS trigger AS $$
        BEGIN
            IF current_setting('{TRUNCATE_SETTING}', true) = 'on' THEN
                RETURN NULL;
            END IF;
            RAISE EXCEPTION '{table} is append-only: TRUNCATE refused'
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$ LANGUAGE plpgsql;
        DROP TRIGGER IF EXISTS {function} ON {table};
        CREATE TRIGGER {function} BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION {function}();
    """
    reverse = f"DROP TRIGGER IF EXISTS {function} ON {table}; DROP FUNCTION IF EXISTS {function}();"
    return forward, reverse
