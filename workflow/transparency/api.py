"""Transparency API: the public data-use register (JSON and CSV), decision records for staff,
project outputs, and the Five Safes RO-Crate export of an application.

Thin views: parse input (bad filter values are a 400 with a message per field), call one
selector or service, answer.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse
from django.utils.decorators import method_decorator
from django.views.decorators.http import condition
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
)
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from access.models import Organisation
from catalogue.models import Dataset, Purpose
from core.api.idempotency import idempotent
from core.api.throttling import AnonymousRateThrottle
from core.text import single_line
from workflow.models import OutputKind, ProjectOutput, RegisterEntry, RegisterStatus
from workflow.route import policies as route_policies
from workflow.transparency import csv_cache
from workflow.transparency import selectors as selectors
from workflow.transparency import services as register_services
from workflow.transparency.policies import check_export, check_read_decision_records
from workflow.transparency.register_csv import lines_from_stored
from workflow.transparency.rocrate import application_crate_zip
from workflow.transparency.serializers import RegisterEntrySerializer

# --- the public register ----------------------------------------------------------------------


class RegisterFilterSerializer(serializers.Serializer):
    """The register's filters; an unknown dataset or organisation, a status that is not one of
    ours or a year that is not a year is refused (400), never silently ignored."""

    dataset = serializers.SlugRelatedField(
        slug_field="slug", queryset=Dataset.objects.all(), required=False, help_text="Dataset slug"
    )
    organisation = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=Organisation.objects.all(),
        required=False,
        help_text="Slug of the lead applicant organisation",
    )
    status = serializers.ChoiceField(choices=RegisterStatus.choices, required=False)
    year = serializers.IntegerField(
        min_value=2000, max_value=2100, required=False, help_text="Year of the latest decision"
    )

    def selection(self) -> dict:
        data = self.validated_data
        return {
            "dataset": data["dataset"].slug if data.get("dataset") else None,
            "organisation": data["organisation"].slug if data.get("organisation") else None,
            "status": data.get("status"),
            "year": data.get("year"),
        }


FILTER_PARAMETERS = [
    OpenApiParameter("dataset", OpenApiTypes.STR, description="Dataset slug"),
    OpenApiParameter("organisation", OpenApiTypes.STR, description="Lead organisation slug"),
    OpenApiParameter("status", OpenApiTypes.STR, enum=list(RegisterStatus.values)),
    OpenApiParameter("year", OpenApiTypes.INT, description="Year of the latest decision"),
]


def _register_selection(request: Request) -> dict:
    params = RegisterFilterSerializer(data=request.query_params)
    params.is_valid(raise_exception=True)
    return params.selection()


class RegisterListView(generics.ListAPIView):
    """The public data-use register: approved, active and closed projects with the HDR UK data
    use register fields we hold, and declined applications (reference, organisation and status
    only). No login. Paginated; filter by dataset, organisation, status and year."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonymousRateThrottle]
    serializer_class = RegisterEntrySerializer
    filter_backends: list = []

    def get_queryset(self):
        return selectors.register_filter(
            selectors.register_entries(), **_register_selection(self.request)
        )

    @extend_schema(operation_id="register_list", parameters=FILTER_PARAMETERS)
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class RegisterEntryView(generics.RetrieveAPIView):
    """One entry of the public register, by project reference."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonymousRateThrottle]
    serializer_class = RegisterEntrySerializer
    lookup_field = "reference"
    lookup_url_kwarg = "reference"

    def get_queryset(self):
        return selectors.register_entries()

    @extend_schema(operation_id="register_retrieve")
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


def _version(request) -> tuple[datetime.datetime | None, int | None, int | None]:
    """The register's version (``register_version``), read once per request."""
    if not hasattr(request, "register_version"):
        request.register_version = selectors.register_version()
    return request.register_version


def _csv_last_change(request, *args, **kwargs) -> datetime.datetime | None:
    return _version(request)[0]


def _csv_etag(request, *args, **kwargs) -> str:
    last_change, *newest = _version(request)
    return selectors.register_etag(last_change, "csv", request.GET.urlencode(), *newest)


