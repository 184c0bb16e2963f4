"""Public pages, signing in and out, the home page and the navigation each role sees."""

from __future__ import annotations

import pytest

from access.models import Role
from tests.factories import make_user
from workflow.turnaround.stage_guide import DEFAULT_TYPICAL

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("path", ["/", "/catalogue/", "/how-to-get-access/", "/login/"])
def test_public_page_is_open_to_anyone(page_client, world, path):
    response = page_client().get(path)
    assert response.status_code == 200
    assert b"TRE access requests" in response.content
    assert b"govuk-header__logotype" not in response.content  # no crown


def test_catalogue_search_finds_a_dataset_by_a_variable_name(page_client, world):
    client = page_client()
    assert world.dataset.title in client.get("/catalogue/?q=postcode").content.decode()
    assert world.dataset.title not in client.get("/catalogue/?q=nothing-like-it").content.decode()
    filtered = client.get("/catalogue/?pre_approved=on&dea=on&sensitivity=anonymous")
    assert world.dataset.title not in filtered.content.decode()


def test_dataset_page_shows_variables_people_and_identifying_flag(page_client, world):
    body = page_client().get(f"/catalogue/{world.dataset.slug}/").content.decode()
    assert "postcode" in body
    assert "Ana Lyst" in body
    assert "Backup Analyst (backup)" in body
    assert page_client().get("/catalogue/no-such-dataset/").status_code == 404


def test_how_to_get_access_shows_each_stage_with_its_typical_time(page_client):
    body = page_client().get("/how-to-get-access/").content.decode()
    for number, unit in DEFAULT_TYPICAL.values():
        assert f"{number} {unit}" in body
    assert "Independent Governance Review Panel" in body


def test_sign_in_with_username_or_email_then_sign_out(page_client, world):
    client = page_client()
    response = client.post(
        "/login/", {"username": world.pi.email.upper(), "password": "correct horse battery staple"}
    )
    assert response.status_code == 302
    assert client.get("/applications/").status_code == 200
    assert client.get("/logout/").status_code == 405  # signing out changes state: POST only
    client.post("/logout/")
    assert client.get("/applications/").status_code == 302


def test_sign_in_with_a_wrong_password_shows_the_error_summary(page_client, world):
    response = page_client().post("/login/", {"username": world.pi.username, "password": "no"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "<title>Error: Sign in" in body
    assert 'class="govuk-error-summary"' in body
    assert 'href="#id_username"' in body


def test_home_sends_a_person_with_one_kind_of_work_to_it(page_client, world):
    assert page_client(world.analyst).get("/")["Location"] == "/scoping/"
    assert page_client(world.reviewer).get("/")["Location"] == "/reviews/internal/"
    assert page_client(world.ops).get("/")["Location"] == "/ops/"


def test_home_lists_the_work_of_a_person_with_several_roles(page_client, world):
    owner = world.owner  # data owner: categories and sign-off
    body = page_client(owner).get("/").content.decode()
    assert "My datasets" in body
    assert "Sign-off" in body
    nobody = make_user()
    assert "nothing for you to do here yet" in page_client(nobody).get("/").content.decode()
    officer = make_user(Role.ACCREDITATION_OFFICER)
    assert page_client(officer).get("/")["Location"] == "/accreditation/decisions/"
    assert page_client(world.signatory).get("/")["Location"] == "/agreements/"
    assert page_client(world.pi).get("/")["Location"] == "/applications/"


@pytest.mark.parametrize(
    ("who", "shown", "hidden"),
    [
        ("pi", "My applications", "Scoping"),
        ("analyst", "Scoping", "My applications"),
        ("reviewer", "Internal review", "Operations"),
        ("panel", "Panel reviews", "Sign-off"),
        ("owner", "Sign-off", "Panel reviews"),
        ("ops", "Operations", "Panel reviews"),
    ],
)
def test_navigation_follows_what_the_person_may_do(page_client, world, who, shown, hidden):
    body = page_client(getattr(world, who)).get("/catalogue/").content.decode()
    nav = body[body.index('id="navigation"') : body.index("</nav>")]
    assert shown in nav
    assert hidden not in nav
