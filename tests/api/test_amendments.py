"""Amendments through the API: each kind of change goes to only the reviewers it affects, with
the route explained before submitting; the tracks' decisions combine into one; approval makes
the change (a new version, grants, register); bad input, wrong states and races are refused
with nothing changed; who may do what is a matrix."""

from __future__ import annotations

import datetime
import json

import pytest

from access.models import AccessGrant, AgreementSignature
from tests.support.amendments import Amendments
from workflow.models import (
    Amendment,
    AmendmentEvent,
    AmendmentTrack,
    ApplicationVersion,
    DecisionRecord,
    RegisterEntry,
    ReviewTrack,
    RouteRule,
    State,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def a() -> Amendments:
    return Amendments()


def base(a: Amendments) -> str:
    return f"/api/v1/applications/{a.project.pk}/amendments/"


def ask(a: Amendments, client, *changes: dict, reason: str = "The project needs it."):
    return client.post(base(a), {"changes": list(changes), "reason": reason}, format="json")


def asked(a: Amendments, client_for, *changes: dict) -> dict:
    response = ask(a, client_for(a.pi), *changes)
    assert response.status_code == 201, response.json()
    return response.json()


def submit(a: Amendments, client, amendment_id: int):
    return client.post(f"{base(a)}{amendment_id}/submit/")


def decide(a: Amendments, client, body: dict, track_id: int, outcome="approved", rationale=""):
    """Decide a track; a panel track's members vote ``outcome`` first (the quorum the chair's
    decision needs: tests/api/test_amendments.py::test_a_panel_track_needs_its_quorum)."""
    found = AmendmentTrack.objects.get(pk=track_id)
    if found.state == "open" and not found.votes.exists():
        a.panel_votes(found, outcome)
    return client.post(
        f"{base(a)}{body['id']}/tracks/{track_id}/decide/",
        {"outcome": outcome, "rationale": rationale},
        format="json",
    )


def track(body: dict, reviewer: str) -> dict:
    return next(t for t in body["tracks"] if t["reviewer"] == reviewer)


def routing(a: Amendments, client, amendment_id: int) -> dict:
    response = client.get(f"{base(a)}{amendment_id}/routing/")
    assert response.status_code == 200, response.json()
    return response.json()


# --- the done-when routes -----------------------------------------------------------------------


def test_member_from_the_same_organisation_needs_no_panel_and_gets_access_once_signed(
    a, client_for
):
    pi = client_for(a.pi)
    body = asked(a, client_for, {"type": "add_member", "user": a.newcomer.pk})

    # Explained before submitting: no panel, the safe-people check and their signature.
    explained = routing(a, pi, body["id"])
    assert explained["frozen"] is False
    assert explained["takes_effect_at_once"] is True
    assert explained["tracks"] == []
    applying = [s for s in explained["route"] if s["applies"]]
    assert {s["reviewer"] for s in applying} == {"none", "safe_people"}
    assert "Swansea University is already on the project" in applying[0]["why"]
    # The diff against the approved version names the new member.
    assert {"path": "members.Nia Newcomer", "change": "added"}.items() <= body["diff"][0].items()

    submitted = submit(a, pi, body["id"]).json()
    assert submitted["state"] == "approved"
    assert submitted["tracks"] == []
    a.project.refresh_from_db()
    assert a.newcomer.pk in a.project.team_ids()
    assert submitted["version"] == a.project.current_version
    assert ApplicationVersion.objects.filter(
        application=a.project, number=submitted["version"]
    ).exists()
    # Accredited but not yet signed: no access yet; signing gives it.
    assert not AccessGrant.objects.filter(person=a.newcomer).exists()
    newcomer = client_for(a.newcomer)
    assert "sign" in newcomer.get(f"{base(a)}{body['id']}/").json()["actions"]
    assert newcomer.post(f"{base(a)}{body['id']}/sign/").status_code == 200
    grant = AccessGrant.objects.get(person=a.newcomer, application=a.project)
    assert grant.state == "active"
    assert grant.end_on == a.project.end_date
    assert AgreementSignature.objects.filter(signer=a.newcomer, capacity="member").exists()
    # The audit trail: created, submitted, approved; a chain that verifies.
    assert list(
        AmendmentEvent.objects.filter(amendment_id=body["id"]).values_list("transition", flat=True)
    ) == ["create", "submit", "approve"]


def test_member_from_a_new_organisation_needs_that_organisations_signatory(a, client_for):
    body = asked(a, client_for, {"type": "add_member", "user": a.visitor.pk})
    explained = routing(a, client_for(a.pi), body["id"])
    assert [t["name"] for t in explained["tracks"]] == [
        "The organisation's signatory: Cardiff University"
    ]
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    assert submitted["state"] == "in_review"
    # The person joins only once the signatory approves (and signs for Cardiff).
    assert a.visitor.pk not in a.project.team_ids()
    signatory = client_for(a.cardiff_signatory)
    decided = decide(a, signatory, submitted, track(submitted, "organisation_signatory")["id"])
    assert decided.json()["state"] == "approved", decided.json()
    assert AgreementSignature.objects.filter(
        signer=a.cardiff_signatory, organisation=a.cardiff
    ).exists()
    a.project.refresh_from_db()
    assert a.visitor.pk in a.project.team_ids()


def test_dea_dataset_goes_to_its_owner_and_the_dea_panel_only(a, client_for):
    tracks_before = ReviewTrack.objects.filter(application=a.project).count()
    body = asked(
        a,
        client_for,
        {
            "type": "add_dataset",
            "dataset": "census",
            "legal_gateway": "dea_research",
            "justification": "Household size is a confounder.",
            "variables": ["household_size"],
        },
    )
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    assert submitted["state"] == "in_review"
    assert sorted(t["name"] for t in submitted["tracks"]) == [
        "The DEA accreditation panel",
        "The dataset owner's sign-off: Office for National Statistics",
    ]
    # The IGRP is untouched, and so are the project's own review tracks.
    assert not any(t["reviewer"] == "igrp" for t in submitted["tracks"])
    assert ReviewTrack.objects.filter(application=a.project).count() == tracks_before
    # The project stays active while the amendment is reviewed.
    a.project.refresh_from_db()
    assert a.project.state == State.ACTIVE

    owner, chair = client_for(a.ons_owner), client_for(a.chair)
    assert decide(a, owner, submitted, track(submitted, "data_owner")["id"]).status_code == 200
    assert a.project.requested_datasets.filter(dataset__slug="census").exists() is False
    final = decide(a, chair, submitted, track(submitted, "dea_panel")["id"]).json()
    assert final["state"] == "approved"
    rd = a.project.requested_datasets.get(dataset__slug="census")
    assert rd.legal_gateway == "dea_research"
    assert [v.variable.name for v in rd.variables.all()] == ["household_size"]
    # The grants now require DEA accreditation; the register and decision records follow.
    grant = AccessGrant.objects.get(application=a.project, person=a.pi)
    assert "dea_accredited" in grant.requirements
    entry = RegisterEntry.objects.get(application=a.project)
    assert "census" in entry.dataset_keys
    record = DecisionRecord.objects.filter(application=a.project, stage="amendment").get()
    assert record.reason.startswith(f"Amendment {body['number']}")
    # The decision letter cites the amendment and each track's decision.
    letter = final["letter"]
    assert letter["amendment"] == body["number"]
    assert letter["outcome"] == "approved"
    assert {t["outcome"] for t in letter["tracks"]} == {"Approved"}


def test_pre_approved_dataset_skips_its_owner_citing_the_category(a, client_for):
    body = asked(
        a,
        client_for,
        {
            "type": "add_dataset",
            "dataset": "births",
            "legal_gateway": "public_task",
            "justification": "Birth weight is the outcome.",
            "variables": ["birth_weight"],
        },
    )
    explained = routing(a, client_for(a.pi), body["id"])
    owner_step = next(s for s in explained["route"] if s["reviewer"] == "data_owner")
    assert owner_step["applies"] is False
    citation = a.category.current_version.citation
    assert owner_step["pre_approved"]["citation"] == citation
    assert citation in owner_step["why"]
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    assert submitted["tracks"] == []
    assert submitted["state"] == "approved"
    assert a.project.requested_datasets.filter(dataset__slug="births").exists()
    record = DecisionRecord.objects.get(application=a.project, stage="amendment")
    assert record.pre_approved == [
        {"dataset": "births", "category": citation, "title": "Population statistics"}
    ]
    # The RO-Crate follows: the new dataset and the decision citing the category.
    from workflow.transparency.rocrate import application_crate

    crate = json.dumps(application_crate(a.project).metadata.generate())
    assert "#dataset-births" in crate
    assert citation in crate


def test_change_of_question_goes_to_the_igrp(a, client_for):
    body = asked(
        a,
        client_for,
        {"type": "change_question", "research_question": "Does attainment predict wellbeing?"},
    )
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    assert [t["reviewer"] for t in submitted["tracks"]] == ["igrp"]
    # A member of the team who chairs nothing may not decide; nor may the PI.
    assert decide(a, client_for(a.pi), submitted, submitted["tracks"][0]["id"]).status_code == 403
    final = decide(a, client_for(a.chair), submitted, submitted["tracks"][0]["id"]).json()
    assert final["state"] == "approved"
    a.project.refresh_from_db()
    assert a.project.research_question == "Does attainment predict wellbeing?"
    assert any(d["path"] == "research_question" for d in final["diff"])


def test_extension_within_the_maximum_goes_to_ops_alone(a, client_for):
    new_end = a.project.end_date + datetime.timedelta(days=180)
    body = asked(a, client_for, {"type": "extend_end_date", "end_date": new_end.isoformat()})
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    assert [t["reviewer"] for t in submitted["tracks"]] == ["ops"]
    final = decide(a, client_for(a.ops), submitted, submitted["tracks"][0]["id"]).json()
    assert final["state"] == "approved"
    a.project.refresh_from_db()
    assert a.project.end_date == new_end
    assert {g.end_on for g in AccessGrant.objects.filter(application=a.project)} == {new_end}


def test_extension_beyond_the_owners_maximum_goes_to_the_owners(a, client_for):
    new_end = a.project.start_date.replace(year=a.project.start_date.year + 6)
    body = asked(a, client_for, {"type": "extend_end_date", "end_date": new_end.isoformat()})
    explained = routing(a, client_for(a.pi), body["id"])
    assert [t["name"] for t in explained["tracks"]] == [
        "The dataset owner's sign-off: Welsh Government"
    ]
    assert "passes the longest project" in explained["tracks"][0]["reasons"][0]


def test_removals_take_effect_at_once(a, client_for):
    grant = AccessGrant.objects.get(application=a.project, person=a.colleague)
    body = asked(a, client_for, {"type": "remove_member", "user": a.colleague.pk})
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    assert submitted["state"] == "approved"
    grant.refresh_from_db()
    assert grant.state == "ended"
    assert a.colleague.pk not in a.project.team_ids()


def test_a_rejected_amendment_changes_nothing(a, client_for):
    before = a.project.research_question
    body = asked(a, client_for, {"type": "change_question", "research_question": "Other?"})
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    refused = decide(a, client_for(a.chair), submitted, submitted["tracks"][0]["id"], "rejected")
    assert refused.status_code == 400
    assert "rationale" in refused.json()["fields"]
    final = decide(
        a, client_for(a.chair), submitted, submitted["tracks"][0]["id"], "rejected", "No."
    ).json()
    assert final["state"] == "rejected"
    a.project.refresh_from_db()
    assert a.project.research_question == before
    assert final["version"] is None


def test_withdrawing_closes_the_open_tracks(a, client_for):
    body = asked(a, client_for, {"type": "change_question", "research_question": "Other?"})
    submit(a, client_for(a.pi), body["id"])
    response = client_for(a.pi).post(f"{base(a)}{body['id']}/withdraw/", {}, format="json")
    assert response.json()["state"] == "withdrawn"
    assert response.json()["tracks"][0]["state"] == "closed"


# --- bad input and races ------------------------------------------------------------------------


def test_amending_a_project_that_is_not_live_is_409(client_for):
    a = Amendments(state=State.APPROVED)
    response = ask(a, client_for(a.pi), {"type": "add_member", "user": a.newcomer.pk})
    assert response.status_code == 409
    assert not Amendment.objects.exists()


def test_an_amendment_with_no_change_is_400(a, client_for):
    response = client_for(a.pi).post(base(a), {"changes": []}, format="json")
    assert response.status_code == 400
    assert "changes" in response.json()["fields"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"type": "add_member", "user": "colleague"}, "changes.0.user", "already a member"),
        (
            {
                "type": "add_dataset",
                "dataset": "education",
                "legal_gateway": "public_task",
                "justification": "x",
            },
            "changes.0.dataset",
            "already granted",
        ),
        (
            {
                "type": "add_dataset",
                "dataset": "admissions",
                "legal_gateway": "dea_research",
                "justification": "x",
            },
            "changes.0.legal_gateway",
            "health-service functions",
        ),
        ({"type": "extend_end_date", "end_date": "2020-01-01"}, "changes.0.end_date", "after"),
        (
            {"type": "remove_member", "user": "pi"},
            "changes.0.user",
            "principal investigator cannot be removed",
        ),
    ],
)
def test_bad_changes_are_400_naming_the_field(a, client_for, change, field, words):
    a.world.add_health_provider()
    if change.get("user") == "colleague":
        change = {**change, "user": a.colleague.pk}
    if change.get("user") == "pi":
        change = {**change, "user": a.pi.pk}
    response = ask(a, client_for(a.pi), change)
    assert response.status_code == 400, response.json()
    assert words in " ".join(response.json()["fields"][field])
    assert not Amendment.objects.exists()


