"""A system check that the production app does not connect as a role that could rewrite the
audit: run by ``manage.py check --database default`` (deploy/smoke does, with --deploy)."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.core.checks import Error, Tags, register
from django.db import connections

from core.immutable import ImmutableModel


@register(Tags.database)
def audit_tables_not_writable_by_the_app(app_configs=None, databases=None, **kwargs):
    if not getattr(settings, "PRODUCTION", False) or "default" not in (databases or ()):
        return []
    connection = connections["default"]
    if connection.vendor != "postgresql":
        return []
    tables = sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, ImmutableModel) and not model._meta.abstract
    )
    found = []
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                "SELECT pg_get_userbyid(c.relowner) = current_user,"
                " has_table_privilege(c.oid, 'UPDATE') OR has_table_privilege(c.oid, 'DELETE')"
                " OR has_table_privilege(c.oid, 'TRUNCATE')"
                " FROM pg_class c WHERE c.relname = %s",
                [table],
            )
            row = cursor.fetchone()
            if row and any(row):
                found.append(table)
    if not found:
        return []
    return [
        Error(
            f"The app's database role may rewrite the audit tables {', '.join(found)}.",
            hint="Run migrations as another role (DATABASE_MIGRATE_URL) and give the app's role "
            "only what grant_app_role grants (deploy/README.md, 'Two database roles').",
            id="workflow.E001",
        )
    ]
