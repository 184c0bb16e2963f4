"""The sittings in the API: input serializers (one per write) and the sitting as its panel and
ops see it; the public minutes, which carry no personal data."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from workflow.models import AgendaItem, AgendaItemState, Outcome, Panel, PanelMode, Sitting
from workflow.sittings.selectors import deferred_reasons, public_tallies

# An id the database can hold (a larger one is a 400, not a database error).
MAX_ID = 2**63 - 1


class SittingCreateSerializer(serializers.Serializer):
    panel = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    date = serializers.DateField()
    cut_off = serializers.DateField(help_text="Applications referred by this day go on the agenda")
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")


class AgendaUpdateSerializer(serializers.Serializer):
    agenda_version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_ID,
        help_text="The agenda version your edit was made on (409 if it moved on)",
    )
    tracks = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=100,
        help_text="The review tracks to decide at this sitting, in order; a listed one left out "
        "is deferred",
    )
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class AttendanceSerializer(serializers.Serializer):
    present = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID),
        max_length=200,
        help_text="The ids of the members present; every other member is recorded absent",
    )


class ItemDecideSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=Outcome.choices)
    rationale = serializers.CharField(max_length=10_000, required=False, allow_blank=True)
    conditions = serializers.ListField(
        child=serializers.CharField(max_length=2000), max_length=50, required=False
    )


class MinutesSerializer(serializers.Serializer):
    minutes = serializers.CharField(max_length=20_000, allow_blank=True)


class PanelModeSerializer(serializers.Serializer):
    mode = serializers.ChoiceField(choices=PanelMode.choices)


class PanelModeAnswerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Panel
        fields = ["id", "name", "slug", "mode"]


class AgendaItemSerializer(serializers.ModelSerializer):
    track = serializers.IntegerField(source="track_id")
    application = serializers.IntegerField(source="track.application_id")
    reference = serializers.CharField(source="track.application.reference")
    title = serializers.CharField(source="track.application.title")
    outcome = serializers.SerializerMethodField()
    papers_ready = serializers.SerializerMethodField()
    # Why it was deferred, only if the reason names no person (the minutes' check); otherwise
    # empty, and ``deferred_reason_withheld`` says a reason is on the record.
    deferred_reason = serializers.CharField(source="public_deferred_reason", read_only=True)
    deferred_reason_withheld = serializers.SerializerMethodField()

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "position",
            "state",
            "track",
            "application",
            "reference",
            "title",
            "outcome",
            "deferred_reason",
            "deferred_reason_withheld",
            "papers_ready",
        ]

    def get_outcome(self, item: AgendaItem) -> str:
        return item.track.outcome if item.state == "decided" else ""

    def get_deferred_reason_withheld(self, item: AgendaItem) -> bool:
        return bool(item.deferred_reason) and not item.deferred_reason_public

    def get_papers_ready(self, item: AgendaItem) -> bool:
        return item.paper_generated_at is not None


class SittingSerializer(serializers.ModelSerializer):
    panel = serializers.IntegerField(source="panel_id")
    panel_name = serializers.CharField(source="panel.name")
    items = serializers.SerializerMethodField()
    attendance = serializers.SerializerMethodField()

    class Meta:
        model = Sitting
        fields = [
            "id",
            "panel",
            "panel_name",
            "date",
            "cut_off",
            "location",
            "state",
            "agenda_version",
            "items",
            "attendance",
            "minutes",
            "minutes_published_at",
        ]

    def get_items(self, sitting: Sitting) -> list[dict[str, Any]]:
        rows = sitting.items.select_related("track__application").order_by("position", "id")
        return list(AgendaItemSerializer(rows, many=True).data)

    def get_attendance(self, sitting: Sitting) -> list[dict[str, Any]]:
        return [
            {"member": a.member_id, "name": a.member.full_name, "present": a.present}
            for a in sitting.attendance.select_related("member")
        ]


class SittingSummarySerializer(serializers.ModelSerializer):
    panel_name = serializers.CharField(source="panel.name")

    class Meta:
        model = Sitting
        fields = ["id", "panel", "panel_name", "date", "cut_off", "state", "agenda_version"]


class PublicMinutesSerializer(serializers.ModelSerializer):
    """The public form: the panel, the date, how many attended, each decided item's reference
    and outcome, the chair's text. No names, no titles of applications not decided."""

    panel_name = serializers.CharField(source="panel.name")
    attended = serializers.SerializerMethodField()
    decisions = serializers.SerializerMethodField()
    deferred = serializers.SerializerMethodField()
    deferred_reasons = serializers.SerializerMethodField()

    class Meta:
        model = Sitting
        fields = [
            "id",
            "panel_name",
            "date",
            "attended",
            "decisions",
            "deferred",
            "deferred_reasons",
            "minutes",
            "minutes_published_at",
        ]

    def get_attended(self, sitting: Sitting) -> dict[str, int]:
        return public_tallies(sitting)

    def get_decisions(self, sitting: Sitting) -> list[dict[str, Any]]:
        return [
            {
                "item": item.position,
                "reference": item.track.application.reference,
                "outcome": item.track.outcome,
            }
            for item in sitting.items.all()
            if item.state == AgendaItemState.DECIDED
        ]

    def get_deferred(self, sitting: Sitting) -> int:
        return sum(1 for item in sitting.items.all() if item.state == AgendaItemState.DEFERRED)

    def get_deferred_reasons(self, sitting: Sitting) -> list[str]:
        """Why items were deferred: the reasons that name no person, without references."""
        return deferred_reasons(sitting)
