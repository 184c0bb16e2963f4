"""Turnaround API: ops metrics (JSON and CSV), stage targets, and each application's clocks
and forecast. Thin: parse and validate the input, load what the caller may see, call one
service, answer."""

from __future__ import annotations

import io

from django.http import Http404
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_serializer,
)
from rest_framework import serializers, viewsets
from rest_framework.renderers import BaseRenderer, BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from access.policy import Permission, has_permission
from catalogue.models import Dataset
from core import spreadsheet
from core.api.idempotency import idempotent
from core.errors import NotAllowed
from workflow.models import DayUnit, StageTarget
from workflow.route.policies import visible_application, visible_view
from workflow.turnaround import clocks, export, forecast, metrics
from workflow.turnaround.services import stage_target_set

# --- CSV ----------------------------------------------------------------------------------------


class CSVRenderer(BaseRenderer):
    """A table (a list of rows with the same keys) as CSV with a header row
    (``workflow/turnaround/export.py`` builds the turnaround one)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None) -> bytes:
        response = (renderer_context or {}).get("response")
        if (response is not None and response.status_code >= 400) or not isinstance(data, list):
            # An error is an error, in the API's one shape: never a CSV of it; and what is not
            # a table (OPTIONS' description of the endpoint) is answered as JSON too.
            if response is not None:
                response["Content-Type"] = "application/json"
            return JSONRenderer().render(data)
        out = io.StringIO()
        writer = spreadsheet.writer(out)  # application titles never run as formulas
        writer.writerow(export.COLUMNS)
        writer.writerows([row[column] for column in export.COLUMNS] for row in data)
        if response is not None and response.status_code == 200:
            response["Content-Disposition"] = 'attachment; filename="turnaround.csv"'
        return out.getvalue().encode(self.charset)


# --- metrics ------------------------------------------------------------------------------------


class MetricsFilterSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        # "from" is a Python keyword, so the fields are declared here rather than as attributes.
        return {
            "from": serializers.DateField(required=False, help_text="First day (inclusive)"),
            "to": serializers.DateField(required=False, help_text="Last day (inclusive)"),
            "legal_gateway": serializers.ChoiceField(
                choices=list(metrics.LEGAL_GATEWAYS), required=False
            ),
            "route": serializers.ChoiceField(choices=metrics.ROUTES, required=False),
            "dataset": serializers.SlugField(required=False, help_text="A dataset's slug"),
        }

    def validate_dataset(self, value: str) -> str:
        if not Dataset.objects.filter(slug=value).exists():
            raise serializers.ValidationError(f"There is no dataset '{value}'.")
        return value

    def validate(self, attrs: dict) -> dict:
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"to": ["The period must end after it starts."]})
        gateway = attrs.pop("legal_gateway", None)
        if gateway is not None:
            route = metrics.LEGAL_GATEWAYS[gateway]
            if attrs.get("route", route) != route:
                raise serializers.ValidationError(
                    {"route": ["route is the old name of legal_gateway: send legal_gateway alone."]}
                )
            attrs["route"] = route
        return attrs


class StatsSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    mean_days = serializers.FloatField(allow_null=True)
    median_days = serializers.FloatField(allow_null=True)
    p90_days = serializers.FloatField(allow_null=True)


class TargetRefSerializer(serializers.Serializer):
    stage = serializers.CharField()
    days = serializers.IntegerField()
    unit = serializers.ChoiceField(choices=DayUnit.choices)
    effective_from = serializers.DateTimeField(help_text="When this version came into force")


class JudgedBySerializer(TargetRefSerializer):
    count = serializers.IntegerField(help_text="How many of what ended this version judged")


class VisitStatsSerializer(StatsSerializer):
    median_working_days = serializers.FloatField(allow_null=True)
    p90_working_days = serializers.FloatField(allow_null=True)


class RequestToAccessSerializer(StatsSerializer):
    tre_clock_median_days = serializers.FloatField(allow_null=True)
    tre_clock_p90_days = serializers.FloatField(allow_null=True)
    target_days = serializers.IntegerField()


class StageStatsSerializer(StatsSerializer):
    """Stages that ended in the period, each on its clock: on the TRE's clock a stage's visits
    add up (paused while the applicant held it); ``per_visit`` is the same per visit."""

    stage = serializers.CharField()
    clock = serializers.CharField(allow_null=True)
    cumulative = serializers.BooleanField(help_text="Its visits add up on one clock")
    median_working_days = serializers.FloatField(allow_null=True)
    p90_working_days = serializers.FloatField(allow_null=True)
    target = TargetRefSerializer(allow_null=True, help_text="The version in force now")
    judged_by = JudgedBySerializer(
        many=True, help_text="The versions that judged the stages that ended in the period"
    )
    breaches = serializers.IntegerField(
        allow_null=True, help_text="Ended in the period after their due date"
    )
    open_breaches = serializers.IntegerField(
        allow_null=True, help_text="Running now and already past their due date"
    )
    per_visit = VisitStatsSerializer()


class TrackStatsSerializer(StatsSerializer):
    """Decisions people made; ``automatic`` counts the owner sign-offs decided at once under a
    pre-approved category, apart, so that they do not pull the owners' times down."""

    kind = serializers.CharField()
    median_working_days = serializers.FloatField(allow_null=True)
    p90_working_days = serializers.FloatField(allow_null=True)
    target = TargetRefSerializer(help_text="The version in force now")
    judged_by = JudgedBySerializer(
        many=True, help_text="The versions the tracks decided in the period opened under"
    )
    breaches = serializers.IntegerField()
    open_breaches = serializers.IntegerField()
    automatic = StatsSerializer(help_text="Decided at once under a pre-approved category")


