"""The ASGI handler runs a request's middleware and view in one hop to a worker thread:
Django's own ran each synchronous middleware hook and the view as hops of their own between
the event loop and that thread."""

import threading
from unittest import mock

from asgiref.sync import SyncToAsync, async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from django.urls import path

from common.asgi import ThreadedASGIHandler

threads: list[tuple[str, int]] = []


def thread_recorder(get_response):
    """A synchronous middleware, as all of ours are, noting the thread of each of its steps."""

    def middleware(request: HttpRequest) -> HttpResponse:
        threads.append(("request", threading.get_ident()))
        response = get_response(request)
        threads.append(("response", threading.get_ident()))
        return response

    return middleware


def view(request: HttpRequest) -> HttpResponse:
    threads.append(("view", threading.get_ident()))
    return HttpResponse("ok")


urlpatterns = [path("here", view)]


async def served(path: str) -> tuple[int, bytes]:
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
    communicator = ApplicationCommunicator(ThreadedASGIHandler(), scope)
    await communicator.send_input({"type": "http.request", "body": b""})
    start = await communicator.receive_output(timeout=5)
    body = await communicator.receive_output(timeout=5)
    await communicator.wait(timeout=5)
    return start["status"], body["body"]


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
    assert threads[0][1] != threading.get_ident()  # a worker thread, not the event loop's
    # The request's start (its signal), its middleware and view, its end (closing the
    # response). Django's own handler made 4 here: a hop for each stretch of synchronous
    # middleware and one for the view (about a dozen a request with the project's chain).
    assert hops.call_count == 3
