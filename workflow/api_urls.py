from django.urls import path
from rest_framework.routers import SimpleRouter

from workflow.amendments import api as amendments
from workflow.involvement import api as involvement
from workflow.lifecycle import api as lifecycle
from workflow.output_checks import api as output_checks
from workflow.provisioning import api as provisioning
from workflow.reviews import api as panels
from workflow.route import api as views
from workflow.safes import api as safes
from workflow.sittings import api as sittings
from workflow.transparency import api as register
from workflow.turnaround import api as metrics

router = SimpleRouter()
router.register("applications", views.ApplicationViewSet, basename="application")
router.register("review-tracks", panels.ReviewTrackViewSet, basename="review-track")
router.register("panels", panels.PanelViewSet, basename="panel")
router.register("stage-targets", metrics.StageTargetViewSet, basename="stage-target")
router.register(
    "webhook-receivers", provisioning.WebhookReceiverViewSet, basename="webhook-receiver"
)
router.register(
    "webhook-deliveries", provisioning.WebhookDeliveryViewSet, basename="webhook-delivery"
)

# The Five Safes, safeguards, public benefit, conditions and the agreement of an application.
APP = "applications/<int:pk>"
safes_urls = [
    path(f"{APP}/five-safes/", safes.FiveSafesView.as_view(), name="application-five-safes"),
    path(
        f"{APP}/five-safes/verdicts/",
        safes.VerdictView.as_view(),
        name="application-five-safes-verdicts",
    ),
    path(f"{APP}/safeguards/", safes.SafeguardsView.as_view(), name="application-safeguards"),
    path(
        f"{APP}/safeguards/ethics-letter/",
        safes.EthicsLetterView.as_view(),
        name="application-ethics-letter",
    ),
    path(
        f"{APP}/public-benefit/",
        safes.PublicBenefitView.as_view(),
        name="application-public-benefit",
    ),
    path(
        f"{APP}/public-benefit/scores/",
        safes.PublicBenefitScoresView.as_view(),
        name="application-public-benefit-scores",
    ),
    path(f"{APP}/conditions/", safes.ConditionListView.as_view(), name="application-conditions"),
    path(
        f"{APP}/conditions/<int:condition_id>/",
        safes.ConditionView.as_view(),
        name="application-condition",
    ),
    path(
        f"{APP}/conditions/<int:condition_id>/evidence/",
        safes.ConditionEvidenceView.as_view(),
        name="application-condition-evidence",
    ),
    path(
        f"{APP}/conditions/<int:condition_id>/verify/",
        safes.ConditionVerifyView.as_view(),
        name="application-condition-verify",
    ),
    path(f"{APP}/agreement/", safes.AgreementView.as_view(), name="application-agreement"),
    path(
        f"{APP}/agreement/sign/",
        safes.AgreementSignView.as_view(),
        name="application-agreement-sign",
    ),
]

metrics_urls = [
    path(
        "applications/<int:pk>/forecast/",
        metrics.ApplicationForecastView.as_view(),
        name="application-forecast",
    ),
    path(
        "applications/<int:pk>/clocks/",
        metrics.ApplicationClocksView.as_view(),
        name="application-clocks",
    ),
    path("metrics/turnaround/", metrics.TurnaroundMetricsView.as_view(), name="metrics-turnaround"),
    path(
        "metrics/turnaround.csv",
        metrics.TurnaroundMetricsCSVView.as_view(),
        {"format": "csv"},
        name="metrics-turnaround-csv",
    ),
]

# Transparency: the public register, decision records, outputs and the RO-Crate export.
register_urls = [
    path("register/", register.RegisterListView.as_view(), name="register-list"),
    path("register.csv", register.RegisterCSVView.as_view(), name="register-csv"),
    path(
        "register/<str:reference>/",
        register.RegisterEntryView.as_view(),
        name="register-entry",
    ),
    path(
        "decision-records/",
        register.DecisionRecordListView.as_view(),
        name="decision-record-list",
    ),
    path(f"{APP}/outputs/", register.OutputListView.as_view(), name="application-outputs"),
    path(f"{APP}/ro-crate/", register.ROCrateView.as_view(), name="application-ro-crate"),
]

# Provisioning: what the secure environment reads (docs/provisioning.md).
provisioning_urls = [
    path("entitlements/", provisioning.EntitlementListView.as_view(), name="entitlement-list"),
    path(
        "entitlements/changes/",
        provisioning.ChangeFeedView.as_view(),
        name="entitlement-changes",
    ),
    path("entitlements/visas/", provisioning.VisaListView.as_view(), name="entitlement-visas"),
    path("jwks/", provisioning.JWKSView.as_view(), name="jwks"),
]

# Safe outputs: output requests, their files, the blind reviews and the consolidated decision.
OUT = "output-requests/<int:pk>"
output_check_urls = [
    path(
        "metrics/output-checks/",
        output_checks.OutputCheckFiguresView.as_view(),
        name="metrics-output-checks",
    ),
    path(
        "output-requests/",
        output_checks.OutputRequestListView.as_view(),
        name="output-request-list",
    ),
    path(f"{OUT}/", output_checks.OutputRequestView.as_view(), name="output-request-detail"),
    path(f"{OUT}/files/", output_checks.OutputFilesView.as_view(), name="output-request-files"),
    path(
        f"{OUT}/files/<int:file_id>/replace/",
        output_checks.OutputFileReplaceView.as_view(),
        name="output-request-file-replace",
    ),
    path(
        f"{OUT}/files/<int:file_id>/download/",
        output_checks.OutputFileDownloadView.as_view(),
        name="output-request-file-download",
    ),
    path(
        f"{OUT}/acro-results/",
        output_checks.AcroResultsView.as_view(),
        name="output-request-acro",
    ),
    path(f"{OUT}/submit/", output_checks.SubmitView.as_view(), name="output-request-submit"),
    path(f"{OUT}/reviews/", output_checks.ReviewsView.as_view(), name="output-request-reviews"),
    path(
        f"{OUT}/consolidate/",
        output_checks.ConsolidateView.as_view(),
        name="output-request-consolidate",
    ),
    path(f"{OUT}/resubmit/", output_checks.ResubmitView.as_view(), name="output-request-resubmit"),
]

