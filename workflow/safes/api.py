"""Thin API views for an application's Five Safes, safeguards, public benefit, conditions and
data access agreement. Each loads the application the caller can see (404 otherwise), calls one
service or selector, and answers."""

from __future__ import annotations

from django.http import FileResponse
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
from workflow.models import Application, Condition, PublicBenefitScore
from workflow.route import policies as route_policies
from workflow.safes import public_benefit_framework as framework
from workflow.safes import serializers as s
from workflow.safes import services as safes_services
from workflow.safes.policies import can_see_panel_scores, signing_application
from workflow.safes.selectors import agreement_status, completeness, divergence, position
from workflow.safes.services import safeguards_of


def visible_application(request: Request, pk: int, *, full: bool = True) -> Application:
    """The application if the caller can see it (404 otherwise); ``full``: all of it, not only a
    data owner's part (403 otherwise)."""
    return route_policies.visible_application(
        request.user,
        pk,
        whole=full,
        queryset=Application.objects.select_related("lead_organisation"),
    )


class FiveSafesView(APIView):
    @extend_schema(operation_id="applications_five_safes", responses=s.FiveSafesSerializer)
    def get(self, request: Request, pk: int) -> Response:
        """The automated checks and the reviewers' verdicts side by side, safe by safe, with
        what each gate (refer to panels, grant access) would say now."""
        application = visible_application(request, pk)
        return Response(s.FiveSafesSerializer(safes_services.five_safes_overview(application)).data)


