"""How the API describes itself (/api/schema/): drf-spectacular's AutoSchema, with the errors
every operation may answer, a summary on each, and component names that read well.

The errors added here are the ones that follow from an operation's shape (credentials, a
body, parameters, a path with ids, throttling); the ones that follow from its rules (409,
502) are declared on the operation with `CONFLICT` and `UPSTREAM`."""

from typing import Any

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import get_doc
from drf_spectacular.utils import Direction, OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer

from api.idempotency import IdempotentPosts
from common.serializers import ErrorSerializer
from workspaces.idempotency import HEADER as IDEMPOTENCY_HEADER


def error(description: str) -> OpenApiResponse:
    return OpenApiResponse(ErrorSerializer, description=description)


CONFLICT = error("The lifecycle refuses it (an agent live, a gate closed…); the message says why.")
UPSTREAM = error("ElevenLabs refused or could not be reached; the message says which and why.")

BAD_INPUT = error("Bad input: `errors` names each field or parameter and what to send instead.")
NO_CREDENTIALS = error("No credentials, or a token that is unknown or revoked.")
ROLE_TOO_LOW = error("Your role in the workspace is too low; the message names the role needed.")
NOT_FOUND = error("No such object in your workspaces (another workspace's is not found too).")
TOO_LARGE = error("The body is larger than the upload limit; the message says the limit.")
UNSUPPORTED = error("The body is not JSON, a form or multipart data.")
THROTTLED = error("Too many requests: retry after the `Retry-After` header's seconds.")
KEY_REUSED = error(
    "The `Idempotency-Key` was used for another request in the last 24 hours: use a new key."
)
IDEMPOTENCY_KEY = OpenApiParameter(
    IDEMPOTENCY_HEADER,
    str,
    OpenApiParameter.HEADER,
    description="Any string of 1 to 255 characters, such as a UUID. A retry with the same key "
    "and body is answered as the first success was (with the header `Idempotent-Replayed: "
    "true`) and changes nothing more; keys are kept 24 hours.",
)
BUSY = error(
    "No request thread or database connection came free in time: retry after `Retry-After` seconds."
)


class AutoSchema(SpectacularAutoSchema):
    def get_summary(self) -> str | None:
        """`extend_schema(summary=...)`, else the first sentence of the action's docstring."""
        action = getattr(self.view, getattr(self.view, "action", None) or "", None)
        first = get_doc(action).split(". ")[0].split("\n\n")[0].replace("\n", " ")
        return super().get_summary() or first.rstrip(".") or None

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if self._is_idempotent():
            parameters.append(IDEMPOTENCY_KEY)
        return parameters

    def get_serializer_name(self, serializer: serializers.Serializer, direction: Direction) -> str:
        # `DeployRequestSerializer` as a request body: "DeployRequest", not the
        # "DeployRequestRequest" of drf-spectacular's request suffix.
        name = super().get_serializer_name(serializer, direction)
        if direction == "request" and name.endswith("RequestSerializer"):
            return name.removesuffix("RequestSerializer") + "Serializer"
        return name

    def _get_response_bodies(self, direction: Direction = "response") -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for status, response in self._errors().items():
            if str(status) not in responses:
                # JSON whatever the operation answers with otherwise (a transcript is text).
                responses[str(status)] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    response, str(status), [JSONRenderer.media_type], direction=direction
                )
        return dict(sorted(responses.items()))

    def _errors(self) -> dict[int, OpenApiResponse]:
        has_body = self.method in ("POST", "PUT", "PATCH") and bool(self.get_request_serializer())
        errors = {}
        if has_body or self._has_query_parameters() or self._is_idempotent():
            errors[400] = BAD_INPUT
        if self._is_idempotent():
            errors[422] = KEY_REUSED
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors[401] = NO_CREDENTIALS
            errors[503] = BUSY  # checking the credentials takes a database connection
            if self.method not in ("GET", "HEAD", "OPTIONS"):
                errors[403] = ROLE_TOO_LOW
        if "{" in self.path or self._is_paginated():  # an id, or a page past the end
            errors[404] = NOT_FOUND
        if has_body:
            errors[413] = TOO_LARGE
            errors[415] = UNSUPPORTED
        if self.view.get_throttles():
            errors[429] = THROTTLED
        return errors

    def _is_idempotent(self) -> bool:
        return self.method == "POST" and isinstance(self.view, IdempotentPosts)

    def _has_query_parameters(self) -> bool:
        return any(parameter["in"] == "query" for parameter in self._get_parameters())

    def _is_paginated(self) -> bool:
        paginator = self._get_paginator()  # type: ignore[no-untyped-call]
        return self._is_list_view() and paginator is not None