class PanelResponseSerializer(StatsSerializer):
    panel = serializers.CharField()
    target_days = serializers.IntegerField()
    target_unit = serializers.CharField()
    within_target_rate = serializers.FloatField(allow_null=True)


class RateSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="How many were counted")
    hits = serializers.IntegerField(help_text="How many of them had the property")
    rate = serializers.FloatField(allow_null=True, help_text="hits / count")


class PushbackSerializer(serializers.Serializer):
    internal_review = RateSerializer()
    panels = RateSerializer()
    by_panel = serializers.DictField(child=RateSerializer())


class BreachRowSerializer(serializers.Serializer):
    stage = serializers.CharField()
    completed = serializers.IntegerField()
    open = serializers.IntegerField()


class BreachesSerializer(serializers.Serializer):
    completed = serializers.IntegerField()
    open = serializers.IntegerField()
    by_stage = BreachRowSerializer(many=True)


class CountRowSerializer(serializers.Serializer):
    state = serializers.CharField(required=False)
    kind = serializers.CharField(required=False)
    count = serializers.IntegerField()


class PersonLoadSerializer(serializers.Serializer):
    user_id = serializers.IntegerField()
    name = serializers.CharField()
    open = serializers.IntegerField()


class OwnerLoadSerializer(serializers.Serializer):
    organisation_id = serializers.IntegerField()
    organisation = serializers.CharField()
    open = serializers.IntegerField()


class PoolSerializer(serializers.Serializer):
    open = serializers.IntegerField()
    people = serializers.IntegerField()
    per_person = serializers.FloatField(allow_null=True)


class WorkInProgressSerializer(serializers.Serializer):
    by_stage = CountRowSerializer(many=True)
    open_tracks = CountRowSerializer(many=True)
    analysts = PersonLoadSerializer(many=True)
    reviewers = PoolSerializer()
    owners = OwnerLoadSerializer(many=True)


class OldestSerializer(serializers.Serializer):
    application_id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    state = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    in_state_since = serializers.DateTimeField()
    days_open = serializers.FloatField()
    days_in_state = serializers.FloatField()
    holder = serializers.CharField()
    alert = serializers.BooleanField(help_text="Open for a year or more")


