"""The Five Safes RO-Crate of a fully decided application validates with roc-validator.

Validated against the base ``ro-crate`` profile at REQUIRED severity (the MUST requirements):
``result.passed()`` is true and no issue of that severity is reported. The validator runs
offline (tests/support/rocrate.py).
"""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from django.core.management import call_command

from tests.factories.access import accredit
from tests.support.rocrate import validate
from workflow.models import State
from workflow.transparency.rocrate import write_crate

pytestmark = [pytest.mark.django_db, pytest.mark.integration]


@pytest.fixture
def closed_application():
    from tests.factories.workflow import World

    world = World()
    accredit(world.pi, "dea_full")
    return world, world.at(State.CLOSED)


def _graph(crate_dir) -> dict[str, dict]:
    metadata = json.loads((crate_dir / "ro-crate-metadata.json").read_text())
    return {entity["@id"]: entity for entity in metadata["@graph"]}


def test_rocrate_of_a_fully_decided_application_validates(closed_application, tmp_path):
    _, app = closed_application
    crate_dir = write_crate(app, tmp_path / "crate")
    result = validate(crate_dir, severity="REQUIRED")
    required = [i for i in result.get_issues() if i.severity.name == "REQUIRED"]
    assert required == [], [i.message for i in required]
    assert result.passed()


def test_rocrate_describes_people_credentials_datasets_agreement_and_actions(
    closed_application, tmp_path
):
    world, app = closed_application
    graph = _graph(write_crate(app, tmp_path / "crate"))
    root = graph["./"]
    assert root["identifier"] == app.reference
    assert root["conformsTo"] == {"@id": "https://w3id.org/5s-crate/0.4"}
    types = [e["@type"] for e in graph.values()]
    pi = graph[f"#person-{world.pi.pk}"]
    assert pi["name"] == "Priya Investigator"
    assert "email" not in pi
    credentials = [graph[c["@id"]] for c in pi["hasCredential"]]
    assert {c["credentialCategory"] for c in credentials} == {"safe_researcher", "dea_full"}
    assert all("/" in c["dct:valid"] and c["validUntil"] for c in credentials)
    assert graph["#dataset-education"]["identifier"] == "education"
    agreement = next(e for e in graph.values() if e["@id"].startswith("#agreement-v"))
    assert agreement["additionalType"] == "https://w3id.org/dpv#DataProcessingAgreement"
    assert types.count("AgreeAction") == 3  # two members and the signatory
    assert "AskAction" in types
    assert "AuthorizeAction" in types
    assert "AssessAction" in types
    approved = next(
        e for e in graph.values() if e["@type"] == "AuthorizeAction" and e["name"] == "Approved"
    )
    assert graph[approved["result"]["@id"]]["name"].endswith("approved")
    assert approved["endTime"]


def test_rocrate_of_a_declined_application_validates(tmp_path):
    from tests.factories.workflow import World

    app = World().at(State.REJECTED)
    result = validate(write_crate(app, tmp_path / "crate"))
    assert result.passed(), [i.message for i in result.get_issues()]


def test_export_rocrate_command_writes_the_crate(closed_application, tmp_path):
    _, app = closed_application
    out = io.StringIO()
    call_command("export_rocrate", app.reference, str(tmp_path / "out"), stdout=out)
    assert (tmp_path / "out" / "ro-crate-metadata.json").exists()
    assert app.reference in out.getvalue()


def test_export_rocrate_command_unknown_reference(db, tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("export_rocrate", "TRE-1999-9999", str(tmp_path / "out"))


def test_rocrate_api_returns_a_zip_for_staff_only(closed_application, client_for):
    world, app = closed_application
    response = client_for(world.ops).get(f"/api/v1/applications/{app.pk}/ro-crate/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    with zipfile.ZipFile(io.BytesIO(response.content)) as archive:
        assert "ro-crate-metadata.json" in archive.namelist()
    assert client_for(world.pi).get(f"/api/v1/applications/{app.pk}/ro-crate/").status_code == 403
    assert client_for(world.ops).get("/api/v1/applications/999999/ro-crate/").status_code == 404
