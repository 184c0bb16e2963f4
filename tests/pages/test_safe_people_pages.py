"""The pages of the second pass: safeguards, accreditation, the agreement, the Five Safes,
conditions, granting access, the forecast, stage targets and the turnaround dashboard.
Through Django's test client: who may open each, no-JavaScript POSTs, and error mapping."""

from __future__ import annotations

import pytest

from workflow.models import ApplicationSafeguards
from workflow.safes import services as safes_services

pytestmark = pytest.mark.django_db


def _body(response) -> str:
    return response.content.decode()


# --- safeguards ----------------------------------------------------------------------------


def test_safeguards_section_is_in_the_task_list_and_saves(page_client, world):
    application = world.draft(safeguards=False)
    client = page_client(world.pi)
    overview = _body(client.get(f"/applications/{application.pk}/"))
    assert "Safeguards: ethics, setting and outputs" in overview
    url = f"/applications/{application.pk}/sections/safeguards/"
    page = _body(client.get(url))
    assert "cell count below 10" in page
    assert "Why we ask this" in page
    response = client.post(
        url,
        {
            "ethics_committee": "Wales REC 3",
            "ethics_reference": "REC 1",
            "ethics_approved_on": "2026-01-15",
            "intended_outputs": "Tables.",
            "access_inside_tre_only": "yes",
            "acknowledge_disclosure_rules": "on",
        },
    )
    assert response["Location"] == f"/applications/{application.pk}/"
    saved = ApplicationSafeguards.objects.get(application=application)
    assert saved.access_inside_tre_only is True
    assert saved.disclosure_min_cell_count == 10
    answers = _body(client.get(f"/applications/{application.pk}/submit/"))
    assert "Acknowledged: no cell count below 10" in answers
    assert "Wales REC 3" in answers


def test_safeguards_error_from_the_service_goes_against_its_input(page_client, world):
    application = world.draft(safeguards=False)
    response = page_client(world.pi).post(
        f"/applications/{application.pk}/sections/safeguards/",
        {"ethics_approved_on": "2099-01-01"},
    )
    assert response.status_code == 400
    body = _body(response)
    assert "<title>Error: Safeguards" in body
    assert 'href="#id_ethics_approved_on"' in body


def test_safeguards_are_the_team_s_only(page_client, world):
    application = world.draft()
    url = f"/applications/{application.pk}/sections/safeguards/"
    assert page_client(world.outsider).get(url).status_code == 404
    submitted = world.at("scoping")
    assert page_client(world.analyst).get(
        f"/applications/{submitted.pk}/sections/safeguards/"
    ).status_code in (403, 302)


# --- accreditation -------------------------------------------------------------------------


def _lose_accreditation(world) -> None:
    """The colleague holds no accreditation any more: revoked (an award with a history is never
    deleted: its events are the audit trail)."""
    from access.safe_people.services import accreditation_revoke

    for award in world.colleague.accreditations.filter(state="accredited"):
        accreditation_revoke(accreditation=award, by=world.officer, reason="Certificate withdrawn")


def test_my_accreditation_shows_each_kind_and_what_each_application_needs(page_client, world):
    _lose_accreditation(world)
    world.draft()
    body = _body(page_client(world.colleague).get("/accreditation/"))
    assert "Safe researcher training" in body
    assert "School attainment and later health" in body
    assert "Missing" in body
    assert "/accreditation/apply/?kind=safe_researcher" in body
    assert page_client(world.analyst).get("/accreditation/").status_code == 403


def test_apply_for_accreditation_without_javascript_then_the_officer_accredits(page_client, world):
    from access.models import Accreditation

    _lose_accreditation(world)
    client = page_client(world.colleague)
    response = client.post(
        "/accreditation/apply/",
        {
            "kind": "safe_researcher",
            "issuer": "ONS Safe Researcher Training",
            "certificate_number": "SRT-1",
            "issued_on": "2026-01-10",
        },
    )
    assert response["Location"] == "/accreditation/"
    award = Accreditation.objects.get(person=world.colleague, state="applied")
    assert award.state == "applied"
    officer = page_client(world.officer)
    assert "Colin Colleague" in _body(officer.get("/accreditation/decisions/"))
    missing_reason = officer.post(f"/accreditation/decisions/{award.pk}/", {"decision": "refuse"})
    assert missing_reason.status_code == 400
    assert "<title>Error:" in _body(missing_reason)
    done = officer.post(f"/accreditation/decisions/{award.pk}/", {"decision": "accredit"})
    assert done["Location"] == "/accreditation/decisions/"
    award.refresh_from_db()
    assert award.state == "accredited"
    assert page_client(world.pi).get("/accreditation/decisions/").status_code == 403