@extend_schema_serializer(deprecate_fields=["route"])
class FiltersEchoSerializer(serializers.Serializer):
    def get_fields(self) -> dict[str, serializers.Field]:
        return {
            "from": serializers.DateField(allow_null=True),
            "to": serializers.DateField(allow_null=True),
            "legal_gateway": serializers.CharField(allow_null=True),
            "route": serializers.CharField(
                allow_null=True, help_text="Deprecated: read legal_gateway (removed next release)"
            ),
            "dataset": serializers.CharField(allow_null=True),
        }


class TurnaroundSummarySerializer(serializers.Serializer):
    filters = FiltersEchoSerializer()
    generated_at = serializers.DateTimeField()
    request_to_access = RequestToAccessSerializer()
    stages = StageStatsSerializer(many=True)
    tracks = TrackStatsSerializer(many=True)
    panel_response = PanelResponseSerializer(many=True)
    pushback = PushbackSerializer()
    first_time_approval = RateSerializer()
    pre_approved = RateSerializer()
    target_breaches = BreachesSerializer()
    work_in_progress = WorkInProgressSerializer()
    oldest_open = OldestSerializer(many=True)


GATEWAY_PARAMETERS = [
    OpenApiParameter(
        "legal_gateway",
        OpenApiTypes.STR,
        enum=list(metrics.LEGAL_GATEWAYS),
        description="dea_research: any requested dataset is shared under the DEA research "
        "gateway (its legal_gateway); other: none is",
    ),
    OpenApiParameter(
        "route",
        OpenApiTypes.STR,
        enum=list(metrics.ROUTES),
        deprecated=True,
        description="Deprecated: use legal_gateway (dea is dea_research, standard is other)",
    ),
]


class TurnaroundMetricsView(APIView):
    """Turnaround for ops: request to access, time per stage and per track on the TRE's clock,
    panel response against 19 days, push-back and first-time approval rates, pre-approved
    hits, target breaches, work in progress and the oldest open items. JSON, or CSV with
    ``?format=csv`` (or ``/metrics/turnaround.csv``)."""

    renderer_classes = [JSONRenderer, BrowsableAPIRenderer, CSVRenderer]

    @extend_schema(
        operation_id="metrics_turnaround",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive)"),
            *GATEWAY_PARAMETERS,
            OpenApiParameter("dataset", OpenApiTypes.STR, description="A requested dataset"),
        ],
        responses={
            200: OpenApiResponse(
                TurnaroundSummarySerializer, description="JSON, or text/csv for format=csv"
            )
        },
    )
    def get(self, request: Request, format: str | None = None) -> Response:
        if not has_permission(request.user, Permission.METRICS_VIEW):
            raise NotAllowed("Turnaround metrics are for ops.")
        params = MetricsFilterSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        f = metrics.MetricsFilter(
            start=data.get("from"),
            end=data.get("to"),
            route=data.get("route"),
            dataset=data.get("dataset"),
        )
        summary = metrics.turnaround_summary(f)
        if request.accepted_renderer.format == CSVRenderer.format:
            journeys = metrics.request_to_access_journeys(f)
            return Response(export.turnaround_table(summary, journeys))
        return Response(TurnaroundSummarySerializer(summary).data)


class TurnaroundMetricsCSVView(TurnaroundMetricsView):
    """The same figures as ``/metrics/turnaround/``, as a CSV table: one row per period and
    measure (stage, review track, panel response, request to access, month by month), with a
    header row (the columns of ``workflow/turnaround/export.py``)."""

    @extend_schema(
        operation_id="metrics_turnaround_csv",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, description="First day (inclusive)"),
            OpenApiParameter("to", OpenApiTypes.DATE, description="Last day (inclusive)"),
            *GATEWAY_PARAMETERS,
            OpenApiParameter("dataset", OpenApiTypes.STR, description="A requested dataset"),
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    def get(self, request: Request, format: str | None = None) -> Response:
        return super().get(request, format=format)


