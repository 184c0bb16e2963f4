"""The application's Five Safes view, verdicts, safeguards, public benefit and conditions through
the API; and people told what accreditation they need."""

from __future__ import annotations

import pytest

from notifications.models import Notification
from tests.factories import make_user
from tests.factories.access import accredit
from tests.factories.workflow import World
from workflow.models import (
    Application,
    Condition,
    LegalGateway,
    Outcome,
    PublicBenefitScore,
    SafeVerdict,
    State,
    TrackKind,
)
from workflow.reviews import services as reviews_services
from workflow.route import services as route_services
from workflow.safes.public_benefit_framework import SCALE_IDS

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def url(application: Application, path: str) -> str:
    return f"/api/v1/applications/{application.pk}/{path}"


def verdict(client, application, **body):
    data = {"safe": "data", "verdict": "met", "rationale": "Minimised to what is needed."}
    data.update(body)
    return client.post(url(application, "five-safes/verdicts/"), data, format="json")


# --- the Five Safes view -------------------------------------------------------------------


def test_five_safes_view_shows_checks_and_verdicts_side_by_side(world, client_for):
    application = world.at(State.INTERNAL_REVIEW)
    verdict(client_for(world.reviewer), application)
    response = client_for(world.reviewer).get(url(application, "five-safes/"))
    assert response.status_code == 200
    body = response.json()
    assert [s["safe"] for s in body["safes"]] == [
        "people",
        "projects",
        "settings",
        "data",
        "outputs",
    ]
    data = body["safes"][3]
    assert {c["code"] for c in data["checks"]} >= {"data.within_scope", "data.variables_justified"}
    assert all(c["message"] and c["title"] for c in data["checks"])
    assert (data["verdict"]["verdict"], data["verdict"]["decided_by"]["full_name"]) == (
        "met",
        "Rhys Reviewer",
    )
    assert body["safes"][0]["verdict"] is None
    assert body["gates"]["refer_to_panels"] == {"open": True, "blocking": []}
    assert body["last_run"] is None  # not referred yet
    client_for(world.reviewer).post(url(application, "refer-to-panels/"), {}, format="json")
    last_run = client_for(world.pi).get(url(application, "five-safes/")).json()["last_run"]
    assert last_run["gate"] == "refer_to_panels"
    assert last_run["run_by"]["full_name"] == "Rhys Reviewer"
    assert {r["code"] for r in last_run["results"]} >= {"data.within_scope", "outputs.declared"}


def test_five_safes_view_names_what_blocks_access(world, client_for):
    application = world.at(
        State.APPROVED,
        members=[
            {"user": world.pi, "project_role": "principal_investigator"},
            {"user": world.outsider, "project_role": "researcher"},
        ],
    )
    gates = client_for(world.ops).get(url(application, "five-safes/")).json()["gates"]
    assert gates["grant_access"] == {
        "open": False,
        "blocking": ["five_safes.people.accreditation_valid"],
    }


def test_five_safes_view_is_404_to_outsiders_and_403_to_owner_only_viewers(world, client_for):
    application = world.at(State.INTERNAL_REVIEW)
    assert client_for(world.outsider).get(url(application, "five-safes/")).status_code == 404
    assert client_for(world.owner).get(url(application, "five-safes/")).status_code == 403
    assert client_for(world.pi).get(url(application, "five-safes/")).status_code == 200


# --- verdicts -------------------------------------------------------------------------------


def test_verdict_met_with_conditions_sets_conditions_from_that_safe(world, client_for):
    application = world.at(State.IN_REVIEW)
    response = verdict(
        client_for(world.reviewer),
        application,
        safe="outputs",
        verdict="met_with_conditions",
        conditions=[{"text": "Outputs reviewed by the TRE before any publication."}],
    )
    assert response.status_code == 201, response.content
    (condition,) = Condition.objects.filter(application=application)
    assert (condition.origin, condition.safe, condition.timing, condition.responsible) == (
        "safe",
        "outputs",
        "before_access",
        world.pi,
    )
    listed = client_for(world.pi).get(url(application, "conditions/")).json()
    assert listed[0]["source"] == "Safe outputs"


