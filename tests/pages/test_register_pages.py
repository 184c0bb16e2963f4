"""The register pages and a project's outputs page, through the test client."""

from __future__ import annotations

import pytest

from workflow.models import ProjectOutput, State

pytestmark = pytest.mark.django_db


def test_register_page_public_lists_entries_and_links_csv(world, page_client):
    active = world.at(State.ACTIVE)
    declined = world.at(State.REJECTED, title="Declined one")
    response = page_client().get("/register/")
    assert response.status_code == 200
    body = response.content.decode()
    assert active.title in body
    assert declined.reference in body
    assert "Declined one" not in body
    assert "/api/v1/register.csv" in body
    assert 'href="/register/"' in body  # the navigation entry


def test_register_page_filters_and_bad_values(world, page_client):
    active = world.at(State.ACTIVE)
    client = page_client()
    assert active.title in client.get("/register/?status=active").content.decode()
    assert active.title not in client.get("/register/?status=closed").content.decode()
    assert active.title in client.get("/register/?dataset=education").content.decode()
    assert active.title in client.get("/register/?organisation=swansea").content.decode()
    response = client.get("/register/?status=nonsense&year=x")
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()


def test_register_entry_page_approved_and_declined(world, page_client):
    active = world.at(State.ACTIVE)
    declined = world.at(State.REJECTED, title="Declined one")
    client = page_client()
    body = client.get(f"/register/{active.reference}/").content.decode()
    for text in ("Priya Investigator", "Pupil attainment", "REC 24/WA/0001", "Access type"):
        assert text in body
    body = client.get(f"/register/{declined.reference}/").content.decode()
    assert "only the reference, the organisation and the status" in body
    assert "Declined one" not in body
    assert "Priya Investigator" not in body
    assert client.get("/register/TRE-1999-0001/").status_code == 404


def test_outputs_page_member_adds_link_shown_on_register(world, page_client):
    app = world.at(State.ACTIVE)
    client = page_client(world.pi)
    overview = client.get(f"/applications/{app.pk}/").content.decode()
    assert f"/applications/{app.pk}/outputs/" in overview
    assert client.get(f"/applications/{app.pk}/outputs/").status_code == 200
    response = client.post(
        f"/applications/{app.pk}/outputs/",
        {"kind": "publication", "title": "Our paper", "url": "https://doi.org/10.1/abc"},
    )
    assert response.status_code == 302
    assert ProjectOutput.objects.get(application=app).title == "Our paper"
    assert "Our paper" in page_client().get(f"/register/{app.reference}/").content.decode()


def test_outputs_page_bad_input_and_refusals(world, page_client):
    app = world.at(State.ACTIVE)
    response = page_client(world.pi).post(
        f"/applications/{app.pk}/outputs/", {"kind": "publication", "title": "", "url": "x"}
    )
    assert response.status_code == 400
    assert "There is a problem" in response.content.decode()
    assert page_client(world.ops).get(f"/applications/{app.pk}/outputs/").status_code == 403
    assert page_client(world.outsider).get(f"/applications/{app.pk}/outputs/").status_code == 404
    approved = world.at(State.APPROVED, title="Not yet live")
    assert page_client(world.pi).get(f"/applications/{approved.pk}/outputs/").status_code == 403