def test_two_open_amendments_is_409_naming_the_open_one(a, client_for):
    first = asked(a, client_for, {"type": "add_member", "user": a.visitor.pk})
    response = ask(a, client_for(a.pi), {"type": "add_member", "user": a.newcomer.pk})
    assert response.status_code == 409
    assert f"Amendment {first['number']}" in response.json()["detail"]


def test_a_member_approving_their_own_amendment_is_403(a, client_for):
    # The colleague chairs the IGRP too; they are on the team, so they may not decide.
    from workflow.models import PanelMembership

    PanelMembership.objects.filter(user=a.chair).update(user=a.colleague)
    a.colleague.role_assignments.create(role="panel_member")
    body = asked(a, client_for, {"type": "change_question", "research_question": "New?"})
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    response = decide(a, client_for(a.colleague), submitted, submitted["tracks"][0]["id"])
    assert response.status_code == 403
    assert "own project" in response.json()["detail"]


# --- who may ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "create", "see"),
    [
        ("pi", 201, 200),
        ("ops", 201, 200),
        ("colleague", 403, 200),
        ("outsider", 404, 404),
        ("chair", 403, 200),  # sat on its panel: sees the project, asks nothing
    ],
)
def test_who_may_ask_for_and_see_an_amendment(a, client_for, who, create, see):
    person = {
        "pi": a.pi,
        "ops": a.ops,
        "colleague": a.colleague,
        "outsider": a.world.outsider,
        "chair": a.chair,
    }[who]
    response = ask(a, client_for(person), {"type": "add_member", "user": a.newcomer.pk})
    assert response.status_code == create, response.json()
    if create != 201:
        asked(a, client_for, {"type": "add_member", "user": a.newcomer.pk})
    amendment = Amendment.objects.get()
    assert client_for(person).get(f"{base(a)}{amendment.pk}/").status_code == see