def test_a_new_verdict_withdraws_the_open_conditions_of_the_old(world, client_for):
    application = world.at(State.IN_REVIEW)
    reviewer = client_for(world.reviewer)
    verdict(reviewer, application, verdict="met_with_conditions", conditions=[{"text": "Drop X."}])
    verdict(reviewer, application, verdict="met")
    assert Condition.objects.get(application=application).state == "withdrawn"
    assert SafeVerdict.objects.get(application=application, safe="data").verdict == "met"
    assert application.events.filter(kind="safe_verdict").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"rationale": ""}, "rationale"),
        ({"verdict": "met_with_conditions"}, "conditions"),
        ({"verdict": "met", "conditions": [{"text": "A condition"}]}, "conditions"),
        ({"safe": "programmes"}, "safe"),
        (
            {
                "verdict": "met_with_conditions",
                "conditions": [{"text": "x", "due_date": "2020-01-01"}],
            },
            "conditions.0.due_date",
        ),
    ],
)
def test_bad_verdicts_are_400_and_change_nothing(world, client_for, body, field):
    application = world.at(State.IN_REVIEW)
    response = verdict(client_for(world.reviewer), application, **body)
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not SafeVerdict.objects.exists()
    assert not Condition.objects.exists()


def test_only_reviewers_off_the_team_give_verdicts_and_only_from_internal_review(world, client_for):
    application = world.at(State.IN_REVIEW)
    assert verdict(client_for(world.pi), application).status_code == 403
    assert verdict(client_for(world.ops), application).status_code == 403
    scoping = world.at(State.SCOPING)
    assert verdict(client_for(world.ops), scoping).status_code == 403
    active = world.at(State.ACTIVE)
    response = verdict(client_for(world.reviewer), active)
    assert response.status_code == 409
    assert response.json()["current_state"] == "active"


# --- safeguards -----------------------------------------------------------------------------


def test_members_edit_safeguards_while_editable(world, client_for):
    application = world.draft(safeguards=False)
    client = client_for(world.colleague)
    response = client.patch(
        url(application, "safeguards/"),
        {"intended_outputs": "Tables.", "acknowledge_disclosure_rules": True},
        format="json",
    )
    assert response.status_code == 200
    body = response.json()
    assert body["intended_outputs"] == "Tables."
    assert body["disclosure_min_cell_count"] == body["disclosure_min_cell_count_now"] == 10
    assert body["disclosure_rules_acknowledged_by"]["full_name"] == "Colin Colleague"


def test_safeguards_bad_input_or_wrong_state_or_person(world, client_for):
    application = world.draft()
    pi = client_for(world.pi)
    future = pi.patch(url(application, "safeguards/"), {"ethics_approved_on": "2099-01-01"})
    assert future.status_code == 400
    assert "ethics_approved_on" in future.json()["fields"]
    assert pi.patch(url(application, "safeguards/"), {"state": "x"}).status_code == 400
    assert (
        client_for(world.ops)
        .patch(url(application, "safeguards/"), {"intended_outputs": "x"})
        .status_code
        == 403
    )
    submitted = world.at(State.SCOPING)
    response = client_for(world.pi).patch(url(submitted, "safeguards/"), {"intended_outputs": "x"})
    assert response.status_code == 409


# --- public benefit -------------------------------------------------------------------------


def test_public_benefit_shows_the_framework_verbatim(world, client_for):
    application = world.draft()
    body = client_for(world.pi).get(url(application, "public-benefit/")).json()
    framework = body["framework"]
    assert [len(t["factors"]) for t in framework["tests"].values()] == [7, 5, 5]
    assert framework["tests"]["proportionate"]["factors"][0]["questions"] == (
        "Is all the data shared/linked strictly necessary for the intended purpose?"
    )
    assert len(framework["scale"]) == 18
    q33 = next(q for q in framework["scale"] if q["id"] == "3.3")
    assert q33["right"] == "Gaining informed consent is not viable"
    assert "better one" in q33["help"]
    assert len(framework["benefits"]) == 25
    assert len(framework["risks"]) == 14
    assert body["advisory"].startswith("Advisory")
    assert body["completeness"] == {"answered": 0, "expected": 37}