# --- stage targets ------------------------------------------------------------------------------


class StageTargetVersionSerializer(serializers.ModelSerializer):
    updated_by = serializers.CharField(source="updated_by.full_name", allow_null=True, default=None)

    class Meta:
        model = StageTarget
        fields = [
            "days",
            "unit",
            "due_soon_days",
            "escalate_after_days",
            "effective_from",
            "updated_at",
            "updated_by",
        ]
        read_only_fields = fields


class StageTargetSerializer(StageTargetVersionSerializer):
    """A stage's target: the version in force now (the first one to come when none is yet),
    and every version, oldest first (``effective_from`` after now: scheduled)."""

    versions = serializers.SerializerMethodField()

    class Meta(StageTargetVersionSerializer.Meta):
        fields = ["stage", *StageTargetVersionSerializer.Meta.fields, "versions"]
        read_only_fields = fields

    @extend_schema_field(StageTargetVersionSerializer(many=True))
    def get_versions(self, row: StageTarget) -> list[dict]:
        versions = self.context.get("versions", {}).get(row.stage) or [row]
        return list(StageTargetVersionSerializer(versions, many=True).data)


class StageTargetInputSerializer(serializers.Serializer):
    stage = serializers.CharField(max_length=60, required=False)
    days = serializers.IntegerField(min_value=1, max_value=730, required=False)
    unit = serializers.ChoiceField(choices=DayUnit.choices, required=False)
    due_soon_days = serializers.IntegerField(min_value=0, required=False)
    escalate_after_days = serializers.IntegerField(min_value=0, allow_null=True, required=False)
    effective_from = serializers.DateField(
        required=False,
        help_text="From when the new version is in force: today (the default: from now) or a "
        "later date. Stages and tracks that started before keep the version they started under.",
    )


def _versions_by_stage() -> dict[str, list[StageTarget]]:
    versions: dict[str, list[StageTarget]] = {}
    for row in StageTarget.objects.select_related("updated_by").order_by(
        "stage", "effective_from", "id"
    ):
        versions.setdefault(row.stage, []).append(row)
    return versions


def _in_force(versions: list[StageTarget]) -> StageTarget:
    now = timezone.now()
    current = [v for v in versions if v.effective_from <= now]
    return current[-1] if current else versions[0]


class StageTargetViewSet(viewsets.GenericViewSet):
    """How long each stage and each panel should take, and when reminders and escalations
    go out, version by version. Anyone signed in may read them; ops set them."""

    queryset = StageTarget.objects.none()
    serializer_class = StageTargetSerializer
    lookup_field = "stage"
    lookup_value_regex = r"[a-z0-9_:\-]+"
    pagination_class = None
    filter_backends: list = []

    def _answer(self, row: StageTarget, versions: dict, status: int = 200) -> Response:
        return Response(
            StageTargetSerializer(row, context={"versions": versions}).data, status=status
        )

    def list(self, request: Request) -> Response:
        versions = _versions_by_stage()
        # In the order the stages were first given a target (the seeded ones first).
        rows = sorted(
            (_in_force(v) for v in versions.values()),
            key=lambda r: min(v.pk for v in versions[r.stage]),
        )
        return Response(StageTargetSerializer(rows, many=True, context={"versions": versions}).data)

    def retrieve(self, request: Request, stage: str | None = None) -> Response:
        versions = _versions_by_stage()
        if stage not in versions:
            raise Http404("No target for this stage.")
        return self._answer(_in_force(versions[stage]), versions)

    @extend_schema(request=StageTargetInputSerializer, responses={201: StageTargetSerializer})
    @idempotent
    def create(self, request: Request) -> Response:
        """Add a target for a stage without one (e.g. ``panel:<slug>`` for one panel)."""
        serializer = StageTargetInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        stage = data.pop("stage", "")
        row = stage_target_set(stage=stage, by=signed_in_user(request), data=data, create=True)
        return self._answer(row, _versions_by_stage(), status=201)

    @extend_schema(request=StageTargetInputSerializer, responses=StageTargetSerializer)
    def partial_update(self, request: Request, stage: str | None = None) -> Response:
        """A new version of the stage's target, in force from ``effective_from``."""
        if stage is None or not StageTarget.objects.filter(stage=stage).exists():
            raise Http404("No target for this stage.")
        serializer = StageTargetInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "stage"}
        row = stage_target_set(stage=stage, by=signed_in_user(request), data=data)
        return self._answer(row, _versions_by_stage())


