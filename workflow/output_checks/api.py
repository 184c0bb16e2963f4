"""Thin API views for output requests: each loads the request the caller may see (404
otherwise), calls one service or selector, and answers with the request as the caller sees it."""

from __future__ import annotations

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.parsers import MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from core.api.idempotency import idempotent
from core.evidence import evidence_response
from workflow.models import Application, OutputFile, OutputRequest
from workflow.output_checks import serializers as s
from workflow.output_checks import services
from workflow.output_checks.overview import request_view, round_view
from workflow.output_checks.policies import (
    can_download,
    check_see_figures,
    check_see_verdicts,
    requests_visible_to,
    visible_request,
)
from workflow.output_checks.selectors import output_check_figures
from workflow.route import policies as route_policies


def _answer(request: Request, output_request: OutputRequest, code: int = 200) -> Response:
    output_request = OutputRequest.objects.select_related("application").get(pk=output_request.pk)
    view = request_view(request.user, output_request)
    data = s.OutputRequestSerializer(output_request, context={"view_data": view}).data
    return Response(data, status=code)


class OutputRequestListView(APIView):
    @extend_schema(
        operation_id="output_requests_list", responses=s.OutputRequestSummarySerializer(many=True)
    )
    def get(self, request: Request) -> Response:
        """The output requests you may see: your projects', and every submitted one if you are
        an output checker."""
        rows = requests_visible_to(request.user).order_by("-created_at", "-id")[:500]
        return Response(s.OutputRequestSummarySerializer(rows, many=True).data)

    @extend_schema(
        operation_id="output_requests_create",
        request=s.OutputRequestCreateSerializer,
        responses={201: s.OutputRequestSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Start a request for outputs of an active project you are on (a draft)."""
        serializer = s.OutputRequestCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        application = route_policies.visible_application(
            request.user, data["application"], queryset=Application.objects.all()
        )
        created = services.output_request_create(
            application=application,
            by=signed_in_user(request),
            title=data["title"],
            public=data["public"],
        )
        return _answer(request, created, status.HTTP_201_CREATED)


class OutputRequestView(APIView):
    @extend_schema(operation_id="output_requests_retrieve", responses=s.OutputRequestSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return _answer(request, visible_request(request.user, pk))


class OutputFilesView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="output_requests_files_add",
        request={"multipart/form-data": s.OutputFileUploadSerializer},
        responses={201: s.OutputRequestSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Add a file to a draft request: an output to release, or a supporting file (code,
        logs) that is never released."""
        output_request = visible_request(request.user, pk)
        form = _form(request)
        services.output_file_add(
            output_request=output_request,
            by=signed_in_user(request),
            upload=request.FILES.get("file"),
            description=form.get("description", ""),
            disclosure_notes=form.get("disclosure_notes", ""),
            kind=form.get("kind") or "output",
        )
        return _answer(request, output_request, status.HTTP_201_CREATED)


def _form(request: Request) -> dict[str, str]:
    """The text fields of a multipart upload (the services validate them; the file is checked
    there too, so that a refused file leaves nothing stored)."""
    return {
        name: str(request.POST.get(name))
        for name in ("description", "disclosure_notes", "kind")
        if request.POST.get(name) is not None
    }


def _file_of(output_request: OutputRequest, file_id: int) -> OutputFile:
    found: OutputFile = get_object_or_404(OutputFile, pk=file_id, request=output_request)
    return found


class OutputFileReplaceView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="output_requests_files_replace",
        request={"multipart/form-data": s.OutputFileReplaceSerializer},
        responses={201: s.OutputRequestSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int, file_id: int) -> Response:
        """Replace a file the checkers asked changes to (while changes are requested)."""
        output_request = visible_request(request.user, pk)
        form = _form(request)
        services.output_file_replace(
            output_request=output_request,
            by=signed_in_user(request),
            output_file=_file_of(output_request, file_id),
            upload=request.FILES.get("file"),
            description=form.get("description", ""),
            disclosure_notes=form.get("disclosure_notes"),
        )
        return _answer(request, output_request, status.HTTP_201_CREATED)


class OutputFileDownloadView(APIView):
    @extend_schema(
        operation_id="output_requests_files_download",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int, file_id: int) -> FileResponse:
        """A released file, for the project's team; any file, for its checkers. 404 otherwise."""
        output_request = visible_request(request.user, pk)
        output_file = _file_of(output_request, file_id)
        if not can_download(request.user, output_file):
            raise Http404("No such released file.")
        return evidence_response(
            output_file.file, name=output_file.name, content_type=output_file.content_type
        )


class AcroResultsView(APIView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="output_requests_acro_attach",
        request={"multipart/form-data": s.AcroUploadSerializer},
        responses=s.OutputRequestSerializer,
    )
    @idempotent
    def put(self, request: Request, pk: int) -> Response:
        """Attach the results.json ACRO wrote: each output's status and exception requests are
        shown beside its file."""
        output_request = visible_request(request.user, pk)
        services.output_request_acro_attach(
            output_request=output_request,
            by=signed_in_user(request),
            upload=request.FILES.get("file"),
        )
        return _answer(request, output_request)


class SubmitView(APIView):
    @extend_schema(
        operation_id="output_requests_submit", request=None, responses=s.OutputRequestSerializer
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        output_request = visible_request(request.user, pk)
        services.output_request_submit(output_request=output_request, by=signed_in_user(request))
        return _answer(request, output_request)


class ReviewsView(APIView):
    @extend_schema(operation_id="output_requests_reviews", responses=s.RoundSerializer)
    def get(self, request: Request, pk: int) -> Response:
        """The current round with both checkers' verdicts: 403 to a checker who has not yet
        submitted their own (the reviews are blind)."""
        output_request = visible_request(request.user, pk)
        current = output_request.rounds.filter(number=output_request.round).first()
        if current is None:
            raise Http404("The request has not been submitted.")
        check_see_verdicts(request.user, current)
        return Response(s.RoundSerializer(round_view(request.user, current)).data)

    @extend_schema(
        operation_id="output_requests_review",
        request=s.ReviewInputSerializer,
        responses={201: s.OutputRequestSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Submit your blind verdict on every file of the round (approve, reject or request
        changes, with a comment for anything but an approval)."""
        output_request = visible_request(request.user, pk)
        serializer = s.ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.output_review_submit(
            output_request=output_request,
            by=signed_in_user(request),
            verdicts=serializer.validated_data["verdicts"],
        )
        return _answer(request, output_request, status.HTTP_201_CREATED)


class ConsolidateView(APIView):
    @extend_schema(
        operation_id="output_requests_consolidate",
        request=s.ConsolidateInputSerializer,
        responses=s.OutputRequestSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """The checkers' agreed decision per file: releases the approved files, or sends the
        request back for changes, or closes it unreleased."""
        output_request = visible_request(request.user, pk)
        serializer = s.ConsolidateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.output_request_consolidate(
            output_request=output_request,
            by=signed_in_user(request),
            decisions=serializer.validated_data["decisions"],
        )
        return _answer(request, output_request)


class ResubmitView(APIView):
    @extend_schema(
        operation_id="output_requests_resubmit",
        request=s.ResubmitInputSerializer,
        responses=s.OutputRequestSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Answer every comment that asked for changes and resubmit: a new round opens."""
        output_request = visible_request(request.user, pk)
        serializer = s.ResubmitInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.output_request_resubmit(
            output_request=output_request,
            by=signed_in_user(request),
            answers={a["file"]: a["answer"] for a in serializer.validated_data["answers"]},
        )
        return _answer(request, output_request)


class OutputCheckFiguresView(APIView):
    @extend_schema(operation_id="metrics_output_checks", responses=s.OutputCheckFiguresSerializer)
    def get(self, request: Request) -> Response:
        """Output checking for ops: median working days to a decision, the first-time release
        rate and each checker's load."""
        check_see_figures(request.user)
        return Response(s.OutputCheckFiguresSerializer(output_check_figures()).data)
