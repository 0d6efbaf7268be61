"""Errors raised by services, and the one shape every API error takes.

Services raise `DomainError` subclasses; they know nothing of HTTP beyond the status each
kind of failure maps to. The API renders every error, ours or DRF's, as
`{"success": false, "message": ..., "code": ..., "errors": {field: [...]}}`.
"""

from typing import Any

from django.conf import settings
from django.core.exceptions import DisallowedHost, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

from common.throttling import throttled_instead


class DomainError(Exception):
    status_code: int = status.HTTP_400_BAD_REQUEST
    code: str = "invalid"

    def __init__(self, message: str, *, code: str | None = None, errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.code = code or self.code
        self.errors = errors or {}

    def sentences(self) -> list[str]:
        """Each problem as a sentence that names its field, as `message` names the first:
        "config.conversation_config.agent.prompt.temperature: Must be between 0 and 2; …"."""
        found = [f"{key}: {text}" for key, texts in self.errors.items() for text in texts]
        return found or [self.message]


class InvalidInput(DomainError):
    status_code = status.HTTP_400_BAD_REQUEST
    code = "invalid"

    @classmethod
    def for_field(cls, field: str, message: str, *, code: str | None = None) -> "InvalidInput":
        return cls(message, code=code, errors={field: [message]})


class RoleRequired(DomainError):
    status_code = status.HTTP_403_FORBIDDEN
    code = "permission_denied"


class NotFound(DomainError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "not_found"


class Conflict(DomainError):
    status_code = status.HTTP_409_CONFLICT
    code = "conflict"


class Upstream(DomainError):
    """ElevenLabs refused or could not be reached; the message says which and why."""

    status_code = status.HTTP_502_BAD_GATEWAY
    code = "elevenlabs_error"


def error_body(message: str, code: str, errors: dict | None = None) -> dict:
    return {"success": False, "message": message, "code": code, "errors": errors or {}}


# Exempt: it changes nothing, and a write to a mistyped path deserves the 404 that says so,
# not the CSRF check's 403 page.
@csrf_exempt
def api_not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any path under /api/ that matches no endpoint: the API's error shape, not an HTML page."""
    return JsonResponse(
        error_body(f"No API endpoint at {request.path}; see /api/docs/.", "not_found"),
        status=404,
    )


# Django's own error views (config/urls.py's handler400 ... handler500) answer what goes wrong
# before or outside the API's views: a body over the upload limit, a Host not allowed, an
# unexpected exception. Under /api/ they answer in the API's shape; elsewhere, Django's pages.


def in_api(request: HttpRequest) -> bool:
    return is_api_path(request.path)


def is_api_path(path: str) -> bool:
    return path == "/api" or path.startswith("/api/")


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not in_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        message = f"The request body is larger than the API accepts ({limit:,} bytes); send less."
        return JsonResponse(error_body(message, "request_too_large"), status=413)
    if isinstance(exception, DisallowedHost):
        message = (
            "This server does not answer to that Host header; use one of its names (the "
            "ALLOWED_HOSTS setting)."
        )
        return JsonResponse(error_body(message, "disallowed_host"), status=400)
    message = "The request could not be read; check its headers and body."
    return JsonResponse(error_body(message, "bad_request"), status=400)


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not in_api(request):
        return defaults.permission_denied(request, exception)
    message = "You may not do this."
    return JsonResponse(error_body(message, "permission_denied"), status=403)


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    if not in_api(request):
        return defaults.page_not_found(request, exception)
    return api_not_found(request)


def server_error(request: HttpRequest) -> HttpResponse:
    if not in_api(request):
        return defaults.server_error(request)
    message = "Something went wrong on our side and it has been logged; try again later."
    return JsonResponse(error_body(message, "server_error"), status=500)


def api_exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    exc = throttled_instead(exc, context)
    if isinstance(exc, DomainError):
        return Response(error_body(exc.message, exc.code, exc.errors), status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _as_field_errors(exc.detail)
        response.data = error_body(_first_sentence(errors), "invalid", errors)
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        detail_code = getattr(detail, "code", None)
        code = detail_code if detail_code else getattr(exc, "default_code", "error")
        response.data = error_body(str(detail), code)
    return response


def _as_field_errors(detail: Any) -> dict:
    """DRF's nested error detail flattened to {"field.sub": ["message", ...]}."""
    if isinstance(detail, list):
        detail = {"non_field_errors": detail}
    flat: dict[str, list[str]] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        elif isinstance(node, list) and node and not all(isinstance(i, str) for i in node):
            for index, value in enumerate(node):
                walk(f"{prefix}.{index}" if prefix else str(index), value)
        else:
            messages = node if isinstance(node, list) else [node]
            flat.setdefault(prefix, []).extend(str(message) for message in messages)

    walk("", detail)
    return flat


def _first_sentence(errors: dict) -> str:
    field, messages = next(iter(errors.items()))
    if field == "non_field_errors":
        return messages[0]
    return f"{field}: {messages[0]}"
