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


# A body the browsable API may also send as a form: clients send JSON.
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def json_request_bodies(result: dict[str, Any], generator, request, public) -> dict:
    """A request body that is JSON is documented as JSON only. The server also parses forms
    (the browsable API's), but offering three content types of one schema made generated
    clients send every body as multipart, where nested lists (a team, feedback items) cannot
    go: the contract is JSON (tests/integration/test_generated_client.py). Uploads, which take
    only multipart, keep it."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            content = (
                operation.get("requestBody", {}).get("content", {})
                if isinstance(operation, dict)
                else {}
            )
            if "application/json" in content:
                for form in _FORM_TYPES:
                    content.pop(form, None)
    return result


def integer_path_parameters(result: dict[str, Any], generator, request, public) -> dict:
    """A path parameter routed as digits (``(?P<item_id>\\d+)``) is an integer, as the view reads
    it: drf-spectacular typed it a string with a pattern, so generated clients took strings."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            if not isinstance(operation, dict):
                continue
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if parameter.get("in") == "path" and schema.get("pattern") == r"^\d+$":
                    parameter["schema"] = {"type": "integer"}
    return result