def test_a_track_reviewer_off_the_project_sees_the_amendment_they_decide(a, client_for):
    body = asked(a, client_for, {"type": "add_member", "user": a.visitor.pk})
    submit(a, client_for(a.pi), body["id"])
    signatory = client_for(a.cardiff_signatory)
    assert signatory.get(f"{base(a)}{body['id']}/").status_code == 200
    todo = signatory.get("/api/v1/amendment-tracks/").json()
    assert [t["name"] for t in todo["results"]] == [
        "The organisation's signatory: Cardiff University"
    ]


def test_the_routing_table_is_data_ops_can_change(a, client_for):
    rules = client_for(a.ops).get("/api/v1/amendment-route-rules/?page_size=100").json()
    assert rules["count"] == RouteRule.objects.count() >= 15
    # Ops send every change of question to the DEA panel too: the route follows the table.
    RouteRule.objects.filter(change_type="change_question", reviewer="dea_panel").update(
        when="always"
    )
    body = asked(a, client_for, {"type": "change_question", "research_question": "New?"})
    explained = routing(a, client_for(a.pi), body["id"])
    assert sorted(t["reviewer"] for t in explained["tracks"]) == ["dea_panel", "igrp"]


# --- on the clock -------------------------------------------------------------------------------


def test_an_overdue_track_is_reminded_once_then_escalated_to_ops(a, client_for):
    import time_machine

    from notifications.models import Notification
    from workflow.turnaround.calendar import add_workdays
    from workflow.turnaround.reminders import reminders_sweep

    new_end = a.project.end_date + datetime.timedelta(days=30)
    body = asked(a, client_for, {"type": "extend_end_date", "end_date": new_end.isoformat()})
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    due = datetime.date.fromisoformat(submitted["tracks"][0]["due_date"])
    with time_machine.travel(datetime.datetime.combine(due, datetime.time(12)), tick=False):
        assert reminders_sweep()["amendment.track_overdue"] == 0
    later = due + datetime.timedelta(days=1)
    with time_machine.travel(datetime.datetime.combine(later, datetime.time(12)), tick=False):
        assert reminders_sweep()["amendment.track_overdue"] == 1
        assert reminders_sweep()["amendment.track_overdue"] == 0  # once
    told = Notification.objects.filter(kind="amendment.track_overdue")
    assert [n.recipient for n in told] == [a.ops]
    escalation = add_workdays(due, 6)
    with time_machine.travel(datetime.datetime.combine(escalation, datetime.time(12)), tick=False):
        assert reminders_sweep()["amendment.track_escalated"] == 1


