import pytest

from access.models import User
from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_token_login_accepts_username_or_email_case_insensitively(api_client):
    make_user("researcher", username="ada", email="ada@uni.example")
    by_name = api_client.post(
        "/api/v1/auth/token/", {"login": "ada", "password": "correct horse battery staple"}
    )
    by_email = api_client.post(
        "/api/v1/auth/token/",
        {"login": "ADA@Uni.Example", "password": "correct horse battery staple"},
    )
    assert by_name.status_code == 200
    assert by_email.status_code == 200
    # Each sign-in is a token of its own (tests/api/test_tokens_and_sessions.py).
    assert by_name.json()["token"] != by_email.json()["token"]


def test_token_login_wrong_password_is_400_with_field_message(api_client):
    make_user("researcher", username="ada")
    response = api_client.post("/api/v1/auth/token/", {"login": "ada", "password": "nope"})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "login" in body["fields"]


def test_token_authenticates_me_endpoint(api_client):
    make_user("researcher", "analyst", username="ada", full_name="Ada Lovelace")
    token = api_client.post(
        "/api/v1/auth/token/", {"login": "ada", "password": "correct horse battery staple"}
    ).json()["token"]
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    me = api_client.get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json()["full_name"] == "Ada Lovelace"
    assert me.json()["roles"] == ["analyst", "researcher"]


def test_me_requires_login_with_error_shape(api_client):
    response = api_client.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_email_is_stored_lowercase_and_unique_ignoring_case():
    make_user(username="a", email="Someone@Example.org")
    assert User.objects.get(username="a").email == "someone@example.org"
