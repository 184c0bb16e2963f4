"""The API's request parsers: DRF's, with two refusals every input gets before any serializer.

- **Depth.** JSON nested past ``MAX_DEPTH`` is a 400 (``parse_error``). Python's decoder
  recurses, so a body of a thousand ``[`` raised ``RecursionError``, a 500, before this.
- **Control characters.** A string (a value or a key) holding a control character other than
  tab, line feed and carriage return is a 400 naming the field (``datasets.0.dataset``), in JSON
  and form bodies alike. PostgreSQL cannot store a NUL, so a NUL in a slug that was looked up
  was a 500; the other control characters have no place in anything a person writes.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from rest_framework import parsers
from rest_framework.exceptions import ParseError, ValidationError

from core.text import CONTROL_MESSAGE, has_control_characters

# Deepest nesting any of our inputs needs is 4 (datasets → variables → a variable's fields);
# the limit leaves room without letting a client make the server recurse.
MAX_DEPTH = 32


def _path(prefix: str, key: object) -> str:
    return f"{prefix}.{key}" if prefix else str(key)


def check_input(data: Any) -> None:
    """Refuse nesting past ``MAX_DEPTH`` and control characters anywhere in ``data``.

    Walks without recursion (the point is not to recurse on a client's say-so); raises
    ``ParseError`` for depth and ``ValidationError`` with every offending field's path."""
    problems: dict[str, list[str]] = {}
    stack: list[tuple[str, Any, int]] = [("", data, 0)]
    while stack:
        path, value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ParseError(f"JSON parse error - nested more than {MAX_DEPTH} levels deep")
        if isinstance(value, str):
            if has_control_characters(value):
                problems.setdefault(path or "non_field_errors", []).append(CONTROL_MESSAGE)
        elif isinstance(value, QueryDict):
            for key, values in value.lists():
                if has_control_characters(key):
                    problems.setdefault(key, []).append(CONTROL_MESSAGE)
                stack.extend((key, item, depth + 1) for item in values)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and has_control_characters(key):
                    problems.setdefault(_path(path, key), []).append(CONTROL_MESSAGE)
                stack.append((_path(path, key), item, depth + 1))
        elif isinstance(value, list):
            stack.extend((_path(path, i), item, depth + 1) for i, item in enumerate(value))
    if problems:
        raise ValidationError({key: problems[key] for key in sorted(problems)})


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(
                f"JSON parse error - nested more than {MAX_DEPTH} levels deep"
            ) from None
        check_input(data)
        return data


class FormParser(parsers.FormParser):
    def parse(self, stream, media_type=None, parser_context=None):
        data = super().parse(stream, media_type, parser_context)
        check_input(data)
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        result = super().parse(stream, media_type, parser_context)
        check_input(result.data)  # the fields; the files are checked by what reads them
        return result