def test_a_member_added_who_has_not_signed_is_reminded(a, client_for):
    import time_machine

    from notifications.models import Notification
    from workflow.turnaround.reminders import reminders_sweep

    body = asked(a, client_for, {"type": "add_member", "user": a.newcomer.pk})
    submit(a, client_for(a.pi), body["id"])
    week = datetime.datetime.now(tz=datetime.UTC) + datetime.timedelta(days=7)
    with time_machine.travel(week, tick=False):
        assert reminders_sweep()["amendment.signature_needed"] == 1
    assert Notification.objects.get(kind="amendment.signature_needed").recipient == a.newcomer


# --- who may take each transition, in each state (role × state × action) -----------------------


def _in_state(a: Amendments, client_for, state: str) -> dict:
    """An amendment changing the question (one IGRP track) in ``state``."""
    question = f"Question {Amendment.objects.count() + 1}?"
    body = asked(a, client_for, {"type": "change_question", "research_question": question})
    if state == "draft":
        return body
    body = submit(a, client_for(a.pi), body["id"]).json()
    if state == "in_review":
        return body
    if state == "approved":
        return decide(a, client_for(a.chair), body, body["tracks"][0]["id"]).json()
    return client_for(a.pi).post(f"{base(a)}{body['id']}/withdraw/", {}, format="json").json()


