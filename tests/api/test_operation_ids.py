"""Every operation has an explicit, stable ``operationId``: a generated client names its
functions after them (``applications_refer_to_panels.sync(...)``), so renaming one breaks every
client built from the schema. The list below is the contract: a change to it is deliberate, and
goes in docs/api.md's changes."""

from __future__ import annotations

import re

from drf_spectacular.generators import SchemaGenerator

# (method, path under /api/v1, operationId), in the schema's order.
OPERATIONS = [
    ("GET", "/access-grants/", "access_grants_list"),
    ("GET", "/access-grants/{id}/", "access_grants_retrieve"),
    ("GET", "/accreditations/", "accreditations_list"),
    ("POST", "/accreditations/", "accreditations_create"),
    ("GET", "/accreditations/{id}/", "accreditations_retrieve"),
    ("POST", "/accreditations/{id}/accredit/", "accreditations_accredit"),
    ("POST", "/accreditations/{id}/refuse/", "accreditations_refuse"),
    ("POST", "/accreditations/{id}/reinstate/", "accreditations_reinstate"),
    ("POST", "/accreditations/{id}/revoke/", "accreditations_revoke"),
    ("POST", "/accreditations/{id}/suspend/", "accreditations_suspend"),
    ("GET", "/agreements/", "agreements_list"),
    ("POST", "/agreements/", "agreements_create"),
    ("GET", "/agreements/{version}/", "agreements_retrieve"),
    ("GET", "/amendment-route-rules/", "amendment_route_rules_list"),
    ("GET", "/amendment-tracks/", "amendment_tracks_list"),
    ("GET", "/applications/", "applications_list"),
    ("POST", "/applications/", "applications_create"),
    ("GET", "/applications/{id}/", "applications_retrieve"),
    ("PATCH", "/applications/{id}/", "applications_update"),
    ("GET", "/applications/{id}/agreement/", "applications_agreement"),
    ("POST", "/applications/{id}/agreement/sign/", "applications_agreement_sign"),
    ("GET", "/applications/{id}/amendments/", "applications_amendments_list"),
    ("POST", "/applications/{id}/amendments/", "applications_amendments_create"),
    ("GET", "/applications/{id}/amendments/{amendment_id}/", "applications_amendments_retrieve"),
    ("PUT", "/applications/{id}/amendments/{amendment_id}/", "applications_amendments_replace"),
    (
        "GET",
        "/applications/{id}/amendments/{amendment_id}/routing/",
        "applications_amendments_routing",
    ),
    ("POST", "/applications/{id}/amendments/{amendment_id}/sign/", "applications_amendments_sign"),
    (
        "POST",
        "/applications/{id}/amendments/{amendment_id}/submit/",
        "applications_amendments_submit",
    ),
    (
        "POST",
        "/applications/{id}/amendments/{amendment_id}/tracks/{track_id}/decide/",
        "applications_amendments_tracks_decide",
    ),
    (
        "POST",
        "/applications/{id}/amendments/{amendment_id}/tracks/{track_id}/votes/",
        "applications_amendments_tracks_vote",
    ),
    (
        "POST",
        "/applications/{id}/amendments/{amendment_id}/withdraw/",
        "applications_amendments_withdraw",
    ),
    ("POST", "/applications/{id}/assign-analyst/", "applications_assign_analyst"),
    ("GET", "/applications/{id}/clocks/", "applications_clocks"),
    ("POST", "/applications/{id}/close/", "applications_close"),
    ("POST", "/applications/{id}/complete-scoping/", "applications_complete_scoping"),
    ("GET", "/applications/{id}/conditions/", "applications_conditions"),
    ("PATCH", "/applications/{id}/conditions/{condition_id}/", "applications_condition_update"),
    (
        "POST",
        "/applications/{id}/conditions/{condition_id}/evidence/",
        "applications_condition_evidence",
    ),
    (
        "POST",
        "/applications/{id}/conditions/{condition_id}/verify/",
        "applications_condition_verify",
    ),
    ("GET", "/applications/{id}/decision-letter/", "applications_decision_letter"),
    ("GET", "/applications/{id}/diff/", "applications_diff"),
    ("GET", "/applications/{id}/feedback/", "applications_feedback"),
    ("POST", "/applications/{id}/feedback/{item_id}/respond/", "applications_feedback_respond"),
    ("GET", "/applications/{id}/five-safes/", "applications_five_safes"),
    ("POST", "/applications/{id}/five-safes/verdicts/", "applications_five_safes_verdict"),
    ("GET", "/applications/{id}/forecast/", "applications_forecast"),
    ("POST", "/applications/{id}/grant-access/", "applications_grant_access"),
    ("GET", "/applications/{id}/outputs/", "applications_outputs"),
    ("POST", "/applications/{id}/outputs/", "applications_outputs_add"),
    ("GET", "/applications/{id}/people/", "applications_people"),
    ("GET", "/applications/{id}/pre-approval/", "applications_pre_approval"),
    ("GET", "/applications/{id}/public-benefit/", "applications_public_benefit"),
    ("PATCH", "/applications/{id}/public-benefit/", "applications_public_benefit_update"),
    ("GET", "/applications/{id}/public-benefit/scores/", "applications_public_benefit_scores"),
    ("POST", "/applications/{id}/public-benefit/scores/", "applications_public_benefit_score"),
    ("POST", "/applications/{id}/refer-to-panels/", "applications_refer_to_panels"),
    ("POST", "/applications/{id}/reinstate/", "applications_reinstate"),
    ("POST", "/applications/{id}/reject/", "applications_reject"),
    ("POST", "/applications/{id}/request-changes/", "applications_request_changes"),
    ("POST", "/applications/{id}/resubmit/", "applications_resubmit"),
    ("GET", "/applications/{id}/ro-crate/", "applications_ro_crate"),
    ("GET", "/applications/{id}/safeguards/", "applications_safeguards"),
    ("PATCH", "/applications/{id}/safeguards/", "applications_safeguards_update"),
    ("GET", "/applications/{id}/safeguards/ethics-letter/", "applications_ethics_letter"),
    ("PUT", "/applications/{id}/safeguards/ethics-letter/", "applications_ethics_letter_upload"),
    ("GET", "/applications/{id}/scoping/", "applications_scoping"),
    ("PATCH", "/applications/{id}/scoping/", "applications_scoping_update"),
    ("POST", "/applications/{id}/submit/", "applications_submit"),
    ("POST", "/applications/{id}/suspend/", "applications_suspend"),
    ("GET", "/applications/{id}/timeline/", "applications_timeline"),
    ("GET", "/applications/{id}/transitions/", "applications_transitions"),
    ("GET", "/applications/{id}/versions/", "applications_versions"),
    ("GET", "/applications/{id}/versions/{number}/", "applications_version"),
    ("POST", "/applications/{id}/withdraw/", "applications_withdraw"),
    ("POST", "/auth/sign-out-everywhere/", "auth_sign_out_everywhere"),
    ("POST", "/auth/token/", "auth_token_create"),
    ("DELETE", "/auth/token/", "auth_token_revoke"),
    ("GET", "/datasets/", "datasets_list"),
    ("POST", "/datasets/", "datasets_create"),
    ("GET", "/datasets/{slug}/", "datasets_retrieve"),
    ("PATCH", "/datasets/{slug}/", "datasets_update"),
    ("GET", "/decision-records/", "decision_records_list"),
    ("GET", "/entitlements/", "entitlements_list"),
    ("GET", "/entitlements/changes/", "entitlements_changes"),
    ("GET", "/entitlements/visas/", "entitlements_visas"),
    ("GET", "/jwks/", "jwks_retrieve"),
    ("GET", "/me/", "me_retrieve"),
    ("PATCH", "/me/", "me_update"),
    ("GET", "/metrics/output-checks/", "metrics_output_checks"),
    ("GET", "/metrics/turnaround/", "metrics_turnaround"),
    ("GET", "/metrics/turnaround.csv", "metrics_turnaround_csv"),
    ("GET", "/notifications/", "notifications_list"),
    ("GET", "/notifications/{id}/", "notifications_retrieve"),
    ("POST", "/notifications/{id}/read/", "notifications_read"),
    ("GET", "/notifications/preferences/", "notifications_preferences_retrieve"),
    ("PUT", "/notifications/preferences/", "notifications_preferences_replace"),
    ("POST", "/notifications/read-all/", "notifications_read_all"),
    ("GET", "/organisations/", "organisations_list"),
    ("GET", "/organisations/{slug}/", "organisations_retrieve"),
    ("GET", "/output-requests/", "output_requests_list"),
    ("POST", "/output-requests/", "output_requests_create"),
    ("GET", "/output-requests/{id}/", "output_requests_retrieve"),
    ("PUT", "/output-requests/{id}/acro-results/", "output_requests_acro_attach"),
    ("POST", "/output-requests/{id}/consolidate/", "output_requests_consolidate"),
    ("POST", "/output-requests/{id}/files/", "output_requests_files_add"),
    ("GET", "/output-requests/{id}/files/{file_id}/download/", "output_requests_files_download"),
    ("POST", "/output-requests/{id}/files/{file_id}/replace/", "output_requests_files_replace"),
    ("POST", "/output-requests/{id}/resubmit/", "output_requests_resubmit"),
    ("GET", "/output-requests/{id}/reviews/", "output_requests_reviews"),
    ("POST", "/output-requests/{id}/reviews/", "output_requests_review"),
    ("POST", "/output-requests/{id}/submit/", "output_requests_submit"),
    ("GET", "/panels/", "panels_list"),
    ("GET", "/panels/{id}/", "panels_retrieve"),
    ("POST", "/panels/{id}/members/", "panels_members_add"),
    ("POST", "/panels/{id}/members/{membership_id}/leave/", "panels_members_leave"),
    ("GET", "/pre-approved-categories/", "pre_approved_categories_list"),
    ("POST", "/pre-approved-categories/", "pre_approved_categories_create"),
    ("GET", "/pre-approved-categories/{id}/", "pre_approved_categories_retrieve"),
    ("POST", "/pre-approved-categories/{id}/retire/", "pre_approved_categories_retire"),
    ("POST", "/pre-approved-categories/{id}/revise/", "pre_approved_categories_revise"),
    ("GET", "/pre-approved-categories/{id}/versions/", "pre_approved_categories_versions"),
    (
        "GET",
        "/pre-approved-categories/{id}/versions/{version}/",
        "pre_approved_categories_version_detail",
    ),
    ("GET", "/register/", "register_list"),
    ("GET", "/register.csv", "register_csv"),
    ("GET", "/register/{reference}/", "register_retrieve"),
    ("GET", "/review-tracks/", "review_tracks_list"),
    ("GET", "/review-tracks/{id}/", "review_tracks_retrieve"),
    ("POST", "/review-tracks/{id}/close/", "review_tracks_close"),
    ("POST", "/review-tracks/{id}/conflict/", "review_tracks_conflict"),
    ("POST", "/review-tracks/{id}/decide/", "review_tracks_decide"),
    ("GET", "/review-tracks/{id}/votes/", "review_tracks_votes"),
    ("POST", "/review-tracks/{id}/votes/", "review_tracks_votes_create"),
    ("PUT", "/review-tracks/{id}/votes/", "review_tracks_votes_update"),
    ("GET", "/stage-targets/", "stage_targets_list"),
    ("POST", "/stage-targets/", "stage_targets_create"),
    ("GET", "/stage-targets/{stage}/", "stage_targets_retrieve"),
    ("PATCH", "/stage-targets/{stage}/", "stage_targets_update"),
    ("GET", "/variables/", "variables_list"),
    ("POST", "/variables/", "variables_create"),
    ("GET", "/variables/{id}/", "variables_retrieve"),
    ("PATCH", "/variables/{id}/", "variables_update"),
    ("GET", "/webhook-deliveries/", "webhook_deliveries_list"),
    ("GET", "/webhook-deliveries/{id}/", "webhook_deliveries_retrieve"),
    ("POST", "/webhook-deliveries/{id}/redeliver/", "webhook_deliveries_redeliver"),
    ("GET", "/webhook-receivers/", "webhook_receivers_list"),
    ("POST", "/webhook-receivers/", "webhook_receivers_create"),
    ("GET", "/webhook-receivers/{id}/", "webhook_receivers_retrieve"),
    ("PATCH", "/webhook-receivers/{id}/", "webhook_receivers_update"),
]


def _operations() -> list[tuple[str, str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (method.upper(), path.removeprefix("/api/v1"), operation.get("operationId", ""))
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
    ]


def test_every_operation_keeps_its_operation_id():
    assert _operations() == OPERATIONS


def test_operation_ids_are_unique_readable_names():
    ids = [operation_id for _, _, operation_id in OPERATIONS]
    assert len(ids) == len(set(ids))
    for operation_id in ids:
        # <resource>_<action>: lower case words, never drf-spectacular's doubled suffixes.
        assert re.fullmatch(r"[a-z]+(_[a-z]+)+", operation_id), operation_id
        assert not re.search(r"_(list|retrieve|create|update)_(list|retrieve|create)", operation_id)
