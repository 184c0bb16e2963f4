"""Seal every event with the audit key (``mac``), and refuse TRUNCATE on the event table.

Existing events are sealed here, chain by chain, in ``id`` order, but only as far as their
chain still verifies: a chain already broken stays broken (its first bad event and everything
after it get no seal), so the upgrade never vouches for history it cannot check. The seal
needs ``AUDIT_KEY``, so this migration runs with the same environment as the app.

The append-only trigger (0002) refuses UPDATE: it is disabled for the backfill and enabled again
in the same transaction (as in 0008: the ALTER TABLE lock keeps every other session out until
the migration commits). Then a statement-level trigger refuses TRUNCATE, which row triggers
never see (``core.immutable.no_truncate_trigger_sql``). SQLite relies on the code.
"""

from django.db import migrations, models

from core.audit_chain import seal
from core.immutable import no_truncate_trigger_sql
from workflow.audit import content_of, digest

TABLE = "workflow_event"
ROW_TRIGGER = "workflow_event_append_only"
LABEL = "workflow.event"  # workflow.audit.Event.SEAL_LABEL, fixed here


def seal_existing_events(apps, schema_editor):
    Event = apps.get_model("workflow", "Event")
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        schema_editor.execute(f"ALTER TABLE {TABLE} DISABLE TRIGGER {ROW_TRIGGER}")
    previous: dict[int, str | None] = {}  # None: the chain broke, seal nothing more of it
    batch = []
    for event in Event.objects.order_by("application_id", "id").iterator(chunk_size=2000):
        before = previous.get(event.application_id, "")
        if before is None:
            continue
        if event.prev_hash != before or event.hash != digest(content_of(event), before):
            previous[event.application_id] = None
            continue
        event.mac = seal(LABEL, event.hash)
        previous[event.application_id] = event.hash
        batch.append(event)
        if len(batch) >= 1000:
            Event.objects.bulk_update(batch, ["mac"])
            batch = []
    if batch:
        Event.objects.bulk_update(batch, ["mac"])
    if postgres:
        schema_editor.execute(f"ALTER TABLE {TABLE} ENABLE TRIGGER {ROW_TRIGGER}")


def add_truncate_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(no_truncate_trigger_sql(TABLE)[0], params=None)


def drop_truncate_trigger(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(no_truncate_trigger_sql(TABLE)[1], params=None)


class Migration(migrations.Migration):
    dependencies = [("workflow", "0017_forecast_replay")]

    operations = [
        migrations.AddField(
            model_name="event",
            name="mac",
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=80
            ),
        ),
        migrations.RunPython(seal_existing_events, migrations.RunPython.noop),
        migrations.RunPython(add_truncate_trigger, drop_truncate_trigger),
    ]
