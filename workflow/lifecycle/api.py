"""Thin API views for progress reports, close-outs and their settings: each loads what the
caller may see (404 otherwise), calls one service, and answers with the object as the caller
sees it. One action per transition."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.api.authentication import signed_in_user
from core.api.idempotency import idempotent
from workflow.lifecycle import serializers as s
from workflow.lifecycle import services
from workflow.lifecycle.policies import (
    check_change_settings,
    check_see_settings,
    closure_actions,
    closures_visible_to,
    report_actions,
    reports_visible_to,
    visible_closure,
    visible_report,
)
from workflow.models import Application, Closure, LifecycleSettings, ProgressReport
from workflow.route import policies as route_policies


def _report(request: Request, report: ProgressReport, code: int = 200) -> Response:
    report = ProgressReport.objects.select_related("application").get(pk=report.pk)
    context = {"actions": report_actions(request.user, report)}
    return Response(s.ProgressReportSerializer(report, context=context).data, status=code)


def _closure(request: Request, closure: Closure, code: int = 200) -> Response:
    closure = Closure.objects.select_related("application", "countersigned_by").get(pk=closure.pk)
    context = {"actions": closure_actions(request.user, closure)}
    return Response(s.ClosureSerializer(closure, context=context).data, status=code)


class ProgressReportListView(generics.ListAPIView):
    """The progress reports you may see: your projects', or every one for ops (and the IGRP
    when it accepts reports), soonest due first."""

    serializer_class = s.ProgressReportSummarySerializer
    filter_backends: list = []

    def get_queryset(self) -> Any:
        return reports_visible_to(self.request.user).order_by("due_on", "id")

    @extend_schema(operation_id="progress_reports_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)


class ProgressReportView(APIView):
    @extend_schema(operation_id="progress_reports_retrieve", responses=s.ProgressReportSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return _report(request, visible_report(request.user, pk))


class ReportSubmitView(APIView):
    @extend_schema(
        operation_id="progress_reports_submit",
        request=s.ReportAnswersSerializer,
        responses=s.ProgressReportSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """The team submits the report due: outputs and publications, changes to the team, any
        incident or breach, and whether the data are still needed."""
        report = visible_report(request.user, pk)
        serializer = s.ReportAnswersSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.report_submit(
            report=report, by=signed_in_user(request), data=serializer.validated_data
        )
        return _report(request, report)


class ReportResubmitView(APIView):
    @extend_schema(
        operation_id="progress_reports_resubmit",
        request=s.ReportResubmitSerializer,
        responses=s.ProgressReportSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """The team answers every point asked (``point_answers``, in order) and submits again."""
        report = visible_report(request.user, pk)
        serializer = s.ReportResubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.report_resubmit(
            report=report, by=signed_in_user(request), data=serializer.validated_data
        )
        return _report(request, report)


class ReportRequestMoreView(APIView):
    @extend_schema(
        operation_id="progress_reports_request_more",
        request=s.RequestMoreSerializer,
        responses=s.ProgressReportSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Ops (or the IGRP) ask for more: every point at once."""
        report = visible_report(request.user, pk)
        serializer = s.RequestMoreSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.report_request_more(
            report=report, by=signed_in_user(request), points=serializer.validated_data["points"]
        )
        return _report(request, report)


class ReportAcceptView(APIView):
    @extend_schema(
        operation_id="progress_reports_accept",
        request=s.AcceptSerializer,
        responses=s.ProgressReportSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Ops (or the IGRP) accept the report; a project it suspended is reinstated."""
        report = visible_report(request.user, pk)
        serializer = s.AcceptSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.report_accept(
            report=report, by=signed_in_user(request), note=serializer.validated_data["note"]
        )
        return _report(request, report)


class ClosureListView(generics.ListAPIView):
    """The close-outs you may see: your projects', those your organisation must countersign,
    or every one for ops."""

    serializer_class = s.ClosureSummarySerializer
    filter_backends: list = []

    def get_queryset(self) -> Any:
        return closures_visible_to(self.request.user).order_by("-started_at", "-id")

    @extend_schema(operation_id="closures_list")
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="closures_create",
        request=s.ClosureCreateSerializer,
        responses={201: s.ClosureSerializer},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """The principal investigator closes the project: a close-out form to complete."""
        serializer = s.ClosureCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = route_policies.visible_application(
            request.user,
            serializer.validated_data["application"],
            queryset=Application.objects.all(),
        )
        closure = services.closure_start(application=application, by=signed_in_user(request))
        return _closure(request, closure, status.HTTP_201_CREATED)


class ClosureView(APIView):
    @extend_schema(operation_id="closures_retrieve", responses=s.ClosureSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return _closure(request, visible_closure(request.user, pk))

    @extend_schema(
        operation_id="closures_update",
        request=s.ClosureFormSerializer,
        responses=s.ClosureSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        """The PI saves the close-out form without submitting it."""
        closure = visible_closure(request.user, pk)
        serializer = s.ClosureFormSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.closure_save(
            closure=closure, by=signed_in_user(request), data=serializer.to_data()
        )
        return _closure(request, closure)


class ClosureSubmitView(APIView):
    @extend_schema(
        operation_id="closures_submit",
        request=s.ClosureFormSerializer,
        responses=s.ClosureSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """The PI submits the close-out (or resubmits it, once sent back) with the attestation
        that every copy of the data outside the TRE has been destroyed."""
        closure = visible_closure(request.user, pk)
        serializer = s.ClosureFormSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.closure_submit(
            closure=closure, by=signed_in_user(request), data=serializer.to_data()
        )
        return _closure(request, closure)


class ClosureSendBackView(APIView):
    @extend_schema(
        operation_id="closures_send_back",
        request=s.SendBackSerializer,
        responses=s.ClosureSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """The lead organisation's signatory sends the close-out back, saying why."""
        closure = visible_closure(request.user, pk)
        serializer = s.SendBackSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.closure_send_back(
            closure=closure, by=signed_in_user(request), reason=serializer.validated_data["reason"]
        )
        return _closure(request, closure)


class ClosureCountersignView(APIView):
    @extend_schema(operation_id="closures_countersign", request=None, responses=s.ClosureSerializer)
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """The lead organisation's signatory countersigns: the project closes and its grants
        end."""
        closure = visible_closure(request.user, pk)
        services.closure_countersign(closure=closure, by=signed_in_user(request))
        return _closure(request, closure)


class LifecycleSettingsView(APIView):
    @extend_schema(
        operation_id="lifecycle_settings_retrieve", responses=s.LifecycleSettingsSerializer
    )
    def get(self, request: Request) -> Response:
        """The schedule of progress reports and renewals (ops)."""
        check_see_settings(request.user)
        return Response(s.LifecycleSettingsSerializer(LifecycleSettings.current()).data)

    @extend_schema(
        operation_id="lifecycle_settings_update",
        request=s.LifecycleSettingsInputSerializer,
        responses=s.LifecycleSettingsSerializer,
    )
    @idempotent
    def put(self, request: Request) -> Response:
        """Ops change the schedule (the next sweep uses it); fields left out keep their value."""
        check_change_settings(request.user)
        serializer = s.LifecycleSettingsInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        updated = services.lifecycle_settings_update(
            by=signed_in_user(request), data=serializer.validated_data
        )
        return Response(s.LifecycleSettingsSerializer(updated).data)
