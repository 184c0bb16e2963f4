"""Pages read with their total in one query; tokens read with their roles in one query."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.db.models import Q
from django.test.utils import CaptureQueriesContext
from knox.models import AuthToken
from rest_framework.test import APIClient

from access.models import Role, RoleAssignment
from core.compiled import CompiledValues
from tests.factories.workflow import World
from workflow.models import Application, ApplicationMember, State

pytestmark = pytest.mark.django_db

LIST = "/api/v1/applications/"


@pytest.fixture
def world():
    return World()


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=user)[1]}")
    return client


def test_pages_carry_the_total_and_links_and_past_the_end_is_404(world, client_for):
    for _ in range(3):
        world.at(State.SCOPING)
    world.at(State.DRAFT)
    client = client_for(world.ops)
    first = client.get(LIST, {"page_size": 2}).json()
    assert first["count"] == 4
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert "page=2" in first["next"]
    second = client.get(LIST, {"page_size": 2, "page": 2}).json()
    assert second["count"] == 4
    assert second["next"] is None
    assert {r["id"] for r in first["results"]}.isdisjoint({r["id"] for r in second["results"]})
    # Filtered: the total is the filtered total.
    scoping = client.get(LIST, {"page_size": 2, "state": "scoping", "page": 2}).json()
    assert scoping["count"] == 3
    assert len(scoping["results"]) == 1
    last = client.get(LIST, {"page_size": 3, "page": "last"}).json()
    assert last["count"] == 4
    assert len(last["results"]) == 1
    for page in ("3", "0", "x", "-1"):
        response = client.get(LIST, {"page_size": 2, "page": page})
        assert response.status_code == 404, page
        assert "Invalid page" in response.json()["detail"]
    # Nothing to show is an empty first page, not an error.
    empty = client_for(world.outsider).get(LIST).json()
    assert empty == {"count": 0, "next": None, "previous": None, "results": []}


def test_a_page_and_its_total_are_one_query(world):
    for _ in range(3):
        world.at(State.SCOPING)
    client = token_client(world.ops)
    with CaptureQueriesContext(connection) as queries:
        body = client.get(LIST, {"page_size": 2}).json()
    assert body["count"] == 3
    # The token with its roles, then the page with its total.
    assert len(queries) == 2, [q["sql"][:120] for q in queries]


def test_token_reads_roles_and_a_role_removed_counts_from_the_next_request(world):
    application = world.at(State.SCOPING)
    client = token_client(world.ops)
    assert client.get(f"{LIST}{application.pk}/").status_code == 200
    RoleAssignment.objects.filter(user=world.ops, role=Role.OPS).delete()
    assert client.get(f"{LIST}{application.pk}/").status_code == 404
    world.ops.is_active = False
    world.ops.save()  # deactivation revokes the tokens (access/sessions.py)
    response = client.get(LIST)
    assert response.status_code == 401
    assert response.json()["detail"] == "Invalid token."
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert bad.get(LIST).status_code == 401


@pytest.mark.django_db(transaction=True)  # the second thread has its own connection
def test_compiled_values_match_the_queryset_in_any_thread(world):
    applications = [world.at(State.SCOPING), world.at(State.DRAFT)]

    def members(application_id):
        return ApplicationMember.objects.filter(application_id=application_id).values(
            "project_role", "user__full_name"
        )

    compiled = CompiledValues(members, "application_id")
    for application in applications:
        assert compiled(application_id=application.pk) == list(members(application.pk))
    assert compiled(application_id=10**9) == []
    seen = []

    def in_thread():
        seen.append(compiled(application_id=applications[0].pk))
        connection.close()

    thread = threading.Thread(target=in_thread)
    thread.start()
    thread.join()
    assert seen == [list(members(applications[0].pk))]
    with pytest.raises(TypeError):
        compiled(pk=1)
    # An argument that is not a parameter of the SQL would be frozen at its first value.
    frozen = CompiledValues(
        lambda application_id: Application.objects.values("id"), "application_id"
    )
    with pytest.raises(ValueError, match="parameter"):
        frozen(application_id=1)


def test_application_search_is_answered_from_the_trigram_indexes(world, client_for):
    """``?search=`` (DRF's icontains on reference and title) can use the pg_trgm indexes of
    migration 0013: their expressions match the SQL Django writes (with sequential scans off,
    the planner must find them or fail over to a scan that says so)."""
    application = world.at(State.SCOPING)
    found = client_for(world.ops).get(LIST, {"search": application.reference[-6:]}).json()
    assert [r["id"] for r in found["results"]] == [application.pk]
    term = "attainment"
    # As the page's count asks it (no order: the page itself may walk the newest-first index).
    queryset = (
        Application.objects.filter(Q(reference__icontains=term) | Q(title__icontains=term))
        .order_by()
        .values("pk")
    )
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
    plan = queryset.explain()
    assert "workflow_app_reference_trgm" in plan
    assert "workflow_app_title_trgm" in plan
