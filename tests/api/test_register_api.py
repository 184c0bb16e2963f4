"""The public data-use register (JSON, CSV, pages), decision records and outputs over HTTP.

The privacy test builds a declined and an approved application full of distinctive private
strings and searches every public response for them.
"""

from __future__ import annotations

import csv
import io

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.factories.access import make_user
from workflow.models import Outcome, RegisterEntry, State
from workflow.route import services as route_services
from workflow.safes import services as safes_services
from workflow.transparency.services import project_output_add

pytestmark = pytest.mark.django_db

REGISTER = "/api/v1/register/"


@pytest.fixture
def world():
    from tests.factories.workflow import World

    return World()


def _results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_register_approving_shows_the_project_in_the_same_request_cycle(world, api_client):
    app = world.at(State.IN_REVIEW)
    assert _results(api_client.get(REGISTER)) == []
    for track in app.tracks.filter(superseded=False, state="open"):
        world.decide(track, Outcome.APPROVED)
    (row,) = _results(api_client.get(REGISTER))
    assert row["project_id"] == app.reference
    assert row["status"] == "approved"
    assert row["project_title"] == app.title
    assert row["applicant_names"] == ["Priya Investigator", "Colin Colleague"]
    assert row["access_type"] == "TRE"
    assert row["datasets"][0]["legal_gateway"].startswith("Public task")


def test_register_declined_shows_only_reference_organisation_status(world, api_client):
    app = world.at(State.REJECTED)
    (row,) = _results(api_client.get(REGISTER))
    assert row["project_id"] == app.reference
    assert row["lead_organisation"] == "Swansea University"
    assert row["status"] == "declined"
    published = {
        k: v
        for k, v in row.items()
        if v not in ("", None, [], {})
        and k not in {"project_id", "lead_organisation", "status", "latest_decision_on"}
    }
    assert published == {}


def test_register_filters_by_dataset_organisation_status_and_year(world, api_client):
    active = world.at(State.ACTIVE)
    declined = world.at(State.REJECTED, title="Another")
    year = RegisterEntry.objects.get(application=active).latest_decision_on.year
    by = {
        "dataset=education": {active.reference},
        "organisation=swansea": {active.reference, declined.reference},
        "status=declined": {declined.reference},
        "status=active": {active.reference},
        f"year={year}": {active.reference, declined.reference},
        f"year={year - 1}": set(),
    }
    for query, expected in by.items():
        got = {r["project_id"] for r in _results(api_client.get(f"{REGISTER}?{query}"))}
        assert got == expected, query


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("dataset=no-such-dataset", "dataset"),
        ("organisation=nowhere", "organisation"),
        ("status=pending", "status"),
        ("year=last", "year"),
        ("year=1800", "year"),
    ],
)
def test_register_bad_filter_is_400_with_field_message(db, api_client, query, field):
    response = api_client.get(f"{REGISTER}?{query}")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert field in body["fields"]
    assert api_client.get(f"/api/v1/register.csv?{query}").status_code == 400
    assert Client().get(f"/register/?{query}").status_code == 400


def test_register_list_is_paginated_with_constant_queries(world, api_client):
    world.at(State.ACTIVE)
    world.at(State.CLOSED, title="Second")
    world.at(State.REJECTED, title="Third")
    with CaptureQueriesContext(connection) as captured:
        body = api_client.get(f"{REGISTER}?page_size=2").json()
    # The anonymous throttle's counts are in the cache (a table in tests, Redis in production).
    ours = [
        q
        for q in captured.captured_queries
        if "tre_cache" not in q["sql"] and "SAVEPOINT" not in q["sql"]
    ]
    assert len(ours) <= 4
    assert body["count"] == 3
    assert len(body["results"]) == 2
    assert body["next"]


def test_register_entry_by_reference_and_outputs(world, api_client):
    app = world.at(State.CLOSED)
    project_output_add(
        application=app,
        by=world.pi,
        kind="publication",
        title="Paper",
        url="https://doi.org/10.1000/xyz",
    )
    row = api_client.get(f"{REGISTER}{app.reference}/").json()
    assert row["status"] == "closed"
    assert row["closed_date"]
    assert row["research_outputs"][0]["url"] == "https://doi.org/10.1000/xyz"
    assert api_client.get(f"{REGISTER}TRE-1999-0001/").status_code == 404


def test_register_csv_has_one_row_per_entry(world, api_client):
    app = world.at(State.ACTIVE)
    world.at(State.REJECTED, title="Another")
    response = api_client.get("/api/v1/register.csv")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.getvalue().decode())))
    assert len(rows) == 2
    approved = next(r for r in rows if r["Project ID"] == app.reference)
    assert approved["Access type"] == "TRE"
    assert approved["Applicant names"] == "Priya Investigator; Colin Colleague"
    declined = next(r for r in rows if r["Project ID"] != app.reference)
    assert declined["Project title"] == ""
    assert declined["Applicant names"] == ""


