"""The ASGI handler runs a request's middleware and view in one hop to a worker thread:
Django's own ran each synchronous middleware hook and the view as hops of their own between
the event loop and that thread. The threads are the process's few, kept across requests:
Django's started one per request, and let any number run at once."""

import asyncio
import gc
import json
import threading
from unittest import mock

import pytest
from asgiref.sync import SyncToAsync, async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.db import connections
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import path

from common.asgi import ThreadedASGIHandler, asgi_application
from tests.markers import requires_postgres_for

threads: list[tuple[str, threading.Thread]] = []  # objects, whose ids a later thread cannot reuse


def thread_recorder(get_response):
    """A synchronous middleware, as all of ours are, noting the thread of each of its steps."""

    def middleware(request: HttpRequest) -> HttpResponse:
        threads.append(("request", threading.current_thread()))
        response = get_response(request)
        threads.append(("response", threading.current_thread()))
        return response

    return middleware


def view(request: HttpRequest) -> HttpResponse:
    threads.append(("view", threading.current_thread()))
    return HttpResponse("ok")


def database_view(request: HttpRequest) -> HttpResponse:
    wrapper = connections["default"]  # this thread's, where `connection` is a proxy
    wrapper.ensure_connection()
    wrappers.append(wrapper)
    return HttpResponse("ok")


running = 0
most_running = 0
counting = threading.Lock()  # the views that count run on two threads at once
release = threading.Event()
wrappers: list = []


def slow_view(request: HttpRequest) -> HttpResponse:
    global running, most_running
    threads.append(("view", threading.current_thread()))
    with counting:
        running += 1
        most_running = max(most_running, running)
    release.wait(timeout=5)
    with counting:
        running -= 1
    return HttpResponse("ok")


urlpatterns = [path("here", view), path("slow", slow_view), path("database", database_view)]


async def served(path: str, handler: ThreadedASGIHandler | None = None) -> tuple[int, bytes]:
    start, body = await answered(path, handler or ThreadedASGIHandler(threads=2, timeout=5))
    return start["status"], body


async def answered(path: str, handler: ThreadedASGIHandler) -> tuple[dict, bytes]:
    """The response's start message (status, headers) and its body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }
    communicator = ApplicationCommunicator(handler, scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=5)
    body = await communicator.receive_output(timeout=5)
    await communicator.wait(timeout=5)
    return start, body["body"]


@override_settings(
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[
        f"{__name__}.thread_recorder",
        "django.middleware.security.SecurityMiddleware",
        f"{__name__}.thread_recorder",
    ],
)
def test_the_middleware_and_the_view_of_a_request_run_in_one_hop_to_a_thread():
    threads.clear()
    hop = SyncToAsync.__call__
    with mock.patch.object(SyncToAsync, "__call__", autospec=True, side_effect=hop) as hops:
        status, body = async_to_sync(served)("/here")

    assert (status, body) == (200, b"ok")
    assert [step for step, _ in threads] == [
        "request",
        "request",
        "view",
        "response",
        "response",
    ]
    assert len({thread for _, thread in threads}) == 1
    assert threads[0][1] is not threading.current_thread()  # a worker thread, not the event loop's
    # The request's start (its signal), its middleware and view, its end (closing the
    # response). Django's own handler made 4 here: a hop for each stretch of synchronous
    # middleware and one for the view (about a dozen a request with the project's chain).
    assert hops.call_count == 3


@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[])
def test_requests_one_after_another_are_served_by_the_same_kept_thread():
    threads.clear()
    handler = ThreadedASGIHandler(threads=1, timeout=5)

    async def three_requests() -> list[tuple[int, bytes]]:
        return [await served("/here", handler) for _ in range(3)]

    assert async_to_sync(three_requests)() == [(200, b"ok")] * 3
    assert len({thread for _, thread in threads}) == 1


@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[])
def test_no_more_requests_run_at_once_than_the_process_has_threads():
    global running, most_running
    threads.clear()
    running = most_running = 0
    release.clear()
    handler = ThreadedASGIHandler(threads=2, timeout=5)

    async def five_at_once() -> list[tuple[int, bytes]]:
        requests = [asyncio.create_task(served("/slow", handler)) for _ in range(5)]
        while running < 2:  # two have reached the view; the other three wait for a thread
            await asyncio.sleep(0.01)
        await asyncio.sleep(0.2)
        assert running == 2
        release.set()
        return await asyncio.gather(*requests)

    assert async_to_sync(five_at_once)() == [(200, b"ok")] * 5
    assert most_running == 2
    assert len({thread for _, thread in threads}) == 2


@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[])
@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/api/agents/", "application/json"), ("/app/", "text/plain; charset=utf-8")],
)
def test_a_request_that_finds_no_thread_free_in_time_is_told_to_retry(path, content_type):
    global running
    running = 0
    release.clear()
    handler = ThreadedASGIHandler(threads=1, timeout=0.1)

    async def another_while_the_thread_is_busy() -> tuple[dict, bytes]:
        first = asyncio.create_task(served("/slow", handler))
        while running < 1:
            await asyncio.sleep(0.01)
        busy = await answered(path, handler)
        release.set()
        assert await first == (200, b"ok")  # the request that held the thread is served
        return busy

    start, body = async_to_sync(another_while_the_thread_is_busy)()

    assert start["status"] == 503
    headers = dict(start["headers"])
    assert headers[b"Retry-After"] == b"5"
    assert headers[b"Content-Type"] == content_type.encode()
    assert b"The server is busy" in body
    if content_type == "application/json":
        assert json.loads(body)["code"] == "server_busy"


@requires_postgres_for("the connection pool; Django never closes SQLite's in-memory test database")
@pytest.mark.django_db(transaction=True)
@override_settings(ROOT_URLCONF=__name__, MIDDLEWARE=[])
def test_a_kept_thread_gives_its_database_connection_back_after_each_request():
    """A thread that outlives its request must not keep its connection: that is how idle
    connections piled up before the pool (docs/operations.md)."""
    wrappers.clear()
    handler = ThreadedASGIHandler(threads=1, timeout=5)

    async def two_requests() -> None:
        for _ in range(2):
            assert await served("/database", handler) == (200, b"ok")

    async_to_sync(two_requests)()

    assert len(wrappers) == 2
    assert wrappers[0] is wrappers[1]  # the same thread, so the same database wrapper
    assert wrappers[0].connection is None  # closed, or given back to the pool, at the end


def test_the_application_freezes_what_it_loaded_so_full_collections_skip_it():
    gc.unfreeze()
    try:
        asgi_application()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()  # this test process's objects go back to the collector