ACTORS = ("pi", "colleague", "ops", "chair", "ons_owner", "outsider")
# (action, state) → who succeeds; everyone else who may see it gets 403, the rest 404; a wrong
# state is 409 for those who may act.
MATRIX = {
    ("submit", "draft"): {"pi", "ops"},
    ("withdraw", "draft"): {"pi", "ops"},
    ("withdraw", "in_review"): {"pi", "ops"},
    ("decide", "in_review"): {"chair"},
    ("submit", "in_review"): set(),
    ("withdraw", "approved"): set(),
    ("decide", "approved"): set(),
}


@pytest.mark.parametrize(("action", "state"), list(MATRIX))
def test_who_may_take_each_transition_in_each_state(client_for, action, state):
    a = Amendments()
    people = {
        "pi": a.pi,
        "colleague": a.colleague,
        "ops": a.ops,
        "chair": a.chair,
        "ons_owner": a.ons_owner,
        "outsider": a.world.outsider,
    }
    may = {"submit": {"pi", "ops"}, "withdraw": {"pi", "ops"}, "decide": {"chair"}}[action]
    sees = {"pi", "colleague", "ops", "chair"}
    for who in ACTORS:
        body = _in_state(a, client_for, state)
        client = client_for(people[who])
        if action == "decide":
            response = decide(a, client, body, body["tracks"][0]["id"])
        else:
            response = client.post(f"{base(a)}{body['id']}/{action}/", {}, format="json")
        if who in MATRIX[(action, state)]:
            expected = 200
        elif who in may:
            expected = 409
        elif who in sees:
            expected = 403
        else:
            expected = 404
        assert response.status_code == expected, (who, action, state, response.json())
        # Leave no amendment open for the next person's round.
        open_one = Amendment.objects.filter(state__in=("draft", "in_review")).first()
        if open_one is not None:
            client_for(a.pi).post(f"{base(a)}{open_one.pk}/withdraw/", {}, format="json")


