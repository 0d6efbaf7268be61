"""`asgi_server`: the product's ASGI application served by uvicorn on a free port, in a thread,
for tests that need a real server between them and the relay (a browser, or a client whose
socket behaves as a real one does)."""

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from django.db.backends.signals import connection_created
from django.dispatch import receiver


@receiver(connection_created)
def _read_past_table_locks(sender, connection, **kwargs) -> None:
    """On the tests' SQLite database, in memory and shared between threads (a server's, the
    test's), a table one connection is writing is locked to all the others, which then fail at
    once ("database table is locked": the console's page, read while the relay closed the
    record). On a file, as `make run` has it, a reader reads what was last committed instead.
    Reading uncommitted rows is the nearest a shared in-memory database comes to that."""
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        connection.cursor().execute("PRAGMA read_uncommitted = true")


@pytest.fixture
def asgi_server(request, transactional_db, sandbox, settings) -> Iterator[str]:
    """Pages, static files and the conversation relay's WebSocket, at the URL yielded. Routed
    as config/asgi.py routes the relay, built here so its origin check reads this test's
    ALLOWED_HOSTS (config.asgi reads them once, at import, in whatever test imported it
    first).

    `@pytest.mark.send_buffer(n)` fixes the kernel's send buffer of the server's sockets at n
    bytes (Linux lets it grow to megabytes), so a client that stops reading makes the server's
    sends wait soon."""
    uvicorn = pytest.importorskip("uvicorn")
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler
    from django.urls import re_path

    from common.asgi import asgi_application
    from common.websocket import SameSiteOrigin
    from elevenlabs_sync.relay import ConversationRelay
    from workspaces.websocket_auth import WebSocketAuthStack

    settings.ALLOWED_HOSTS = ["127.0.0.1"]
    relay = SameSiteOrigin(WebSocketAuthStack(ConversationRelay.as_asgi()))
    application = ProtocolTypeRouter(
        {
            "http": ASGIStaticFilesHandler(asgi_application()),
            "websocket": URLRouter(
                [re_path(r"^ws/agents/(?P<agent_id>[^/]+)/conversation/?$", relay)]
            ),
        }
    )
    listening = socket.socket()
    listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    send_buffer = request.node.get_closest_marker("send_buffer")
    if send_buffer is not None:  # accepted sockets take it from the listening one
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer.args[0])
    listening.bind(("127.0.0.1", 0))
    port = listening.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(application, lifespan="off", log_level="warning"))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [listening]}, name="asgi-live-server", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped at start-up"
        assert time.monotonic() < deadline, "uvicorn did not start in 10 s"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    listening.close()