def test_team_answers_and_the_position_is_computed(world, client_for):
    application = world.draft()
    response = client_for(world.pi).patch(
        url(application, "public-benefit/"),
        {
            "tests": {"PU-1": {"rating": "partly", "narrative": "Indirect benefit."}},
            "scale": {q: {"score": 5, "justification": "Strong."} for q in SCALE_IDS},
            "benefits": ["BC-3"],
            "risks": [
                {
                    "dimension": "RI-3",
                    "description": "Re-identification from small cells.",
                    "likelihood": 3,
                    "severity": 4,
                    "mitigation": "Minimum cell count of 10.",
                    "residual_likelihood": 1,
                    "residual_severity": 4,
                }
            ],
        },
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["position"]["overall"] == 5.0
    assert body["position"]["band"] == "likely"
    assert body["risks"][0]["score"] == 12
    assert body["risks"][0]["residual_score"] == 4
    assert body["completeness"]["answered"] == 1 + 18 + 1 + 1


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"scale": {"1.1": {"score": 6}}}, "scale.1.1.score"),
        ({"scale": {"1.1": {"score": None}}}, "scale.1.1.na_reason"),
        ({"scale": {"9.9": {"score": 3}}}, "scale.9.9"),
        ({"tests": {"PU-1": {"rating": "maybe"}}}, "tests.PU-1.rating"),
        ({"benefits": ["nonsense"]}, "benefits.0"),
        (
            {
                "risks": [
                    {
                        "dimension": "RI-1",
                        "description": "x",
                        "likelihood": 1,
                        "severity": 1,
                        "residual_likelihood": 3,
                        "residual_severity": 3,
                    }
                ]
            },
            "risks.0.residual_likelihood",
        ),
    ],
)
def test_bad_public_benefit_answers_are_400_and_change_nothing(world, client_for, data, field):
    application = world.draft()
    response = client_for(world.pi).patch(url(application, "public-benefit/"), data, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"]
    assert not hasattr(Application.objects.get(pk=application.pk), "public_benefit_assessment")


def test_panel_members_score_independently_and_see_where_they_diverge(world, client_for):
    application = world.at(State.IN_REVIEW)
    second = world.lay  # another member of the IGRP
    first_client, second_client = client_for(world.panel), client_for(second)
    scores_url = url(application, "public-benefit/scores/")
    response = first_client.post(scores_url, {"scores": {"1.1": 5, "2.1": 3}}, format="json")
    assert response.status_code == 200, response.content
    # The second member has not scored: the others' scores stay hidden from them.
    hidden = second_client.get(scores_url).json()
    assert (hidden["hidden_until_you_score"], hidden["scores"]) == (True, [])
    second_client.post(scores_url, {"scores": {"1.1": 1, "2.1": 3}}, format="json")
    seen = second_client.get(scores_url).json()
    assert len(seen["scores"]) == 2
    rows = {row["question"]: row for row in seen["divergence"]}
    assert (rows["1.1"]["spread"], rows["1.1"]["diverges"]) == (4, True)
    assert rows["2.1"]["diverges"] is False
    # Reviewers read all of it without scoring.
    assert len(client_for(world.reviewer).get(scores_url).json()["scores"]) == 2
    assert PublicBenefitScore.objects.count() == 2


def test_panel_member_not_on_the_applications_panels_cannot_score(world, client_for):
    application = world.at(State.IN_REVIEW)
    elsewhere = make_user("panel_member", full_name="Member Of Another Panel")
    response = client_for(elsewhere).post(
        url(application, "public-benefit/scores/"), {"scores": {"1.1": 3}}, format="json"
    )
    assert response.status_code == 404  # the application is not visible to them
    assert PublicBenefitScore.objects.count() == 0


def test_only_panel_members_score_and_only_in_review(world, client_for):
    application = world.at(State.IN_REVIEW)
    scores_url = url(application, "public-benefit/scores/")
    assert (
        client_for(world.reviewer)
        .post(scores_url, {"scores": {"1.1": 3}}, format="json")
        .status_code
        == 403
    )
    response = client_for(world.panel).post(scores_url, {"scores": {"1.1": 9}}, format="json")
    assert response.status_code == 400
    assert not PublicBenefitScore.objects.exists()


# --- conditions -----------------------------------------------------------------------------


def approved_with_condition(world: World) -> Application:
    application = world.at(State.IN_REVIEW)
    for track in application.tracks.filter(superseded=False):
        if track.kind == TrackKind.IGRP:
            world.decide(
                track,
                Outcome.APPROVED_WITH_CONDITIONS,
                "Fine with one condition.",
                ["Publish the code used for the analysis."],
            )
        else:
            world.decide(track, Outcome.APPROVED)
    application = Application.objects.get(pk=application.pk)
    assert application.state == State.APPROVED
    world.sign_agreement(application)
    return application


def test_track_conditions_become_obligations_that_hold_access_until_verified(world, client_for):
    application = approved_with_condition(world)
    (condition,) = client_for(world.pi).get(url(application, "conditions/")).json()
    assert (condition["origin"], condition["source"], condition["state"]) == (
        "track",
        "Independent Governance Review Panel",
        "open",
    )
    assert condition["responsible"]["full_name"] == "Priya Investigator"
    ops = client_for(world.ops)
    refused = ops.post(url(application, "grant-access/"))
    assert refused.status_code == 400
    assert refused.json()["fields"] == {
        f"conditions.{condition['id']}": [
            "Before access, not yet verified as met: Publish the code used for the analysis."
        ]
    }
    evidence = client_for(world.colleague).post(
        url(application, f"conditions/{condition['id']}/evidence/"),
        {"evidence": "https://github.com/example/analysis"},
        format="json",
    )
    assert evidence.status_code == 200
    # A member never verifies their own condition.
    member_verify = client_for(world.pi).post(
        url(application, f"conditions/{condition['id']}/verify/")
    )
    assert member_verify.status_code == 403
    verified = client_for(world.reviewer).post(
        url(application, f"conditions/{condition['id']}/verify/"), {"note": "Checked the repo."}
    )
    assert verified.status_code == 200
    assert verified.json()["verified_by"]["full_name"] == "Rhys Reviewer"
    assert ops.post(url(application, "grant-access/")).status_code == 200


def test_a_condition_during_the_project_does_not_hold_access(world, client_for):
    application = approved_with_condition(world)
    condition = application.conditions.get()
    response = client_for(world.reviewer).patch(
        url(application, f"conditions/{condition.pk}/"),
        {"timing": "during_project", "due_date": "2027-06-30"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["timing"] == "during_project"
    assert client_for(world.ops).post(url(application, "grant-access/")).status_code == 200


def test_condition_bad_input_changes_nothing(world, client_for):
    application = approved_with_condition(world)
    condition = application.conditions.get()
    reviewer = client_for(world.reviewer)
    responsible = reviewer.patch(
        url(application, f"conditions/{condition.pk}/"),
        {"responsible": world.outsider.pk},
        format="json",
    )
    assert responsible.status_code == 400
    assert "responsible" in responsible.json()["fields"]
    no_evidence = reviewer.post(url(application, f"conditions/{condition.pk}/verify/"), {})
    assert no_evidence.status_code == 400
    empty = client_for(world.pi).post(
        url(application, f"conditions/{condition.pk}/evidence/"), {"evidence": " "}
    )
    assert empty.status_code == 400
    condition.refresh_from_db()
    assert (condition.state, condition.responsible, condition.evidence) == ("open", world.pi, "")


def test_a_verified_condition_cannot_be_verified_again(world, client_for):
    application = approved_with_condition(world)
    condition = application.conditions.get()
    reviewer = client_for(world.reviewer)
    reviewer.post(url(application, f"conditions/{condition.pk}/verify/"), {"note": "Seen."})
    again = reviewer.post(url(application, f"conditions/{condition.pk}/verify/"), {"note": "x"})
    assert again.status_code == 409
    assert again.json()["current_state"] == "met"


# --- told what they need --------------------------------------------------------------------


def needed(person) -> list[str]:
    return sorted(
        Notification.objects.filter(recipient=person, kind="accreditation.needed").values_list(
            "subject", flat=True
        )
    )


def test_an_untrained_member_is_told_on_submission_once(world):
    team = [
        {"user": world.pi, "project_role": "principal_investigator"},
        {"user": world.outsider, "project_role": "researcher"},
    ]
    application = world.at(State.CHANGES_REQUESTED, members=team)
    (subject,) = needed(world.outsider)
    assert subject == f"{application.reference}: you need safe researcher training"
    note = Notification.objects.get(recipient=world.outsider, kind="accreditation.needed")
    assert note.url == "/accreditation/"
    assert "Safe researcher training" in note.body
    assert needed(world.pi) == []  # already trained
    # Resubmitting tells nobody twice; a member added meanwhile is told.
    route_services.application_update(
        application=application,
        by=world.pi,
        data={"members": [*team, {"user": world.colleague, "project_role": "researcher"}]},
    )
    newcomer = make_user("researcher", full_name="New Person")
    route_services.application_update(
        application=application,
        by=world.pi,
        data={"members": [*team, {"user": newcomer, "project_role": "researcher"}]},
    )
    for item in application.feedback_requests.get().items.all():
        reviews_services.feedback_item_respond(item=item, by=world.pi, response="Done.")
    route_services.application_resubmit(application=application, by=world.pi)
    assert len(needed(world.outsider)) == 1
    assert len(needed(newcomer)) == 1


def test_a_member_with_an_application_in_progress_is_not_told(world):
    accredit(world.outsider, state="applied")
    world.at(
        State.SCOPING,
        members=[
            {"user": world.pi, "project_role": "principal_investigator"},
            {"user": world.outsider, "project_role": "researcher"},
        ],
    )
    assert needed(world.outsider) == []


def test_members_of_a_dea_project_are_told_they_need_dea_accreditation(world):
    dataset = {**world.content()["datasets"][0], "legal_gateway": LegalGateway.DEA_RESEARCH}
    application = world.at(State.SCOPING, datasets=[dataset])
    assert needed(world.pi) == [
        f"{application.reference}: you need DEA accredited researcher (full or provisional)"
    ]
