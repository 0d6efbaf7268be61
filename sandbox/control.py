"""The sandbox's own endpoints, under `_sandbox/`: what tests and benchmarks use to reset it,
look inside it and make it misbehave. No API key: they are not part of ElevenLabs' API.

    POST   _sandbox/reset        back to the state of a fresh start
    GET    _sandbox/state        agents (branches, versions, traffic), conversations, the
                                 request log, faults, the rate limit and the webhook URL
    POST   _sandbox/faults       add a fault, or a list of them (fields of store.Fault)
    DELETE _sandbox/faults       remove every fault
    PUT    _sandbox/rate-limit   {"per_second": float | null, "burst": int}
    PUT    _sandbox/webhook      {"url": str, "secret": str}

Bad input is refused with 400 and `{"field": <the bad field>, "message": ...}`.
"""

import dataclasses
import json
import re

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from sandbox.api import Handler, Request, Response, route
from sandbox.records import Fault
from sandbox.store import store

HTTP_METHODS = {"", "GET", "POST", "PUT", "PATCH", "DELETE"}


class BadControlInput(ValueError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_regex(value: object) -> bool:
    if not isinstance(value, str):
        return False
    try:
        re.compile(value)
    except re.error:
        return False
    return True


# Fault field -> (check, what it must be)
FAULT_FIELDS = {
    "path": (_is_regex, "a regular expression"),
    "method": (
        lambda value: isinstance(value, str) and value.upper() in HTTP_METHODS,
        f"one of {sorted(HTTP_METHODS - {''})}, or empty for any",
    ),
    "status": (
        lambda value: _is_int(value) and (value == 0 or 400 <= value <= 599),
        "an error status (400 to 599), or 0 to answer normally",
    ),
    "retry_after": (
        lambda value: value is None or (_is_int(value) and value >= 0),
        "whole seconds (0 or more), or null",
    ),
    "latency_ms": (lambda value: _is_int(value) and value >= 0, "whole milliseconds, 0 or more"),
    "after_effect": (lambda value: isinstance(value, bool), "true or false"),
    "drop_socket_after": (
        lambda value: value is None or (_is_int(value) and value >= 0),
        "a number of server messages (0 or more), or null",
    ),
    "count": (lambda value: _is_int(value) and value >= 1, "a whole number, 1 or more"),
    "message": (lambda value: isinstance(value, str), "a string"),
}


def fault_from_json(data: object) -> Fault:
    if not isinstance(data, dict):
        raise BadControlInput("fault", "must be an object of store.Fault fields")
    for name, value in data.items():
        if name not in FAULT_FIELDS:
            raise BadControlInput(name, f"is not a fault field; use {sorted(FAULT_FIELDS)}")
        check, expected = FAULT_FIELDS[name]
        if not check(value):
            raise BadControlInput(name, f"must be {expected}")
    return Fault(**data)


def faults_from_json(data: object) -> list[Fault]:
    """One fault or a list of them."""
    return [fault_from_json(item) for item in (data if isinstance(data, list) else [data])]


def configure_from_settings() -> None:
    """Set the store up as the settings ask (a rate limit allows bursts of one): at start-up,
    and again on every reset, as a restart would."""
    try:
        faults = faults_from_json(settings.SANDBOX_FAULTS)
    except BadControlInput as error:
        raise ImproperlyConfigured(f"SANDBOX_FAULTS: {error}") from None
    with store.lock:
        store.faults = faults
        store.set_rate_limit(settings.SANDBOX_RATE_LIMIT, burst=1)
        store.webhook_url = settings.SANDBOX_WEBHOOK_URL
        store.webhook_secret = settings.SANDBOX_WEBHOOK_SECRET


def state() -> dict:
    with store.lock:
        rate_limit = store.rate_limit
        return {
            "agents": [dataclasses.asdict(agent) for agent in store.agents.values()],
            "conversations": [
                dataclasses.asdict(conversation) for conversation in store.conversations.values()
            ],
            "requests": [dataclasses.asdict(record) for record in store.requests],
            "faults": [dataclasses.asdict(fault) for fault in store.faults],
            "rate_limit": (
                {"per_second": rate_limit.per_second, "burst": rate_limit.burst}
                if rate_limit
                else None
            ),
            "webhook_url": store.webhook_url,  # never the secret
        }


def _json_body(request: Request) -> object:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        raise BadControlInput("body", "is not JSON") from None


def _object_body(request: Request, fields: set[str]) -> dict:
    body = _json_body(request)
    if not isinstance(body, dict):
        raise BadControlInput("body", f"must be an object with {sorted(fields)}")
    for name in body:
        if name not in fields:
            raise BadControlInput(name, f"is not a field here; use {sorted(fields)}")
    return body


async def reset(request: Request) -> Response:
    with store.lock:
        store.reset()
        configure_from_settings()
    return Response(200, state())


async def get_state(request: Request) -> Response:
    return Response(200, state())


async def add_faults(request: Request) -> Response:
    faults = faults_from_json(_json_body(request))
    with store.lock:
        store.faults.extend(faults)
        return Response(200, {"faults": [dataclasses.asdict(fault) for fault in store.faults]})


async def clear_faults(request: Request) -> Response:
    with store.lock:
        store.faults.clear()
    return Response(200, {"faults": []})


async def set_rate_limit(request: Request) -> Response:
    body = _object_body(request, {"per_second", "burst"})
    per_second, burst = body.get("per_second"), body.get("burst", 1)
    is_rate = isinstance(per_second, int | float) and not isinstance(per_second, bool)
    if per_second is not None and not (is_rate and per_second >= 0):
        raise BadControlInput("per_second", "must be requests a second (0 or null: no limit)")
    if not (_is_int(burst) and burst >= 1):
        raise BadControlInput("burst", "must be a whole number, 1 or more")
    store.set_rate_limit(per_second, burst)
    return Response(200, {"per_second": per_second or None, "burst": burst})


async def set_webhook(request: Request) -> Response:
    body = _object_body(request, {"url", "secret"})
    url, secret = body.get("url", ""), body.get("secret", "")
    if not (isinstance(url, str) and (url == "" or re.match(r"https?://", url))):
        raise BadControlInput("url", "must be an http(s) URL, or empty for none")
    if not isinstance(secret, str):
        raise BadControlInput("secret", "must be a string")
    with store.lock:
        store.webhook_url, store.webhook_secret = url, secret
    return Response(200, {"url": url})


def _refusing_bad_input(handler: Handler) -> Handler:
    """The handler, answering 400 naming the field when its input is bad."""

    async def handle(request: Request) -> Response:
        try:
            return await handler(request)
        except BadControlInput as error:
            return Response(400, {"field": error.field, "message": error.message})

    return handle


ROUTES = [
    route(method, rf"_sandbox/{path}", _refusing_bad_input(handler))
    for method, path, handler in [
        ("POST", "reset", reset),
        ("GET", "state", get_state),
        ("POST", "faults", add_faults),
        ("DELETE", "faults", clear_faults),
        ("PUT", "rate-limit", set_rate_limit),
        ("PUT", "webhook", set_webhook),
    ]
]
