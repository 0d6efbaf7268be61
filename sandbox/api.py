"""Plumbing shared by the sandbox's endpoints: requests, responses, errors, routes, paging.

Errors take the shapes the real API answers with, which the SDK hands to its callers in
`ApiError.body`: `{"detail": {"status", "message"}}` for refusals (404, 409, 429...) and
FastAPI's `{"detail": [{"loc", "msg", "type"}]}` for a malformed request (422).
"""

import json
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs


@dataclass
class Request:
    method: str
    path: str  # after the mount point: "v1/convai/agents/create"
    query: dict[str, list[str]]
    headers: dict[str, str]  # names in lower case
    body: bytes
    scheme: str  # "http" or "https", as the client saw it
    host: str
    mount: str  # where the sandbox is served: "/sandbox/elevenlabs/"

    @classmethod
    def from_scope(cls, scope: Mapping[str, Any], body: bytes) -> "Request":
        headers = {
            name.decode("latin-1").lower(): value.decode("latin-1")
            for name, value in scope["headers"]
        }
        path = scope["path_remaining"]
        # A proxy terminating TLS says so in X-Forwarded-Proto.
        scheme = headers.get("x-forwarded-proto", scope.get("scheme", "http")).split(",")[0]
        server_host, server_port = scope.get("server") or ("localhost", 80)
        return cls(
            method=scope["method"].upper(),
            path=path,
            query=parse_qs(scope["query_string"].decode("latin-1"), keep_blank_values=True),
            headers=headers,
            body=body,
            scheme=scheme.strip(),
            host=headers.get("host", f"{server_host}:{server_port}"),
            mount=scope["path"].removesuffix(path),
        )

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    def required_param(self, name: str) -> str:
        value = self.param(name)
        if not value:
            raise invalid(["query", name], "Field required", "missing")
        return value

    def int_param(self, name: str, *, default: int, minimum: int, maximum: int) -> int:
        raw = self.param(name)
        if raw is None or raw == "":
            return default
        if not re.fullmatch(r"-?\d+", raw):
            raise invalid(["query", name], "Input should be a valid integer", "int_parsing")
        value = int(raw)
        if not minimum <= value <= maximum:
            raise invalid(
                ["query", name], f"Input should be between {minimum} and {maximum}", "range"
            )
        return value

    def bool_param(self, name: str) -> bool | None:
        raw = self.param(name)
        if raw is None or raw == "":
            return None
        if raw.lower() not in ("true", "false", "1", "0"):
            raise invalid(["query", name], "Input should be a valid boolean", "bool_parsing")
        return raw.lower() in ("true", "1")

    def json(self) -> dict:
        """The body as a JSON object; an empty body is an empty object."""
        if not self.body.strip():
            return {}
        try:
            data = json.loads(self.body)
        except ValueError:
            raise invalid(["body"], "JSON decode error", "json_invalid") from None
        if not isinstance(data, dict):
            raise invalid(["body"], "Input should be a valid dictionary", "dict_type")
        return data


@dataclass
class Response:
    status: int
    data: object = None  # serialised as JSON; None is an empty body
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def content(self) -> bytes:
        return b"" if self.data is None else json.dumps(self.data).encode()

    @property
    def header_list(self) -> list[tuple[bytes, bytes]]:
        headers = dict(self.headers)
        if self.data is not None:
            headers["content-type"] = "application/json"
        return [(name.encode(), value.encode()) for name, value in headers.items()]


def error_response(
    status: int, code: str, message: str, *, retry_after: int | None = None
) -> Response:
    headers = {} if retry_after is None else {"retry-after": str(retry_after)}
    return Response(status, {"detail": {"status": code, "message": message}}, headers)


class ApiError(Exception):
    """Raised by a handler: the request is refused with this answer."""

    def __init__(self, response: Response):
        super().__init__(response.status, response.data)
        self.response = response


def refusal(status: int, code: str, message: str) -> ApiError:
    return ApiError(error_response(status, code, message))


def status_code_name(status: int) -> str:
    """`service_unavailable` for 503: the `detail.status` of an answer with no better name."""
    try:
        return HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_")
    except ValueError:
        return "error"


def not_found(kind: str, identifier: str) -> ApiError:
    return refusal(404, f"{kind}_not_found", f"No {kind} with id {identifier!r}.")


def invalid(loc: list[str | int], message: str, error_type: str) -> ApiError:
    return ApiError(Response(422, {"detail": [{"loc": loc, "msg": message, "type": error_type}]}))


_TYPES = {
    str: ("string", "string_type"),
    dict: ("dictionary", "dict_type"),
    list: ("list", "list_type"),
    bool: ("boolean", "bool_type"),
    int: ("integer", "int_type"),
    float: ("number", "float_type"),
}


Location = tuple[str | int, ...]


def body_field(
    data: dict, name: str, kind: type, *, required: bool = False, loc: Location = ("body",)
) -> Any:
    """`data[name]` checked to be of `kind` (float accepts integers, int refuses booleans); None
    when absent or null, unless `required`. `loc` is where `data` sits in the request, for the
    error."""
    value = data.get(name)
    where = [*loc, name]
    if value is None:
        if required:
            raise invalid(where, "Field required", "missing")
        return None
    word, error_type = _TYPES[kind]
    if isinstance(value, bool) and kind is not bool:
        valid = False
    elif kind is float:
        valid = isinstance(value, int | float)
    else:
        valid = isinstance(value, kind)
    if not valid:
        raise invalid(where, f"Input should be a valid {word}", error_type)
    return value


def string_list(data: dict, name: str, *, loc: Location = ("body",)) -> list[str] | None:
    values = body_field(data, name, list, loc=loc)
    for index, item in enumerate(values or []):
        if not isinstance(item, str):
            raise invalid([*loc, name, index], "Input should be a valid string", "string_type")
    return values


Handler = Callable[..., Awaitable[Response]]


@dataclass
class Route:
    method: str
    pattern: re.Pattern
    handler: Handler


def route(method: str, pattern: str, handler: Handler) -> Route:
    """A route: the path (after the mount point, with an optional trailing slash) must match
    `pattern` entirely; its named groups are passed to the handler as keywords."""
    return Route(method, re.compile(pattern + "/?"), handler)


async def dispatch(request: Request, routes: list[Route]) -> Response:
    path_known = False
    for candidate in routes:
        match = candidate.pattern.fullmatch(request.path)
        if match is None:
            continue
        path_known = True
        if candidate.method == request.method:
            try:
                return await candidate.handler(request, **match.groupdict())
            except ApiError as error:
                return error.response
    if path_known:
        return Response(405, {"detail": "Method Not Allowed"})
    return Response(404, {"detail": "Not Found"})


def cursor_page(items: list, request: Request) -> tuple[list, str | None]:
    """A page of `items` (newest first, each with a creation `seq`) after `cursor`.

    The cursor is the `seq` of the last item handed out, so a page stays right when items are
    added or removed between requests.
    """
    size = request.int_param("page_size", default=30, minimum=1, maximum=100)
    cursor = request.param("cursor")
    if cursor:
        if not cursor.isdigit():
            raise invalid(["query", "cursor"], "Input should be a valid cursor", "value_error")
        items = [item for item in items if item.seq < int(cursor)]
    page = items[:size]
    has_more = len(items) > size
    return page, str(page[-1].seq) if has_more else None
