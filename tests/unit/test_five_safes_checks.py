"""Every Five Safes check, passing and failing; the registry; the two gates."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from access.models import Organisation
from catalogue.models import Sensitivity
from core.errors import ValidationFailed
from tests.factories import DatasetFactory, VariableFactory
from tests.factories.access import accredit
from tests.factories.workflow import World
from workflow.models import (
    Application,
    ApplicationSafeguards,
    LegalGateway,
    RequestedDataset,
    RequestedVariable,
    State,
)
from workflow.route import services as route_services
from workflow.safes import checks as safes
from workflow.safes import services as safes_services
from workflow.safes.public_benefit_framework import BENEFITS, FACTOR_IDS, RISKS, SCALE_IDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def result(application: Application, code: str):
    application = Application.objects.get(pk=application.pk)
    (found,) = [r for r in safes.run_checks(application) if r.code == code]
    return found


def dea(world: World) -> list[dict]:
    return [{**world.content()["datasets"][0], "legal_gateway": LegalGateway.DEA_RESEARCH}]


def safeguards(application: Application, **fields) -> None:
    ApplicationSafeguards.objects.filter(application=application).update(**fields)


def team_with(world: World, person) -> list[dict]:
    return [
        {"user": world.pi, "project_role": "principal_investigator"},
        {"user": person, "project_role": "researcher"},
    ]


# --- safe people ----------------------------------------------------------------------------


def test_people_accreditation_valid_passes_when_everyone_is_trained(world):
    check = result(world.draft(), "people.accreditation_valid")
    assert check.result == "pass"
    assert "1 January 2027" in check.message  # access starts with the project


def test_people_accreditation_valid_fails_naming_the_untrained_member(world):
    check = result(
        world.draft(members=team_with(world, world.outsider)), "people.accreditation_valid"
    )
    assert check.result == "fail"
    assert check.message.startswith("Oscar Outsider has no safe researcher training")


def test_people_accreditation_valid_fails_when_it_ends_before_access_starts(world):
    accredit(world.outsider, expires_on=datetime.date(2026, 12, 31))
    check = result(
        world.draft(members=team_with(world, world.outsider)), "people.accreditation_valid"
    )
    assert check.result == "fail"


def test_people_accreditation_valid_is_pending_while_an_application_waits(world):
    accredit(world.outsider, state="applied")
    check = result(
        world.draft(members=team_with(world, world.outsider)), "people.accreditation_valid"
    )
    assert check.result == "pending"
    assert "waiting for an accreditation officer" in check.message


def test_people_dea_accreditation_is_not_needed_without_the_dea_gateway(world):
    assert result(world.draft(), "people.dea_accreditation").result == "pass"


def test_people_dea_accreditation_fails_on_a_dea_project_without_it(world):
    check = result(world.draft(datasets=dea(world)), "people.dea_accreditation")
    assert check.result == "fail"
    assert "Priya Investigator and Colin Colleague have no DEA accredited researcher" in (
        check.message
    )


def test_people_dea_accreditation_passes_with_full_or_provisional(world):
    accredit(world.pi, "dea_full")
    accredit(world.colleague, "dea_provisional", supervisor=world.pi)
    assert result(world.draft(datasets=dea(world)), "people.dea_accreditation").result == "pass"


def test_people_accreditation_covers_project_warns_when_it_ends_first(world):
    check = result(world.draft(), "people.accreditation_covers_project")
    assert check.result == "warn"  # two years from today ends before 31 December 2028
    assert "before the project ends on 31 December 2028" in check.message


def test_people_accreditation_covers_project_passes_when_it_lasts(world):
    application = world.draft(end_date=datetime.date(2027, 12, 31))
    assert result(application, "people.accreditation_covers_project").result == "pass"


def test_people_provisional_supervisor_passes_with_a_qualifying_supervisor(world):
    world.colleague.affiliation = world.university
    world.colleague.save()
    accredit(world.pi, "dea_full")
    accredit(world.colleague, "dea_provisional", supervisor=world.pi)
    check = result(world.draft(datasets=dea(world)), "people.provisional_supervisor")
    assert check.result == "pass"
    assert "qualifying supervisor" in check.message


def test_people_provisional_supervisor_fails_when_the_supervisor_is_elsewhere(world):
    accredit(world.pi, "dea_full")
    # Colin has no affiliation recorded: the supervisor cannot be at his organisation.
    accredit(world.colleague, "dea_provisional", supervisor=world.pi)
    check = result(world.draft(datasets=dea(world)), "people.provisional_supervisor")
    assert check.result == "fail"
    assert check.message.startswith("Colin Colleague: Priya Investigator is not at your")


# --- safe projects --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "overrides", "expected"),
    [
        ("projects.lay_summary", {}, "pass"),
        ("projects.lay_summary", {"lay_summary": ""}, "fail"),
        ("projects.lay_summary", {"lay_summary": "word " * 301}, "fail"),
        ("projects.lay_summary", {"lay_summary": "word " * 300}, "pass"),
        ("projects.public_benefit", {}, "pass"),
        ("projects.public_benefit", {"public_benefit": "  "}, "fail"),
        ("projects.purpose", {}, "pass"),
        ("projects.purpose", {"purpose": ""}, "fail"),
        ("projects.dates", {}, "pass"),
        ("projects.dates", {"end_date": None}, "fail"),
        (
            "projects.dates",
            {"start_date": datetime.date(2024, 1, 1), "end_date": datetime.date(2025, 1, 1)},
            "fail",
        ),
        ("projects.legal_gateway", {}, "pass"),
        ("projects.legal_gateway", {"datasets": []}, "fail"),
        ("projects.no_health_data_via_dea", {}, "pass"),
    ],
)
def test_project_checks_pass_and_fail(world, code, overrides, expected):
    check = result(world.draft(**overrides), code)
    assert check.result == expected, check.message
    assert check.message


def test_projects_lay_summary_says_how_many_words_too_many(world):
    check = result(world.draft(lay_summary="word " * 301), "projects.lay_summary")
    assert check.message == "The lay summary has 301 words; the limit is 300."


def test_projects_legal_gateway_fails_for_a_dataset_not_shared_under_the_dea(world):
    closed = DatasetFactory(slug="census", title="Census", dea_gateway_permitted=False)
    VariableFactory(dataset=closed, name="age")
    application = world.draft()
    RequestedDataset.objects.filter(application=application).update(
        dataset=closed, legal_gateway=LegalGateway.DEA_RESEARCH
    )
    RequestedVariable.objects.filter(requested_dataset__application=application).delete()
    check = result(application, "projects.legal_gateway")
    assert check.result == "fail"
    assert "Census is not shared under the Digital Economy Act" in check.message


def test_projects_no_health_data_via_dea_fails_for_a_health_board_dataset(world):
    world.add_health_provider()
    application = world.draft(datasets=world.both_datasets())
    RequestedDataset.objects.filter(application=application, dataset=world.dataset2).update(
        legal_gateway=LegalGateway.DEA_RESEARCH
    )
    check = result(application, "projects.no_health_data_via_dea")
    assert check.result == "fail"
    assert "Hospital admissions is held by a body with health-service functions" in check.message


def test_projects_ethics_not_required_without_dea_or_identifying_data(world):
    check = result(world.draft(safeguards=False), "projects.ethics")
    assert check.result == "pass"
    assert "not required" in check.message


def test_projects_ethics_required_on_the_dea_gateway(world):
    check = result(world.draft(safeguards=False, datasets=dea(world)), "projects.ethics")
    assert check.result == "fail"
    assert "required because it uses the DEA research gateway" in check.message
    check = result(world.draft(datasets=dea(world)), "projects.ethics")
    assert check.result == "pass"
    assert "Wales Research Ethics Committee 3" in check.message


def test_projects_ethics_required_for_identifying_variables(world):
    datasets = world.content()["datasets"]
    datasets[0]["variables"].append({"variable": "postcode", "justification": "Linkage."})
    check = result(world.draft(safeguards=False, datasets=datasets), "projects.ethics")
    assert check.result == "fail"
    assert "identifying variable (postcode)" in check.message


def test_projects_ethics_required_for_identifiable_datasets(world):
    world.dataset.sensitivity = Sensitivity.IDENTIFIABLE
    world.dataset.save()
    check = result(world.draft(safeguards=False), "projects.ethics")
    assert check.result == "fail"
    assert "Pupil attainment is identifiable data" in check.message


def test_projects_ethics_approval_in_the_future_fails(world):
    application = world.draft(datasets=dea(world))
    safeguards(application, ethics_approved_on=timezone.localdate() + datetime.timedelta(days=3))
    assert result(application, "projects.ethics").result == "fail"


def test_projects_public_benefit_assessment_warns_until_complete_and_never_fails(world):
    application = world.draft()
    check = result(application, "projects.public_benefit_assessment")
    assert check.result == "warn"
    assert "0 of 37 answers" in check.message
    safes_services.public_benefit_update(
        application=application, by=world.pi, data=complete_answers()
    )
    assert result(application, "projects.public_benefit_assessment").result == "pass"


def complete_answers() -> dict:
    return {
        "tests": {f: {"rating": "met", "narrative": "Yes."} for f in FACTOR_IDS},
        "scale": {q: {"score": 4, "justification": "Because."} for q in SCALE_IDS},
        "benefits": [BENEFITS[-1]["id"]],
        "risks": [
            {
                "dimension": RISKS[2]["id"],
                "description": "Small cells could identify pupils.",
                "likelihood": 3,
                "severity": 4,
                "mitigation": "Output checking with a minimum cell count of 10.",
                "residual_likelihood": 1,
                "residual_severity": 4,
            }
        ],
    }


# --- safe settings --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(True, "pass"), (None, "pending"), (False, "fail")]
)
def test_settings_tre_only(world, value, expected):
    application = world.draft()
    safeguards(application, access_inside_tre_only=value)
    assert result(application, "settings.tre_only").result == expected


def test_settings_security_assurance_passes_when_recorded(world):
    check = result(world.draft(), "settings.security_assurance")
    assert (check.result, check.message) == (
        "pass",
        "Swansea University: ISO/IEC 27001 certificate.",
    )


@pytest.mark.parametrize(
    ("fields", "expected"),
    [
        ({"security_assurance": ""}, "fail"),
        ({"security_assurance_expires_on": datetime.date(2026, 1, 1)}, "fail"),
        ({"security_assurance_expires_on": datetime.date(2028, 1, 1)}, "warn"),
        ({"security_assurance_expires_on": datetime.date(2030, 1, 1)}, "pass"),
    ],
)
def test_settings_security_assurance_missing_expired_or_ending(world, fields, expected):
    Organisation.objects.filter(pk=world.university.pk).update(**fields)
    assert result(world.draft(), "settings.security_assurance").result == expected


# --- safe data ------------------------------------------------------------------------------


def test_data_variables_justified_passes_with_the_datasets_justification(world):
    assert result(world.draft(), "data.variables_justified").result == "pass"


def test_data_variables_justified_fails_naming_unjustified_variables(world):
    application = world.draft()
    RequestedDataset.objects.filter(application=application).update(justification="")
    check = result(application, "data.variables_justified")
    assert check.result == "fail"
    assert "school_year and grade in Pupil attainment" in check.message


def test_data_identifying_justified(world):
    assert result(world.draft(), "data.identifying_justified").result == "pass"
    datasets = world.content()["datasets"]
    datasets[0]["variables"].append({"variable": "postcode", "justification": ""})
    application = world.draft(datasets=datasets)
    check = result(application, "data.identifying_justified")
    assert (check.result, check.message) == (
        "fail",
        "education.postcode can identify people: justify each on its own.",
    )
    RequestedVariable.objects.filter(variable=world.postcode).update(justification="Linkage.")
    assert result(application, "data.identifying_justified").result == "pass"


def test_data_within_scope_is_pending_until_scoped_then_passes(world):
    assert result(world.draft(), "data.within_scope").result == "pending"
    assert result(world.at(State.INTERNAL_REVIEW), "data.within_scope").result == "pass"


def test_data_within_scope_fails_for_a_variable_outside_the_scope(world):
    application = world.at(State.INTERNAL_REVIEW)
    RequestedVariable.objects.create(
        requested_dataset=application.requested_datasets.get(),
        variable=world.postcode,
        justification="Linkage.",
    )
    check = result(application, "data.within_scope")
    assert (check.result, check.message) == ("fail", "education.postcode is not in scope.")


def test_data_sensitivity_recorded_names_the_highest(world):
    check = result(world.draft(), "data.sensitivity_recorded")
    assert (check.result, check.message) == (
        "pass",
        "Highest sensitivity: pseudonymised (Pupil attainment).",
    )
    assert result(world.draft(datasets=[]), "data.sensitivity_recorded").result == "fail"


# --- safe outputs ---------------------------------------------------------------------------


def test_outputs_declared(world):
    application = world.draft()
    assert result(application, "outputs.declared").result == "pass"
    safeguards(application, intended_outputs="")
    assert result(application, "outputs.declared").result == "fail"


def test_outputs_disclosure_rules_acknowledged_with_the_minimum_cell_count(world, settings):
    application = world.draft()
    check = result(application, "outputs.disclosure_rules")
    assert check.result == "pass"
    assert "minimum cell count 10" in check.message
    settings.DISCLOSURE_MIN_CELL_COUNT = 5
    check = result(application, "outputs.disclosure_rules")
    assert check.result == "fail"
    assert "acknowledge it again" in check.message


def test_outputs_disclosure_rules_not_acknowledged_fails(world):
    check = result(world.draft(safeguards=False), "outputs.disclosure_rules")
    assert check.result == "fail"
    assert "no cell below 10" in check.message


# --- the registry ---------------------------------------------------------------------------


def test_every_safe_has_checks_and_every_code_names_its_safe():
    checks = safes.registered()
    assert {c.safe for c in checks} == {"people", "projects", "settings", "data", "outputs"}
    assert all(c.code.startswith(f"{c.safe}.") and c.title for c in checks)
    assert len(checks) == len({c.code for c in checks}) >= 20


def test_a_tre_can_switch_a_check_off(world, settings):
    settings.FIVE_SAFES_DISABLED_CHECKS = ["settings.tre_only"]
    codes = {r.code for r in safes.run_checks(world.draft())}
    assert "settings.tre_only" not in codes
    assert "settings.security_assurance" in codes


def test_a_tre_can_replace_a_check_by_registering_its_code_again(world):
    original = safes._REGISTRY["projects.purpose"]
    try:

        @safes.check("projects.purpose", safe="projects", title="Our own purpose rule")
        def stricter(application, ctx):
            return ctx.fail("Our TRE does not take this purpose.")

        check = result(world.draft(), "projects.purpose")
        assert (check.title, check.result) == ("Our own purpose rule", "fail")
    finally:
        safes._REGISTRY["projects.purpose"] = original


@pytest.mark.parametrize(
    ("code", "safe"), [("programmes.thing", "programmes"), ("data.thing", "people")]
)
def test_a_check_must_name_a_safe_and_start_with_it(code, safe):
    with pytest.raises(ValueError, match="safe"):
        safes.check(code, safe=safe, title="x")


# --- the gates ------------------------------------------------------------------------------


def test_refer_to_panels_is_refused_with_a_failing_projects_check(world):
    application = world.at(State.INTERNAL_REVIEW, datasets=dea(world))
    safeguards(application, ethics_reference="")
    with pytest.raises(ValidationFailed) as error:
        route_services.application_refer_to_panels(application=application, by=world.reviewer)
    assert list(error.value.fields) == ["five_safes.projects.ethics"]
    assert (
        "Ethics approval recorded where the route needs it"
        in (error.value.fields["five_safes.projects.ethics"][0])
    )
    assert Application.objects.get(pk=application.pk).state == State.INTERNAL_REVIEW
    assert not application.tracks.exists()


def test_refer_to_panels_is_refused_with_a_failing_data_check(world):
    application = world.at(State.INTERNAL_REVIEW)
    RequestedDataset.objects.filter(application=application).update(justification="")
    with pytest.raises(ValidationFailed) as error:
        route_services.application_refer_to_panels(application=application, by=world.reviewer)
    assert "five_safes.data.variables_justified" in error.value.fields


def test_refer_to_panels_is_not_held_up_by_people_settings_or_outputs(world):
    # Accreditation runs in parallel: an untrained member does not stop the referral.
    application = world.at(State.INTERNAL_REVIEW, members=team_with(world, world.outsider))
    safeguards(application, access_inside_tre_only=None, intended_outputs="")
    route_services.application_refer_to_panels(application=application, by=world.reviewer)
    application = Application.objects.get(pk=application.pk)
    assert application.state == State.IN_REVIEW
    # The checks as the panels received it are kept, failures in other safes included.
    run = application.five_safes_runs.get()
    assert run.gate == "refer_to_panels"
    results = dict(run.results.values_list("code", "result"))
    assert results["people.accreditation_valid"] == "fail"
    assert results["outputs.declared"] == "fail"


def test_grant_access_is_refused_for_an_unaccredited_member(world):
    application = world.at(State.APPROVED, members=team_with(world, world.outsider))
    with pytest.raises(ValidationFailed) as error:
        route_services.application_grant_access(application=application, by=world.ops)
    assert "Oscar Outsider" in error.value.fields["five_safes.people.accreditation_valid"][0]
    assert Application.objects.get(pk=application.pk).state == State.APPROVED
    assert not application.access_grants.exists()


def test_grant_access_is_refused_while_a_check_is_pending(world):
    accredit(world.outsider, state="applied")
    application = world.at(State.APPROVED, members=team_with(world, world.outsider))
    with pytest.raises(ValidationFailed) as error:
        route_services.application_grant_access(application=application, by=world.ops)
    assert list(error.value.fields) == ["five_safes.people.accreditation_valid"]


def test_grant_access_is_refused_when_a_safe_is_judged_not_met(world):
    application = world.at(State.APPROVED)
    safes_services.safe_verdict_record(
        application=application,
        by=world.reviewer,
        safe="settings",
        verdict="not_met",
        rationale="The university's assurance does not cover remote access.",
    )
    with pytest.raises(ValidationFailed) as error:
        route_services.application_grant_access(application=application, by=world.ops)
    assert "does not cover remote access" in error.value.fields["five_safes.verdicts.settings"][0]


def test_grant_access_passes_with_warnings(world):
    application = world.at(State.ACTIVE)
    run = application.five_safes_runs.get(gate="grant_access")
    results = dict(run.results.values_list("code", "result"))
    assert results["people.accreditation_covers_project"] == "warn"
    assert set(results.values()) <= {"pass", "warn"}
    assert len(results) == len(safes.registered())
    assert application.events.filter(kind="five_safes_checked").count() == 2


def test_checks_run_for_an_application_without_safeguards(world):
    application = world.draft(safeguards=False)
    Application.objects.filter(pk=application.pk).update(lead_organisation=None)
    application = Application.objects.get(pk=application.pk)
    results = {r.code: r.result for r in safes.run_checks(application)}
    assert results["settings.tre_only"] == "pending"
    assert results["settings.security_assurance"] == "fail"
    assert results["outputs.declared"] == "fail"
