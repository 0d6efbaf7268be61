"""The REST API over HTTP: the token, the JSON, retries, and `Idempotency-Key`.

A request that gets no answer (the connection fails or drops), or is answered 429, 502 or
503, is tried again, up to three attempts in all, after the `Retry-After` the server asked
for (else 1 s, then 2 s). Every POST carries an `Idempotency-Key`, new for each request and
the same on its retries: a POST whose answer was lost is then answered by the server as the
first time, not done twice (docs/api.md, "Retries").
"""

import math
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import httpx

from switchboard_cli.errors import ApiError, CliError, Unreachable

ATTEMPTS = 3
RETRIED_STATUSES = frozenset({429, 502, 503})
BACKOFF_SECONDS = (1.0, 2.0)
RETRY_AFTER_MAX_SECONDS = 60.0
PAGE_SIZE = 100  # the API's largest page
TIMEOUT = httpx.Timeout(60.0, connect=10.0)
USER_AGENT = "switchboard-cli/0.1"

# Tests replace it, so that waiting for a retry costs them nothing.
sleep = time.sleep


class Api:
    """Switchboard's API at `url` (the server's address, with or without `/api`)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        transport: httpx.BaseTransport | None = None,
        on_retry: Callable[[str], None] = lambda note: None,
    ) -> None:
        self.url = base_url(url)
        self.on_retry = on_retry
        self.http = httpx.Client(
            base_url=self.url + "/api/",
            headers={
                "Authorization": f"Token {token}",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            },
            timeout=TIMEOUT,
            transport=transport,
        )

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: dict[str, Any]) -> Any:
        # One key per request, kept on its retries: the same key with another body is a 422.
        key = str(uuid.uuid4())
        return self._request("POST", path, json=body, headers={"Idempotency-Key": key})

    def put(self, path: str, body: dict[str, Any]) -> Any:
        return self._request("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        return self._request("DELETE", path)

    def download(self, path: str, *, media_type: str) -> bytes:
        """A document that is not JSON (a JUnit report), as bytes; errors are still the API's
        JSON, raised as for any request."""
        content: bytes = self._request(
            "GET", path, headers={"Accept": f"{media_type}, application/json"}, raw=True
        )
        return content

    def every(self, path: str, params: dict[str, Any] | None = None) -> Iterator[dict]:
        """Every item of a paginated list, page after page."""
        page = 1
        while True:
            answer = self.get(path, {**(params or {}), "page": page, "page_size": PAGE_SIZE})
            yield from answer["results"]
            if not answer.get("next"):
                return
            page += 1

    def _request(self, method: str, path: str, *, raw: bool = False, **arguments: Any) -> Any:
        for attempt in range(1, ATTEMPTS + 1):
            last = attempt == ATTEMPTS
            try:
                response = self.http.request(method, path, **arguments)
            except httpx.TransportError as error:
                if last:
                    raise Unreachable(
                        f"Could not reach Switchboard at {self.url} ({_reason(error)}). "
                        "Check SWITCHBOARD_URL (or --url) and that the server is running."
                    ) from error
                self._wait(BACKOFF_SECONDS[attempt - 1], f"no answer ({_reason(error)})")
                continue
            if response.status_code in RETRIED_STATUSES and not last:
                seconds = _retry_after(response) or BACKOFF_SECONDS[attempt - 1]
                self._wait(seconds, f"the server answered {response.status_code}")
                continue
            return _answer(response, raw=raw)
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _wait(self, seconds: float, why: str) -> None:
        self.on_retry(f"Trying again in {seconds:g} s: {why}.")
        sleep(seconds)


def base_url(url: str) -> str:
    """The server's address from SWITCHBOARD_URL: `http://host:8000`, `…/`, `…/api` alike."""
    url = url.strip().rstrip("/")
    url = url.removesuffix("/api")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise CliError(
            f"'{url}' is not a server's address: give one such as http://127.0.0.1:8000 "
            "in SWITCHBOARD_URL or --url."
        )
    return url


def _answer(response: httpx.Response, *, raw: bool = False) -> Any:
    if response.status_code == 204:
        return None
    if raw and response.is_success:
        return response.content
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.is_success and body is not None:
        return body
    raise ApiError(response.status_code, body, reason=response.reason_phrase)


def _retry_after(response: httpx.Response) -> float | None:
    """The seconds the server asked to wait (`Retry-After` in seconds; a date is ignored)."""
    try:
        seconds = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return None
    if not math.isfinite(seconds):
        return None
    return min(max(seconds, 0.0), RETRY_AFTER_MAX_SECONDS)


def _reason(error: httpx.TransportError) -> str:
    return str(error) or type(error).__name__
