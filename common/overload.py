"""A request that waits longer than `DATABASE_POOL_TIMEOUT` for a database connection, or for
a request thread (common/asgi.py), is answered 503 with `Retry-After`, in the API's error
shape under /api/: the server is busy, not broken, and a client or load balancer that retries
later is served. Django answered these with a 500, as for a bug.
"""

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from psycopg_pool import PoolTimeout

from common.errors import error_body, in_api

logger = logging.getLogger(__name__)

RETRY_AFTER_SECONDS = 5
BUSY = (
    "The server is busy: every database connection and request thread it has is in use. "
    f"Try again in {RETRY_AFTER_SECONDS} seconds."
)


def waited_too_long_for_a_connection(exception: BaseException) -> bool:
    # Django raises its own OperationalError from the pool's.
    return isinstance(exception, PoolTimeout) or isinstance(exception.__cause__, PoolTimeout)


class ServerBusyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not waited_too_long_for_a_connection(exception):
            return None
        logger.warning("Answered 503 to %s: no database connection came free in time", request.path)
        return busy_response(api=in_api(request))


def busy_response(*, api: bool) -> HttpResponse:
    response: HttpResponse
    if api:
        response = JsonResponse(error_body(BUSY, "server_busy"), status=503)
    else:
        response = HttpResponse(BUSY, status=503, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response
