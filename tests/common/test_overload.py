"""A request that found no free database connection in time is a 503 to retry, not a 500."""

import json

import pytest
from django.db import OperationalError
from django.test import RequestFactory
from psycopg_pool import PoolTimeout

from common.overload import ServerBusyMiddleware


def pool_timeout() -> OperationalError:
    """What Django raises when the pool hands out no connection in time."""
    try:
        try:
            raise PoolTimeout("couldn't get a connection after 10.00 sec")
        except PoolTimeout as timeout:
            raise OperationalError(str(timeout)) from timeout
    except OperationalError as error:
        return error


def answered(path: str, exception: Exception):
    middleware = ServerBusyMiddleware(lambda request: None)  # type: ignore[arg-type, return-value]
    return middleware.process_exception(RequestFactory().get(path), exception)


def test_the_api_answers_503_in_its_error_shape_with_a_time_to_retry():
    response = answered("/api/agents/", pool_timeout())

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    body = json.loads(response.content)
    assert body["code"] == "server_busy"
    assert body["success"] is False
    assert "Try again in 5 seconds" in body["message"]


def test_a_page_answers_503_in_plain_words():
    response = answered("/app/", pool_timeout())

    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.content.decode().startswith("The server is busy")


@pytest.mark.parametrize(
    "exception", [OperationalError("connection refused"), RuntimeError("a bug"), ValueError()]
)
def test_any_other_error_is_left_to_the_usual_handling(exception):
    assert answered("/api/agents/", exception) is None
