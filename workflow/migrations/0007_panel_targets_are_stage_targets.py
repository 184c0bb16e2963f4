"""A panel's target becomes a stage target keyed ``panel:<slug>`` (one place for every target).

A panel whose target differed from its kind's keeps it, as a stage target of its own.
"""

from django.db import migrations


def move_panel_targets(apps, schema_editor):
    Panel = apps.get_model("workflow", "Panel")
    StageTarget = apps.get_model("workflow", "StageTarget")
    for panel in Panel.objects.all():
        kind = StageTarget.objects.filter(stage=panel.track_kind).first()
        if kind is not None and kind.days == panel.target_days and kind.unit == "calendar":
            continue
        StageTarget.objects.get_or_create(
            stage=f"panel:{panel.slug}",
            defaults={
                "days": panel.target_days,
                "unit": "calendar",
                "due_soon_days": kind.due_soon_days if kind else 3,
                "escalate_after_days": kind.escalate_after_days if kind else None,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("workflow", "0006_merge_turnaround")]

    operations = [
        migrations.RunPython(move_panel_targets, migrations.RunPython.noop),
        migrations.RemoveField(model_name="panel", name="target_days"),
    ]
