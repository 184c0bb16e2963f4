"""On PostgreSQL, refuse UPDATE and DELETE on decision records at the database itself.

Like the event table (0002): the model and its queryset refuse them in code; the trigger also
stops raw SQL and anything else that reaches the table. TRUNCATE is left to the table's owner
(the test runner flushes tables with it). SQLite (the zero-setup run) relies on the code.
"""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION workflow_decisionrecord_immutable() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'workflow_decisionrecord is immutable: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER workflow_decisionrecord_immutable
    BEFORE UPDATE OR DELETE ON workflow_decisionrecord
    FOR EACH ROW EXECUTE FUNCTION workflow_decisionrecord_immutable();
"""

DROP = """
DROP TRIGGER IF EXISTS workflow_decisionrecord_immutable ON workflow_decisionrecord;
DROP FUNCTION IF EXISTS workflow_decisionrecord_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0008_register_outputs_decision_records")]

    operations = [migrations.RunPython(forwards, backwards)]
