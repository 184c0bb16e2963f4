"""The team in the API names nobody the caller could not otherwise know.

The outside probe added ids 1, 2, … to a draft's team and read every account's full name from
the answers (finding 9). Now a member is named by id only when already on the team (or the
caller); anyone else is added by email address, and an id outside the team gets one message,
the same whether the account exists or not, that names nobody.
"""

from __future__ import annotations

import pytest

from access.models import User
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.route.serializers import NOT_NAMEABLE

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
def pi(world, client_for):
    return client_for(world.pi)


def team_of(application) -> list[dict]:
    return [{"user": m.user_id, "project_role": m.project_role} for m in application.members.all()]


def test_an_id_outside_the_team_is_refused_without_naming_anyone(world, pi):
    application = world.draft()
    staff = make_user("ops", full_name="Secret Staffmember")
    missing = User.objects.order_by("-pk").first().pk + 1000
    answers = []
    for pk in (staff.pk, missing):
        response = pi.patch(
            f"{LIST}{application.pk}/",
            {"members": [*team_of(application), {"user": pk, "project_role": "researcher"}]},
            format="json",
        )
        assert response.status_code == 400
        answers.append(response.json())
        assert "Secret Staffmember" not in response.content.decode()
    # An existing account and no account at all answer exactly alike.
    assert answers[0] == answers[1]
    index = len(team_of(application))
    assert answers[0]["fields"] == {f"members.{index}.user": [NOT_NAMEABLE]}
    assert not application.members.filter(user=staff).exists()


def test_a_create_names_only_its_creator_by_id(world, pi):
    other = make_user("researcher", full_name="Someone Else")
    response = pi.post(
        LIST,
        {
            "title": "T",
            "members": [
                {"user": world.pi.pk, "project_role": "principal_investigator"},
                {"user": other.pk, "project_role": "researcher"},
            ],
        },
        format="json",
    )
    assert response.status_code == 400
    assert "Someone Else" not in response.content.decode()


def test_people_are_added_by_email_and_kept_by_id(world, pi):
    application = world.draft()
    newcomer = make_user("researcher", email="new.person@uni.example", full_name="New Person")
    response = pi.patch(
        f"{LIST}{application.pk}/",
        {
            "members": [
                *team_of(application),
                {"email": "NEW.person@uni.example", "project_role": "researcher"},
            ]
        },
        format="json",
    )
    assert response.status_code == 200, response.json()
    names = {m["user"]["full_name"] for m in response.json()["members"]}
    assert "New Person" in names
    # Now on the team, the newcomer is named by id like everyone else on it.
    again = pi.patch(f"{LIST}{application.pk}/", {"members": team_of(application)}, format="json")
    assert again.status_code == 200
    assert application.members.filter(user=newcomer).exists()


def test_an_unknown_email_is_refused(world, pi):
    application = world.draft()
    response = pi.patch(
        f"{LIST}{application.pk}/",
        {
            "members": [
                *team_of(application),
                {"email": "nobody@nowhere.example", "project_role": "researcher"},
            ]
        },
        format="json",
    )
    assert response.status_code == 400
    index = len(team_of(application))
    assert f"members.{index}.email" in response.json()["fields"]


def test_a_member_needs_an_id_or_an_email(world, pi):
    application = world.draft()
    response = pi.patch(
        f"{LIST}{application.pk}/",
        {"members": [{"project_role": "researcher"}]},
        format="json",
    )
    assert response.status_code == 400
    assert "members.0.user" in response.json()["fields"]