# Public involvement: an application's, and the consumer panel's consultations.
involvement_urls = [
    path(
        f"{APP}/public-involvement/",
        involvement.PublicInvolvementView.as_view(),
        name="application-public-involvement",
    ),
    path(
        f"{APP}/public-involvement/flag/",
        involvement.PublicInterestFlagView.as_view(),
        name="application-public-involvement-flag",
    ),
    path(
        f"{APP}/public-involvement/require/",
        involvement.PublicInvolvementRequireView.as_view(),
        name="application-public-involvement-require",
    ),
    path(
        f"{APP}/public-involvement/activities/",
        involvement.InvolvementActivitiesView.as_view(),
        name="application-public-involvement-activities",
    ),
    path(
        f"{APP}/public-involvement/consultations/",
        involvement.ConsultationRequestView.as_view(),
        name="application-public-involvement-consultations",
    ),
    path("consultations/", involvement.ConsultationListView.as_view(), name="consultation-list"),
    path(
        "consultations/<int:pk>/",
        involvement.ConsultationView.as_view(),
        name="consultation-detail",
    ),
    path(
        "consultations/<int:pk>/answer/",
        involvement.ConsultationAnswerView.as_view(),
        name="consultation-answer",
    ),
]

# Panel sittings: the agenda, papers, attendance, decisions item by item and public minutes.
SIT = "sittings/<int:pk>"
sitting_urls = [
    path("panels/<int:pk>/mode/", sittings.PanelModeView.as_view(), name="panel-mode"),
    path("sittings/", sittings.SittingListView.as_view(), name="sitting-list"),
    path(f"{SIT}/", sittings.SittingView.as_view(), name="sitting-detail"),
    path(f"{SIT}/agenda/", sittings.AgendaView.as_view(), name="sitting-agenda"),
    path(
        f"{SIT}/publish-agenda/",
        sittings.PublishAgendaView.as_view(),
        name="sitting-publish-agenda",
    ),
    path(f"{SIT}/issue-papers/", sittings.IssuePapersView.as_view(), name="sitting-issue-papers"),
    path(f"{SIT}/attendance/", sittings.AttendanceView.as_view(), name="sitting-attendance"),
    path(
        f"{SIT}/items/<int:item_id>/paper/",
        sittings.PaperView.as_view(),
        name="sitting-item-paper",
    ),
    path(
        f"{SIT}/items/<int:item_id>/decide/",
        sittings.ItemDecideView.as_view(),
        name="sitting-item-decide",
    ),
    path(f"{SIT}/close/", sittings.CloseView.as_view(), name="sitting-close"),
    path(
        f"{SIT}/publish-minutes/",
        sittings.MinutesPublishView.as_view(),
        name="sitting-publish-minutes",
    ),
    path("minutes/", sittings.PublicMinutesListView.as_view(), name="minutes-list"),
    path("minutes/<int:pk>/", sittings.PublicMinutesView.as_view(), name="minutes-detail"),
]

# A project's life after access: progress reports, close-outs and their settings (issue 20).
REP = "progress-reports/<int:pk>"
CLO = "closures/<int:pk>"
lifecycle_urls = [
    path("progress-reports/", lifecycle.ProgressReportListView.as_view(), name="report-list"),
    path(f"{REP}/", lifecycle.ProgressReportView.as_view(), name="report-detail"),
    path(f"{REP}/submit/", lifecycle.ReportSubmitView.as_view(), name="report-submit"),
    path(f"{REP}/resubmit/", lifecycle.ReportResubmitView.as_view(), name="report-resubmit"),
    path(
        f"{REP}/request-more/",
        lifecycle.ReportRequestMoreView.as_view(),
        name="report-request-more",
    ),
    path(f"{REP}/accept/", lifecycle.ReportAcceptView.as_view(), name="report-accept"),
    path("closures/", lifecycle.ClosureListView.as_view(), name="closure-list"),
    path(f"{CLO}/", lifecycle.ClosureView.as_view(), name="closure-detail"),
    path(f"{CLO}/submit/", lifecycle.ClosureSubmitView.as_view(), name="closure-submit"),
    path(f"{CLO}/send-back/", lifecycle.ClosureSendBackView.as_view(), name="closure-send-back"),
    path(
        f"{CLO}/countersign/",
        lifecycle.ClosureCountersignView.as_view(),
        name="closure-countersign",
    ),
    path(
        "lifecycle-settings/", lifecycle.LifecycleSettingsView.as_view(), name="lifecycle-settings"
    ),
]

urlpatterns = [
    *sitting_urls,
    *metrics_urls,
    *lifecycle_urls,
    path("invitations/accept/", views.InvitationAcceptView.as_view(), name="invitation-accept"),
    *router.urls,
    *safes_urls,
    *register_urls,
    *output_check_urls,
    *provisioning_urls,
    *involvement_urls,
    *amendments.urls(),
]
