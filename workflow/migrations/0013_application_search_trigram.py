"""Trigram indexes for the application search (``?search=`` on reference and title).

DRF's search filter asks ``UPPER(column::text) LIKE UPPER('%term%')``, which no b-tree can
answer: at 10,000 applications a search read the whole table twice (page and count), about
85 ms, and it grew with the table. pg_trgm's GIN indexes answer it from the index
(docs/scaling.md). PostgreSQL only; SQLite (the zero-setup run) has no pg_trgm and small data.
pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
"""

from django.db import migrations

INDEXES = {
    "workflow_app_reference_trgm": "reference",
    "workflow_app_title_trgm": "title",
}


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, column in INDEXES.items():
        # The expression is the one Django's icontains lookup writes, so the planner can use it.
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "workflow_application" '
            f'USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("workflow", "0012_stage_visit")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
