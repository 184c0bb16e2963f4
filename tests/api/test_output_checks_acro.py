"""ACRO's results.json: produced here by running ``acro`` itself on a small synthetic DataFrame,
uploaded with its tables, and each output's ACRO status and exception request shown beside its
file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.outputs import Outputs, upload

pytestmark = pytest.mark.django_db

LIST = "/api/v1/output-requests/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def run_acro(folder: Path) -> Path:
    """Two frequency tables through ACRO: one with a small cell (fail, with an exception
    request), one without (pass)."""
    pd = pytest.importorskip("pandas")
    from acro import ACRO

    people = pd.DataFrame(
        {
            "region": ["North"] * 40 + ["South"] * 34 + ["East"] * 4,
            "sex": ["F", "M"] * 39,
            "age_band": ["young"] * 39 + ["old"] * 39,
        }
    )
    acro = ACRO(suppress=False)
    acro.crosstab(people.region, people.sex)
    acro.add_exception("output_0", "East is one ward; its count is published by the ONS.")
    acro.crosstab(people.age_band, people.sex)
    acro.finalise(str(folder), "json")
    return folder


def test_acro_statuses_and_exception_requests_are_shown_beside_the_files(tmp_path, client_for):
    folder = run_acro(tmp_path / "acro")
    o = Outputs()
    pi = client_for(o.pi)
    request_id = pi.post(
        LIST, {"application": o.project.pk, "title": "ACRO tables"}, format="json"
    ).json()["id"]
    for name in ("output_0_0.csv", "output_1_0.csv"):
        response = pi.post(
            f"{LIST}{request_id}/files/",
            {"file": upload(name, (folder / name).read_bytes()), "description": name},
            format="multipart",
        )
        assert response.status_code == 201, response.json()
    response = pi.put(
        f"{LIST}{request_id}/acro-results/",
        {"file": upload("results.json", (folder / "results.json").read_bytes())},
        format="multipart",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    acro = {f["name"]: f["acro"] for f in body["files"]}
    assert acro["output_0_0.csv"]["status"] == "fail"
    assert "published by the ONS" in acro["output_0_0.csv"]["exception"]
    assert "MinimumThresholdCheck" in acro["output_0_0.csv"]["summary"]
    assert acro["output_1_0.csv"]["status"] == "pass"
    assert acro["output_1_0.csv"]["exception"] == ""
    # The whole list, as ACRO wrote it (its own session summaries are marked for review).
    assert {o["name"]: o["status"] for o in body["acro"]}["output_0"] == "fail"
    # Our own automatic check agrees on the small cell, and decides nothing either.
    checks = {f["name"]: f["auto_checks"]["outcome"] for f in body["files"]}
    assert checks == {"output_0_0.csv": "fail", "output_1_0.csv": "pass"}
