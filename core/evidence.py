"""Evidence files (ethics approval letters, accreditation certificates): what is accepted, where
it is kept, and how it is handed back.

- Accepted: PDF, PNG or JPEG, recognised from the file's first bytes (the name and the browser's
  Content-Type are the uploader's claims, not evidence), with a name whose extension agrees,
  and at most ``EVIDENCE_MAX_BYTES``.
- Kept: under ``MEDIA_ROOT`` (outside the web root: no URL serves it; nginx is never pointed at
  it), under a random name, so a path cannot be guessed or collide.
- Handed back: only through a view that has already checked who may see the application or the
  accreditation, as an attachment with ``X-Content-Type-Options: nosniff`` and a content type
  taken from our sniffing, so a browser never renders an upload as a page of this site.
"""

from __future__ import annotations

import hashlib
import posixpath
import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils.text import get_valid_filename

from core.errors import ValidationFailed

# Magic numbers of the accepted types and the extensions each may carry.
SIGNATURES: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}


def sniff(upload: UploadedFile) -> str | None:
    """The content type the file's first bytes show, among those accepted, or ``None``."""
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)
    for content_type, (magic, _extensions) in SIGNATURES.items():
        if content_type in settings.EVIDENCE_CONTENT_TYPES and head.startswith(magic):
            return content_type
    return None


def validate_evidence(upload: UploadedFile | None, *, field: str) -> str:
    """The sniffed content type of a valid upload; ``ValidationFailed`` on ``field`` otherwise."""

    def refuse(message: str):
        return ValidationFailed(message, fields={field: [message]})

    if upload is None:
        raise refuse("Choose a file to upload.")
    limit = settings.EVIDENCE_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise refuse(f"The file must be at most {limit // (1024 * 1024)} MB.")
    if upload.size == 0:
        raise refuse("The file is empty.")
    content_type = sniff(upload)
    if content_type is None:
        raise refuse("Upload a PDF, PNG or JPEG file.")
    extension = posixpath.splitext((upload.name or "").lower())[1]
    if extension not in SIGNATURES[content_type][1]:
        raise refuse("The file's name does not match its content (PDF, PNG or JPEG).")
    return content_type


def stored_name(content_type: str) -> str:
    """A random name for a new file of ``content_type`` (the field's ``upload_to`` puts it in
    its folder under MEDIA_ROOT)."""
    extension = SIGNATURES[content_type][1][0]
    return f"{uuid.uuid4().hex}{extension}"


def display_name(upload: UploadedFile) -> str:
    return get_valid_filename(posixpath.basename(upload.name or "evidence"))[:150] or "evidence"


def sha256_of(upload: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


def evidence_response(file: FieldFile, *, name: str, content_type: str) -> FileResponse:
    """The file as a download (the caller has checked who may see it)."""
    if not file:
        raise Http404("No file has been uploaded.")
    try:
        handle = file.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The file is missing from storage.") from exc
    response = FileResponse(handle, as_attachment=True, filename=name, content_type=content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
