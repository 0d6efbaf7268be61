"""One process of the production web server (uvicorn, bench/processes.py) under concurrent API
load holds no more PostgreSQL connections than its pool allows, and answers no 5xx.

Before the pool, each request's thread kept a connection of its own (CONN_MAX_AGE=600 under
ASGI): a burst of 32 left 32 connections open, and PostgreSQL ran out of them.
"""

import os
import socket
import subprocess
import threading
import time
import uuid
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
import psycopg
import pytest
from django.db import connection

from bench.processes import stopped, web_server_command
from tests.factories import AgentFactory
from tests.markers import requires_postgres
from workspaces.services import api_token_create

pytestmark = [
    requires_postgres,
    # Committed data: the server is another process, on the test database.
    pytest.mark.django_db(transaction=True),
]

REQUESTS = 200
CONCURRENCY = 32
POOL_MAX_SIZE = 3  # below the concurrency, so a pool that does not hold shows
START_TIMEOUT_SECS = 60.0


def database_url() -> str:
    settings = connection.settings_dict
    user = quote(settings["USER"] or "", safe="")
    password = f":{quote(settings['PASSWORD'], safe='')}" if settings["PASSWORD"] else ""
    port = f":{settings['PORT']}" if settings["PORT"] else ""
    host = settings["HOST"] or "localhost"
    return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"


@pytest.fixture
def web_server(tmp_path):
    """`web_server(application_name, **pool)`: one uvicorn process on the test database, with a
    pool of POOL_MAX_SIZE (or as `pool` says: `max_size="1"`); its base URL. Stopped after the
    test."""
    started = []

    def start(application_name: str, **pool: str) -> str:
        listener = socket.create_server(("127.0.0.1", 0))  # bound here: no port to race for
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DATABASE_POOL_MAX_SIZE": str(POOL_MAX_SIZE),
            **{f"DATABASE_POOL_{name.upper()}": value for name, value in pool.items()},
            # More request threads than connections (by default there are as many): the
            # pool, not the threads (tests/common/test_asgi.py), is what must hold here.
            "WEB_THREADS": str(CONCURRENCY),
            "PGAPPNAME": application_name,  # libpq names every connection the server opens
            "ELEVENLABS_SANDBOX": "false",
            "ELEVENLABS_API_KEY": "",
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
        env.pop("REDIS_URL", None)  # no tasks to queue; the API's reads need no broker
        command = web_server_command(workers=1, bind=["--fd", str(listener.fileno())])
        log = (tmp_path / "server.log").open("wb")
        process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, pass_fds=[listener.fileno()]
        )
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        listener.close()  # the server has its own copy
        started.append(process)
        deadline = time.monotonic() + START_TIMEOUT_SECS
        while True:
            try:
                httpx.get(f"{url}/livez", timeout=1)
                return url
            except httpx.TransportError:
                if process.poll() is not None or time.monotonic() > deadline:
                    output = (tmp_path / "server.log").read_text()
                    pytest.fail(f"The server did not start:\n{output}")
                time.sleep(0.1)

    yield start
    for process in started:
        stopped(process)


def sent(url: str, token: str, paths: list[str]) -> list[httpx.Response]:
    """The answers to GETs of `paths`, CONCURRENCY at a time, with the API token."""
    with (
        httpx.Client(
            base_url=url,
            headers={"Authorization": f"Token {token}"},
            timeout=60,
            limits=httpx.Limits(max_connections=CONCURRENCY),
        ) as client,
        ThreadPoolExecutor(CONCURRENCY) as senders,
    ):
        return list(senders.map(client.get, paths))


def test_concurrent_requests_use_no_more_connections_than_the_pool(
    owner, workspace, web_server, settings
):
    settings.ELEVENLABS_SANDBOX, settings.ELEVENLABS_API_KEY = False, ""  # sync off, as served
    agent_ids = [AgentFactory(workspace=workspace, actor=owner).pk for _ in range(10)]
    _, token = api_token_create(user=owner, name="load")
    paths = [
        "/api/agents/?page_size=5&page=2" if number % 2 else f"/api/agents/{agent_ids[number % 10]}"
        for number in range(REQUESTS)
    ]
    application_name = f"switchboard-test-{uuid.uuid4().hex[:8]}"
    url = web_server(application_name)
    counts: list[int] = []
    done = threading.Event()

    def sample() -> None:
        """The server's connections, as PostgreSQL sees them, on a connection of its own."""
        with psycopg.connect(database_url(), autocommit=True) as probe:
            while not done.is_set():
                row = probe.execute(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                    (application_name,),
                ).fetchone()
                counts.append(row[0])
                time.sleep(0.01)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        statuses = Counter(response.status_code for response in sent(url, token, paths))
    finally:
        done.set()
        sampler.join()

    assert statuses == {200: REQUESTS}
    assert counts, "the sampler never counted"
    # The server did connect (PGAPPNAME reached PostgreSQL), and never beyond its pool.
    assert 1 <= max(counts) <= POOL_MAX_SIZE


def test_requests_that_find_no_free_connection_in_time_are_told_to_retry(
    owner, workspace, web_server, settings
):
    """One connection and a hundredth of a second to get it: most of 32 concurrent requests
    wait longer. Each is answered 503 with Retry-After in the API's shape, never a 500."""
    settings.ELEVENLABS_SANDBOX, settings.ELEVENLABS_API_KEY = False, ""
    AgentFactory.create_batch(5, workspace=workspace, actor=owner)
    _, token = api_token_create(user=owner, name="load")
    url = web_server(f"switchboard-test-{uuid.uuid4().hex[:8]}", max_size="1", timeout="0.01")

    responses = sent(url, token, ["/api/agents/"] * REQUESTS)

    statuses = Counter(response.status_code for response in responses)
    assert set(statuses) <= {200, 503}, statuses
    busy = [response for response in responses if response.status_code == 503]
    assert busy, statuses
    assert busy[0].headers["Retry-After"] == "5"
    assert busy[0].json()["code"] == "server_busy"
