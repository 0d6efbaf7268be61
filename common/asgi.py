"""Django's ASGI handler, with each request's middleware and view run in one worker thread.

Django's own handler runs its middleware chain in async mode. Every middleware we use
(Django's, WhiteNoise's, our own) and every view is synchronous, so in async mode each
middleware's `process_request` and `process_response`, and the view, were a hop of their own
from the event loop to a thread and back: about a dozen a request. Loaded in sync mode, the
whole chain runs as it does under WSGI, in the one thread Django gives the request (its
thread-sensitive context, where the request signals' receivers also run, so a database
connection is opened and returned in the same thread). The measurements are in
docs/benchmarks.md ("Mixed load").
"""

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIHandler
from django.http import HttpRequest, HttpResponseBase


class ThreadedASGIHandler(ASGIHandler):
    def load_middleware(self, is_async: bool = False) -> None:
        super().load_middleware(is_async=False)

    async def get_response_async(self, request: HttpRequest) -> HttpResponseBase:
        return await sync_to_async(self.get_response, thread_sensitive=True)(request)


def asgi_application() -> ThreadedASGIHandler:
    """What `django.core.asgi.get_asgi_application` returns, with the handler above."""
    import django

    django.setup(set_prefix=False)
    return ThreadedASGIHandler()
