"""Nothing a client can send makes a 500 (security probe, finding 4): page numbers past the
end, NUL and other control characters in paths, queries, slugs and bodies, JSON nested deeply,
bodies over the limit. Every error under /api/ comes back in the one error shape.

Each case here answered 500 (or an HTML page under /api/) before the fix."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from tests.factories.workflow import World
from workflow.models import Application, State

pytestmark = pytest.mark.django_db

HUGE_PAGE = "1000000000000000000"


@pytest.fixture
def world():
    return World()


def assert_error_shape(response, status: int, code: str | None = None) -> dict:
    assert response.status_code == status, response.content[:500]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) >= {"code", "detail", "fields"}, body
    if code is not None:
        assert body["code"] == code, body
    return body


# --- page numbers ------------------------------------------------------------------------------


def test_a_huge_page_number_on_the_public_register_is_404_anonymously(world):
    world.at(State.APPROVED)
    response = APIClient().get("/api/v1/register/", {"page": HUGE_PAGE})
    assert_error_shape(response, 404, "not_found")


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/applications/",
        "/api/v1/datasets/",
        "/api/v1/variables/",
        "/api/v1/organisations/",
        "/api/v1/notifications/",
        "/api/v1/panels/",
        "/api/v1/pre-approved-categories/",
        "/api/v1/review-tracks/",
    ],
)
@pytest.mark.parametrize("page", [HUGE_PAGE, "9" * 40, "99999999999"])
def test_a_page_number_past_the_end_is_404_on_every_list(world, client_for, url, page):
    world.at(State.IN_REVIEW)
    response = client_for(world.ops).get(url, {"page": page})
    assert_error_shape(response, 404, "not_found")


def test_the_last_page_still_answers(world, client_for):
    world.at(State.IN_REVIEW)
    response = client_for(world.ops).get("/api/v1/datasets/", {"page": "last"})
    assert response.status_code == 200


# --- control characters in paths and queries ---------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/register/?dataset=a%00b",
        "/api/v1/register/?organisation=a%00b",
        "/api/v1/register.csv?dataset=a%00b",
        "/api/v1/register/a%00b/",
        "/api/v1/datasets/a%00b/",
        "/api/v1/organisations/a%00b/",
        "/api/v1/datasets/?search=a%00b",
        "/api/v1/register/?dataset=a%1Bb",
        "/api/v1/register/?a%00=b",
    ],
)
def test_control_characters_in_an_api_path_or_query_are_400_anonymously(world, url):
    body = assert_error_shape(APIClient().get(url), 400, "invalid_characters")
    assert "control character" in body["detail"]


def test_control_characters_in_a_query_are_400_for_staff_filters(world, client_for):
    response = client_for(world.ops).get("/api/v1/decision-records/?dataset=a%00b")
    assert_error_shape(response, 400, "invalid_characters")


@pytest.mark.parametrize("url", ["/register/TRE%00x/", "/catalogue/?q=a%00b", "/login/?next=%00"])
def test_control_characters_in_a_page_path_or_query_are_a_400_page(world, client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    assert b"control character" in response.content


def test_tabs_and_newlines_in_a_search_are_not_refused(world, client_for):
    response = client_for(world.ops).get("/api/v1/datasets/", {"search": "pupil\tattainment"})
    assert response.status_code == 200


# --- control characters in bodies --------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"title": "n", "purpose": "public_policy", "lead_organisation": "swan\x00sea"}, None),
        (
            {"title": "n", "datasets": [{"dataset": "edu\x00cation", "legal_gateway": "consent"}]},
            "datasets.0.dataset",
        ),
        ({"title": "a\x00b"}, "title"),
        ({"title": "bell\x07"}, "title"),
        ({"title": "T", "lay_summary": "escape \x1b[31m red"}, "lay_summary"),
    ],
)
def test_control_characters_in_a_json_body_are_400_naming_the_field(world, client_for, data, field):
    response = client_for(world.pi).post("/api/v1/applications/", data, format="json")
    body = assert_error_shape(response, 400, "invalid")
    assert (field or "lead_organisation") in body["fields"], body
    assert not Application.objects.exists()


def test_line_breaks_and_tabs_in_a_long_text_are_kept(world, client_for):
    data = {"title": "T", "lay_summary": "First paragraph.\r\n\r\n\tSecond paragraph."}
    response = client_for(world.pi).post("/api/v1/applications/", data, format="json")
    assert response.status_code == 201, response.json()
    assert Application.objects.get().lay_summary == data["lay_summary"]


def test_a_nul_in_a_form_post_is_a_400_page(world, client):
    client.force_login(world.pi)
    response = client.post("/applications/new/", {"title": "a\x00b"})
    assert response.status_code == 400
    assert not Application.objects.exists()


def test_a_nul_in_a_form_encoded_api_body_is_400(world, client_for):
    response = client_for(world.pi).post(
        "/api/v1/applications/",
        "title=a%00b&lead_organisation=swan%00sea",
        content_type="application/x-www-form-urlencoded",
    )
    assert_error_shape(response, 400)
    assert not Application.objects.exists()


# --- deep JSON, big bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1000, 100_000])
def test_json_nested_deeply_is_400_anonymously(depth):
    body = "[" * depth + "]" * depth
    response = APIClient().post("/api/v1/auth/token/", body, content_type="application/json")
    assert_error_shape(response, 400, "parse_error")


def test_json_nested_within_the_limit_is_read(world, client_for):
    nested: object = "x"
    for _ in range(20):
        nested = [nested]
    response = client_for(world.pi).post(
        "/api/v1/applications/", {"title": "T", "funder": nested}, format="json"
    )
    assert_error_shape(response, 400, "invalid")  # a list is not a funder, but it was read


def test_a_json_body_over_the_limit_is_413_in_the_error_shape(world, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"title": "x" * 2000})
    response = client_for(world.pi).post(
        "/api/v1/applications/", body, content_type="application/json"
    )
    assert_error_shape(response, 413, "too_large")
    assert not Application.objects.exists()


def test_a_form_body_over_the_limit_is_413_in_the_error_shape(world, client_for, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = client_for(world.pi).post(
        "/api/v1/applications/",
        "title=" + "x" * 2000,
        content_type="application/x-www-form-urlencoded",
    )
    assert_error_shape(response, 413, "too_large")


def test_a_page_post_over_the_limit_is_a_413_page(world, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(world.pi)
    response = client.post("/applications/new/", {"title": "x" * 2000})
    assert response.status_code == 413
    assert response["Content-Type"].startswith("text/html")


# --- Django's own error pages under /api/ ------------------------------------------------------


def test_an_unknown_api_url_is_404_in_the_error_shape():
    assert_error_shape(APIClient().get("/api/v1/no-such-thing/"), 404, "not_found")


def test_an_unknown_page_is_the_404_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_an_unexpected_error_under_the_api_is_500_in_the_error_shape(settings):
    settings.ROOT_URLCONF = "tests.support.crashing_urls"
    client = APIClient(raise_request_exception=False)
    body = assert_error_shape(client.get("/api/v1/crash/"), 500, "server_error")
    assert "Traceback" not in body["detail"]


def test_an_unexpected_error_on_a_page_is_the_500_page(settings, client):
    settings.ROOT_URLCONF = "tests.support.crashing_urls"
    client.raise_request_exception = False
    response = client.get("/crash/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")


# --- the schema documents the errors -----------------------------------------------------------


def test_every_operation_documents_its_errors_in_the_error_shape():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    error = {"$ref": "#/components/schemas/Error"}
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for code in ("400", "404", "503"):
                content = responses[code]["content"]
                assert content == {"application/json": {"schema": error}}, (method, path, code)
            if method in {"post", "put", "patch", "delete"}:
                assert {"413", "415"} <= set(responses), (method, path)
    token = schema["paths"]["/api/v1/auth/token/"]["post"]["responses"]
    assert "429" in token
    assert "401" not in token  # it does not authenticate: a bad token header is ignored
    assert "401" in schema["paths"]["/api/v1/applications/"]["get"]["responses"]


@pytest.mark.parametrize("action", ["versions", "feedback", "pre-approval", "transitions"])
def test_whole_list_actions_are_documented_as_plain_lists(action):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"][f"/api/v1/applications/{{id}}/{action}/"]["get"]
    assert [p["name"] for p in operation.get("parameters", [])] == ["id"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer["type"] == "array"


def test_the_timeline_is_documented_as_paginated():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    operation = schema["paths"]["/api/v1/applications/{id}/timeline/"]["get"]
    assert [p["name"] for p in operation["parameters"]] == ["id", "page", "page_size"]
    answer = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert answer == {"$ref": "#/components/schemas/PaginatedEventList"}
