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
from pathlib import Path

import pytest

from config import serve
from config.env import served_url

ROOT = Path(__file__).resolve().parents[2]


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


# --- what the server is told


def test_the_server_keeps_its_sandbox_state_in_var_unless_told_otherwise():
    told = serve.server_environment("http://127.0.0.1:8000", {"PATH": "/bin"})
    elsewhere = serve.server_environment("http://x", {"SANDBOX_STATE_FILE": "/tmp/state.json"})

    assert told["SANDBOX_STATE_FILE"] == str(ROOT / "var" / "sandbox_state.json")
    assert told["PATH"] == "/bin"
    assert elsewhere["SANDBOX_STATE_FILE"] == "/tmp/state.json"


def test_the_server_is_told_it_is_reached_where_it_serves_unless_site_url_says():
    told = serve.server_environment(served_url("0.0.0.0", 8001), {})
    set_by_hand = serve.server_environment(served_url("0.0.0.0", 8001), {"SITE_URL": "https://a"})

    assert told["SITE_URL"] == "http://127.0.0.1:8001"
    assert set_by_hand["SITE_URL"] == "https://a"


@pytest.mark.parametrize(
    ("host", "url"),
    [
        ("127.0.0.1", "http://127.0.0.1:8001"),
        ("0.0.0.0", "http://127.0.0.1:8001"),
        ("", "http://127.0.0.1:8001"),
        ("::", "http://127.0.0.1:8001"),
        ("::1", "http://[::1]:8001"),
        ("localhost", "http://localhost:8001"),
        ("192.168.1.20", "http://192.168.1.20:8001"),
    ],
)
def test_a_server_is_reached_at_the_address_it_is_bound_to(host, url):
    assert served_url(host, 8001) == url
