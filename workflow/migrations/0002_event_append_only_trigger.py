"""On PostgreSQL, refuse UPDATE and DELETE on the event table at the database itself.

The model and its queryset refuse them in code; this trigger also stops raw SQL, the admin's
shell and anything else that reaches the table. TRUNCATE is left to the table's owner (the
test runner flushes tables with it); the application never issues it. SQLite (the zero-setup run) relies on the code.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION workflow_event_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'workflow_event is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER workflow_event_append_only
    BEFORE UPDATE OR DELETE ON workflow_event
    FOR EACH ROW EXECUTE FUNCTION workflow_event_append_only();
"""

DROP = """
DROP TRIGGER IF EXISTS workflow_event_append_only ON workflow_event;
DROP FUNCTION IF EXISTS workflow_event_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]