def test_apply_errors_go_against_their_inputs(page_client, world):
    response = page_client(world.colleague).post(
        "/accreditation/apply/",
        {
            "kind": "dea_provisional",
            "issuer": "",
            "certificate_number": "",
            "issued_on": "2026-01-10",
        },
    )
    assert response.status_code == 400
    body = _body(response)
    assert 'href="#id_issuer"' in body
    assert "Enter who awarded the certificate." in body
    assert "Enter the certificate number." in body
    # With the certificate's details given, the service's rule on the supervisor comes back
    # against its input too.
    response = page_client(world.colleague).post(
        "/accreditation/apply/",
        {
            "kind": "dea_provisional",
            "issuer": "UK Statistics Authority",
            "certificate_number": "DEA-1",
            "issued_on": "2026-01-10",
        },
    )
    assert response.status_code == 400
    body = _body(response)
    assert 'href="#id_supervisor_email"' in body


# --- the agreement ---------------------------------------------------------------------------


def _approved_unsigned(world):
    """An approved application nobody has signed for yet."""
    from access.models import AgreementSignature

    application = world.at("approved")
    AgreementSignature.objects.filter(application=application).delete()
    return application


def test_each_member_and_the_signatory_sign_on_the_agreement_page(page_client, world):
    application = _approved_unsigned(world)
    url = f"/applications/{application.pk}/agreement/"
    overview = _body(page_client(world.pi).get(f"/applications/{application.pk}/"))
    assert "Read and sign the agreement" in overview
    member = page_client(world.pi)
    assert "I accept the agreement" in _body(member.get(url))
    assert member.post(url, {"capacity": "member"})["Location"] == url
    assert "I accept the agreement" not in _body(member.get(url))
    signatory = page_client(world.signatory)
    listing = _body(signatory.get("/agreements/"))
    assert application.title in listing
    assert "Agreements to sign" in listing
    assert "Sign for Swansea University" in _body(signatory.get(url))
    signatory.post(url, {"capacity": "organisation_signatory"})
    assert "Signed by Sian Signatory" in _body(member.get(url)) or "Sian Signatory" in _body(
        member.get(url)
    )
    # Nobody signs in a capacity they do not hold: the 403 page.
    assert page_client(world.outsider).get(url).status_code == 404
    assert member.post(url, {"capacity": "organisation_signatory"}).status_code == 403
    assert page_client(world.outsider).get("/agreements/").status_code == 403


# --- the Five Safes, conditions, granting access ----------------------------------------------


def test_five_safes_view_shows_checks_beside_verdicts_and_reviewers_record_one(page_client, world):
    application = world.at("internal_review")
    url = f"/applications/{application.pk}/five-safes/"
    reviewer = page_client(world.reviewer)
    body = _body(reviewer.get(url))
    for label in ("Safe people", "Safe projects", "Safe settings", "Safe data", "Safe outputs"):
        assert label in body
    assert "Record the verdict" in body
    team_view = _body(page_client(world.pi).get(url))
    assert "Safe outputs" in team_view
    assert "Record the verdict" not in team_view
    missing = reviewer.post(f"{url}data/", {"data-verdict": "met", "data-rationale": ""})
    assert missing.status_code == 400
    assert 'href="#id_data-rationale"' in _body(missing)
    done = reviewer.post(
        f"{url}projects/",
        {
            "projects-verdict": "met_with_conditions",
            "projects-rationale": "Sound, with a report.",
            "projects-conditions": "Send the protocol before access",
            "projects-timing": "before_access",
        },
    )
    assert done.status_code == 302
    assert "Sound, with a report." in _body(reviewer.get(url))
    assert page_client(world.outsider).get(url).status_code == 404
    assert (
        page_client(world.pi)
        .post(f"{url}data/", {"data-verdict": "met", "data-rationale": "Mine"})
        .status_code
        == 403
    )


