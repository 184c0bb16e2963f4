"""The ``results.json`` that ACRO (the DARE UK semi-automatic output checker, PyPI ``acro``)
writes with ``acro.finalise(path, "json")``, read and validated.

ACRO's own loader (``acro.record.load_records``) needs the whole output folder beside the file
and pandas, statsmodels and matplotlib in the web process; so ``acro`` is a test dependency only
(the tests run it to produce a real ``results.json``) and this reader checks the format itself:
``{"version": str, "results": {name: {"uid", "status": pass|fail|review, "type", "files":
[{"name", ...}], "summary", "comments": [str], "exception": str, ...}}}``.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.files.uploadedfile import UploadedFile

from core.errors import ValidationFailed

STATUSES = ("pass", "fail", "review")
MAX_BYTES = 2 * 1024 * 1024


def _refuse(message: str) -> ValidationFailed:
    return ValidationFailed("The ACRO results were not accepted.", fields={"file": [message]})


def _text(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise _refuse(f"This is not ACRO's results.json: {what} is not text.")
    return value


def read(upload: UploadedFile | None) -> dict[str, Any]:
    """``{"version", "outputs": [{"name", "uid", "status", "type", "summary", "comments",
    "exception", "files"}]}``; ``ValidationFailed`` on ``file`` when it is not ACRO's format."""
    if upload is None:
        raise _refuse("Choose the results.json file ACRO wrote.")
    if upload.size is None or upload.size > MAX_BYTES:
        raise _refuse(f"The file must be at most {MAX_BYTES // (1024 * 1024)} MB.")
    if upload.size == 0:
        raise _refuse("The file is empty.")
    upload.seek(0)
    try:
        document = json.loads(upload.read().decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _refuse("This is not ACRO's results.json: it is not JSON.") from exc
    finally:
        upload.seek(0)
    if not isinstance(document, dict) or not isinstance(document.get("results"), dict):
        raise _refuse('This is not ACRO\'s results.json: it has no "results" object.')
    version = _text(document.get("version"), "the version")
    outputs = []
    for name, record in document["results"].items():
        if not isinstance(record, dict):
            raise _refuse(f"This is not ACRO's results.json: output {name} is not an object.")
        status = record.get("status")
        if status not in STATUSES:
            raise _refuse(
                f"This is not ACRO's results.json: output {name} has status {status!r}, "
                "not pass, fail or review."
            )
        files = record.get("files", [])
        comments = record.get("comments", [])
        if not isinstance(files, list) or not all(
            isinstance(f, dict) and isinstance(f.get("name"), str) for f in files
        ):
            raise _refuse(f"This is not ACRO's results.json: the files of {name} are malformed.")
        if not isinstance(comments, list) or not all(isinstance(c, str) for c in comments):
            raise _refuse(f"This is not ACRO's results.json: the comments of {name} are not text.")
        outputs.append(
            {
                "name": str(name)[:200],
                "uid": _text(record.get("uid", name), "a uid")[:200],
                "status": status,
                "type": _text(record.get("type", ""), "a type")[:100],
                "summary": _text(record.get("summary", ""), "a summary")[:2000],
                "command": _text(record.get("command", ""), "a command")[:2000],
                "comments": [c[:2000] for c in comments],
                "exception": _text(record.get("exception", ""), "an exception")[:4000],
                "files": [f["name"][:200] for f in files],
            }
        )
    if not outputs:
        raise _refuse("The ACRO results list no outputs.")
    return {"version": version[:40], "outputs": outputs}
