from django.urls import path
from rest_framework.routers import SimpleRouter

from workflow.amendments import api as amendments
from workflow.output_checks import api as output_checks
from workflow.provisioning import api as provisioning
from workflow.reviews import api as panels
from workflow.route import api as views
from workflow.safes import api as safes
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

urlpatterns = [
    *metrics_urls,
    *router.urls,
    *safes_urls,
    *register_urls,
    *output_check_urls,
    *provisioning_urls,
    *amendments.urls(),
]
