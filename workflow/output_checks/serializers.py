"""Input and output shapes of the output-checking API."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.api.serializers import many
from workflow.models import Decision, FileKind, OutputFile, OutputRequest
from workflow.output_checks.services import MAX_FILES


class OutputRequestCreateSerializer(serializers.Serializer):
    application = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    public = serializers.BooleanField(default=False)


class OutputFileUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The file (CSV, PNG, JPEG, PDF or text).")
    description = serializers.CharField(max_length=4000)
    disclosure_notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    kind = serializers.ChoiceField(choices=FileKind.choices, default=FileKind.OUTPUT)


class OutputFileReplaceSerializer(serializers.Serializer):
    file = serializers.FileField()
    description = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    disclosure_notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class AcroUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="The results.json ACRO wrote.")


class VerdictSerializer(serializers.Serializer):
    file = serializers.IntegerField()
    decision = serializers.ChoiceField(choices=Decision.choices)
    comment = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class ReviewInputSerializer(serializers.Serializer):
    verdicts = many(VerdictSerializer, allow_empty=False, max_length=MAX_FILES)


class ConsolidateInputSerializer(serializers.Serializer):
    decisions = many(VerdictSerializer, allow_empty=False, max_length=MAX_FILES)


class AnswerSerializer(serializers.Serializer):
    file = serializers.IntegerField()
    answer = serializers.CharField(max_length=4000)


class ResubmitInputSerializer(serializers.Serializer):
    answers = many(AnswerSerializer, max_length=MAX_FILES)


class AcroOutputSerializer(serializers.Serializer):
    name = serializers.CharField()
    uid = serializers.CharField()
    status = serializers.ChoiceField(
        choices=[("pass", "pass"), ("fail", "fail"), ("review", "review")]
    )
    type = serializers.CharField()
    summary = serializers.CharField()
    comments = serializers.ListField(child=serializers.CharField())
    exception = serializers.CharField()


class OutputFileSerializer(serializers.ModelSerializer):
    acro = serializers.SerializerMethodField()
    downloadable = serializers.SerializerMethodField()

    class Meta:
        model = OutputFile
        fields = [
            "id",
            "kind",
            "name",
            "description",
            "disclosure_notes",
            "content_type",
            "size",
            "sha256",
            "auto_checks",
            "added_in_round",
            "replaces",
            "current",
            "decision",
            "released_at",
            "acro",
            "downloadable",
        ]
        read_only_fields = fields

    def _row(self, obj: OutputFile) -> dict[str, Any]:
        rows: dict[int, dict[str, Any]] = self.context.get("rows", {})
        return rows.get(obj.pk, {})

    @extend_schema_field(AcroOutputSerializer(allow_null=True))
    def get_acro(self, obj: OutputFile) -> dict | None:
        acro: dict | None = self._row(obj).get("acro")
        return AcroOutputSerializer(acro).data if acro else None

    def get_downloadable(self, obj: OutputFile) -> bool:
        return bool(self._row(obj).get("downloadable"))


class ReviewSerializer(serializers.Serializer):
    checker = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    verdicts = serializers.DictField(child=serializers.DictField(child=serializers.CharField()))


class RoundSerializer(serializers.Serializer):
    number = serializers.IntegerField()
    opened_at = serializers.DateTimeField()
    reviews_in = serializers.IntegerField()
    reviewed_by_you = serializers.BooleanField()
    reviews = ReviewSerializer(many=True, allow_null=True)
    disagreements = serializers.ListField(child=serializers.IntegerField(), allow_null=True)
    decisions = serializers.DictField(child=serializers.DictField(child=serializers.CharField()))
    consolidated_at = serializers.DateTimeField(allow_null=True)
    answers = serializers.DictField(child=serializers.CharField())


class OutputRequestSummarySerializer(serializers.ModelSerializer):
    reference = serializers.CharField(source="application.reference", read_only=True)

    class Meta:
        model = OutputRequest
        fields = [
            "id",
            "application",
            "reference",
            "title",
            "public",
            "state",
            "round",
            "created_at",
            "submitted_at",
            "finished_at",
        ]
        read_only_fields = fields


class OutputRequestSerializer(OutputRequestSummarySerializer):
    """A request whole: the summary's fields, then its files, rounds, ACRO results and what
    the caller may do."""

    files = serializers.SerializerMethodField()
    rounds = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()
    acro = serializers.SerializerMethodField()

    class Meta(OutputRequestSummarySerializer.Meta):
        fields = [
            *OutputRequestSummarySerializer.Meta.fields,
            "acro_file_name",
            "acro",
            "files",
            "rounds",
            "actions",
        ]
        read_only_fields = fields

    def _view(self) -> dict[str, Any]:
        view: dict[str, Any] = self.context["view_data"]
        return view

    @extend_schema_field(OutputFileSerializer(many=True))
    def get_files(self, obj: OutputRequest) -> list[dict]:
        rows = {row["file"].pk: row for row in self._view()["files"]}
        return list(
            OutputFileSerializer(
                [r["file"] for r in self._view()["files"]], many=True, context={"rows": rows}
            ).data
        )

    @extend_schema_field(RoundSerializer(many=True))
    def get_rounds(self, obj: OutputRequest) -> list[dict]:
        return list(RoundSerializer(self._view()["rounds"], many=True).data)

    def get_actions(self, obj: OutputRequest) -> list[str]:
        actions: list[str] = self._view()["actions"]
        return actions

    @extend_schema_field(AcroOutputSerializer(many=True))
    def get_acro(self, obj: OutputRequest) -> list[dict]:
        return list(AcroOutputSerializer(obj.acro_results.get("outputs", []), many=True).data)


class CheckerLoadSerializer(serializers.Serializer):
    checker = serializers.CharField()
    reviews = serializers.IntegerField()
    open = serializers.IntegerField()


class OutputCheckFiguresSerializer(serializers.Serializer):
    finished = serializers.IntegerField()
    median_working_days = serializers.FloatField(allow_null=True)
    first_time_release_rate = serializers.FloatField(allow_null=True)
    awaiting_review = serializers.IntegerField()
    checkers = CheckerLoadSerializer(many=True)