def test_register_schema_documents_the_response(db, api_client):
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    text = schema.content.decode()
    assert "/api/v1/register/" in text
    assert "RegisterEntry" in text
    assert "/api/v1/decision-records/" in text
    assert "/api/v1/applications/{id}/ro-crate/" in text


# --- decision records ---------------------------------------------------------------------------


def test_decision_records_searchable_by_staff_by_dataset_purpose_outcome(world, client_for):
    approved = world.at(State.APPROVED)
    world.at(State.REJECTED, title="Other", purpose="health_research")
    client = client_for(world.reviewer)
    rows = client.get("/api/v1/decision-records/?dataset=education").json()["results"]
    assert len(rows) == 2
    rows = client.get("/api/v1/decision-records/?purpose=public_policy").json()["results"]
    assert [r["reference"] for r in rows] == [approved.reference]
    assert rows[0]["version"] == approved.current_version
    assert rows[0]["tracks"]
    rows = client.get("/api/v1/decision-records/?outcome=rejected").json()["results"]
    assert [r["title"] for r in rows] == ["Other"]
    assert client_for(world.ops).get("/api/v1/decision-records/").status_code == 200
    assert client_for(world.panel).get("/api/v1/decision-records/").status_code == 200


def test_decision_records_refused_to_researchers_and_bad_filters(world, client_for, api_client):
    assert client_for(world.pi).get("/api/v1/decision-records/").status_code == 403
    assert api_client.get("/api/v1/decision-records/").status_code == 401
    response = client_for(world.reviewer).get("/api/v1/decision-records/?purpose=fun")
    assert response.status_code == 400
    assert "purpose" in response.json()["fields"]


# --- outputs ------------------------------------------------------------------------------------


def test_outputs_api_members_add_and_everyone_who_sees_reads(world, client_for):
    app = world.at(State.ACTIVE)
    url = f"/api/v1/applications/{app.pk}/outputs/"
    response = client_for(world.pi).post(
        url, {"kind": "code", "title": "Code", "url": "https://example.org/code"}
    )
    assert response.status_code == 201, response.content
    assert client_for(world.ops).get(url).json()[0]["title"] == "Code"
    assert (
        client_for(world.ops)
        .post(url, {"kind": "code", "title": "x", "url": "https://example.org"})
        .status_code
        == 403
    )
    bad = client_for(world.pi).post(url, {"kind": "poem", "title": "", "url": "nope"})
    assert bad.status_code == 400
    assert set(bad.json()["fields"]) == {"kind", "title", "url"}
    assert client_for(world.outsider).get(url).status_code == 404


def test_outputs_api_refused_before_access(world, client_for):
    app = world.at(State.APPROVED)
    response = client_for(world.pi).post(
        f"/api/v1/applications/{app.pk}/outputs/",
        {"kind": "code", "title": "x", "url": "https://example.org"},
    )
    assert response.status_code == 409


# --- nothing private on any public response -----------------------------------------------------

PRIVATE = {
    "declined_name": "Zebedee Quillfeather",
    "declined_email": "zebedee.private@declined.example",
    "approved_email": "priya.private@approved.example",
    "phone": "+44 7700 900123",
    "panel_rationale": "PANEL-RATIONALE-7f3a confidential",
    "vote_rationale": "VOTE-RATIONALE-9b2c",
    "conflict_reason": "CONFLICT-REASON-4d1e",
    "reject_reason": "INTERNAL-REJECT-REASON-2e8f",
    "declined_title": "DECLINED-TITLE-51aa",
    "declined_summary": "DECLINED-SUMMARY-6c0d",
    "revision_rationale": "REVISION-RATIONALE-3f9e",
}