def test_ops_can_have_the_analyst_scope_added_data(a, client_for):
    # Seeded switched off: scoping an amendment is optional by kind of change.
    rule = RouteRule.objects.get(change_type="add_dataset", reviewer="analyst")
    assert rule.active is False
    rule.active = True
    rule.save()
    body = asked(
        a,
        client_for,
        {
            "type": "add_dataset",
            "dataset": "births",
            "legal_gateway": "public_task",
            "justification": "Birth weight is the outcome.",
            "variables": ["birth_weight"],
        },
    )
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    assert [t["reviewer"] for t in submitted["tracks"]] == ["analyst"]
    a.project.refresh_from_db()
    analyst = a.project.analyst
    todo = client_for(analyst).get("/api/v1/amendment-tracks/").json()["results"]
    assert [t["reviewer"] for t in todo] == ["analyst"]
    final = decide(a, client_for(analyst), submitted, submitted["tracks"][0]["id"]).json()
    assert final["state"] == "approved"


def test_a_new_member_who_signed_gets_access_when_accredited(a, client_for):
    import datetime as dt

    from access.models import Role
    from access.safe_people import services as safe_people
    from tests.factories import make_user

    untrained = make_user(
        Role.RESEARCHER, full_name="Tomos Trainee", affiliation=a.world.university
    )
    body = asked(a, client_for, {"type": "add_member", "user": untrained.pk})
    submit(a, client_for(a.pi), body["id"])
    client_for(untrained).post(f"{base(a)}{body['id']}/sign/")
    assert not AccessGrant.objects.filter(person=untrained).exists()  # not yet accredited
    award = safe_people.accreditation_apply(
        by=untrained,
        kind="safe_researcher",
        issuer="ONS Safe Researcher Training",
        certificate_number="SRT-1",
        issued_on=dt.datetime.now(tz=dt.UTC).date(),
    )
    safe_people.accreditation_accredit(accreditation=award, by=a.world.officer)
    grant = AccessGrant.objects.get(person=untrained, application=a.project)
    assert grant.state == "active"


def test_a_member_added_while_suspended_gets_access_when_reinstated(client_for):
    from workflow.route import services as route_services

    a = Amendments(state=State.SUSPENDED)
    body = asked(a, client_for, {"type": "add_member", "user": a.newcomer.pk})
    submit(a, client_for(a.pi), body["id"])
    client_for(a.newcomer).post(f"{base(a)}{body['id']}/sign/")
    assert not AccessGrant.objects.filter(person=a.newcomer).exists()  # the project is held
    route_services.application_reinstate(application=a.project, by=a.ops, reason="Resolved.")
    assert AccessGrant.objects.get(person=a.newcomer, application=a.project).state == "active"


def test_a_panel_track_needs_its_quorum_before_the_chair_decides(a, client_for):
    body = asked(a, client_for, {"type": "change_question", "research_question": "Quorum?"})
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    track_id = submitted["tracks"][0]["id"]
    chair = client_for(a.chair)
    early = chair.post(
        f"{base(a)}{body['id']}/tracks/{track_id}/decide/", {"outcome": "approved"}, format="json"
    )
    assert early.status_code == 409
    assert "0 of the 1 votes needed" in early.json()["detail"]
    # The team may not vote; a panel member may, and sees that they can.
    vote = f"{base(a)}{body['id']}/tracks/{track_id}/votes/"
    assert (
        client_for(a.colleague).post(vote, {"choice": "approved"}, format="json").status_code == 403
    )
    lay = client_for(a.world.lay)
    assert f"vote:{track_id}" in lay.get(f"{base(a)}{body['id']}/").json()["actions"]
    voted = lay.post(vote, {"choice": "approved"}, format="json").json()
    assert voted["tracks"][0]["votes_cast"] == 1
    # The IGRP's quorum here is one vote, and the lay member is independent: the chair decides.
    final = chair.post(
        f"{base(a)}{body['id']}/tracks/{track_id}/decide/", {"outcome": "approved"}, format="json"
    ).json()
    assert final["state"] == "approved"
    assert lay.post(vote, {"choice": "approved"}, format="json").status_code == 409