def test_conditions_take_evidence_from_the_team_and_verification_from_staff(page_client, world):
    from workflow.models import Condition

    application = world.at("internal_review")
    safes_services.safe_verdict_record(
        application=application,
        by=world.reviewer,
        safe="outputs",
        verdict="met_with_conditions",
        rationale="Fine.",
        conditions=[{"text": "Name an output checker"}],
    )
    condition = Condition.objects.get(application=application)
    base = f"/applications/{application.pk}/conditions/"
    team = page_client(world.pi)
    assert "Name an output checker" in _body(team.get(base))
    empty = team.post(f"{base}{condition.pk}/evidence/", {f"evidence-{condition.pk}-evidence": ""})
    assert empty.status_code == 400
    ok = team.post(
        f"{base}{condition.pk}/evidence/", {f"evidence-{condition.pk}-evidence": "Ann Smith."}
    )
    assert ok.status_code == 302
    assert team.post(f"{base}{condition.pk}/verify/", {}).status_code == 403
    page_client(world.reviewer).post(f"{base}{condition.pk}/verify/", {})
    condition.refresh_from_db()
    assert condition.state == "met"


def test_grant_access_page_shows_the_gate_and_the_refusal(page_client, world):
    application = _approved_unsigned(world)
    url = f"/applications/{application.pk}/grant-access/"
    ops = page_client(world.ops)
    body = _body(ops.get(url))
    assert "must be put right first" in body
    assert "Not yet signed" in body or "agreement" in body
    refused = ops.post(url)
    assert refused.status_code == 400
    assert "<title>Error:" in _body(refused)
    assert page_client(world.pi).get(url).status_code == 403
    world.sign_agreement(application)
    # Nothing stops access, but the page does not claim more than that: no reviewer verdict
    # is recorded on any safe here.
    ready = _body(ops.get(url))
    assert "Nothing stops access" in ready
    assert "No reviewer verdict is recorded on 5 of the five safes" in ready
    assert "Everything is in place" not in ready
    assert ops.post(url).status_code == 302
    application.refresh_from_db()
    assert application.state == "active"


def test_application_page_shows_the_forecast_and_who_needs_accreditation(page_client, world):
    _lose_accreditation(world)
    application = world.at("scoping")
    body = _body(page_client(world.colleague).get(f"/applications/{application.pk}/"))
    assert "When access is likely" in body
    assert "Access expected" in body
    assert "What this forecast assumes" in body
    assert "a rejection or a withdrawal is not forecast" in body
    assert "Apply for accreditation" in body
    assert "Needs" in body


# --- operations: stage targets and turnaround -------------------------------------------------


def test_stage_targets_are_edited_by_ops_with_errors_against_inputs(page_client, world):
    from workflow.models import StageTarget

    ops = page_client(world.ops)
    listing = _body(ops.get("/ops/targets/"))
    assert "Scoping (analyst)" in listing
    bad = ops.post("/ops/targets/scoping/", {"days": "0", "unit": "working", "due_soon_days": "3"})
    assert bad.status_code == 400
    assert 'href="#id_days"' in _body(bad)
    ok = ops.post(
        "/ops/targets/scoping/",
        {"days": "15", "unit": "working", "due_soon_days": "3", "escalate_after_days": ""},
    )
    assert ok["Location"] == "/ops/targets/"
    row = StageTarget.objects.filter(stage="scoping").latest("effective_from")
    assert (row.days, row.escalate_after_days, row.updated_by) == (15, None, world.ops)
    assert ops.get("/ops/targets/nonsense/").status_code == 404
    assert page_client(world.reviewer).get("/ops/targets/").status_code == 403


