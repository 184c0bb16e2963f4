"""Public involvement on an application: the team or a reviewer flags high public interest, a
reviewer requires involvement, the team records involvement done or planned and asks the TRE's
consumer panel, whose written feedback is attached to the application for the panels to read.

The who-may matrix (role × action) is at the end; who is told is in
tests/unit/test_who_is_told.py."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from access.models import Role
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.involvement import policies
from workflow.models import Panel, PanelMembership, State

pytestmark = pytest.mark.django_db


class Involved(World):
    """The small TRE with a consumer panel of two members of the public."""

    def __init__(self) -> None:
        super().__init__()
        self.consumer = Panel.objects.create(
            name="Consumer Panel", slug="consumer-panel", track_kind="consumer_panel", quorum=1
        )
        self.carys = make_user(Role.PANEL_MEMBER, full_name="Carys Consumer")
        self.dai = make_user(Role.PANEL_MEMBER, full_name="Dai Public")
        for person, chair in ((self.carys, True), (self.dai, False)):
            PanelMembership.objects.create(
                panel=self.consumer, user=person, is_chair=chair, is_independent=True, is_lay=True
            )


@pytest.fixture
def world() -> Involved:
    return Involved()


def url(app, tail=""):
    return f"/api/v1/applications/{app.pk}/public-involvement/{tail}"


def post(client, path, data):
    return client.post(path, data, format="json")


def test_the_team_flags_high_public_interest_and_the_panels_read_it(world, client_for):
    app = world.at(State.IN_REVIEW)
    response = post(
        client_for(world.pi), url(app, "flag/"), {"high_public_interest": True, "reason": "Kids."}
    )
    assert response.status_code == 200, response.content
    assert response.json()["high_public_interest"] is True
    # The IGRP's members see it (they see the application), an outsider does not find it.
    assert client_for(world.expert).get(url(app)).json()["reason"] == "Kids."
    assert client_for(world.outsider).get(url(app)).status_code == 404
    assert app.events.filter(kind="public_interest_flagged").count() == 1


def test_only_the_team_or_a_reviewer_flags(world, client_for):
    app = world.at(State.IN_REVIEW)
    body = {"high_public_interest": True, "reason": "Why."}
    assert post(client_for(world.expert), url(app, "flag/"), body).status_code == 403
    assert post(client_for(world.owner), url(app, "flag/"), body).status_code == 403
    assert post(client_for(world.outsider), url(app, "flag/"), body).status_code == 404
    assert post(client_for(world.reviewer), url(app, "flag/"), body).status_code == 200


def test_a_reviewer_requires_involvement_and_the_team_cannot_unflag(world, client_for):
    app = world.at(State.IN_REVIEW)
    response = post(client_for(world.reviewer), url(app, "require/"), {"reason": "Consult."})
    assert response.status_code == 200
    assert response.json()["involvement_required"] is True
    assert response.json()["high_public_interest"] is True
    response = post(
        client_for(world.pi), url(app, "flag/"), {"high_public_interest": False, "reason": "No."}
    )
    assert response.status_code == 400
    assert "requires public involvement" in response.json()["fields"]["high"][0]
    assert post(client_for(world.pi), url(app, "require/"), {"reason": "x"}).status_code == 403


def test_the_team_records_involvement_done_and_planned(world, client_for):
    app = world.at(State.IN_REVIEW)
    pi = client_for(world.pi)
    today = timezone.localdate()
    done = {
        "status": "done",
        "held_on": str(today - datetime.timedelta(days=10)),
        "who": "Young parents' group",
        "what": "Is the linkage acceptable?",
    }
    response = post(pi, url(app, "activities/"), done)
    assert response.status_code == 400
    assert "what changed" in response.json()["fields"]["what_changed"][0]
    response = post(pi, url(app, "activities/"), {**done, "what_changed": "Dropped a variable."})
    assert response.status_code == 201
    future = {**done, "held_on": str(today + datetime.timedelta(days=3)), "what_changed": "x"}
    assert post(pi, url(app, "activities/"), future).json()["fields"]["held_on"] == [
        "Involvement done took place today or before."
    ]
    planned = {**done, "status": "planned", "held_on": str(today + datetime.timedelta(days=30))}
    assert post(pi, url(app, "activities/"), planned).status_code == 201
    activities = client_for(world.reviewer).get(url(app)).json()["activities"]
    assert [a["status"] for a in activities] == ["done", "planned"]
    assert activities[0]["what_changed"] == "Dropped a variable."
    assert post(client_for(world.reviewer), url(app, "activities/"), planned).status_code == 403


def test_a_consultation_of_the_consumer_panel_from_request_to_feedback(world, client_for):
    app = world.at(State.IN_REVIEW)
    pi = client_for(world.pi)
    response = post(pi, url(app, "consultations/"), {"question": "Is our summary clear?"})
    assert response.status_code == 201
    consultation = response.json()
    assert consultation["state"] == "requested"
    assert consultation["panel"] == "Consumer Panel"
    # One waiting at a time.
    again = post(pi, url(app, "consultations/"), {"question": "And now?"})
    assert again.status_code == 409

    carys = client_for(world.carys)
    listing = carys.get("/api/v1/consultations/").json()
    assert [row["id"] for row in listing["results"]] == [consultation["id"]]
    # Not on the consumer panel: the consultation is not found; the team sees it, cannot answer.
    answer = f"/api/v1/consultations/{consultation['id']}/answer/"
    assert post(client_for(world.outsider), answer, {"feedback": "x"}).status_code == 404
    assert post(pi, answer, {"feedback": "x"}).status_code == 403
    assert post(carys, answer, {"feedback": " "}).status_code == 400
    response = post(carys, answer, {"feedback": "Say that nobody is identified."})
    assert response.status_code == 200
    assert response.json()["state"] == "answered"
    assert post(client_for(world.dai), answer, {"feedback": "Too."}).status_code == 409
    # The panels read the feedback with the application's involvement.
    seen = client_for(world.expert).get(url(app)).json()["consultations"]
    assert seen[0]["feedback"] == "Say that nobody is identified."
    assert app.events.filter(kind="consultation_answered").count() == 1


def test_without_a_consumer_panel_there_is_nobody_to_consult(world, client_for):
    world.consumer.is_active = False
    world.consumer.save()
    app = world.at(State.IN_REVIEW)
    response = post(client_for(world.pi), url(app, "consultations/"), {"question": "Anyone?"})
    assert response.status_code == 400
    assert response.json()["fields"]["question"] == ["The TRE has no consumer panel to consult."]


def test_nothing_changes_once_the_application_has_ended(world, client_for):
    app = world.at(State.WITHDRAWN)
    body = {"status": "planned", "held_on": "2030-01-01", "who": "A group", "what": "A talk"}
    response = post(client_for(world.pi), url(app, "activities/"), body)
    assert response.status_code == 409


def test_a_consumer_panel_member_on_the_team_does_not_answer(world, client_for):
    app = world.at(State.IN_REVIEW)
    app.members.create(user=world.dai, project_role="researcher")
    consultation = post(client_for(world.pi), url(app, "consultations/"), {"question": "Q?"})
    answer = f"/api/v1/consultations/{consultation.json()['id']}/answer/"
    assert post(client_for(world.dai), answer, {"feedback": "Mine."}).status_code == 403
    assert client_for(world.dai).get("/api/v1/consultations/").json()["results"] == []


# --- who may: role × action -----------------------------------------------------------------------

ACTIONS = {
    "flag": policies.can_flag,
    "require": policies.can_require,
    "record": policies.can_record,
    "consult": policies.can_request_consultation,
    "see": policies.can_see_involvement,
}
# Who may, on an application in review with no consultation waiting.
MAY = {
    "pi": {"flag", "record", "consult", "see"},
    "colleague": {"flag", "record", "consult", "see"},
    "reviewer": {"flag", "require", "see"},
    "panel": {"see"},
    "expert": {"see"},
    "ops": {"see"},
    "analyst": {"see"},
    "owner": set(),
    "outsider": set(),
    "carys": set(),
}


def test_who_may_act_on_an_applications_public_involvement(world):
    app = world.at(State.IN_REVIEW)
    if app.analyst_id != world.analyst.pk:
        world.analyst = world.analyst2
    wrong = []
    for role, allowed in MAY.items():
        person = getattr(world, role)
        for action, may in ACTIONS.items():
            if bool(may(person, app)) != (action in allowed):
                wrong.append(f"{role} {action}: expected {action in allowed}")
    assert not wrong, "\n".join(wrong)


def test_who_may_answer_a_consultation(world, client_for):
    app = world.at(State.IN_REVIEW)
    post(client_for(world.pi), url(app, "consultations/"), {"question": "Q?"})
    consultation = app.consultations.get()
    answerers = {role for role in MAY if policies.can_answer(getattr(world, role), consultation)}
    assert answerers == {"carys"}
    assert policies.can_answer(world.dai, consultation)
