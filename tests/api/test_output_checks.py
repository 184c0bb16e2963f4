"""Safe outputs through the API: a request with a failing and a passing table goes through two
blind checkers, a consolidated decision, a changes round and the release; bad input is refused
with nothing stored; who may see and do what is a matrix."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.outputs import FAILING_TABLE, FIXED_TABLE, LOG, PASSING_TABLE, Outputs
from workflow.models import OutputEvent, OutputFile, OutputRequest, State
from workflow.output_checks.selectors import history_break

pytestmark = pytest.mark.django_db

LIST = "/api/v1/output-requests/"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def o() -> Outputs:
    return Outputs()


def url(request_id: int, tail: str = "") -> str:
    return f"{LIST}{request_id}/{tail}"


def start(o: Outputs, client_for, title: str = "Tables for paper 1") -> dict:
    response = client_for(o.pi).post(
        LIST, {"application": o.project.pk, "title": title}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def add(client, request_id: int, name: str, content: bytes, **fields) -> object:
    from django.core.files.uploadedfile import SimpleUploadedFile

    data = {"file": SimpleUploadedFile(name, content), "description": f"The {name}", **fields}
    return client.post(url(request_id, "files/"), data, format="multipart")


def submitted(o: Outputs, client_for) -> tuple[int, dict[str, int]]:
    """A submitted request with a failing and a passing table and a supporting log."""
    request_id = start(o, client_for)["id"]
    pi = client_for(o.pi)
    for name, content, kind in (
        ("ages.csv", FAILING_TABLE, "output"),
        ("regions.csv", PASSING_TABLE, "output"),
        ("run.log", LOG, "supporting"),
    ):
        assert add(pi, request_id, name, content, kind=kind).status_code == 201
    body = pi.post(url(request_id, "submit/")).json()
    assert body["state"] == "submitted"
    return request_id, {f["name"]: f["id"] for f in body["files"]}


def verdicts(files: dict[str, int], **by_name: str) -> list[dict]:
    return [
        {"file": files[name], "decision": d, "comment": "" if d == "approve" else f"{name}: fix"}
        for name, d in by_name.items()
    ]


def test_two_blind_checkers_a_changes_round_and_the_release(o, client_for):
    request_id, files = submitted(o, client_for)
    pi, c1, c2 = client_for(o.pi), client_for(o.checker1), client_for(o.checker2)

    # The automatic checks are shown to the checkers: the small cell fails, the other passes.
    detail = c1.get(url(request_id)).json()
    checks = {f["name"]: f["auto_checks"] for f in detail["files"]}
    assert checks["ages.csv"]["outcome"] == "fail"
    assert "3 is below the minimum cell count of 10" in checks["ages.csv"]["findings"][0]["message"]
    assert checks["regions.csv"]["outcome"] == "pass"
    assert detail["actions"] == ["review"]

    # Blind: the first checker submits; the second may not see it before submitting their own.
    r = c1.post(
        url(request_id, "reviews/"),
        {"verdicts": verdicts(files, **{"ages.csv": "changes", "regions.csv": "approve"})},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["rounds"][0]["reviews_in"] == 1
    assert c2.get(url(request_id, "reviews/")).status_code == 403
    assert c2.get(url(request_id)).json()["rounds"][0]["reviews"] is None
    assert pi.get(url(request_id, "reviews/")).status_code == 403
    r = c2.post(
        url(request_id, "reviews/"),
        {"verdicts": verdicts(files, **{"ages.csv": "reject", "regions.csv": "approve"})},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["state"] == "consolidating"

    # Now both see each other's verdicts, and the disagreement is visible.
    seen = c2.get(url(request_id, "reviews/")).json()
    assert len(seen["reviews"]) == 2
    assert seen["disagreements"] == [files["ages.csv"]]
    assert pi.get(url(request_id, "reviews/")).status_code == 403

    # They agree: the failing table needs changes, the passing one is approved.
    r = c1.post(
        url(request_id, "consolidate/"),
        {"decisions": verdicts(files, **{"ages.csv": "changes", "regions.csv": "approve"})},
        format="json",
    )
    assert r.json()["state"] == "changes_requested", r.json()
    # Nothing is released yet: the approved table is not downloadable by the team.
    assert pi.get(url(request_id, f"files/{files['regions.csv']}/download/")).status_code == 404

    # The team replaces the failing table and answers the comment; a new round opens.
    replaced = pi.post(
        url(request_id, f"files/{files['ages.csv']}/replace/"),
        {"file": _upload("ages-banded.csv", FIXED_TABLE)},
        format="multipart",
    )
    assert replaced.status_code == 201, replaced.json()
    new_id = next(f["id"] for f in replaced.json()["files"] if f["name"] == "ages-banded.csv")
    assert pi.post(url(request_id, "resubmit/"), {"answers": []}, format="json").status_code == 400
    r = pi.post(
        url(request_id, "resubmit/"),
        {"answers": [{"file": files["ages.csv"], "answer": "Bands merged; no cell under 10."}]},
        format="json",
    )
    assert r.json()["state"] == "submitted", r.json()
    assert r.json()["round"] == 2

    # Round 2 decides only the changed file; the third checker takes a turn.
    c3 = client_for(o.checker3)
    for client in (c3, c2):
        assert (
            client.post(
                url(request_id, "reviews/"),
                {"verdicts": [{"file": new_id, "decision": "approve"}]},
                format="json",
            ).status_code
            == 201
        )
    r = c3.post(
        url(request_id, "consolidate/"),
        {"decisions": [{"file": new_id, "decision": "approve"}]},
        format="json",
    )
    body = r.json()
    assert body["state"] == "released", body
    released = {f["name"] for f in body["files"] if f["released_at"]}
    assert released == {"ages-banded.csv", "regions.csv"}

    # The team downloads the released files; nothing else, and nobody else.
    download = pi.get(url(request_id, f"files/{new_id}/download/"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == FIXED_TABLE
    assert download["X-Content-Type-Options"] == "nosniff"
    assert pi.get(url(request_id, f"files/{files['ages.csv']}/download/")).status_code == 404
    assert pi.get(url(request_id, f"files/{files['run.log']}/download/")).status_code == 404
    assert (
        client_for(o.outsider).get(url(request_id, f"files/{new_id}/download/")).status_code == 404
    )

    # One chained, sealed event per change.
    events = list(OutputEvent.objects.filter(request_id=request_id).order_by("id"))
    assert [e.transition for e in events] == [
        "create",
        "file_added",
        "file_added",
        "file_added",
        "submit",
        "review_submitted",
        "review_submitted",
        "open_consolidation",
        "request_changes",
        "file_replaced",
        "resubmit",
        "review_submitted",
        "review_submitted",
        "open_consolidation",
        "release",
    ]
    assert history_break(OutputRequest.objects.get(pk=request_id)) is None


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


ZIP = b"PK\x03\x04" + b"\x00" * 40


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("empty.csv", b"", "The file is empty."),
        ("table.png", b"a,b\n1,2\n", "does not match its type"),
        ("figure.csv", b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "does not match its content"),
        ("tables.zip", ZIP, "Archives"),
        ("tables.xlsx", ZIP, "Archives"),
        ("binary.csv", b"a,b\n\x00\x01\x02", "not text"),
        ("program.exe", b"MZ\x90\x00", "Upload a table"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_stored(o, client_for, media, name, content, message):
    request_id = start(o, client_for)["id"]
    response = add(client_for(o.pi), request_id, name, content)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert any(message in m for m in body["fields"]["file"]), body
    assert not OutputFile.objects.exists()
    assert not any(p.is_file() for p in Path(media).rglob("*"))


def test_a_file_over_the_size_limit_is_refused(o, client_for, settings, media):
    settings.OUTPUT_MAX_BYTES = 1024 * 1024
    request_id = start(o, client_for)["id"]
    response = add(client_for(o.pi), request_id, "big.csv", b"a,b\n" + b"1,2\n" * 300_000)
    assert response.status_code == 400
    assert response.json()["fields"]["file"] == ["The file must be at most 1 MB."]
    assert not OutputFile.objects.exists()


@pytest.mark.parametrize(
    "content",
    [
        b"not json",
        b'{"results": []}',
        b'{"version": "1.0", "results": {"out_0": {"status": "maybe", "files": []}}}',
        b'{"version": "1.0", "results": {}}',
        b"[" * 100_000 + b"]" * 100_000,
    ],
)
def test_a_results_json_that_is_not_acros_is_refused(o, client_for, content):
    request_id = start(o, client_for)["id"]
    response = client_for(o.pi).put(
        url(request_id, "acro-results/"),
        {"file": _upload("results.json", content)},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["fields"]["file"]
    assert OutputRequest.objects.get(pk=request_id).acro_results == {}


def test_a_request_on_a_project_that_is_not_active_is_refused(o, client_for):
    approved = o.world.at(State.APPROVED)
    response = client_for(o.pi).post(
        LIST, {"application": approved.pk, "title": "Too soon"}, format="json"
    )
    assert response.status_code == 409
    assert not OutputRequest.objects.exists()


def test_a_checker_on_the_project_may_not_review_it(o, client_for):
    request_id, files = submitted(o, client_for)
    response = client_for(o.colleague).post(
        url(request_id, "reviews/"),
        {"verdicts": verdicts(files, **{"ages.csv": "approve", "regions.csv": "approve"})},
        format="json",
    )
    assert response.status_code == 403


def test_reviewing_a_draft_is_refused(o, client_for):
    draft = start(o, client_for)["id"]
    body = {"verdicts": [{"file": 1, "decision": "approve"}]}
    assert client_for(o.pi).post(url(draft, "reviews/"), body, format="json").status_code == 403
    # A checker does not see a draft at all.
    assert (
        client_for(o.checker1).post(url(draft, "reviews/"), body, format="json").status_code == 404
    )


def test_a_third_review_of_a_round_is_refused(o, client_for):
    request_id, files = submitted(o, client_for)
    body = {"verdicts": verdicts(files, **{"ages.csv": "approve", "regions.csv": "approve"})}
    for checker in (o.checker1, o.checker2):
        assert (
            client_for(checker).post(url(request_id, "reviews/"), body, format="json").status_code
            == 201
        )
    assert (
        client_for(o.checker3).post(url(request_id, "reviews/"), body, format="json").status_code
        == 409
    )


def test_a_review_must_cover_every_file_with_a_reason(o, client_for):
    request_id, files = submitted(o, client_for)
    c1 = client_for(o.checker1)
    partial = c1.post(
        url(request_id, "reviews/"),
        {"verdicts": verdicts(files, **{"ages.csv": "approve"})},
        format="json",
    )
    assert partial.status_code == 400
    assert "regions.csv" in partial.json()["fields"]["verdicts"][0]
    no_reason = c1.post(
        url(request_id, "reviews/"),
        {
            "verdicts": [
                {"file": files["ages.csv"], "decision": "reject"},
                {"file": files["regions.csv"], "decision": "approve"},
            ]
        },
        format="json",
    )
    assert no_reason.status_code == 400


def test_downloading_from_another_project_is_404(o, client_for):
    request_id, files = submitted(o, client_for)
    other = start(o, client_for, "Another")["id"]
    assert (
        client_for(o.checker1).get(url(other, f"files/{files['ages.csv']}/download/")).status_code
        == 404
    )
    # The checker may download it from its own request, to check it.
    download = client_for(o.checker1).get(url(request_id, f"files/{files['ages.csv']}/download/"))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == FAILING_TABLE


# --- who may see and do what: the matrix ----------------------------------------------------

# Actors in the order they act (the one checker last: their review changes the round).
ACTORS = ("pi", "colleague_checker", "outsider", "reviewer", "ops", "checker1")
# action -> {actor: status}; 404 where the request is not theirs to know of.
MATRIX: dict[str, dict[str, int]] = {
    "view_draft": {
        "pi": 200,
        "colleague_checker": 200,
        "outsider": 404,
        "reviewer": 404,
        "ops": 200,
        "checker1": 404,
    },
    "view_submitted": {
        "pi": 200,
        "colleague_checker": 200,
        "outsider": 404,
        "reviewer": 404,
        "ops": 200,
        "checker1": 200,
    },
    "add_file_to_draft": {
        "pi": 201,
        "colleague_checker": 201,
        "outsider": 404,
        "reviewer": 404,
        "ops": 403,
        "checker1": 404,
    },
    "review": {
        "pi": 403,
        "colleague_checker": 403,
        "outsider": 404,
        "reviewer": 404,
        "ops": 403,
        "checker1": 201,
    },
    "see_reviews_before_own": {
        "pi": 403,
        "colleague_checker": 403,
        "outsider": 404,
        "reviewer": 404,
        "ops": 200,
        "checker1": 403,
    },
    "download_unreleased": {
        "pi": 404,
        "colleague_checker": 404,
        "outsider": 404,
        "reviewer": 404,
        "ops": 200,
        "checker1": 200,
    },
    "consolidate_before_both": {
        "pi": 403,
        "colleague_checker": 403,
        "outsider": 404,
        "reviewer": 404,
        "ops": 403,
        "checker1": 409,
    },
}


def _actor(o: Outputs, name: str):
    return {
        "pi": o.pi,
        "colleague_checker": o.colleague,
        "outsider": o.outsider,
        "checker1": o.checker1,
        "ops": o.ops,
        "reviewer": o.world.reviewer,
    }[name]


def test_policy_matrix_covers_every_actor():
    assert all(set(row) == set(ACTORS) for row in MATRIX.values())


@pytest.mark.parametrize("action", sorted(MATRIX))
def test_policy_matrix(o, client_for, action):
    draft = start(o, client_for, "Draft")["id"]
    request_id, files = submitted(o, client_for)
    both = verdicts(files, **{"ages.csv": "approve", "regions.csv": "approve"})
    got = {}
    for name in ACTORS:
        client = client_for(_actor(o, name))
        if action == "view_draft":
            response = client.get(url(draft))
        elif action == "view_submitted":
            response = client.get(url(request_id))
        elif action == "add_file_to_draft":
            response = add(client, draft, f"{name}.csv", PASSING_TABLE)
        elif action == "review":
            response = client.post(url(request_id, "reviews/"), {"verdicts": both}, format="json")
        elif action == "see_reviews_before_own":
            response = client.get(url(request_id, "reviews/"))
        elif action == "consolidate_before_both":
            response = client.post(
                url(request_id, "consolidate/"), {"decisions": both}, format="json"
            )
        else:
            response = client.get(url(request_id, f"files/{files['ages.csv']}/download/"))
        got[name] = response.status_code
        if getattr(response, "streaming", False):
            b"".join(response.streaming_content)  # read to the end: closes the file
    assert got == MATRIX[action]
