"""Load over real sockets: an open-loop generator at a fixed arrival rate, and a closed loop
that finds what a server can serve at most.

Open loop: request `i` is due at `start + i / rate` and is sent then, whatever earlier requests
are doing, and its latency runs from that due time, not from when a connection was free: a
server that falls behind shows it as queueing in the latencies, instead of slowing the
generator down and hiding it (coordinated omission). Each request in flight has a keep-alive
connection of its own (HTTP/1.1 has no multiplexing); new ones are opened as needed.

The client is a few lines over asyncio streams rather than an HTTP library: it shares two
cores with the server it measures, and the CPU it spends per request (reported with each run)
is taken from the server. It speaks only what the app answers: HTTP/1.1, `Content-Length` or
chunked bodies.
"""

import asyncio
import time
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

import uvloop

REQUEST_TIMEOUT_SECS = 10.0  # a request not answered by then counts as an error
IDLE_SECS = 2.0  # a kept-alive connection unused this long is dropped: the server may close it
MAX_CONNECTIONS = 512
TIMED_OUT = 0  # the `status` of a request that got no answer (timeout, refused, reset)


@dataclass(frozen=True)
class Request:
    kind: str  # what the report groups by, e.g. "agent list"
    method: str
    path: str
    body: bytes = b""  # JSON; sent with a POST


@dataclass(frozen=True)
class Sample:
    kind: str
    due: float  # seconds since the run started
    latency: float  # seconds from `due` (open loop) or from the send (closed loop) to the answer
    status: int  # HTTP status, or TIMED_OUT


@dataclass(frozen=True)
class Run:
    samples: list[Sample]
    seconds: float  # from the first due time to the last answer
    cpu_seconds: float  # this process's CPU meanwhile: the generator's own cost

    def errors(self, ok: Callable[[Sample], bool]) -> int:
        return sum(not ok(sample) for sample in self.samples)


class Client:
    """Keep-alive HTTP/1.1 connections to one server, each used by one request at a time."""

    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self._head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        self._idle: list[tuple[float, asyncio.StreamReader, asyncio.StreamWriter]] = []
        self._slots = asyncio.Semaphore(MAX_CONNECTIONS)

    async def send(self, request: Request) -> int:
        async with self._slots:
            writer = None
            try:
                reader, writer = await self._connection()
                status, keep = await asyncio.wait_for(
                    self._exchange(reader, writer, request), REQUEST_TIMEOUT_SECS
                )
            except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
                if writer is not None:
                    writer.close()
                return TIMED_OUT
            if keep:
                self._idle.append((time.monotonic(), reader, writer))
            else:
                writer.close()
            return status

    async def close(self) -> None:
        for _, _, writer in self._idle:
            writer.close()
        self._idle.clear()

    async def _connection(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        while self._idle:
            used, reader, writer = self._idle.pop()
            if time.monotonic() - used < IDLE_SECS and not reader.at_eof():
                return reader, writer
            writer.close()
        return await asyncio.open_connection(self.host, self.port)

    async def _exchange(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: Request
    ) -> tuple[int, bool]:
        body = request.body
        length = f"Content-Length: {len(body)}\r\nContent-Type: application/json\r\n"
        writer.write(
            f"{request.method} {request.path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n"
            f"{self._head}{length if body else ''}\r\n".encode()
            + body
        )
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").lower().split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        fields = dict(line.split(":", 1) for line in head[1:] if ":" in line)
        if "chunked" in fields.get("transfer-encoding", ""):
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                await reader.readexactly(size + 2)
            await reader.readuntil(b"\r\n")
        else:
            await reader.readexactly(int(fields.get("content-length", "0")))
        return status, "close" not in fields.get("connection", "")


async def _open_loop(
    client: Client, requests: Sequence[Request], rate: float, run_started: float
) -> list[Sample]:
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    offset = start - run_started

    async def one(index: int, request: Request) -> Sample:
        due = start + index / rate
        status = await client.send(request)
        return Sample(request.kind, due - start + offset, loop.time() - due, status)

    tasks = []
    for index, request in enumerate(requests):
        delay = start + index / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(index, request)))
    return list(await asyncio.gather(*tasks))


def open_loop(
    *, host: str, port: int, headers: dict[str, str], requests: Sequence[Request], rate: float
) -> Run:
    """Send `requests` at `rate` a second on schedule; every answer's latency from its due time."""

    async def main() -> list[Sample]:
        client = Client(host, port, headers)
        try:
            return await _open_loop(client, requests, rate, time.monotonic())
        finally:
            await client.close()

    return _timed(main)


def closed_loop(
    *,
    host: str,
    port: int,
    headers: dict[str, str],
    next_request: Callable[[int], Request],
    concurrency: int,
    seconds: float,
) -> Run:
    """`concurrency` senders, each sending its next request as soon as the last is answered,
    for `seconds`: what the server serves at most (latencies from each send)."""

    async def main() -> list[Sample]:
        client = Client(host, port, headers)
        samples: list[Sample] = []
        started = time.monotonic()
        counter = iter(range(10**9))

        async def sender() -> None:
            while (sent := time.monotonic()) - started < seconds:
                request = next_request(next(counter))
                status = await client.send(request)
                samples.append(
                    Sample(request.kind, sent - started, time.monotonic() - sent, status)
                )

        try:
            await asyncio.gather(*(sender() for _ in range(concurrency)))
        finally:
            await client.close()
        return samples

    return _timed(main)


def _timed(main: Callable[[], Coroutine[Any, Any, list[Sample]]]) -> Run:
    cpu, wall = time.process_time(), time.monotonic()
    # uvloop (installed with the server) spends less CPU per request than asyncio's own loop.
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        samples = runner.run(main())
    return Run(
        samples=samples,
        seconds=time.monotonic() - wall,
        cpu_seconds=time.process_time() - cpu,
    )