class VerdictView(APIView):
    @extend_schema(
        operation_id="applications_five_safes_verdict",
        request=s.VerdictInputSerializer,
        responses={201: s.SafeVerdictSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """A reviewer's verdict on one safe (replaces the previous one on that safe)."""
        application = visible_application(request, pk)
        serializer = s.VerdictInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        verdict = safes_services.safe_verdict_record(
            application=application, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(s.SafeVerdictSerializer(verdict).data, status=status.HTTP_201_CREATED)


class SafeguardsView(APIView):
    @extend_schema(operation_id="applications_safeguards", responses=s.SafeguardsSerializer)
    def get(self, request: Request, pk: int) -> Response:
        application = visible_application(request, pk)
        return Response(s.SafeguardsSerializer(safeguards_of(application)).data)

    @extend_schema(
        operation_id="applications_safeguards_update",
        request=s.SafeguardsInputSerializer,
        responses=s.SafeguardsSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        """Ethics approval, intended outputs, TRE-only access, the disclosure rules (the team,
        while the application is editable)."""
        application = visible_application(request, pk)
        serializer = s.SafeguardsInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        safeguards = safes_services.safeguards_update(
            application=application, by=signed_in_user(request), data=serializer.validated_data
        )
        return Response(s.SafeguardsSerializer(safeguards).data)


class EthicsLetterView(APIView):
    """The ethics approval letter: uploaded by the team (multipart, field ``file``), downloaded
    by whoever may see the whole application (404 to anyone else)."""

    parser_classes = [MultiPartParser]

    @extend_schema(
        operation_id="applications_ethics_letter",
        responses={(200, "application/octet-stream"): OpenApiTypes.BINARY},
    )
    def get(self, request: Request, pk: int) -> FileResponse:
        application = visible_application(request, pk)
        safeguards = safeguards_of(application)
        return evidence_response(
            safeguards.ethics_letter,
            name=safeguards.ethics_letter_name,
            content_type=safeguards.ethics_letter_type,
        )

    @extend_schema(
        operation_id="applications_ethics_letter_upload",
        request={"multipart/form-data": s.EvidenceUploadSerializer},
        responses=s.SafeguardsSerializer,
    )
    @idempotent
    def put(self, request: Request, pk: int) -> Response:
        """Attach or replace the letter: PDF, PNG or JPEG, within the size limit."""
        application = visible_application(request, pk)
        safeguards = safes_services.safeguards_ethics_letter_attach(
            application=application, by=signed_in_user(request), upload=request.FILES.get("file")
        )
        return Response(s.SafeguardsSerializer(safeguards).data)


def _public_benefit(application: Application) -> dict:
    assessment = getattr(application, "public_benefit_assessment", None)
    done, total = completeness(assessment)
    return {
        "advisory": "Advisory: this assessment informs the panel; it never decides on its own.",
        "framework": framework.framework(),
        "tests": assessment.tests if assessment else {},
        "scale": assessment.scale if assessment else {},
        "benefits": assessment.benefits if assessment else [],
        "beneficiaries": assessment.beneficiaries if assessment else {},
        "risks": list(assessment.risks.all()) if assessment else [],
        "completeness": {"answered": done, "expected": total},
        "position": position(application, assessment.scale if assessment else {}),
        "updated_at": assessment.updated_at if assessment else None,
    }


class PublicBenefitView(APIView):
    @extend_schema(operation_id="applications_public_benefit", responses=s.PublicBenefitSerializer)
    def get(self, request: Request, pk: int) -> Response:
        """The framework's questions (verbatim), the team's answers and the risk register."""
        application = visible_application(request, pk)
        return Response(s.PublicBenefitSerializer(_public_benefit(application)).data)

    @extend_schema(
        operation_id="applications_public_benefit_update",
        request=s.PublicBenefitInputSerializer,
        responses=s.PublicBenefitSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        application = visible_application(request, pk)
        serializer = s.PublicBenefitInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        safes_services.public_benefit_update(
            application=application, by=signed_in_user(request), data=serializer.validated_data
        )
        application = Application.objects.get(pk=application.pk)
        return Response(s.PublicBenefitSerializer(_public_benefit(application)).data)


class PublicBenefitScoresView(APIView):
    def _scores(self, request: Request, application: Application) -> dict:
        assessment = getattr(application, "public_benefit_assessment", None)
        scores = (
            list(PublicBenefitScore.objects.filter(assessment=assessment).select_related("scorer"))
            if assessment
            else []
        )
        hidden = not can_see_panel_scores(request.user, application)
        return {
            "hidden_until_you_score": hidden,
            "scores": [] if hidden else scores,
            "divergence": [] if hidden or assessment is None else divergence(assessment),
        }

    @extend_schema(
        operation_id="applications_public_benefit_scores", responses=s.PanelScoresSerializer
    )
    def get(self, request: Request, pk: int) -> Response:
        """Panel members' independent scores and where they diverge."""
        application = visible_application(request, pk)
        return Response(s.PanelScoresSerializer(self._scores(request, application)).data)

    @extend_schema(
        operation_id="applications_public_benefit_score",
        request=s.PanelScoreInputSerializer,
        responses=s.PanelScoresSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Score the 18 questions yourself (a panel member; again to change your score)."""
        application = visible_application(request, pk)
        serializer = s.PanelScoreInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        safes_services.public_benefit_score(
            application=application, by=signed_in_user(request), **serializer.validated_data
        )
        application = Application.objects.get(pk=application.pk)
        return Response(s.PanelScoresSerializer(self._scores(request, application)).data)


def _condition(request: Request, pk: int, condition_id: int) -> Condition:
    application = visible_application(request, pk)
    condition = get_object_or_404(
        Condition.objects.select_related("track", "responsible"),
        pk=condition_id,
        application=application,
    )
    condition.application = application
    return condition


class ConditionListView(APIView):
    @extend_schema(
        operation_id="applications_conditions", responses=s.ConditionSerializer(many=True)
    )
    def get(self, request: Request, pk: int) -> Response:
        """Every condition on the application: its source, who must meet it, when, evidence,
        and who verified it."""
        application = visible_application(request, pk)
        conditions = application.conditions.select_related(
            "track", "responsible", "evidence_by", "verified_by"
        )
        return Response(s.ConditionSerializer(conditions, many=True).data)


class ConditionView(APIView):
    @extend_schema(
        operation_id="applications_condition_update",
        request=s.ConditionTermsInputSerializer,
        responses=s.ConditionSerializer,
    )
    def patch(self, request: Request, pk: int, condition_id: int) -> Response:
        """Set the terms: before access or during the project, the due date, who must meet it
        (reviewers and ops)."""
        condition = _condition(request, pk, condition_id)
        serializer = s.ConditionTermsInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        condition = safes_services.condition_update(
            condition=condition, by=signed_in_user(request), data=serializer.validated_data
        )
        return Response(s.ConditionSerializer(condition).data)


class ConditionEvidenceView(APIView):
    @extend_schema(
        operation_id="applications_condition_evidence",
        request=s.EvidenceInputSerializer,
        responses=s.ConditionSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int, condition_id: int) -> Response:
        """The team says how the condition is met."""
        condition = _condition(request, pk, condition_id)
        serializer = s.EvidenceInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        condition = safes_services.condition_give_evidence(
            condition=condition,
            by=signed_in_user(request),
            evidence=serializer.validated_data["evidence"],
        )
        return Response(s.ConditionSerializer(condition).data)


class ConditionVerifyView(APIView):
    @extend_schema(
        operation_id="applications_condition_verify",
        request=s.VerifyInputSerializer,
        responses=s.ConditionSerializer,
    )
    @idempotent
    def post(self, request: Request, pk: int, condition_id: int) -> Response:
        """A reviewer or ops (never a member) verify the condition is met."""
        condition = _condition(request, pk, condition_id)
        serializer = s.VerifyInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        condition = safes_services.condition_verify(
            condition=condition, by=signed_in_user(request), note=serializer.validated_data["note"]
        )
        return Response(s.ConditionSerializer(condition).data)


class AgreementView(APIView):
    @extend_schema(operation_id="applications_agreement", responses=s.AgreementStatusSerializer)
    def get(self, request: Request, pk: int) -> Response:
        """The agreement to sign now, who must sign it for this application and who has."""
        application = signing_application(request.user, pk)
        return Response(s.AgreementStatusSerializer(agreement_status(application)).data)


class AgreementSignView(APIView):
    @extend_schema(
        operation_id="applications_agreement_sign",
        request=s.SignInputSerializer,
        responses={201: s.AgreementStatusSerializer},
    )
    @idempotent
    def post(self, request: Request, pk: int) -> Response:
        """Accept the current agreement yourself, as a member or as the lead organisation's
        signatory. Nobody signs for someone else."""
        application = signing_application(request.user, pk)
        serializer = s.SignInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        safes_services.application_agreement_sign(
            application=application, by=signed_in_user(request), **serializer.validated_data
        )
        return Response(
            s.AgreementStatusSerializer(agreement_status(application)).data,
            status=status.HTTP_201_CREATED,
        )
