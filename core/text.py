"""What text a client may send, and text made safe for a mail header.

Two rules, applied at the edges (the request middleware, the JSON parser, the serializers and
forms of one-line fields), so no service sees what the database or a mail header cannot hold
(PostgreSQL refuses NUL in text; a line break in a mail subject is an error):

- **any text** (a long answer, a search, a query parameter): no control characters except tab,
  line feed and carriage return (``CONTROL``);
- **one-line text** (a name, a title, a reference, a path): no control characters at all, nor
  the Unicode line and paragraph separators (``LINE_BREAK_OR_CONTROL``).

``one_line`` makes text safe for a mail subject; ``core.spreadsheet`` makes CSV cells safe to
open in a spreadsheet.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

# C0 controls but tab, LF and CR, and DEL: never part of text anyone writes.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
# Every C0 control, DEL, NEL and the Unicode line and paragraph separators.
LINE_BREAK_OR_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")

CONTROL_MESSAGE = "Remove the control character (such as a NUL byte) from this text."
LINE_BREAK_MESSAGE = "Write this on one line, without line breaks, tabs or control characters."


def has_control_characters(value: str) -> bool:
    return CONTROL.search(value) is not None


def has_line_breaks_or_controls(value: str) -> bool:
    return LINE_BREAK_OR_CONTROL.search(value) is not None


def refuse_control_characters(value: object) -> None:
    """Validator for any text (Django forms and models, DRF fields)."""
    if isinstance(value, str) and has_control_characters(value):
        raise ValidationError(CONTROL_MESSAGE, code="control_character")


def single_line(value: object) -> None:
    """Validator for one-line text: names, titles, references."""
    if isinstance(value, str) and has_line_breaks_or_controls(value):
        raise ValidationError(LINE_BREAK_MESSAGE, code="line_break")


def one_line(value: str) -> str:
    """``value`` on one line: line breaks, tabs and control characters become spaces, and runs
    of spaces one. For mail subjects, which may not hold a line break (Django raises
    ``BadHeaderError``) whatever a person typed into their own name."""
    return " ".join(LINE_BREAK_OR_CONTROL.sub(" ", value).split())


def in_sentence(label: object) -> str:
    """A label inside a sentence: its first letter lower-cased, unless it starts with an
    acronym ("DEA accredited researcher", "IGRP panel response" stay as they are)."""
    text = str(label)
    if text[:2].isupper():
        return text
    return text[:1].lower() + text[1:]