# --- a panel track decides by its panel's rule, as a route's panel track does --------------------


def _panel_track(a: Amendments, client_for, **rule) -> tuple[str, int]:
    """An amendment in review on the IGRP alone, the IGRP set to ``rule``."""
    for name, value in rule.items():
        setattr(a.world.igrp, name, value)
    a.world.igrp.save()
    body = asked(a, client_for, {"type": "change_question", "research_question": "A new one?"})
    submitted = submit(a, client_for(a.pi), body["id"]).json()
    (only,) = submitted["tracks"]
    assert only["reviewer"] == "igrp"
    return f"{base(a)}{body['id']}/", only["id"]


def _vote(client, url: str, track_id: int, choice: str):
    body = {"choice": choice, "rationale": "" if choice == "approved" else "Out of scope."}
    response = client.post(f"{url}tracks/{track_id}/votes/", body, format="json")
    assert response.status_code == 200, response.json()
    return response.json()


def _close(client, url: str, track_id: int, outcome: str):
    body = {"outcome": outcome, "rationale": "" if outcome == "approved" else "Out of scope."}
    return client.post(f"{url}tracks/{track_id}/decide/", body, format="json")


def test_a_majority_panel_records_the_outcome_most_members_voted(a, client_for):
    url, track_id = _panel_track(a, client_for, quorum=2, decision_rule="majority")
    chair, lay, expert = client_for(a.chair), client_for(a.world.lay), client_for(a.world.expert)
    _vote(lay, url, track_id, "approved")
    short = _close(chair, url, track_id, "approved")
    assert short.status_code == 409
    assert "1 of the 2 votes needed have been cast" in short.json()["detail"]
    _vote(expert, url, track_id, "rejected")
    tied = _close(chair, url, track_id, "approved")
    assert tied.status_code == 409
    assert "the votes are tied" in tied.json()["detail"]
    _vote(chair, url, track_id, "rejected")
    # Two to one for rejecting: the chair cannot record an approval.
    wrong = _close(chair, url, track_id, "approved")
    assert wrong.status_code == 400
    assert "The members voted rejected" in wrong.json()["fields"]["outcome"][0]
    assert AmendmentTrack.objects.get(pk=track_id).state == "open"
    done = _close(chair, url, track_id, "rejected")
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "rejected"
    tally = done.json()["tracks"][0]["tally"]
    assert tally["counts"] == {"approved": 1, "rejected": 2}


def test_a_unanimous_panel_decides_only_when_every_vote_agrees(a, client_for):
    url, track_id = _panel_track(a, client_for, quorum=2, decision_rule="unanimous")
    chair, lay, expert = client_for(a.chair), client_for(a.world.lay), client_for(a.world.expert)
    _vote(lay, url, track_id, "approved")
    _vote(expert, url, track_id, "rejected")
    split = _close(chair, url, track_id, "approved")
    assert split.status_code == 409
    assert "The rule is unanimity and the members disagree" in split.json()["detail"]
    # The expert changes their vote (a second vote replaces the first): now they agree.
    _vote(expert, url, track_id, "approved")
    done = _close(chair, url, track_id, "approved")
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "approved"


def test_a_panel_with_a_lay_minimum_waits_for_its_lay_vote(a, client_for):
    from workflow.models import PanelMembership

    PanelMembership.objects.filter(panel=a.world.igrp, user=a.world.lay).update(is_lay=True)
    url, track_id = _panel_track(a, client_for, quorum=2, min_lay_votes=1)
    chair, lay, expert = client_for(a.chair), client_for(a.world.lay), client_for(a.world.expert)
    _vote(expert, url, track_id, "approved")
    _vote(chair, url, track_id, "approved")
    no_lay = _close(chair, url, track_id, "approved")
    assert no_lay.status_code == 409
    assert "At least 1 vote(s) must come from a lay member" in no_lay.json()["detail"]
    _vote(lay, url, track_id, "approved")
    done = _close(chair, url, track_id, "approved")
    assert done.status_code == 200, done.json()
    assert done.json()["tracks"][0]["tally"]["lay_votes"] == 1


