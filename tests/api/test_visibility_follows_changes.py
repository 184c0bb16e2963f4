"""Visibility is read from the relations themselves (the requested datasets, the tracks, the
seats on panels, the owners' organisations), each through an index of its own
(``workflow.route.selectors``): every change to one of them changes who sees the application,
at once, in the list, the detail and ``can_view`` alike. And each role's list, and each queue
page that reads the same relations, costs the same few queries whatever the number of rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import OrganisationMembership, Role, RoleAssignment, User
from catalogue.services import dataset_update
from tests.factories.workflow import World
from tests.support.amendments import Amendments
from workflow.amendments import services as amendment_services
from workflow.models import Application, PanelMembership, State
from workflow.route import services as route_services
from workflow.route.policies import can_view
from workflow.route.selectors import applications_visible_to

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"


def sees(user: User, application: Application) -> bool:
    """Whether ``user`` sees ``application``, asked three ways that must agree: the API list,
    the detail (200 or 404) and ``can_view``."""
    fresh = User.objects.get(pk=user.pk)  # nothing cached on the user object
    client = APIClient()
    client.force_authenticate(user=fresh)
    listed = {a["id"] for a in client.get(LIST, {"page_size": 200}).json()["results"]}
    detail = client.get(f"{LIST}{application.pk}/").status_code
    in_queryset = applications_visible_to(fresh).filter(pk=application.pk).exists()
    one = can_view(User.objects.get(pk=user.pk), Application.objects.get(pk=application.pk))
    assert (application.pk in listed) == (detail == 200) == in_queryset == one, (
        listed,
        detail,
        in_queryset,
        one,
    )
    return one


def amend(a: Amendments, *changes: dict) -> None:
    """Ask for ``changes`` to the project and submit them (pre-approved or ops's: no votes)."""
    draft = amendment_services.amendment_create(
        application=a.project, by=a.pi, changes=list(changes), reason="The project needs it."
    )
    amendment_services.amendment_submit(amendment=draft, by=a.pi)
    for track in draft.tracks.filter(state="open"):
        a.panel_votes(track)
        amendment_services.amendment_track_decide(track=track, by=a.ops, outcome="approved")


def test_an_amendment_adding_then_removing_a_dataset_shows_then_hides_it_to_its_owner():
    a = Amendments()
    assert not sees(a.nwis_owner, a.project)
    amend(
        a,
        {
            "type": "add_dataset",
            "dataset": "births",
            "legal_gateway": "public_task",
            "justification": "Birth weight is the outcome.",
            "variables": ["birth_weight"],
        },
    )
    assert a.project.requested_datasets.filter(dataset__slug="births").exists()
    assert sees(a.nwis_owner, a.project)
    amend(a, {"type": "remove_dataset", "dataset": "births"})
    assert not a.project.requested_datasets.filter(dataset__slug="births").exists()
    assert not sees(a.nwis_owner, a.project)
    # The owner of the data still requested keeps sight of the project throughout.
    assert sees(a.world.owner, a.project)


def test_a_dataset_moving_to_another_provider_moves_who_sees_its_requests():
    world = World()
    world.add_health_provider()
    application = world.at(State.SCOPING)
    assert sees(world.owner, application)
    assert not sees(world.owner2, application)
    dataset_update(dataset=world.dataset, by=world.ops, provider=world.provider2)
    assert not sees(world.owner, application)
    assert sees(world.owner2, application)


def test_an_owner_leaving_their_organisation_stops_seeing_its_applications():
    world = World()
    application = world.at(State.SCOPING)
    assert sees(world.owner, application)
    OrganisationMembership.objects.filter(user=world.owner).delete()
    assert not sees(world.owner, application)


def test_the_data_request_rewritten_by_the_team_changes_which_owner_sees_it():
    world = World()
    world.add_health_provider()
    application = world.at(State.CHANGES_REQUESTED)
    assert sees(world.owner, application)
    assert not sees(world.owner2, application)
    only_health = [d for d in world.both_datasets() if d["dataset"] == world.dataset2]
    route_services.application_update(
        application=application, by=world.pi, data={"datasets": only_health}
    )
    assert not sees(world.owner, application)
    assert sees(world.owner2, application)


def test_a_track_opened_for_a_panel_shows_the_application_to_its_members_and_not_to_leavers():
    world = World()
    application = world.at(State.INTERNAL_REVIEW)
    assert not sees(world.lay, application)
    route_services.application_refer_to_panels(application=application, by=world.reviewer)
    assert sees(world.lay, application)
    # A member who leaves the panel stops seeing it; one who joins sees its past tracks too.
    PanelMembership.objects.filter(user=world.lay).update(left_on=timezone.localdate())
    assert not sees(world.lay, application)
    newcomer = User.objects.get(pk=world.outsider.pk)
    RoleAssignment.objects.create(user=newcomer, role=Role.PANEL_MEMBER, granted_at=timezone.now())
    assert not sees(newcomer, application)
    PanelMembership.objects.create(panel=world.igrp, user=newcomer)
    assert sees(newcomer, application)


# --- query ceilings per list ---------------------------------------------------------------

# The list: the roles (and, for an owner, their organisations; for a panel member, nothing
# more: the seats are a subquery), then the page with its total in one statement.
LIST_CEILINGS = {"pi": 2, "analyst": 2, "reviewer": 2, "panel": 2, "owner": 3, "ops": 2}


def list_queries(user: User) -> int:
    client = APIClient()
    client.force_authenticate(user=User.objects.get(pk=user.pk))
    with CaptureQueriesContext(connection) as queries:
        response = client.get(LIST)
    assert response.status_code == 200
    assert response.json()["count"] >= 1
    return len(queries)


def test_each_roles_list_stays_under_its_ceiling_for_n_and_3n_applications():
    world = World()
    people = {
        "pi": world.pi,
        "analyst": world.analyst,
        "reviewer": world.reviewer,
        "panel": world.panel,
        "owner": world.owner,
        "ops": world.ops,
    }
    for _ in range(2):
        world.at(State.IN_REVIEW)
    few = {role: list_queries(user) for role, user in people.items()}
    for _ in range(4):
        world.at(State.IN_REVIEW)
    more = {role: list_queries(user) for role, user in people.items()}
    assert few == more
    for role, count in more.items():
        assert count <= LIST_CEILINGS[role], (role, count)


@pytest.mark.parametrize(
    ("path", "who"),
    [("/reviews/panels/", "panel"), ("/owner/sign-off/", "owner"), ("/scoping/", "analyst")],
)
def test_the_queues_on_the_same_relations_cost_the_same_for_n_and_3n(client, path, who):
    world = World()
    user = getattr(world, who)

    def queries() -> int:
        client.force_login(User.objects.get(pk=user.pk))
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        assert response.status_code == 200
        return len(captured)

    state = State.SCOPING if who == "analyst" else State.IN_REVIEW
    for _ in range(2):
        world.at(state)
    few = queries()
    for _ in range(4):
        world.at(state)
    assert queries() == few
