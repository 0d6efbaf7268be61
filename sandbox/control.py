"""The sandbox's own endpoints, under `_sandbox/`: what tests and benchmarks use to reset it,
look inside it and make it misbehave. Not part of ElevenLabs' API, but they show every agent
and can reset or break the sandbox, so they want its key too (sandbox/access.py, checked in
sandbox/http.py before anything else).

    POST   _sandbox/reset        back to the state of a fresh start
    GET    _sandbox/state        agents (branches, versions, traffic), conversations, tests
                                 and test invocations, the request log, faults, the rate
                                 limit, the webhook URL and the test-run delay
    POST   _sandbox/faults       add a fault, or a list of them (fields of store.Fault)
    DELETE _sandbox/faults       remove every fault
    PUT    _sandbox/rate-limit   {"per_second": float | null, "burst": int}
    PUT    _sandbox/webhook      {"url": str, "secret": str}
    PUT    _sandbox/test-run-delay
                                 {"seconds": float | null}: how long test runs submitted from
                                 now on stay pending (null: as the settings say)

Bad input is refused with 400 and `{"field": <the bad field>, "message": ...}`.
"""

import dataclasses
import json
import re

from sandbox.api import Handler, Request, Response, route
from sandbox.faults import BadInput, faults_from_json, is_int
from sandbox.store import store


def state() -> dict:
    with store.lock:
        rate_limit = store.rate_limit
        return {
            "agents": [dataclasses.asdict(agent) for agent in store.agents.values()],
            "conversations": [
                dataclasses.asdict(conversation) for conversation in store.conversations.values()
            ],
            "tests": [dataclasses.asdict(test) for test in store.tests.values()],
            "test_invocations": [
                dataclasses.asdict(invocation) for invocation in store.test_invocations.values()
            ],
            "requests": [dataclasses.asdict(record) for record in store.requests],
            "faults": [dataclasses.asdict(fault) for fault in store.faults],
            "rate_limit": (
                {"per_second": rate_limit.per_second, "burst": rate_limit.burst}
                if rate_limit
                else None
            ),
            "webhook_url": store.webhook_url,  # never the secret
            "test_run_delay": store.test_run_delay,
        }


def _json_body(request: Request) -> object:
    try:
        return json.loads(request.body or b"null")
    except ValueError:
        raise BadInput("body", "is not JSON") from None


def _object_body(request: Request, fields: set[str]) -> dict:
    body = _json_body(request)
    if not isinstance(body, dict):
        raise BadInput("body", f"must be an object with {sorted(fields)}")
    for name in body:
        if name not in fields:
            raise BadInput(name, f"is not a field here; use {sorted(fields)}")
    return body


async def reset(request: Request) -> Response:
    """Back to a fresh start, with the faults, rate limit and webhook of the sandbox's settings
    (its SANDBOX_* variables), as a restart would."""
    store.reset()
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
        raise BadInput("per_second", "must be requests a second (0 or null: no limit)")
    if not (is_int(burst) and burst >= 1):
        raise BadInput("burst", "must be a whole number, 1 or more")
    store.set_rate_limit(per_second, burst)
    return Response(200, {"per_second": per_second or None, "burst": burst})


async def set_webhook(request: Request) -> Response:
    body = _object_body(request, {"url", "secret"})
    url, secret = body.get("url", ""), body.get("secret", "")
    if not (isinstance(url, str) and (url == "" or re.match(r"https?://", url))):
        raise BadInput("url", "must be an http(s) URL, or empty for none")
    if not isinstance(secret, str):
        raise BadInput("secret", "must be a string")
    with store.lock:
        store.webhook_url, store.webhook_secret = url, secret
    return Response(200, {"url": url})


async def set_test_run_delay(request: Request) -> Response:
    """How long test runs submitted from now on stay pending, until the next reset."""
    seconds = _object_body(request, {"seconds"}).get("seconds")
    is_number = isinstance(seconds, int | float) and not isinstance(seconds, bool)
    if seconds is not None and not (is_number and 0 <= seconds < float("inf")):
        raise BadInput("seconds", "must be seconds (0 or more), or null for the settings' delay")
    with store.lock:
        store.test_run_delay_override = seconds
        return Response(200, {"seconds": store.test_run_delay})


def _refusing_bad_input(handler: Handler) -> Handler:
    """The handler, answering 400 naming the field when its input is bad."""

    async def handle(request: Request) -> Response:
        try:
            return await handler(request)
        except BadInput as error:
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
        ("PUT", "test-run-delay", set_test_run_delay),
    ]
]