class RegisterCSVView(APIView):
    """The whole register (with the same filters) as one CSV file, one row per entry.

    Streamed: the entries are read through a server-side cursor a thousand at a time and
    written as they are read, so the memory of the worker stays flat whatever the register's
    size. ``ETag`` and ``Last-Modified`` come from the register's last change, so a client (or
    a cache in front) that has the file asks again for nothing (304)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []
    throttle_classes = [AnonymousRateThrottle]

    @extend_schema(
        operation_id="register_csv",
        parameters=FILTER_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.STR},
    )
    @method_decorator(condition(etag_func=_csv_etag, last_modified_func=_csv_last_change))
    def get(self, request: Request) -> HttpResponse | StreamingHttpResponse:
        selection = _register_selection(request)
        # Written once per version of the register and selection, then read from the file
        # (``csv_cache``); keyed by the validated selection, so that made-up parameters cannot
        # make a file each.
        key = selectors.register_etag(*_version(request), "csv", *sorted(selection.items()))
        cached = csv_cache.cached_file(key)

        def lines() -> Iterator[str]:
            # Run when the answer's first chunk is asked for, not in the view.
            entries = selectors.register_filter(RegisterEntry.objects.all(), **selection)
            # Each entry's stored cells; those never written (entries loaded by SQL, or a new
            # format) worked out from the entry and stored for the next download.
            yield from lines_from_stored(
                selectors.register_csv_rows(entries),
                selectors.register_entries_of,
                register_services.register_csv_cells_keep,
            )

        response: HttpResponse | StreamingHttpResponse = StreamingHttpResponse(
            csv_cache.streamed_from_file(cached, lines)
            if cached is not None
            else csv_cache.written_as_streamed(key, lines()),
            content_type="text/csv; charset=utf-8",
        )
        response["Content-Disposition"] = 'attachment; filename="data-use-register.csv"'
        response["Cache-Control"] = "public, max-age=300"
        return response


# --- decision records (staff) -------------------------------------------------------------------


class DecisionRecordFilterSerializer(serializers.Serializer):
    dataset = serializers.SlugRelatedField(
        slug_field="slug", queryset=Dataset.objects.all(), required=False
    )
    purpose = serializers.ChoiceField(choices=Purpose.choices, required=False)
    outcome = serializers.ChoiceField(
        choices=["approved", "approved_with_conditions", "rejected"], required=False
    )
    q = serializers.CharField(required=False, help_text="Words in the title or the reference")


class DecisionRecordSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    application = serializers.IntegerField(source="application_id")
    reference = serializers.CharField()
    title = serializers.CharField()
    purpose = serializers.CharField()
    datasets = serializers.ListField(child=serializers.CharField())
    version = serializers.IntegerField(help_text="The application version the decision judged")
    stage = serializers.CharField()
    outcome = serializers.CharField()
    decided_at = serializers.DateTimeField()
    decided_by_name = serializers.CharField()
    reason = serializers.CharField(help_text="A rejection at internal review: its reason")
    tracks = serializers.JSONField(help_text="Each track: outcome, rationale, conditions")
    conditions = serializers.ListField(child=serializers.CharField())
    pre_approved = serializers.JSONField(help_text="Categories relied on, as category@version")
    five_safes = serializers.JSONField(help_text="Verdicts and check results as they stood")


class DecisionRecordListView(generics.ListAPIView):
    """How past applications were decided, for reviewers, panel members and ops: each decision
    as it was taken, tied to the version it judged. Filter by dataset, purpose and outcome."""

    serializer_class = DecisionRecordSerializer
    filter_backends: list = []

    def get_queryset(self):
        check_read_decision_records(self.request.user)
        params = DecisionRecordFilterSerializer(data=self.request.query_params)
        params.is_valid(raise_exception=True)
        data = params.validated_data
        return selectors.decision_records_search(
            selectors.decision_records_visible_to(self.request.user),
            dataset=data["dataset"].slug if data.get("dataset") else None,
            purpose=data.get("purpose"),
            outcome=data.get("outcome"),
            q=data.get("q"),
        )

    @extend_schema(
        operation_id="decision_records_list",
        parameters=[
            OpenApiParameter("dataset", OpenApiTypes.STR, description="Dataset slug"),
            OpenApiParameter("purpose", OpenApiTypes.STR, enum=list(Purpose.values)),
            OpenApiParameter(
                "outcome",
                OpenApiTypes.STR,
                enum=["approved", "approved_with_conditions", "rejected"],
            ),
            OpenApiParameter("q", OpenApiTypes.STR, description="Words in title or reference"),
        ],
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


# --- outputs ------------------------------------------------------------------------------------


class OutputInputSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=OutputKind.choices)
    title = serializers.CharField(max_length=300, validators=[single_line])
    url = serializers.URLField(max_length=500)


class OutputSerializer(serializers.ModelSerializer):
    added_by = serializers.CharField(source="added_by.full_name")

    class Meta:
        model = ProjectOutput
        fields = ["id", "kind", "title", "url", "added_by", "added_at"]


class OutputListView(APIView):
    @extend_schema(operation_id="applications_outputs", responses=OutputSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        """The links to the project's publications, code and reports."""
        application = route_policies.visible_application(request.user, pk)
        outputs = application.outputs.select_related("added_by")
        return Response(OutputSerializer(outputs, many=True).data)

    @extend_schema(
        operation_id="applications_outputs_add",
        request=OutputInputSerializer,
        responses={201: OutputSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """A member of an active or closed project adds a link; it shows on the register."""
        application = route_policies.visible_application(request.user, pk)
        serializer = OutputInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        output = register_services.project_output_add(
            application=application, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(OutputSerializer(output).data, status=status.HTTP_201_CREATED)


# --- the Five Safes RO-Crate --------------------------------------------------------------------


class ROCrateView(APIView):
    @extend_schema(
        operation_id="applications_ro_crate",
        responses={
            (200, "application/zip"): OpenApiResponse(
                OpenApiTypes.BINARY,
                description="A zip of the RO-Crate (ro-crate-metadata.json at its root)",
            )
        },
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        """The application as a Five Safes RO-Crate: the request, its people and their
        credentials, the datasets, the agreement, every review action and decision (staff)."""
        # Visibility first (404 for an application the caller may not see, so the answer
        # reveals nothing), then the export permission (403).
        application = route_policies.visible_application(request.user, pk)
        check_export(request.user, application)
        response = HttpResponse(application_crate_zip(application), content_type="application/zip")
        name = (application.reference or f"application-{application.pk}").replace("/", "-")
        response["Content-Disposition"] = f'attachment; filename="{name}-ro-crate.zip"'
        return response