# --- one application's clocks and forecast ------------------------------------------------------


class EstimateSerializer(serializers.Serializer):
    days = serializers.FloatField(help_text="The typical (median) duration it is drawn from")
    unit = serializers.ChoiceField(choices=DayUnit.choices)
    # Not Field.source at run time (DRF's metaclass takes declared fields out of the class).
    source = serializers.ChoiceField(  # type: ignore[assignment]
        # Every source the forecast gives (forecast.SOURCE_WORDS and the two without history);
        # "history_and_target" was missing, found by schemathesis (tests/api/test_fuzz.py).
        choices=[*forecast.SOURCE_WORDS, "due_date", "target", "sitting"],
        help_text="history: past cases on this route; history_all_routes: on every route (too "
        "few on this one); history_all_stages: answers to feedback at any stage; "
        "history_and_target: the few past cases, with the target for the rest; "
        "history_and_due_date: the few that lasted as long, and its due date; "
        "overdue_history: how long overdue ones of its kind still took; "
        "due_date: expected by its due date (it has run longer than past ones); target: too "
        "little history yet; sitting: decided at its panel's next sitting",
    )
    samples = serializers.IntegerField()


class StepEstimateSerializer(EstimateSerializer):
    rework_chance = serializers.FloatField(
        help_text="The chance of another round of feedback after it (from the TRE's history)"
    )
    round_days = serializers.FloatField(
        allow_null=True, help_text="What such a round typically costs, in days"
    )


class TrackStepSerializer(serializers.Serializer):
    kind = serializers.CharField()
    organisation_id = serializers.IntegerField(
        allow_null=True, help_text="The data owner's organisation, for an owner's sign-off"
    )
    track_id = serializers.IntegerField(required=False)
    expected_end = serializers.DateField()
    estimate = EstimateSerializer(allow_null=True)


class StepSerializer(serializers.Serializer):
    stage = serializers.CharField()
    status = serializers.ChoiceField(choices=["current", "ahead"])
    expected_end = serializers.DateField(help_text="The median of the draws, a working day")
    estimate = StepEstimateSerializer(required=False)
    rework_chance = serializers.FloatField(required=False)
    tracks = TrackStepSerializer(many=True, required=False)


class RangeSerializer(serializers.Serializer):
    low = serializers.DateField()
    high = serializers.DateField()
    probability = serializers.FloatField(help_text="The share of the draws between the two")


class AssumptionSerializer(serializers.Serializer):
    code = serializers.CharField()
    detail = serializers.CharField()


class WarningSerializer(serializers.Serializer):
    code = serializers.ChoiceField(choices=["after_start_date", "after_end_date"])
    detail = serializers.CharField()


class ForecastSerializer(serializers.Serializer):
    application_id = serializers.IntegerField()
    reference = serializers.CharField(allow_null=True)
    state = serializers.CharField()
    generated_at = serializers.DateTimeField()
    route = serializers.CharField(allow_null=True)
    predicted_access_date = serializers.DateField(
        allow_null=True, help_text="The median of the simulated access dates, a working day"
    )
    range = RangeSerializer(allow_null=True, help_text="Access falls in it with this chance")
    access_date = serializers.DateField(allow_null=True, help_text="When access was granted")
    steps = StepSerializer(many=True)
    assumptions = AssumptionSerializer(many=True, help_text="What the forecast assumes, in words")
    warnings = WarningSerializer(many=True)


