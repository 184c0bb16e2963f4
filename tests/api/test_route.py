"""The whole SAIL route through the API, each step as the role that takes it."""

import pytest

from tests.factories.workflow import World
from workflow.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def world():
    return World()


def post(client, url, data=None):
    return client.post(url, data or {}, format="json")


def test_route_from_idea_to_approval_through_the_api(world, client_for):
    pi = client_for(world.pi)
    analyst = client_for(world.analyst)
    reviewer = client_for(world.reviewer)

    created = pi.post(
        "/api/v1/applications/",
        {
            "title": "School attainment and later health",
            "lay_summary": "How results at school relate to health later in life.",
            "research_question": "Does attainment at 16 predict admissions at 30?",
            "public_benefit": "Evidence for early-years policy.",
            "purpose": "public_policy",
            "start_date": "2027-01-01",
            "end_date": "2028-12-31",
            "lead_organisation": "swansea",
            "members": [
                {"user": world.pi.pk, "project_role": "principal_investigator"},
                {"email": world.colleague.email, "project_role": "researcher"},
            ],
            "datasets": [
                {
                    "dataset": "education",
                    "legal_gateway": "public_task",
                    "justification": "Attainment is the exposure.",
                    "variables": [{"variable": "school_year"}, {"variable": "grade"}],
                }
            ],
        },
        format="json",
    )
    assert created.status_code == 201, created.json()
    app = created.json()
    assert app["state"] == "draft"
    assert app["reference"].startswith("TRE-")
    url = f"/api/v1/applications/{app['id']}/"

    # Submission needs the safeguards too (ethics, the setting, outputs, disclosure rules).
    early = post(pi, url + "submit/")
    assert early.status_code == 400
    assert "safeguards.outputs.declared" in early.json()["fields"]
    safeguards = pi.patch(
        url + "safeguards/",
        {
            "ethics_reference": "REC 24/WA/0001",
            "ethics_committee": "Wales Research Ethics Committee 3",
            "ethics_approved_on": "2026-01-15",
            "intended_outputs": "Aggregate tables for a journal article.",
            "access_inside_tre_only": True,
            "acknowledge_disclosure_rules": True,
        },
        format="json",
    )
    assert safeguards.status_code == 200, safeguards.json()
    submitted = post(pi, url + "submit/")
    assert submitted.status_code == 200, submitted.json()
    assert submitted.json()["state"] == "scoping"
    assert submitted.json()["analyst"]["full_name"] == "Ana Lyst"
    assert submitted.json()["current_version"] == 1
    inbox = analyst.get("/api/v1/notifications/").json()["results"]
    assert [n["kind"] for n in inbox] == ["application.submitted"]

    # The analyst asks for three changes at once.
    asked = post(
        analyst,
        url + "request-changes/",
        {
            "summary": "A few things before we go on.",
            "items": [
                {"section": "data", "text": "Add the postcode only if you can justify it."},
                {"section": "summary", "text": "Say who benefits in the lay summary."},
                {"section": "dates", "text": "Is two years enough?"},
            ],
        },
    )
    assert asked.status_code == 200, asked.json()
    assert asked.json()["state"] == "changes_requested"
    feedback = pi.get(url + "feedback/").json()
    assert len(feedback) == 1
    assert feedback[0]["round"] == 1
    items = feedback[0]["items"]
    assert [i["section"] for i in items] == ["data", "summary", "dates"]

    # Resubmitting before answering every point is refused and changes nothing.
    early = post(pi, url + "resubmit/")
    assert early.status_code == 400
    assert "items" in early.json()["fields"]
    assert pi.get(url).json()["state"] == "changes_requested"

    for item in items:
        answered = post(pi, url + f"feedback/{item['id']}/respond/", {"response": "Done."})
        assert answered.status_code == 200
    edited = pi.patch(url, {"lay_summary": "Families and schools in Wales benefit."}, format="json")
    assert edited.status_code == 200
    back = post(pi, url + "resubmit/")
    assert back.status_code == 200, back.json()
    assert back.json()["state"] == "scoping"
    assert back.json()["current_version"] == 2

    diff = analyst.get(url + "diff/?from=1&to=2").json()
    assert {"path": "lay_summary", "change": "changed"}.items() <= diff["changes"][0].items()

    scoped = analyst.patch(
        url + "scoping/",
        {
            "feasible": True,
            "feasibility_notes": "Linkable through the ALF.",
            "scoped_variables": [world.year.pk, world.grade.pk],
        },
        format="json",
    )
    assert scoped.status_code == 200, scoped.json()
    done = post(analyst, url + "complete-scoping/")
    assert done.status_code == 200, done.json()
    assert done.json()["state"] == "internal_review"

    # Internal review asks for a change; resubmission goes back to internal review.
    asked = post(
        reviewer,
        url + "request-changes/",
        {"items": [{"section": "public_benefit", "text": "Who?"}]},
    )
    assert asked.status_code == 200
    item = pi.get(url + "feedback/").json()[1]["items"][0]
    assert pi.get(url + "feedback/").json()[1]["round"] == 2
    post(pi, url + f"feedback/{item['id']}/respond/", {"response": "Pupils and families."})
    back = post(pi, url + "resubmit/")
    assert back.json()["state"] == "internal_review"

    referred = post(reviewer, url + "refer-to-panels/")
    assert referred.status_code == 200, referred.json()
    assert referred.json()["state"] == "in_review"
    tracks = referred.json()["tracks"]
    assert sorted(t["kind"] for t in tracks) == ["igrp", "owner_signoff"]

    owner_track = next(t for t in tracks if t["kind"] == "owner_signoff")
    igrp = next(t for t in tracks if t["kind"] == "igrp")
    # The owner signs off; the IGRP member votes and the chair closes the vote.
    signed = post(
        client_for(world.owner),
        f"/api/v1/review-tracks/{owner_track['id']}/decide/",
        {"outcome": "approved"},
    )
    assert signed.status_code == 200, signed.json()
    assert pi.get(url).json()["state"] == "in_review"
    voted = post(
        client_for(world.panel),
        f"/api/v1/review-tracks/{igrp['id']}/votes/",
        {"choice": "approved"},
    )
    assert voted.status_code == 201, voted.json()
    closed = post(
        client_for(world.panel),
        f"/api/v1/review-tracks/{igrp['id']}/close/",
        {"outcome": "approved"},
    )
    assert closed.status_code == 200, closed.json()
    final = pi.get(url).json()
    assert final["state"] == "approved"
    kinds = [n["kind"] for n in pi.get("/api/v1/notifications/").json()["results"]]
    assert "application.approved" in kinds
    letter = pi.get(url + "decision-letter/").json()
    assert letter["outcome"] == "approved"
    assert sorted(t["kind"] for t in letter["tracks"]) == ["igrp", "owner_signoff"]
    assert "application.changes_requested" in kinds

    timeline = pi.get(url + "timeline/").json()["results"]
    kinds = [e["kind"] for e in timeline]
    assert kinds[0] == "created"
    assert kinds[-1] == "approved"
    assert kinds.count("changes_requested") == 2
    assert Event.objects.filter(application_id=app["id"], kind="approved").count() == 1


def test_reject_at_internal_review_needs_a_reason(world, client_for):
    app = world.at("internal_review")
    url = f"/api/v1/applications/{app.pk}/reject/"
    reviewer = client_for(world.reviewer)
    missing = post(reviewer, url, {})
    assert missing.status_code == 400
    assert "reason" in missing.json()["fields"]
    rejected = post(reviewer, url, {"reason": "Not in the public interest."})
    assert rejected.status_code == 200
    assert rejected.json()["state"] == "rejected"


def test_withdraw_by_member_before_decision(world, client_for):
    app = world.at("scoping")
    response = post(client_for(world.colleague), f"/api/v1/applications/{app.pk}/withdraw/")
    assert response.status_code == 200
    assert response.json()["state"] == "withdrawn"
