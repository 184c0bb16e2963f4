"""Tamper-evident events: ``hash`` and ``prev_hash`` on every event, chained per application.

Existing events are chained here, in ``id`` order per application (the order they were written
under the application's row lock). The append-only trigger (0002) refuses UPDATE, so on
PostgreSQL it is disabled for the backfill and enabled again in the same transaction:
``ALTER TABLE ... DISABLE TRIGGER`` takes an ACCESS EXCLUSIVE lock on the table that is held
until the migration commits, so no other session can write (or read) the table while the
trigger is off, and a failure rolls the whole thing back with the trigger still on.
"""

from django.db import migrations, models

from workflow.audit import content_of, digest

TRIGGER = "workflow_event_append_only"


def chain_existing_events(apps, schema_editor):
    Event = apps.get_model("workflow", "Event")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute(f"ALTER TABLE workflow_event DISABLE TRIGGER {TRIGGER}")
    previous: dict[int, str] = {}
    batch = []
    for event in Event.objects.order_by("application_id", "id").iterator(chunk_size=2000):
        event.prev_hash = previous.get(event.application_id, "")
        event.hash = digest(content_of(event), event.prev_hash)
        previous[event.application_id] = event.hash
        batch.append(event)
        if len(batch) >= 1000:
            Event.objects.bulk_update(batch, ["prev_hash", "hash"])
            batch = []
    if batch:
        Event.objects.bulk_update(batch, ["prev_hash", "hash"])
    if postgres:
        schema_editor.execute(f"ALTER TABLE workflow_event ENABLE TRIGGER {TRIGGER}")


class Migration(migrations.Migration):
    dependencies = [("workflow", "0007_panel_targets_are_stage_targets")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="prev_hash",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=64
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="hash",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=64
            ),
        ),
        migrations.RunPython(chain_existing_events, migrations.RunPython.noop),
    ]
