"""The OpenAPI schema says what the API answers, errors included (``DEFAULT_SCHEMA_CLASS``).

drf-spectacular documents the success of each operation. Here every operation also documents
the errors it can answer, all in the one error shape (``Error``), worked out from the view:

- 400 always (a control character in the query is refused before any view);
- 401 when the view authenticates (an invalid token is refused even where anyone may read);
- 403 when the view needs a signed-in user, or writes (CSRF for a session);
- 404 always: an object you cannot see, a page past the end, or a ``?format=`` the operation
  does not answer in (DRF's content negotiation);
- 409 when a signed-in user writes (wrong state, or a concurrent change);
- 413, 415 when the operation takes a body (over the limit; not JSON or a form);
- 429 when the view limits the rate (the sign-in throttle) or locks sign-in out (django-axes);
- 503 always (the database is unreachable).

A 500 is not documented: it is a bug. Lists given ``max_length`` (the input caps) say so as
``maxItems``, which drf-spectacular does for ``ListField`` but not for nested lists.

Every operation has a stable, readable ``operationId`` (``operation_id``): a generated client
names its functions after them, so they change only deliberately
(tests/api/test_operation_ids.py keeps the list).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import permissions, serializers

from core.api.errors import ErrorSerializer
from core.api.idempotency import PARAMETER as IDEMPOTENCY_KEY
from core.api.throttling import AddressRateThrottle

WRITES = {"POST", "PUT", "PATCH", "DELETE"}


DESCRIPTIONS = {
    "400": "Invalid input: a message per field",
    "401": "Not signed in, or the token is not valid",
    "403": "Not allowed",
    "404": "Not found, or not visible to you",
    "409": "The state does not allow this, or someone changed it first",
    "413": "The request body is over the limit",
    "415": "The body is not JSON (or a form)",
    "429": "Too many attempts: try again later (Retry-After)",
    "503": "The service is briefly unavailable (Retry-After)",
}


# A viewset's own actions keep drf-spectacular's names (``applications_list``,
# ``applications_retrieve``, ``applications_create``); an update is an update, whole or partial.
STANDARD_ACTIONS = {
    "list": "list",
    "retrieve": "retrieve",
    "create": "create",
    "update": "replace",
    "partial_update": "update",
    "destroy": "delete",
}
# The verb added to an extra action's name when the action answers more than one method
# (``review_tracks_votes``, ``review_tracks_votes_create``, ``review_tracks_votes_update``).
METHOD_VERBS = {"post": "create", "put": "update", "patch": "update", "delete": "delete"}


class AutoSchema(SpectacularAutoSchema):
    def get_operation_id(self) -> str:
        """``<resource>_<action>``: the resource is the path's first part, the action the
        viewset's action (``applications_refer_to_panels``, ``applications_timeline``); an
        action answering several methods adds the verb for all but GET. Views and actions that
        read better under another name set ``operation_id`` themselves (``extend_schema``)."""
        view = self.view
        action = getattr(view, "action", None)
        if action is None or action in STANDARD_ACTIONS:
            default = super().get_operation_id()
            if action is None:
                verb = self.method_mapping[self.method.lower()]
                return default.removesuffix(verb) + STANDARD_ACTIONS.get(verb, verb)
            head = default.removesuffix("list" if action == "list" else action)
            return (
                head.removesuffix(self.method_mapping[self.method.lower()])
                + (STANDARD_ACTIONS[action])
            )
        resource = self._tokenize_path()[0].replace("-", "_")
        name = f"{resource}_{action}"
        methods = [m for m in getattr(view, "action_map", {}) if m not in ("head", "options")]
        if len(methods) > 1 and self.method.lower() != "get":
            name += "_" + METHOD_VERBS[self.method.lower()]
        return name

    def _error_codes(self) -> list[str]:
        # Asked of the view as it answers this method (drf-spectacular gives it a request of
        # that method): the sign-in endpoint authenticates and limits only some of its methods.
        view = self.view
        writes = self.method in WRITES
        authenticates = bool(view.get_authenticators())
        anyone = all(isinstance(p, permissions.AllowAny) for p in view.get_permissions())
        codes = ["400"]
        if authenticates:
            codes.append("401")
        if not anyone or (writes and authenticates):
            codes.append("403")
        codes.append("404")
        if writes and authenticates:
            codes.append("409")
        if writes:
            codes += ["413", "415"]
        if any(isinstance(t, AddressRateThrottle) for t in view.get_throttles()):
            codes.append("429")
        codes.append("503")
        return codes

    def _handler(self):
        action = getattr(self.view, "action", None)
        return getattr(self.view, action or self.method.lower(), None)

    def get_override_parameters(self):
        # Every write marked ``@idempotent`` documents the Idempotency-Key header.
        parameters = list(super().get_override_parameters())
        if self.method in WRITES and getattr(self._handler(), "idempotent", False):
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code in self._error_codes():
            if code not in responses:
                error = OpenApiResponse(ErrorSerializer, description=DESCRIPTIONS[code])
                responses[code] = self._get_response_for_code(
                    error, code, ["application/json"], direction
                )
        return responses

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        schema = super()._map_serializer_field(field, direction, bypass_extensions)
        if isinstance(field, serializers.ListSerializer) and schema.get("type") == "array":
            most, least = getattr(field, "max_length", None), getattr(field, "min_length", None)
            if most is not None:
                schema["maxItems"] = most
            if least is not None:
                schema["minItems"] = least
        return schema
