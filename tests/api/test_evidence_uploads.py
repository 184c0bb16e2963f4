"""Evidence uploads: the ethics approval letter is limited by sniffed type and size, kept
outside the web root, and handed back only to those who may see the whole application."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from tests.factories.workflow import World
from workflow.models import Event, State

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
HTML = b"<html><script>alert(1)</script></html>"


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def world() -> World:
    return World()


def url(application) -> str:
    return f"/api/v1/applications/{application.pk}/safeguards/ethics-letter/"


def upload(client, application, name: str, content: bytes):
    return client.put(
        url(application),
        {"file": SimpleUploadedFile(name, content, content_type="application/pdf")},
        format="multipart",
    )


def test_the_team_uploads_a_letter_and_members_download_it(world, client_for, media):
    application = world.draft()
    response = upload(client_for(world.pi), application, "Ethics letter.pdf", PDF)
    assert response.status_code == 200, response.json()
    letter = response.json()["ethics_letter"]
    assert letter["name"] == "Ethics_letter.pdf"
    assert letter["content_type"] == "application/pdf"
    stored = list((media / "evidence" / "ethics").iterdir())
    assert len(stored) == 1
    assert stored[0].read_bytes() == PDF
    assert "Ethics" not in stored[0].name  # random name, not the uploader's

    download = client_for(world.pi).get(url(application))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in download["Content-Security-Policy"]

    event = Event.objects.filter(application=application).order_by("-id").first()
    assert event.payload["file"]["sha256"] == letter["sha256"]
    call_command("verify_audit")


def test_a_replaced_letter_is_removed_from_storage(
    world, client_for, media, django_capture_on_commit_callbacks
):
    application = world.draft()
    client = client_for(world.pi)
    with django_capture_on_commit_callbacks(execute=True):
        upload(client, application, "first.pdf", PDF)
        upload(client, application, "second.png", PNG)
    stored = list((media / "evidence" / "ethics").iterdir())
    assert [p.suffix for p in stored] == [".png"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("letter.pdf", HTML, "Upload a PDF, PNG or JPEG file."),
        ("letter.html", HTML, "Upload a PDF, PNG or JPEG file."),
        ("letter.pdf", PNG, "does not match its content"),
        ("letter.html", PDF, "does not match its content"),
        ("letter.pdf", b"", "empty"),
    ],
    ids=["html-named-pdf", "html", "png-named-pdf", "pdf-named-html", "empty"],
)
def test_uploads_are_refused_by_content_not_by_name(
    world, client_for, media, name, content, message
):
    application = world.draft()
    response = upload(client_for(world.pi), application, name, content)
    assert response.status_code == 400
    body = response.json()
    assert message in " ".join(body["fields"]["file"])
    assert not (media / "evidence").exists()


def test_uploads_over_the_size_limit_are_refused(world, client_for, settings):
    settings.EVIDENCE_MAX_BYTES = 1024 * 1024
    application = world.draft()
    response = upload(client_for(world.pi), application, "big.pdf", PDF + b"0" * (1024 * 1024))
    assert response.status_code == 400
    assert "at most 1 MB" in response.json()["fields"]["file"][0]


def test_only_the_team_uploads_and_only_while_editable(world, client_for):
    application = world.draft()
    assert upload(client_for(world.outsider), application, "x.pdf", PDF).status_code == 404
    assert upload(client_for(world.ops), application, "x.pdf", PDF).status_code == 403
    submitted = world.at(State.SCOPING)
    assert upload(client_for(world.pi), submitted, "x.pdf", PDF).status_code == 409


def test_downloads_are_refused_to_those_who_may_not_see_the_application(
    world, client_for, api_client
):
    application = world.at(State.INTERNAL_REVIEW)
    assert client_for(world.pi).get(url(application)).status_code == 404  # nothing uploaded yet
    draft = world.draft()
    upload(client_for(world.pi), draft, "letter.pdf", PDF)
    assert client_for(world.outsider).get(url(draft)).status_code == 404
    assert api_client.get(url(draft)).status_code == 401
    colleague = client_for(world.colleague).get(url(draft))
    assert colleague.status_code == 200
    assert b"".join(colleague.streaming_content) == PDF  # read to the end: closes the file


def test_the_page_form_uploads_and_refusals_come_back_as_a_banner(world, client, media):
    from django.template.loader import render_to_string

    from workflow.safes.services import safeguards_of

    application = world.draft()
    client.force_login(world.pi)
    page = f"/applications/{application.pk}/"
    ok = client.post(
        f"/applications/{application.pk}/ethics-letter/",
        {"file": SimpleUploadedFile("letter.pdf", PDF)},
        HTTP_REFERER="http://testserver" + page,
    )
    assert ok.status_code == 302
    assert ok["Location"].endswith(page)
    assert len(list((media / "evidence" / "ethics").iterdir())) == 1
    bad = client.post(
        f"/applications/{application.pk}/ethics-letter/",
        {"file": SimpleUploadedFile("letter.pdf", HTML)},
        HTTP_REFERER="http://testserver" + page,
    )
    assert bad.status_code == 302
    assert "PDF, PNG or JPEG" in client.get(page).content.decode()
    html = render_to_string(
        "workflow/_ethics_letter.html",
        {"application": application, "safeguards": safeguards_of(application)},
    )
    assert 'enctype="multipart/form-data"' in html
    assert "letter.pdf" in html
    client.force_login(world.outsider)
    assert (
        client.post(
            f"/applications/{application.pk}/ethics-letter/",
            {"file": SimpleUploadedFile("letter.pdf", PDF)},
        ).status_code
        == 404
    )
