"""The register's CSV kept as a file per version of the register, so that it is written once
per change rather than once per download.

``register.csv`` of 40,000 entries is 11 MB read from the database (each entry's cells are
kept with it: ``register_csv``), and every anonymous client that asked for it made a worker
read it again: the register changes a few times a day, the file is asked for far more often.
The first request after a change streams the file as before and writes it to
``TRE_VAR_DIR/cache/register/<etag>.csv`` as it goes (a temporary name, renamed when complete,
so a reader never sees half a file); later requests with the same validator (the register's
last change and the filters) are answered from the file, streamed from disk: memory stays flat
either way. The newest ``KEEP`` files are kept; each process (web replica) keeps its own, as a
cache it may lose at any time.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.conf import settings

KEEP = 16


def _directory() -> Path:
    directory = Path(settings.VAR_DIR) / "cache" / "register"
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def cached_file(key: str) -> Path | None:
    """The complete file written for ``key`` (the CSV's validator), or None."""
    path = _directory() / f"{key}.csv"
    return path if path.is_file() else None


CHUNK = 64 * 1024


def streamed_from_file(path: Path, fresh: Callable[[], Iterable[str]]) -> Iterator[bytes | str]:
    """The file's bytes, opened only when the first chunk is asked for and closed when the
    answer ends, however it ends (read to the end, or abandoned and closed by the server or the
    garbage collector): an answer never sent leaves no open file. A file pruned between the
    lookup and the first read is replaced by ``fresh()``, the CSV written again."""
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        yield from fresh()
        return
    with handle:
        while chunk := handle.read(CHUNK):
            yield chunk


def written_as_streamed(key: str, chunks: Iterable[str]) -> Iterator[str]:
    """``chunks``, passed on as they come, and written to the file for ``key``; the file is
    kept only when every chunk was written (a client that leaves early leaves no file)."""
    directory = _directory()
    partial = directory / f".{key}.{os.getpid()}.{uuid.uuid4().hex}.partial"
    complete = False
    try:
        with partial.open("w", encoding="utf-8", newline="") as out:
            for chunk in chunks:
                out.write(chunk)
                yield chunk
        os.replace(partial, directory / f"{key}.csv")
        complete = True
        _prune(directory)
    finally:
        if not complete:
            with contextlib.suppress(FileNotFoundError):
                partial.unlink()


def _prune(directory: Path) -> None:
    files = sorted(directory.glob("*.csv"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        with contextlib.suppress(FileNotFoundError):
            old.unlink()
