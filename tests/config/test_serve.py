"""`make run` (config/serve.py): the demo is loaded only once the server answers its health
check, and never when the server is gone. Daphne itself is not started: a tiny HTTP server
stands in for it, and a finished process for one that died."""

import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from config import serve


class StillRunning:
    """A server process that has not exited (`Popen.poll()` answers None)."""

    def poll(self):
        return None


@pytest.fixture
def health():
    """`health(failures)`: the URL of a /healthz that answers 503 `failures` times, then 200;
    the server's `hits` counts the requests."""
    servers = []

    def start(failures: int = 0) -> tuple[str, ThreadingHTTPServer]:
        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                self.server.hits += 1
                healthy = self.server.hits > failures
                self.send_response(200 if healthy else 503)
                self.end_headers()
                self.wfile.write(b'{"status": "ok"}' if healthy else b"{}")

            def log_message(self, *args):
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.hits = 0
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}/healthz", server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def closed_port():
    """A port that refuses connections: bound, never listening."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]


def test_the_wait_ends_as_soon_as_the_health_check_answers(health):
    url, server = health()

    assert serve._wait_until_up(url, StillRunning()) is True
    assert server.hits == 1


def test_the_wait_goes_on_while_the_health_check_answers_an_error(health):
    url, server = health(failures=2)

    assert serve._wait_until_up(url, StillRunning()) is True
    assert server.hits == 3


def test_the_health_check_of_the_local_server_bypasses_any_http_proxy(
    health, closed_port, monkeypatch
):
    url, server = health()
    for name in ("http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(name, f"http://127.0.0.1:{closed_port}")
    for name in ("no_proxy", "NO_PROXY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(urllib.request, "_opener", None)  # urlopen's, built from the env
    monkeypatch.setattr(serve, "STARTUP_TIMEOUT", 1.0)

    assert serve._wait_until_up(url, StillRunning()) is True
    assert server.hits == 1


def test_the_demo_is_not_loaded_when_the_server_has_exited(closed_port, capsys):
    exited = subprocess.Popen([sys.executable, "-c", "pass"])
    exited.wait()
    started = time.monotonic()

    assert serve._wait_until_up(f"http://127.0.0.1:{closed_port}/healthz", exited) is False
    assert time.monotonic() - started < 1  # at once, not after STARTUP_TIMEOUT
    assert "demo data not loaded" in capsys.readouterr().err


def test_the_wait_gives_up_after_the_startup_timeout(closed_port, monkeypatch, capsys):
    monkeypatch.setattr(serve, "STARTUP_TIMEOUT", 0.3)

    assert serve._wait_until_up(f"http://127.0.0.1:{closed_port}/healthz", StillRunning()) is False
    assert "did not answer" in capsys.readouterr().err
