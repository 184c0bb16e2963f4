"""The pages of the second pass: safeguards, accreditation, the agreement, the Five Safes,
conditions, granting access, the forecast, stage targets and the turnaround dashboard.
Through Django's test client: who may open each, no-JavaScript POSTs, and error mapping."""

from __future__ import annotations

import pytest

from workflow.models import ApplicationSafeguards

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


def test_my_accreditation_shows_each_kind_and_what_each_application_needs(page_client, world):
    from access.models import Accreditation

    Accreditation.objects.filter(person=world.colleague).delete()
    world.draft()
    body = _body(page_client(world.colleague).get("/accreditation/"))
    assert "Safe researcher training" in body
    assert "School attainment and later health" in body
    assert "Missing" in body
    assert "/accreditation/apply/?kind=safe_researcher" in body
    assert page_client(world.analyst).get("/accreditation/").status_code == 403


def test_apply_for_accreditation_without_javascript_then_the_officer_accredits(page_client, world):
    from access.models import Accreditation

    Accreditation.objects.filter(person=world.colleague).delete()
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
    award = Accreditation.objects.get(person=world.colleague)
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
    assert 'href="#id_supervisor_email"' in body
