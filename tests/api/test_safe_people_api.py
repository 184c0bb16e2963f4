"""The API for accreditation, the data access agreement and access grants: who sees what, who
decides, and bad input that changes nothing."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from access.models import (
    AccessGrant,
    Accreditation,
    AgreementSignature,
    AgreementText,
    Role,
)
from tests.factories import make_user
from tests.factories.access import accredit, publish_agreement
from tests.factories.workflow import World
from workflow.models import Application, State

pytestmark = pytest.mark.django_db

ACCREDITATIONS = "/api/v1/accreditations/"


@pytest.fixture
def world():
    return World()


def apply_body(**overrides) -> dict:
    body = {
        "kind": "safe_researcher",
        "issuer": "ONS Safe Researcher Training",
        "certificate_number": "SRT-9",
        "issued_on": "2026-11-01",
    }
    body.update(overrides)
    return body


def sign(client, application, **body):
    return client.post(
        f"/api/v1/applications/{application.pk}/agreement/sign/",
        {"capacity": "member", **body},
        format="json",
    )


# --- accreditation -------------------------------------------------------------------------


def test_researcher_applies_and_sees_only_their_own(world, client_for):
    client = client_for(world.outsider)
    response = client.post(ACCREDITATIONS, apply_body(), format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["state"], body["kind"], body["valid_today"]) == (
        "applied",
        "safe_researcher",
        False,
    )
    assert body["expires_on"] == "2028-10-31"
    assert body["history"][0]["transition"] == "apply"
    listed = client.get(ACCREDITATIONS).json()["results"]
    assert [a["id"] for a in listed] == [body["id"]]
    # The officer sees everyone's (the World's trained team too).
    everyone = client_for(world.officer).get(ACCREDITATIONS).json()["results"]
    assert len(everyone) == 3


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"expires_on": "2026-10-01"}, "expires_on"),
        ({"kind": "dea_provisional"}, "supervisor"),
        ({"state": "accredited"}, "state"),
        ({"issued_on": "not a date"}, "issued_on"),
    ],
    ids=["expiry-before-issue", "provisional-without-supervisor", "state", "bad-date"],
)
def test_bad_applications_are_400_and_change_nothing(world, client_for, overrides, field):
    before = Accreditation.objects.count()
    response = client_for(world.outsider).post(
        ACCREDITATIONS, apply_body(**overrides), format="json"
    )
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert Accreditation.objects.count() == before


def test_officer_accredits_through_the_api(world, client_for):
    award = accredit(world.outsider, state="applied")
    response = client_for(world.officer).post(f"{ACCREDITATIONS}{award.pk}/accredit/", {})
    assert response.status_code == 200
    assert response.json()["state"] == "accredited"
    assert response.json()["decided_by"]["full_name"] == "Afon Officer"


def test_accrediting_yourself_is_403_and_changes_nothing(world, client_for):
    officer = make_user(Role.ACCREDITATION_OFFICER, Role.RESEARCHER, full_name="Self Serving")
    own = accredit(officer, state="applied")
    history = own.events.count()
    response = client_for(officer).post(f"{ACCREDITATIONS}{own.pk}/accredit/", {})
    assert response.status_code == 403
    assert "your own" in response.json()["detail"]
    own.refresh_from_db()
    assert (own.state, own.decided_by) == ("applied", None)
    assert own.events.count() == history


def test_researcher_cannot_see_or_decide_someone_elses_accreditation(world, client_for):
    award = accredit(world.pi, state="applied")
    client = client_for(world.outsider)
    assert client.get(f"{ACCREDITATIONS}{award.pk}/").status_code == 404
    assert client.post(f"{ACCREDITATIONS}{award.pk}/accredit/", {}).status_code == 404
    # The person themself sees it, and may not decide it.
    assert client_for(world.pi).post(f"{ACCREDITATIONS}{award.pk}/accredit/", {}).status_code == 403


def test_refusing_without_a_reason_is_400(world, client_for):
    award = accredit(world.outsider, state="applied")
    response = client_for(world.officer).post(
        f"{ACCREDITATIONS}{award.pk}/refuse/", {"reason": ""}, format="json"
    )
    assert response.status_code == 400
    assert "reason" in response.json()["fields"]
    award.refresh_from_db()
    assert award.state == "applied"


def test_revoking_a_refused_application_is_409_with_the_state(world, client_for):
    award = accredit(world.outsider, state="refused")
    response = client_for(world.officer).post(
        f"{ACCREDITATIONS}{award.pk}/revoke/", {"reason": "x"}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["current_state"] == "refused"


def test_accreditations_need_login():
    assert APIClient().get(ACCREDITATIONS).status_code == 401


# --- access grants -------------------------------------------------------------------------


def test_access_grants_members_see_their_own_and_ops_see_all(world, client_for):
    application = world.at(State.ACTIVE)
    mine = client_for(world.pi).get("/api/v1/access-grants/").json()["results"]
    assert [(g["person"]["full_name"], g["state"]) for g in mine] == [
        ("Priya Investigator", "active")
    ]
    assert mine[0]["application_reference"] == application.reference
    assert mine[0]["end_on"] == "2028-12-31"
    assert len(client_for(world.ops).get("/api/v1/access-grants/").json()["results"]) == 2
    assert client_for(world.outsider).get("/api/v1/access-grants/").json()["results"] == []


# --- the agreement -------------------------------------------------------------------------


def test_agreements_are_listed_and_ops_publish_the_next_version(world, client_for):
    listed = client_for(world.pi).get("/api/v1/agreements/").json()["results"]
    assert [a["version"] for a in listed] == [1]
    response = client_for(world.ops).post(
        "/api/v1/agreements/", {"title": "Data access agreement", "body": "New terms."}
    )
    assert response.status_code == 201
    assert response.json()["version"] == 2
    assert (
        client_for(world.pi)
        .post("/api/v1/agreements/", {"title": "Mine", "body": "Whatever I like."})
        .status_code
        == 403
    )
    assert AgreementText.objects.count() == 2


def test_signing_for_someone_else_is_403_and_changes_nothing(world, client_for):
    application = world.at(State.IN_REVIEW)
    response = sign(client_for(world.pi), application, signer=world.colleague.pk)
    assert response.status_code == 403
    assert "only for yourself" in response.json()["detail"]
    assert not AgreementSignature.objects.exists()


def test_members_and_the_signatory_sign_and_the_status_shows_who_has(world, client_for):
    application = world.at(State.IN_REVIEW)
    response = sign(client_for(world.pi), application, version=1)
    assert response.status_code == 201
    status = response.json()
    assert [(m["person"]["full_name"], m["signed"]) for m in status["members"]] == [
        ("Priya Investigator", True),
        ("Colin Colleague", False),
    ]
    assert status["complete"] is False
    # The signatory has no role and is not on the team, yet reaches the application to sign.
    signatory = client_for(world.signatory)
    assert signatory.get(f"/api/v1/applications/{application.pk}/agreement/").status_code == 200
    response = sign(signatory, application, capacity="organisation_signatory")
    assert response.status_code == 201
    assert response.json()["organisation_signed_by"]["full_name"] == "Sian Signatory"
    response = sign(client_for(world.colleague), application)
    assert response.json()["complete"] is True
    assert application.events.filter(kind="agreement_signed").count() == 3


def test_signing_for_an_organisation_you_do_not_sign_for_is_403(world, client_for):
    application = world.at(State.IN_REVIEW)
    response = sign(client_for(world.pi), application, capacity="organisation_signatory")
    assert response.status_code == 403
    assert not AgreementSignature.objects.exists()


def test_a_non_member_signing_as_member_is_404_or_403(world, client_for):
    application = world.at(State.IN_REVIEW)
    assert sign(client_for(world.outsider), application).status_code == 404
    assert sign(client_for(world.signatory), application).status_code == 403


def test_signing_an_old_version_is_400(world, client_for):
    application = world.at(State.IN_REVIEW)
    publish_agreement(world.ops)
    response = sign(client_for(world.pi), application, version=1)
    assert response.status_code == 400
    assert "Version 2" in response.json()["fields"]["version"][0]


def test_signing_before_review_is_409(world, client_for):
    application = world.at(State.SCOPING)
    response = sign(client_for(world.pi), application)
    assert response.status_code == 409
    assert response.json()["current_state"] == "scoping"


def test_grant_access_without_every_signature_is_400_naming_who(world, client_for):
    application = world.at(State.APPROVED)
    AgreementSignature.objects.filter(
        application=application, signer__in=[world.colleague, world.signatory]
    ).delete()
    response = client_for(world.ops).post(f"/api/v1/applications/{application.pk}/grant-access/")
    assert response.status_code == 400
    fields = response.json()["fields"]
    assert "Colin Colleague" in fields["agreement.members"][0]
    assert "Swansea University" in fields["agreement.organisation"][0]
    assert Application.objects.get(pk=application.pk).state == State.APPROVED
    assert not AccessGrant.objects.exists()


def test_a_new_agreement_version_before_access_must_be_signed_again(world, client_for):
    application = world.at(State.APPROVED)
    publish_agreement(world.ops)
    response = client_for(world.ops).post(f"/api/v1/applications/{application.pk}/grant-access/")
    assert response.status_code == 400
    assert "version 2" in response.json()["fields"]["agreement.members"][0]
    world.sign_agreement(application)
    response = client_for(world.ops).post(f"/api/v1/applications/{application.pk}/grant-access/")
    assert response.status_code == 200


def test_signed_agreement_text_is_immutable(world):
    application = world.at(State.APPROVED)
    assert application.agreement_signatures.count() == 3
    text = AgreementText.objects.get(version=1)
    text.body = "Changed after signing."
    with pytest.raises(RuntimeError, match="immutable"):
        text.save()


@pytest.mark.parametrize(
    ("actor", "expected"),
    [
        ("officer", 200),
        ("subject", 403),  # their own: they see it, may not decide it
        ("ops", 403),  # sees every accreditation, decides none
        ("reviewer", 404),
        ("other_researcher", 404),
        ("anonymous", 401),
    ],
)
def test_who_may_decide_an_accreditation(world, client_for, actor, expected):
    award = accredit(world.outsider, state="applied")
    clients = {
        "officer": client_for(world.officer),
        "subject": client_for(world.outsider),
        "ops": client_for(world.ops),
        "reviewer": client_for(world.reviewer),
        "other_researcher": client_for(world.pi),
        "anonymous": APIClient(),
    }
    response = clients[actor].post(f"{ACCREDITATIONS}{award.pk}/accredit/", {})
    assert response.status_code == expected
    award.refresh_from_db()
    assert award.state == ("accredited" if expected == 200 else "applied")
