"""Files asked out of the TRE: what is accepted, recognised from the content, never the name.

Kept as the evidence uploads are (``core.evidence``): under ``MEDIA_ROOT``, outside the web
root, under a random name, at most ``OUTPUT_MAX_BYTES``, handed back only by views that have
checked who may have them, as attachments with ``nosniff``.

Accepted: PDF, PNG and JPEG (by their magic numbers), and UTF-8 text (tables as ``.csv``,
code, logs, model summaries as ``.txt``/``.md``/``.log``/``.py``/``.R``/``.do``/``.sql``/``.json``)
recognised as text by decoding it. Archives and office documents (ZIP, gzip, bzip2, xz, 7-Zip,
RAR, tar; ``.xlsx``/``.docx`` are ZIP) are refused: what is inside cannot be checked.
"""

from __future__ import annotations

import posixpath
import uuid

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile

from core.errors import ValidationFailed

BINARY: dict[str, tuple[bytes, tuple[str, ...]]] = {
    "application/pdf": (b"%PDF-", (".pdf",)),
    "image/png": (b"\x89PNG\r\n\x1a\n", (".png",)),
    "image/jpeg": (b"\xff\xd8\xff", (".jpg", ".jpeg")),
}
TEXT_EXTENSIONS: dict[str, str] = {
    ".csv": "text/csv",
    ".txt": "text/plain",
    ".md": "text/plain",
    ".log": "text/plain",
    ".py": "text/plain",
    ".r": "text/plain",
    ".do": "text/plain",
    ".sql": "text/plain",
    ".json": "text/plain",
}
ARCHIVES: tuple[bytes, ...] = (
    b"PK\x03\x04",
    b"PK\x05\x06",
    b"\x1f\x8b",
    b"BZh",
    b"\xfd7zXZ\x00",
    b"7z\xbc\xaf\x27\x1c",
    b"Rar!\x1a\x07",
)


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed("The file was not accepted.", fields={field: [message]})


def _is_archive(head: bytes) -> bool:
    return head.startswith(ARCHIVES) or head[257:262] == b"ustar"


def validate_output_file(upload: UploadedFile | None, *, field: str = "file") -> str:
    """The content type of an acceptable upload; ``ValidationFailed`` on ``field`` otherwise
    (nothing is stored before this has passed)."""
    if upload is None:
        raise _refuse(field, "Choose a file to upload.")
    limit = settings.OUTPUT_MAX_BYTES
    if upload.size is None or upload.size > limit:
        raise _refuse(field, f"The file must be at most {limit // (1024 * 1024)} MB.")
    if upload.size == 0:
        raise _refuse(field, "The file is empty.")
    upload.seek(0)
    head = upload.read(512)
    upload.seek(0)
    extension = posixpath.splitext((upload.name or "").lower())[1]
    if _is_archive(head):
        raise _refuse(
            field,
            "Archives and office documents cannot be checked: upload each table as CSV and "
            "each figure as PNG, JPEG or PDF.",
        )
    for content_type, (magic, extensions) in BINARY.items():
        if head.startswith(magic):
            if extension not in extensions:
                raise _refuse(field, "The file's name does not match its content.")
            return content_type
    if extension in (ext for _, exts in BINARY.values() for ext in exts):
        raise _refuse(field, "The file's content does not match its type.")
    if extension not in TEXT_EXTENSIONS:
        raise _refuse(
            field,
            "Upload a table (CSV), a figure (PNG, JPEG or PDF) or text (code, logs, model "
            "summaries).",
        )
    if not is_text(upload):
        raise _refuse(field, "The file's content does not match its type: it is not text.")
    return TEXT_EXTENSIONS[extension]


def is_text(upload: UploadedFile) -> bool:
    upload.seek(0)
    data = upload.read()
    upload.seek(0)
    if b"\x00" in data:
        return False
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def stored_name(content_type: str, name: str) -> str:
    """A random name under the request's folder (the extension only from our own sniffing)."""
    if content_type in BINARY:
        extension = BINARY[content_type][1][0]
    else:
        extension = posixpath.splitext(name.lower())[1] or ".txt"
    return f"{uuid.uuid4().hex}{extension}"