def _private_world(world):
    from access.models import Role
    from workflow.models import ConflictOfInterest

    # A declined application (panel refusal) whose people and text must never be published.
    declined_pi = make_user(
        Role.RESEARCHER,
        full_name=PRIVATE["declined_name"],
        email=PRIVATE["declined_email"],
        affiliation=world.university,
    )
    from tests.factories.access import accredit

    accredit(declined_pi)
    declined = route_services.application_create(
        by=declined_pi,
        data=world.content(
            title=PRIVATE["declined_title"],
            lay_summary=PRIVATE["declined_summary"],
            funder=PRIVATE["phone"],
            members=[{"user": declined_pi, "project_role": "principal_investigator"}],
        ),
    )
    safes_services.safeguards_update(application=declined, by=declined_pi, data=world.SAFEGUARDS)
    route_services.application_submit(application=declined, by=declined_pi)
    from tests.factories.workflow import _reload, _requested_variables

    analyst = _reload(declined).analyst
    route_services.scoping_update(
        application=declined,
        by=analyst,
        data={"feasible": True, "scoped_variables": _requested_variables(declined)},
    )
    route_services.application_complete_scoping(application=declined, by=analyst)
    route_services.application_refer_to_panels(application=declined, by=world.reviewer)
    ConflictOfInterest.objects.create(
        application=declined, user=world.expert, reason=PRIVATE["conflict_reason"]
    )
    for track in _reload(declined).tracks.filter(superseded=False, state="open"):
        if track.kind == "owner_signoff":
            world.decide(track, Outcome.REJECTED, rationale=PRIVATE["panel_rationale"])
        else:
            from workflow.management.history import decide_as_panel

            decide_as_panel(track, Outcome.REJECTED, PRIVATE["vote_rationale"], ())
    assert _reload(declined).state == State.REJECTED
    # An internal-review rejection with a private reason.
    rejected = world.draft(title="Rejected early")
    route_services.application_submit(application=rejected, by=world.pi)
    analyst = _reload(rejected).analyst
    route_services.scoping_update(
        application=rejected,
        by=analyst,
        data={"feasible": True, "scoped_variables": _requested_variables(rejected)},
    )
    route_services.application_complete_scoping(application=rejected, by=analyst)
    route_services.application_reject(
        application=rejected, by=world.reviewer, reason=PRIVATE["reject_reason"]
    )
    # An approved, active project whose PI has a private email; one track asked for revision
    # first (its rationale is private too).
    world.pi.email = PRIVATE["approved_email"]
    world.pi.save()
    approved = world.at(State.ACTIVE, title="Approved project")
    return declined, rejected, approved


def test_register_nothing_private_on_any_public_response(world):
    declined, rejected, approved = _private_world(world)
    anonymous = Client()
    urls = [
        "/register/",
        "/register/?status=declined",
        f"/register/{declined.reference}/",
        f"/register/{rejected.reference}/",
        f"/register/{approved.reference}/",
        REGISTER,
        f"{REGISTER}?status=declined",
        f"{REGISTER}{declined.reference}/",
        f"{REGISTER}{rejected.reference}/",
        f"{REGISTER}{approved.reference}/",
        "/api/v1/register.csv",
        reverse("catalogue:dataset-list"),
        reverse("catalogue:dataset-detail", args=["education"]),
        reverse("how-to-get-access"),
        "/",
        "/api/v1/datasets/",
    ]
    for url in urls:
        response = anonymous.get(url)
        assert response.status_code == 200, url
        body = response.getvalue().decode()
        for label, secret in PRIVATE.items():
            assert secret not in body, f"{label} leaked on {url}"
    # The declined applications are on the register (reference, organisation, status).
    assert declined.reference in anonymous.get("/register/").content.decode()
    # The approved project's team is published (HDR UK "applicant names"), never contacts.
    page = anonymous.get(f"/register/{approved.reference}/").content.decode()
    assert "Priya Investigator" in page
    assert "@" not in anonymous.get(f"{REGISTER}{approved.reference}/").content.decode()


def test_ro_crate_export_of_an_application_the_reviewer_cannot_see_is_404(world, client_for):
    draft = world.draft()  # never submitted: not in any reviewer's view
    response = client_for(world.reviewer).get(f"/api/v1/applications/{draft.pk}/ro-crate/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")


def test_register_csv_is_written_once_per_version_of_the_register(world, api_client, settings):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from workflow.transparency import csv_cache

    settings.VAR_DIR = settings.VAR_DIR / "csv-cache-test"
    world.at(State.ACTIVE)
    with CaptureQueriesContext(connection) as written:
        first = api_client.get("/api/v1/register.csv")
        body = b"".join(first.streaming_content)
    assert any('workflow_registerentry"."csv_cells' in q["sql"] for q in written)
    assert len(list(csv_cache._directory().glob("*.csv"))) == 1
    # The same register again: read from the file, no entry read.
    with CaptureQueriesContext(connection) as captured:
        again = api_client.get("/api/v1/register.csv")
        assert b"".join(again.streaming_content) == body
    assert not any('workflow_registerentry"."csv_cells' in q["sql"] for q in captured)
    # A new entry is a new version: written afresh, with its row.
    other = world.at(State.REJECTED, title="Another")
    fresh = b"".join(api_client.get("/api/v1/register.csv").streaming_content)
    assert other.reference.encode() in fresh
    assert other.reference.encode() not in body
