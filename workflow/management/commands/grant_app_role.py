"""``manage.py grant_app_role ROLE``: give the app's database role what it needs, and no more.

Run by ``deploy/bin/release`` after ``migrate``, connected as the role that owns the tables
(``DATABASE_MIGRATE_URL``). The app's role (``DATABASE_URL``) then reads and writes every table
but only reads and appends to the audit tables (every ``core.immutable.ImmutableModel``): no
UPDATE, DELETE or TRUNCATE, and, as it owns nothing, it cannot ``DISABLE TRIGGER``, drop a
trigger or alter a table. Idempotent; PostgreSQL only (SQLite has no roles).
"""

from __future__ import annotations

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from core.immutable import ImmutableModel


def append_only_tables() -> list[str]:
    return sorted(
        model._meta.db_table
        for model in apps.get_models()
        if issubclass(model, ImmutableModel) and not model._meta.abstract
    )


class Command(BaseCommand):
    help = "Grant the app's database role read/write on every table, append-only on the audit."

    def add_arguments(self, parser):
        parser.add_argument("role", help="The role the web and worker processes connect as.")

    def handle(self, *args, role, **options):
        if connection.vendor != "postgresql":
            raise CommandError("Database roles exist on PostgreSQL only.")
        quote = connection.ops.quote_name
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_user")
            (owner,) = cursor.fetchone()
            if owner == role:
                raise CommandError(
                    f"{role} is the role running the migrations: the app must connect as "
                    "another (DATABASE_MIGRATE_URL for migrations, DATABASE_URL for the app)."
                )
            cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", [role])
            if cursor.fetchone() is None:
                raise CommandError(f"There is no database role {role}.")
        tables = append_only_tables()
        name = quote(role)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {name}")
            cursor.execute(
                f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {name}"
            )
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {name}")
            for table in tables:
                cursor.execute(
                    f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {quote(table)} "
                    f"FROM {name}"
                )
        self.stdout.write(
            f"{role}: read and write on every table; append-only on {', '.join(tables)}."
        )