class VisitSerializer(serializers.Serializer):
    state = serializers.CharField()
    visit = serializers.IntegerField()
    clock = serializers.CharField(allow_null=True)
    entered_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)
    calendar_days = serializers.FloatField()
    working_days = serializers.IntegerField(allow_null=True)
    target = TargetRefSerializer(allow_null=True, help_text="The version that judges it")
    due_date = serializers.DateField(
        allow_null=True, help_text="The stage's due date on its clock as this visit started"
    )
    breached = serializers.BooleanField(help_text="Ended, or still open, after its due date")


class StageClockSerializer(serializers.Serializer):
    state = serializers.CharField()
    clock = serializers.CharField()
    cumulative = serializers.BooleanField(
        help_text="The stage's visits add up on one clock, paused while the applicant holds it"
    )
    visits = serializers.IntegerField()
    calendar_days = serializers.FloatField()
    working_days = serializers.IntegerField()
    target = TargetRefSerializer(allow_null=True, help_text="The version that judges it")
    due_date = serializers.DateField(allow_null=True, help_text="As its latest visit started")
    running = serializers.BooleanField(help_text="Its clock runs now")
    late = serializers.BooleanField(help_text="Ended, or still open, after a due date")


class TrackVisitSerializer(serializers.Serializer):
    track_id = serializers.IntegerField()
    kind = serializers.CharField()
    organisation_id = serializers.IntegerField(allow_null=True)
    round = serializers.IntegerField()
    superseded = serializers.BooleanField()
    automatic = serializers.BooleanField(help_text="Decided at once (a pre-approved category)")
    opened_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    closed_at = serializers.DateTimeField(
        allow_null=True, help_text="Closed undecided when the application ended"
    )
    outcome = serializers.CharField()
    calendar_days = serializers.FloatField()
    working_days = serializers.IntegerField(allow_null=True)
    target = TargetRefSerializer(allow_null=True, help_text="The version it opened under")
    due_date = serializers.DateField(allow_null=True)
    breached = serializers.BooleanField(help_text="Ended, or still open, after its due date")


class ClockTotalSerializer(serializers.Serializer):
    calendar_days = serializers.FloatField()
    working_days = serializers.IntegerField()


class ClockTotalsSerializer(serializers.Serializer):
    tre = ClockTotalSerializer()
    applicant = ClockTotalSerializer()


class ClocksSerializer(serializers.Serializer):
    visits = VisitSerializer(many=True)
    stages = StageClockSerializer(many=True)
    tracks = TrackVisitSerializer(many=True)
    totals = ClockTotalsSerializer()


def _visible_application(request: Request, pk: int):
    return visible_application(request.user, pk)


class ApplicationForecastView(APIView):
    """When access is likely: a date (a working day) and an 80% range, simulated from how long
    each stage took on the same route and how often it needed another round of feedback; the
    stages ahead, what it assumes, and warnings when it falls after the project's start or end
    date."""

    @extend_schema(operation_id="applications_forecast", responses=ForecastSerializer)
    def get(self, request: Request, pk: int) -> Response:
        application = _visible_application(request, pk)
        view = visible_view(request.user, application)
        return Response(
            ForecastSerializer(view.forecast(forecast.application_forecast(application))).data
        )


class ApplicationClocksView(APIView):
    """Time in each state and each track, per visit, on the TRE's or the applicant's clock,
    in calendar and working days, against its target."""

    @extend_schema(operation_id="applications_clocks", responses=ClocksSerializer)
    def get(self, request: Request, pk: int) -> Response:
        application = _visible_application(request, pk)
        view = visible_view(request.user, application)
        return Response(ClocksSerializer(view.clocks(clocks.application_clocks(application))).data)
