"""Chain and seal the accreditation and access-grant histories, as the application's events are
(``core.audit_chain``), and refuse TRUNCATE on both tables.

Existing rows are chained per award or grant in ``id`` order and sealed with ``AUDIT_KEY``
(this migration runs with the app's environment). They were not chained before: the upgrade
vouches for them as they stand. The append-only trigger (0002) is disabled for the backfill and
enabled again in the same transaction; then statement triggers refuse TRUNCATE.
"""

from django.db import migrations, models

from core import audit_chain
from core.immutable import no_truncate_trigger_sql

# (model, table, the field naming the chain's object, seal label = the model's label_lower)
HISTORIES = (
    ("AccreditationEvent", "access_accreditationevent", "accreditation", "access.accreditationevent"),
    ("AccessGrantEvent", "access_accessgrantevent", "grant", "access.accessgrantevent"),
)


def content(event, chain):
    # AppendOnlyEvent.chain_content, fixed here.
    return {
        f"{chain}_id": getattr(event, f"{chain}_id"),
        "actor_id": event.actor_id,
        "actor_name": event.actor_name,
        "transition": event.transition,
        "from_state": event.from_state,
        "to_state": event.to_state,
        "reason": event.reason,
        "created_at": event.created_at,
    }


def chain_existing(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    if postgres:
        schema_editor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    for name, table, chain, label in HISTORIES:
        model = apps.get_model("access", name)
        if postgres:
            schema_editor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        previous: dict[int, str] = {}
        batch = []
        for event in model.objects.order_by(f"{chain}_id", "id").iterator(chunk_size=2000):
            owner = getattr(event, f"{chain}_id")
            event.prev_hash = previous.get(owner, "")
            event.hash = audit_chain.digest(content(event, chain), event.prev_hash)
            event.mac = audit_chain.seal(label, event.hash)
            previous[owner] = event.hash
            batch.append(event)
            if len(batch) >= 1000:
                model.objects.bulk_update(batch, ["prev_hash", "hash", "mac"])
                batch = []
        if batch:
            model.objects.bulk_update(batch, ["prev_hash", "hash", "mac"])
        if postgres:
            schema_editor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def add_truncate_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for _, table, _, _ in HISTORIES:
            schema_editor.execute(no_truncate_trigger_sql(table)[0], params=None)


def drop_truncate_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for _, table, _, _ in HISTORIES:
            schema_editor.execute(no_truncate_trigger_sql(table)[1], params=None)


def fields(model_name):
    return [
        migrations.AddField(
            model_name=model_name,
            name=name,
            field=models.CharField(
                blank=True, db_default="", default="", editable=False, max_length=length
            ),
        )
        for name, length in (("prev_hash", 64), ("hash", 64), ("mac", 80))
    ]


class Migration(migrations.Migration):
    dependencies = [("access", "0002_accreditation_agreements_grants")]

    operations = [
        *fields("accreditationevent"),
        *fields("accessgrantevent"),
        migrations.RunPython(chain_existing, migrations.RunPython.noop),
        migrations.RunPython(add_truncate_triggers, drop_truncate_triggers),
    ]
