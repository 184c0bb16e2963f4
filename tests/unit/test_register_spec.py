"""The register's fields live in one place (workflow/transparency/register.py): the stored
entry, the JSON, the CSV, the entry page and the docs all follow it, and a declined application
publishes nothing beyond the fields marked ``always``, whatever fields are added later."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from tests.factories.access import accredit
from workflow.models import RegisterEntry, State
from workflow.transparency.register import INDEX_COLUMNS, REGISTER_FIELDS, STORED
from workflow.transparency.serializers import CSV_COLUMNS

pytestmark = pytest.mark.django_db

# RegisterEntry's bookkeeping, which is not part of what the register says (the CSV's cells are
# written from the published fields: ``register_csv``).
BOOKKEEPING = {"id", "application", "updated_at", "csv_cells", "csv_format"}


@pytest.fixture
def world():
    from tests.factories.workflow import World

    return World()


def test_every_entry_column_is_a_register_field_or_a_filter_index():
    columns = {
        f.name for f in RegisterEntry._meta.get_fields() if f.concrete and not f.auto_created
    }
    columns -= BOOKKEEPING
    assert columns == {f.column for f in STORED} | set(INDEX_COLUMNS)


def test_api_names_and_csv_headers_are_unique():
    apis = [f.api for f in REGISTER_FIELDS]
    headers = [header for header, _, _ in CSV_COLUMNS]
    assert len(apis) == len(set(apis))
    assert len(headers) == len(set(headers))


def test_docs_name_every_field():
    docs = (Path(__file__).resolve().parents[2] / "docs" / "register.md").read_text()
    missing = [f.api for f in REGISTER_FIELDS if f"`{f.api}" not in docs]
    assert missing == []


def test_json_csv_and_page_follow_the_fields(world, client, api_client):
    accredit(world.pi, "dea_full")
    app = world.at(State.ACTIVE)

    row = api_client.get(f"/api/v1/register/{app.reference}/").json()
    assert list(row) == [f.api for f in REGISTER_FIELDS]
    assert row["project_id"] == app.reference
    assert row["dea_accredited_researcher"] is True
    assert row["access_date"] is not None

    text = api_client.get("/api/v1/register.csv").getvalue().decode()
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == [header for header, _, _ in CSV_COLUMNS]
    line = next(r for r in reader if r["Project ID"] == app.reference)
    assert line["DEA accredited researcher"] == "yes"
    assert "Public task" in line["Legal gateway"]

    page = client.get(f"/register/{app.reference}/").content.decode()
    keys = re.findall(r'summary-list__key">([^<]*)<', page)
    rows = [
        f.title
        for section in ("people", "project", "setting")
        for f in REGISTER_FIELDS
        if f.section == section and not f.hide_empty
    ]
    assert keys == rows  # each section's fields in the spec's order; "Closed" once closed


def test_declined_publishes_only_the_always_fields(world, client, api_client):
    app = world.at(State.REJECTED)

    row = api_client.get(f"/api/v1/register/{app.reference}/").json()
    published = {api for api, value in row.items() if value not in (None, "", [])}
    assert published == {f.api for f in REGISTER_FIELDS if f.always}

    page = client.get(f"/register/{app.reference}/").content.decode()
    keys = re.findall(r'summary-list__key">([^<]*)<', page)
    assert keys == [f.title for f in REGISTER_FIELDS if f.always]