def test_turnaround_dashboard_draws_accessible_charts_and_filters(page_client, world):
    world.at("active")
    world.at("scoping")
    ops = page_client(world.ops)
    body = _body(ops.get("/ops/turnaround/"))
    for title in (
        "Days from request to access",
        "Request to access, by month of access",
        "Time in each stage against its target",
        "Panel response against 19 days",
        "Work in progress by stage",
    ):
        assert title in body
    assert body.count('role="img"') == 5
    assert "<desc " in body
    assert "the figures as a table" in body
    assert "style=" not in body
    assert "/api/v1/metrics/turnaround.csv" in body
    # Which target versions judged the figures, and the one lateness rule in words.
    assert "Which targets judged these figures" in body
    assert "Late means ended, or still open, after the due date" in body
    assert "Scoping with an analyst" in body
    filtered = _body(ops.get("/ops/turnaround/?route=dea&dataset=education&start=2020-01-01"))
    assert "route=dea" in filtered
    assert "dataset=education" in filtered
    bad = ops.get("/ops/turnaround/?start=2026-02-01&end=2026-01-01")
    assert bad.status_code == 400
    assert 'href="#id_end"' in _body(bad)
    assert page_client(world.pi).get("/ops/turnaround/").status_code == 403


def test_request_to_access_journeys_match_the_summary(world):
    from workflow.turnaround import metrics

    world.at("active")
    journeys = metrics.request_to_access_journeys(metrics.MetricsFilter())
    summary = metrics.turnaround_summary(metrics.MetricsFilter())
    assert len(journeys) == summary["request_to_access"]["count"] == 1


# --- how to get access -------------------------------------------------------------------------


def test_typical_days_fall_back_to_the_defaults_without_history(db):
    from workflow.turnaround.stage_guide import DEFAULT_TYPICAL, typical_days

    assert typical_days() == DEFAULT_TYPICAL


def test_typical_days_come_from_the_live_medians_with_enough_history(world, settings):
    from workflow.turnaround.stage_guide import DEFAULT_TYPICAL, typical_days

    settings.TURNAROUND_FORECAST_MIN_HISTORY = 1
    world.at("active")
    typical = typical_days()
    # Everything happened today: each stage took under a day, shown as the minimum of one.
    assert typical["scoping"] == (1, "working days")
    assert typical["panels"] == (1, "days")
    assert typical != DEFAULT_TYPICAL


# --- public benefit ----------------------------------------------------------------------------


def test_team_answers_the_public_benefit_framework_without_javascript(page_client, world):
    application = world.draft()
    url = f"/applications/{application.pk}/public-benefit/"
    team = page_client(world.pi)
    page = _body(team.get(url))
    assert "PU-1" in page
    assert "Advisory" in page
    bad = team.post(url, {"score_1_1": "na", "na_1_1": ""})
    assert bad.status_code == 400
    assert 'href="#id_na_1_1"' in _body(bad)
    ok = team.post(
        url,
        {
            "rating_PU-1": "met",
            "narrative_PU-1": "Patients benefit.",
            "score_1_1": "4",
            "benefits": ["BI-1"],
        },
    )
    assert ok["Location"] == url
    application.refresh_from_db()
    assessment = application.public_benefit_assessment
    assert assessment.tests["PU-1"]["rating"] == "met"
    assert assessment.scale["1.1"]["score"] == 4
    assert "4.0 out of 5" in _body(team.get(url)) or "4 out of 5" in _body(team.get(url))
    assert page_client(world.outsider).get(url).status_code == 404


def test_panel_members_score_on_their_own_then_see_the_others(page_client, world):
    application = world.at("in_review")
    url = f"/applications/{application.pk}/public-benefit/score/"
    lay = page_client(world.lay)
    assert "Everyone's scores" not in _body(lay.get(url))
    none = lay.post(url, {})
    assert none.status_code == 400
    assert lay.post(url, {"score_1_1": "5", "score_1_2": "1"}).status_code == 302
    expert = page_client(world.expert)
    expert.post(url, {"score_1_1": "1"})
    body = _body(lay.get(url))
    assert "Everyone's scores" in body
    assert "Yes" in body
    assert page_client(world.pi).get(url).status_code == 403
