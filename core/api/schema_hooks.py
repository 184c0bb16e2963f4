"""drf-spectacular post-processing of the generated OpenAPI schema."""

from __future__ import annotations

from typing import Any

# Formats an answer may not live up to when the field is blank ("" is neither an email address
# nor a URI): model fields such as URLField(blank=True) answer "".
_BLANKABLE_FORMATS = {"email", "uri"}


def blank_formats_in_responses(result: dict[str, Any], generator, request, public) -> dict:
    """Answers' ``format: email|uri`` strings may be empty: say so (``""`` as an enum member
    alongside the format), so the schema matches what the API sends. Found by schemathesis
    (tests/api/test_fuzz.py). Request components (``...Request``) keep their strict format."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request"):
            continue
        for prop in component.get("properties", {}).values():
            if prop.get("type") == "string" and prop.get("format") in _BLANKABLE_FORMATS:
                fmt = prop.pop("format")
                prop["anyOf"] = [{"format": fmt}, {"maxLength": 0}]
    return result
