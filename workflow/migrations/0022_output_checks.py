"""Safe outputs: output requests, their files, rounds, the checkers' blind reviews and the
request's chained history. On PostgreSQL the history refuses UPDATE, DELETE and TRUNCATE, like
the application's events."""

import django.db.models.deletion
import django_fsm
import workflow.output_checks.models
from django.conf import settings
from django.db import migrations, models

from core.immutable import append_only_trigger_sql, no_truncate_trigger_sql

TABLE = "workflow_outputevent"


def add_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(append_only_trigger_sql(TABLE)[0], params=None)
        schema_editor.execute(no_truncate_trigger_sql(TABLE)[0], params=None)


def drop_triggers(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(no_truncate_trigger_sql(TABLE)[1], params=None)
        schema_editor.execute(append_only_trigger_sql(TABLE)[1], params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("workflow", "0021_stored_figures"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="OutputRequest",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("title", models.CharField(max_length=200)),
                ("public", models.BooleanField(default=False)),
                (
                    "state",
                    django_fsm.FSMField(
                        choices=[
                            ("draft", "Draft"),
                            ("submitted", "Awaiting checks"),
                            ("consolidating", "Checkers agreeing a decision"),
                            ("changes_requested", "Changes requested"),
                            ("released", "Released"),
                            ("rejected", "Not released"),
                        ],
                        default="draft",
                        max_length=20,
                        protected=True,
                    ),
                ),
                ("round", models.PositiveIntegerField(default=0)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
                ("submitted_at", models.DateTimeField(blank=True, null=True)),
                ("acro_results", models.JSONField(blank=True, default=dict)),
                ("acro_file_name", models.CharField(blank=True, max_length=200)),
                ("finished_at", models.DateTimeField(blank=True, null=True)),
                (
                    "application",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="output_requests",
                        to="workflow.application",
                    ),
                ),
                (
                    "created_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "finished_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "ordering": ["-created_at", "-id"],
            },
            bases=(django_fsm.ConcurrentTransitionMixin, models.Model),
        ),
        migrations.CreateModel(
            name="OutputFile",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "kind",
                    models.CharField(
                        choices=[
                            ("output", "Output to release"),
                            ("supporting", "Supporting file (never released)"),
                        ],
                        default="output",
                        max_length=20,
                    ),
                ),
                ("description", models.TextField()),
                ("disclosure_notes", models.TextField(blank=True)),
                (
                    "file",
                    models.FileField(
                        max_length=300, upload_to=workflow.output_checks.models._output_path
                    ),
                ),
                ("name", models.CharField(max_length=150)),
                ("content_type", models.CharField(max_length=100)),
                ("size", models.PositiveIntegerField()),
                ("sha256", models.CharField(max_length=64)),
                ("auto_checks", models.JSONField(blank=True, default=dict)),
                ("added_in_round", models.PositiveIntegerField(default=1)),
                ("current", models.BooleanField(default=True)),
                (
                    "decision",
                    models.CharField(
                        blank=True,
                        choices=[
                            ("approve", "Approve"),
                            ("reject", "Reject"),
                            ("changes", "Request changes"),
                        ],
                        max_length=20,
                    ),
                ),
                ("released_at", models.DateTimeField(blank=True, null=True)),
                ("uploaded_at", models.DateTimeField(auto_now_add=True)),
                (
                    "replaces",
                    models.OneToOneField(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="replaced_by",
                        to="workflow.outputfile",
                    ),
                ),
                (
                    "uploaded_by",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="files",
                        to="workflow.outputrequest",
                    ),
                ),
            ],
            options={
                "ordering": ["request", "id"],
            },
        ),
        migrations.CreateModel(
            name="OutputEvent",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("actor_name", models.CharField(max_length=200)),
                ("transition", models.CharField(max_length=40)),
                ("from_state", models.CharField(blank=True, max_length=20)),
                ("to_state", models.CharField(max_length=20)),
                ("reason", models.TextField(blank=True)),
                ("created_at", models.DateTimeField(db_index=True)),
                (
                    "prev_hash",
                    models.CharField(
                        blank=True, db_default="", default="", editable=False, max_length=64
                    ),
                ),
                (
                    "hash",
                    models.CharField(
                        blank=True, db_default="", default="", editable=False, max_length=64
                    ),
                ),
                (
                    "mac",
                    models.CharField(
                        blank=True, db_default="", default="", editable=False, max_length=80
                    ),
                ),
                (
                    "actor",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="events",
                        to="workflow.outputrequest",
                    ),
                ),
            ],
            options={
                "ordering": ["created_at", "id"],
                "abstract": False,
            },
        ),
        migrations.CreateModel(
            name="OutputRound",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("number", models.PositiveIntegerField()),
                ("opened_at", models.DateTimeField()),
                ("decisions", models.JSONField(blank=True, default=dict)),
                ("consolidated_at", models.DateTimeField(blank=True, null=True)),
                ("answers", models.JSONField(blank=True, default=dict)),
                (
                    "consolidated_by",
                    models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "request",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="rounds",
                        to="workflow.outputrequest",
                    ),
                ),
            ],
            options={
                "ordering": ["request", "number"],
            },
        ),
        migrations.CreateModel(
            name="CheckerReview",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("verdicts", models.JSONField()),
                ("submitted_at", models.DateTimeField()),
                (
                    "checker",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="output_reviews",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                (
                    "round",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="reviews",
                        to="workflow.outputround",
                    ),
                ),
            ],
            options={
                "ordering": ["round", "submitted_at", "id"],
            },
        ),
        migrations.AddConstraint(
            model_name="outputrequest",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("finished_at__isnull", True), ("finished_by__isnull", True)),
                    models.Q(("finished_at__isnull", False), ("finished_by__isnull", False)),
                    _connector="OR",
                ),
                name="workflow_output_request_finished_together",
            ),
        ),
        migrations.AddConstraint(
            model_name="outputfile",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("released_at__isnull", True),
                    models.Q(("decision", "approve"), ("kind", "output")),
                    _connector="OR",
                ),
                name="workflow_output_file_released_only_if_approved",
            ),
        ),
        migrations.AddConstraint(
            model_name="outputround",
            constraint=models.UniqueConstraint(
                fields=("request", "number"), name="workflow_output_round_once"
            ),
        ),
        migrations.AddConstraint(
            model_name="outputround",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("consolidated_at__isnull", True), ("consolidated_by__isnull", True)),
                    models.Q(
                        ("consolidated_at__isnull", False), ("consolidated_by__isnull", False)
                    ),
                    _connector="OR",
                ),
                name="workflow_output_round_consolidated_together",
            ),
        ),
        migrations.AddConstraint(
            model_name="checkerreview",
            constraint=models.UniqueConstraint(
                fields=("round", "checker"), name="workflow_output_review_once_per_checker"
            ),
        ),
        migrations.RunPython(add_triggers, drop_triggers),
    ]
