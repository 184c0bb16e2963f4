from django.urls import path

from workflow.amendments import views as amendments
from workflow.involvement import views as involvement
from workflow.lifecycle import views as lifecycle
from workflow.output_checks import views as output_checks
from workflow.provisioning import views as provisioning
from workflow.reviews import views as reviews
from workflow.route.views import application, researcher, staff
from workflow.safes.views import five_safes as safes
from workflow.safes.views import public_benefit
from workflow.sittings import views as sittings
from workflow.transparency import views as register
from workflow.turnaround import views as ops

app_name = "workflow"

urlpatterns = [
    # The research team
    path("applications/", researcher.my_applications, name="my-applications"),
    path("applications/new/", researcher.new_application, name="new-application"),
    path("applications/<int:pk>/", application.overview, name="application"),
    path("applications/<int:pk>/sections/<slug:key>/", researcher.section, name="section"),
    path(
        "applications/<int:pk>/team/<int:user_id>/remove/",
        researcher.member_remove,
        name="member-remove",
    ),
    path(
        "applications/<int:pk>/invitations/<int:invitation_id>/withdraw/",
        researcher.invitation_withdraw,
        name="invitation-withdraw",
    ),
    path("invitations/<str:token>/", researcher.invitation, name="invitation"),
    path("applications/<int:pk>/datasets/add/", researcher.dataset_add, name="dataset-add"),
    path(
        "applications/<int:pk>/datasets/<slug:slug>/", researcher.dataset_edit, name="dataset-edit"
    ),
    path(
        "applications/<int:pk>/datasets/<slug:slug>/remove/",
        researcher.dataset_remove,
        name="dataset-remove",
    ),
    path("applications/<int:pk>/submit/", researcher.submit, name="submit"),
    path("applications/<int:pk>/ethics-letter/", researcher.ethics_letter, name="ethics-letter"),
    path("applications/<int:pk>/feedback/", researcher.feedback, name="feedback"),
    path(
        "applications/<int:pk>/feedback/<int:item_id>/", researcher.answer, name="feedback-answer"
    ),
    # Everyone who may see the application
    path("applications/<int:pk>/timeline/", application.timeline, name="timeline"),
    path("applications/<int:pk>/decision-letter/", application.letter, name="letter"),
    path("applications/<int:pk>/versions/", application.versions, name="versions"),
    path("applications/<int:pk>/pre-approval/", application.pre_approval, name="pre-approval"),
    path(
        "applications/<int:pk>/request-changes/",
        application.request_changes,
        name="request-changes",
    ),
    path("applications/<int:pk>/steps/<slug:name>/", application.step, name="step"),
    path("applications/<int:pk>/outputs/", register.outputs, name="outputs"),
    # A project's life after access: progress reports, close-out, their settings (issue 20)
    path(
        "applications/<int:pk>/progress-reports/",
        lifecycle.project_reports,
        name="project-reports",
    ),
    path("applications/<int:pk>/close-out/", lifecycle.start_closure, name="closure-start"),
    path("progress-reports/<int:pk>/", lifecycle.progress_report, name="progress-report"),
    path("ops/progress-reports/", lifecycle.report_queue, name="report-queue"),
    path("ops/lifecycle/", lifecycle.settings_page, name="lifecycle-settings"),
    path("closures/<int:pk>/", lifecycle.closure_page, name="closure"),
    # Amendments of a live project, the reviewers' queue and the routing table
    path("applications/<int:pk>/amendments/", amendments.amendments, name="amendments"),
    path(
        "applications/<int:pk>/amendments/new/",
        amendments.new_amendment,
        name="amendment-new",
    ),
    path(
        "applications/<int:pk>/amendments/<int:amendment_id>/",
        amendments.amendment,
        name="amendment",
    ),
    path(
        "applications/<int:pk>/amendments/<int:amendment_id>/changes/new/",
        amendments.add_change,
        name="amendment-add-change",
    ),
    path("amendments/", amendments.queue, name="amendment-queue"),
    path("amendments/routing/", amendments.routing_table, name="amendment-routing-table"),
    path("amendments/routing/<int:rule_id>/", amendments.route_rule, name="amendment-route-rule"),
    # Safe outputs: output requests, the checkers' queue, blind review and consolidation
    path("output-checks/", output_checks.output_requests, name="output-requests"),
    path(
        "applications/<int:pk>/output-checks/new/",
        output_checks.new_request,
        name="output-request-new",
    ),
    path("output-checks/<int:pk>/", output_checks.output_request, name="output-request"),
    path(
        "output-checks/<int:pk>/files/<int:file_id>/",
        output_checks.download,
        name="output-request-download",
    ),
    # The public data-use register
    path("register/", register.register_list, name="register"),
    path("register/<str:reference>/", register.register_entry, name="register-entry"),
    # The Five Safes, conditions, the agreement, granting access
    path("applications/<int:pk>/five-safes/", safes.five_safes, name="five-safes"),
    path(
        "applications/<int:pk>/five-safes/<slug:safe>/",
        safes.verdict,
        name="five-safes-verdict",
    ),
    path("applications/<int:pk>/conditions/", safes.conditions, name="conditions"),
    path(
        "applications/<int:pk>/conditions/<int:condition_id>/<slug:action>/",
        safes.condition_act,
        name="condition-act",
    ),
    path("applications/<int:pk>/agreement/", safes.agreement, name="agreement"),
    path(
        "applications/<int:pk>/public-benefit/",
        public_benefit.public_benefit,
        name="public-benefit",
    ),
    path(
        "applications/<int:pk>/public-benefit/score/",
        public_benefit.public_benefit_score,
        name="public-benefit-score",
    ),
    path("agreements/", safes.agreements_to_sign, name="agreements-to-sign"),
    path("applications/<int:pk>/grant-access/", safes.grant_access, name="grant-access"),
    # Analysts
    path("scoping/", staff.scoping_list, name="scoping-queue"),
    path("scoping/<int:pk>/", staff.scoping_workspace, name="scoping"),
    # Reviewers and panels
    path("reviews/internal/", staff.internal_review_list, name="internal-review-queue"),
    path(
        "applications/<int:pk>/public-involvement/",
        involvement.involvement_page,
        name="involvement",
    ),
    path(
        "applications/<int:pk>/public-involvement/<str:step>/",
        involvement.involvement_step,
        name="involvement-step",
    ),
    path("consumer-panel/", involvement.consultation_list, name="consultations"),
    path(
        "consumer-panel/consultations/<int:consultation_id>/",
        involvement.consultation_detail,
        name="consultation",
    ),
    path("reviews/panels/", reviews.panel_list, name="panel-queue"),
    path("reviews/tracks/<int:track_id>/", reviews.track_detail, name="track"),
    # Panel sittings: the agenda, papers, attendance, decisions item by item, public minutes
    path("reviews/sittings/", sittings.sitting_list, name="sittings"),
    path("reviews/sittings/<int:pk>/", sittings.sitting_detail, name="sitting"),
    path(
        "reviews/sittings/<int:pk>/items/<int:item_id>/",
        sittings.paper,
        name="sitting-paper",
    ),
    path("sittings/minutes/", sittings.minutes_list, name="minutes-list"),
    path("sittings/<int:pk>/minutes/", sittings.minutes, name="minutes"),
    path("reviews/tracks/<int:track_id>/conflict/", reviews.conflict, name="conflict"),
    # Data owners
    path("owner/sign-off/", reviews.signoff_list, name="signoff-queue"),
    path("owner/sign-off/<int:track_id>/", reviews.signoff, name="signoff"),
    # Operations
    path("ops/", staff.ops_dashboard, name="ops-dashboard"),
    path("ops/applications/<int:pk>/analyst/", staff.assign_analyst, name="assign-analyst"),
    path("ops/panels/", reviews.panel_rules, name="panel-rules"),
    path("ops/panels/<int:panel_id>/rule/", reviews.panel_rule_edit, name="panel-rule"),
    path("ops/panels/<int:panel_id>/mode/", sittings.panel_mode_edit, name="panel-mode"),
    path("ops/targets/", ops.target_list, name="stage-targets"),
    path("ops/targets/<str:stage>/", ops.target_edit, name="stage-target"),
    path("ops/turnaround/", ops.turnaround, name="turnaround"),
    path("ops/webhooks/", provisioning.webhooks, name="webhooks"),
    path(
        "ops/webhooks/deliveries/<int:pk>/",
        provisioning.webhook_delivery,
        name="webhook-delivery",
    ),
    path(
        "ops/webhooks/deliveries/<int:pk>/redeliver/",
        provisioning.webhook_redeliver,
        name="webhook-redeliver",
    ),
]
