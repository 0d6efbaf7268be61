"""Django's ASGI handler, serving each request's middleware and view in one of a few request
threads that the process keeps.

Django's own handler runs its middleware chain in async mode. Every middleware we use
(Django's, WhiteNoise's, our own) and every view is synchronous, so in async mode each
middleware's `process_request` and `process_response`, and the view, were a hop of their own
from the event loop to a thread and back: about a dozen a request. Loaded in sync mode, the
whole chain runs as it does under WSGI, in the one thread Django gives the request (its
thread-sensitive context, where the request signals' receivers also run, so a database
connection is opened and returned in the same thread).

Django also starts a new thread for every request, which then builds its database wrapper and
everything cached on it afresh, and lets any number of requests run Python at once in one
process, where they only take turns on its one interpreter lock. Here a process keeps
`WEB_THREADS` request threads (settings) and hands each request one that is free; requests
beyond that wait on the event loop, at most `WEB_THREAD_TIMEOUT` seconds, then are answered
503 as when no database connection comes free. The measurements are in docs/benchmarks.md
("Mixed load").
"""

import asyncio
import gc
import logging
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from asgiref.sync import ThreadSensitiveContext, sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase

logger = logging.getLogger(__name__)

Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]


class ThreadedASGIHandler(ASGIHandler):
    def __init__(self, *, threads: int, timeout: float) -> None:
        super().__init__()
        self.threads, self.timeout = threads, timeout
        # Made on the first request, in the event loop that serves them all.
        self._free_threads: asyncio.Queue[ThreadPoolExecutor] | None = None

    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await super().__call__(scope, receive, send)  # Django's refusal
        free_threads = self._thread_pool()
        try:
            thread = await asyncio.wait_for(free_threads.get(), self.timeout)
        except TimeoutError:
            # Imported here: they import DRF, which needs the settings this module is loaded
            # before (config/asgi.py).
            from common.errors import is_api_path
            from common.overload import busy_response

            logger.warning("Answered 503 to %s: no request thread came free in time", scope["path"])
            # Sent before Django sees the request: no request began, so none ends.
            await self.send_response(busy_response(api=is_api_path(scope["path"])), send)
            return
        try:
            # The request's thread-sensitive work (its signals, middleware, view and the
            # closing of its response) all runs in `thread`, which outlives the request.
            async with ThreadSensitiveContext(executor=thread):
                await self.handle(scope, receive, send)
        finally:
            free_threads.put_nowait(thread)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)

    def _thread_pool(self) -> asyncio.Queue[ThreadPoolExecutor]:
        if self._free_threads is None:
            self._free_threads = asyncio.Queue()
            for _ in range(self.threads):
                # One worker each: a request's calls must all run on the same thread.
                thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="request")
                self._free_threads.put_nowait(thread)
        return self._free_threads


def asgi_application() -> ThreadedASGIHandler:
    """What `django.core.asgi.get_asgi_application` returns, with the handler above."""
    import django
    from django.conf import settings

    django.setup(set_prefix=False)
    handler = ThreadedASGIHandler(threads=settings.WEB_THREADS, timeout=settings.WEB_THREAD_TIMEOUT)
    # What is loaded by now (Django, the apps, their models; about 230,000 objects) lives as
    # long as the process. Frozen, the garbage collector no longer walks it in every full
    # collection, which paused the process for about 170 ms each time; 20 ms now.
    gc.freeze()
    return handler