def test_a_blind_first_round_hides_the_votes_until_the_quorum_has_voted(a, client_for):
    url, track_id = _panel_track(a, client_for, quorum=2, blind_first_round=True)
    chair, lay, expert = client_for(a.chair), client_for(a.world.lay), client_for(a.world.expert)

    def seen(client) -> dict:
        return client.get(url).json()["tracks"][0]

    voted = _vote(lay, url, track_id, "approved")["tracks"][0]
    # The lay member voted, but the quorum has not: neither the votes nor the tally.
    assert voted["votes"] is None
    assert voted["tally"] is None
    assert "the tally opens when the quorum has voted" in voted["votes_hidden_because"]
    assert "once you have voted and the quorum" in seen(expert)["votes_hidden_because"]
    # The chair sees nothing either, and may not decide without voting first.
    assert seen(chair)["votes"] is None
    unvoted = _close(chair, url, track_id, "approved")
    assert unvoted.status_code == 409
    assert "vote yourself before you close" in unvoted.json()["detail"]
    # Ops, who do not vote, see the votes.
    assert [v["choice"] for v in seen(client_for(a.ops))["votes"]] == ["approved"]
    _vote(expert, url, track_id, "approved")
    # The quorum is in: those who voted see each other's votes; the chair, not yet voted, not.
    opened = seen(lay)
    assert [v["member"] for v in opened["votes"]] == ["Lee Lay", "Eve Expert"]
    assert opened["votes_hidden_because"] == ""
    assert seen(chair)["votes"] is None
    _vote(chair, url, track_id, "approved")
    assert len(seen(chair)["votes"]) == 3
    done = _close(chair, url, track_id, "approved")
    assert done.status_code == 200, done.json()


def test_without_a_blind_round_members_see_the_votes_once_they_have_voted(a, client_for):
    url, track_id = _panel_track(a, client_for, quorum=2)
    lay, expert = client_for(a.world.lay), client_for(a.world.expert)
    _vote(lay, url, track_id, "approved")
    assert expert.get(url).json()["tracks"][0]["votes"] is None
    assert "once you have voted" in expert.get(url).json()["tracks"][0]["votes_hidden_because"]
    # The chair always sees them; the team never.
    assert len(client_for(a.chair).get(url).json()["tracks"][0]["votes"]) == 1
    team = client_for(a.pi).get(url).json()["tracks"][0]
    assert team["votes"] is None
    assert team["tally"] is None
    after = _vote(expert, url, track_id, "rejected")["tracks"][0]
    assert {v["choice"] for v in after["votes"]} == {"approved", "rejected"}


def test_an_amendment_has_one_track_per_reviewer_and_organisation_on_every_database(a, client_for):
    """The database refuses a second track for the same reviewer (and organisation, or none):
    two partial unique constraints, which SQLite holds too (one with NULLs not distinct it
    could not)."""
    from django.db import IntegrityError, transaction

    body = asked(
        a,
        client_for,
        {
            "type": "add_dataset",
            "dataset": "census",
            "legal_gateway": "dea_research",
            "justification": "Household size is a confounder.",
            "variables": ["household_size"],
        },
    )
    submit(a, client_for(a.pi), body["id"])
    panel = AmendmentTrack.objects.get(amendment_id=body["id"], organisation__isnull=True)
    owner = AmendmentTrack.objects.get(amendment_id=body["id"], organisation__isnull=False)
    for existing in (panel, owner):
        with pytest.raises(IntegrityError), transaction.atomic():
            AmendmentTrack.objects.create(
                amendment_id=body["id"],
                reviewer=existing.reviewer,
                organisation=existing.organisation,
                opened_at=existing.opened_at,
                due_date=existing.due_date,
            )
    # Another organisation's owner is another track.
    AmendmentTrack.objects.create(
        amendment_id=body["id"],
        reviewer=owner.reviewer,
        organisation=a.nwis,
        opened_at=owner.opened_at,
        due_date=owner.due_date,
    )
