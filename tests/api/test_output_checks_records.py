"""A release is recorded: on the project's register entry when the team marked the request
public (and not otherwise), and in the project's RO-Crate as released outputs' metadata."""

from __future__ import annotations

import json

import pytest

from tests.support.outputs import PASSING_TABLE, Outputs, upload
from tests.support.rocrate import validate
from workflow.models import OutputRequest
from workflow.output_checks import services
from workflow.transparency.rocrate import write_crate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def released(o: Outputs, *, public: bool, title: str) -> OutputRequest:
    request = services.output_request_create(
        application=o.project, by=o.pi, title=title, public=public
    )
    services.output_file_add(
        output_request=request,
        by=o.pi,
        upload=upload("regions.csv", PASSING_TABLE),
        description="Admissions by region",
    )
    services.output_request_submit(output_request=request, by=o.pi)
    file_id = request.files.get().pk
    for checker in (o.checker1, o.checker2):
        services.output_review_submit(
            output_request=request, by=checker, verdicts=[{"file": file_id, "decision": "approve"}]
        )
    services.output_request_consolidate(
        output_request=request, by=o.checker1, decisions=[{"file": file_id, "decision": "approve"}]
    )
    return OutputRequest.objects.get(pk=request.pk)


def test_a_public_release_is_an_output_on_the_register_entry(api_client):
    o = Outputs()
    released(o, public=True, title="Public tables")
    released(o, public=False, title="Private tables")
    entry = api_client.get(f"/api/v1/register/{o.project.reference}/").json()
    titles = json.dumps(entry)
    assert "Released after output checking: Public tables (regions.csv)" in titles
    assert "Private tables" not in titles
    # Its link is the public record, which anyone may open (not the team's request page).
    (link,) = [o["url"] for o in entry["research_outputs"] if "Public tables" in o["title"]]
    assert link.endswith(f"/register/{o.project.reference}/#outputs")
    path = link.split("://", 1)[-1].split("/", 1)[1]
    assert api_client.get("/" + path.split("#")[0]).status_code == 200


def test_the_ro_crate_carries_the_released_outputs_metadata(tmp_path):
    o = Outputs()
    request = released(o, public=False, title="Tables")
    crate = write_crate(o.project, tmp_path / "crate")
    graph = json.loads((crate / "ro-crate-metadata.json").read_text())["@graph"]
    entities = {e["@id"]: e for e in graph}
    output_file = request.files.get()
    entity = entities[f"#released-output-{output_file.pk}"]
    assert entity["name"] == "regions.csv"
    assert entity["encodingFormat"] == "text/csv"
    assert entity["identifier"] == f"sha256:{output_file.sha256}"
    result = validate(crate, severity="REQUIRED")
    assert result.passed(), [i.message for i in result.get_issues()]


def test_verify_audit_checks_the_output_requests_chains():
    from workflow.audit_check import verify

    o = Outputs()
    request = released(o, public=False, title="Tables")
    report = verify()
    assert report.breaks == []
    assert request.pk in report.heads["output_request"]
