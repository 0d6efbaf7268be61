"""The sandbox's HTTP front: the emulated ElevenLabs API (`v1/...`) and its control
endpoints (`_sandbox/...`), under the mount point in sandbox/routing.py.

Fully async, never a thread: in the embedded default the product's sync code makes blocking
calls to this sandbox from a request thread of the same process, so anything here that waited
on a thread (the ORM, sync_to_async) could wait on the very thread that is waiting for it.
"""

import asyncio
import math

from asgiref.typing import HTTPDisconnectEvent
from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.http import AsyncHttpConsumer

from sandbox import access, control, endpoints
from sandbox.api import Request, Response, dispatch, error_response, status_code_name
from sandbox.records import Fault
from sandbox.store import store


class SandboxHttpConsumer(AsyncHttpConsumer):
    # No channel layer: the sandbox answers its client and talks to nobody else. (An alias
    # that is not configured gives none, so no Redis round trips per request.)
    channel_layer_alias = "sandbox-uses-no-channel-layer"

    async def dispatch(self, message: dict) -> None:
        # Channels' own dispatch first closes stale database connections on a worker thread:
        # the sandbox holds none, and must not wait on threads (see the module docstring).
        await getattr(self, get_handler_name(message))(message)

    async def http_disconnect(self, message: HTTPDisconnectEvent) -> None:
        raise StopConsumer()  # likewise, without Channels' database clean-up

    async def handle(self, body: bytes) -> None:
        request = Request.from_scope(self.scope, body)
        if request.path.startswith("v1/"):
            response = await serve_api(request)
        else:
            # The control endpoints show every agent and can reset or break the sandbox: the
            # key first, before even saying whether a path exists.
            refused = access.refusal(request.headers.get(access.API_KEY_HEADER))
            response = refused or await dispatch(request, control.ROUTES)
        await self.send_response(response.status, response.content, headers=response.header_list)


async def serve_api(request: Request) -> Response:
    """An API request as ElevenLabs would take it: key, rate limit, injected faults, logged."""
    response = await _serve_api(request)
    store.record(request.method, request.path, response.status)
    return response


async def _serve_api(request: Request) -> Response:
    refused = access.refusal(request.headers.get(access.API_KEY_HEADER))
    if refused is not None:
        return refused
    wait = store.rate_limit_wait()
    if wait:
        return error_response(
            429,
            "rate_limit_exceeded",
            "Too many requests (sandbox rate limit).",
            retry_after=max(1, math.ceil(wait)),
        )
    fault = store.fault_for(request.method, request.path)
    if fault is None:
        return await dispatch(request, endpoints.ROUTES)
    return await _serve_with_fault(request, fault)


async def _serve_with_fault(request: Request, fault: Fault) -> Response:
    """Delay and/or fail the request; with `after_effect` it is carried out first, so the
    change is made upstream though the client sees an error or gives up waiting."""
    done = await dispatch(request, endpoints.ROUTES) if fault.after_effect else None
    await asyncio.sleep(fault.latency_ms / 1000)
    if fault.status:
        return error_response(
            fault.status,
            status_code_name(fault.status),
            fault.message,
            retry_after=fault.retry_after,
        )
    return done if done is not None else await dispatch(request, endpoints.ROUTES)
