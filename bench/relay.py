"""The conversation relay under load: 50 simulated browsers stream audio in real time for 10 s
through one uvicorn process to the sandbox, and the same clients straight to the sandbox, one
phase after the other, against the same sandbox.

What is timed is a round trip the sandbox answers at once, whichever way the client is
connected: the silent chunk that ends an utterance is answered by a `user_transcript`, and the
first speech chunk of the next one, while the agent is still replying, by an `interruption`
(sandbox/speech.py, sandbox/conversation.py). Through the relay a round trip crosses it twice,
so its added latency (relay minus direct, at the median and at the 99th percentile) is what
two messages cost; the goal is held to it whole.

What is checked, per conversation (`Conversation.problems`): every utterance heard as sent
(the sandbox's transcript gives the seconds of speech it counted, so one speech chunk lost or
moved shows), the sandbox's event ids all received and in order (each ping, transcript and
reply takes the next one), each reply's audio chunks all received and in order (their
alignment spells the reply's text), and no `error` message. The direct phase runs the same
checks: a problem there is the benchmark's, not the relay's.

Memory: the uvicorn process's resident memory before the conversations open, at its highest
while they are open, and after; the growth divided by the conversations is the cost of one.
"""

import asyncio
import base64
import itertools
import json
import math
import os
import sys
import threading
import time
from array import array
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from django.core.management import call_command
from django.db import connections
from django.test.utils import override_settings
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from bench.benchmark import database_version
from bench.measure import percentile
from bench.observe import cpu_seconds, rss_mib
from bench.processes import Server, free_port, log_tail, running, web_server_command
from bench.sandbox_server import API_KEY, Sandbox, sandbox_server
from bench.seed import agent_config
from sandbox.speech import SAMPLE_RATES, speech_chunks

HOST = "127.0.0.1"
CLIENTS = 50
STREAM_SECS = 10.0
CHUNK_SECS = 0.025
MEDIAN_GOAL_MS = 2.0  # added by the relay to a round trip, relay minus direct
P99_GOAL_MS = 10.0
# An utterance: 14 to 22 chunks of tone (an even count: the sandbox's seconds of speech,
# rounded to hundredths, then never fall on a tie), then 300 ms of silence, during which the
# agent starts its reply; the next utterance cuts it short.
SILENT_CHUNKS = 12
TONE_AMPLITUDE = 8000  # of 32767: speech to the sandbox's ears (sandbox.speech.SILENCE_PEAK)
TONE_HZ = 440
PING_SECS = 1.0  # the sandbox's pings (20 s by default): ten a conversation, so the relay's
# answering them is part of the load
DRAIN_SECS = 5.0  # at most, after the stream, for the agent's last reply to be heard out
OPEN_TIMEOUT_SECS = 30.0
START_TIMEOUT_SECS = 60.0
MEMORY_SAMPLE_SECS = 0.2
PAUSE_SECS = 2.0  # between the phases
# Server messages that take the next event id when the sandbox sends them.
NUMBERED = ("ping", "user_transcript", "agent_response", "client_tool_call")
TONE, SILENCE = True, False
START, END = "start", "end"  # the probes: an utterance's first tone chunk, its closing silence


@dataclass(frozen=True)
class Frame:
    """A server message as a client received it (the audio itself left out)."""

    at: float  # time.perf_counter() on arrival
    type: str
    event_id: int | None = None
    text: str = ""  # a transcript, a reply, a correction's corrected text, an error's message
    chars: str = ""  # an audio chunk's alignment: the text it speaks


@dataclass
class Conversation:
    """One client's conversation: what it sent that the sandbox answers, what came back."""

    expected: list[str]  # the transcripts the utterances should be heard as, in order
    probes: list[tuple[float, str]] = field(default_factory=list)  # (sent at, START or END)
    frames: list[Frame] = field(default_factory=list)
    chunks_sent: int = 0
    drained: bool = False  # the agent's last reply was heard out before the client closed

    def round_trips(self) -> dict[str, list[float]]:
        """Seconds from a probe to its answer: the n-th transcript answers the n-th closing
        silence; an interruption, the last utterance's first chunk sent before it came."""
        ends = [at for at, kind in self.probes if kind == END]
        transcripts = [frame.at for frame in self.frames if frame.type == "user_transcript"]
        starts = [at for at, kind in self.probes if kind == START]
        interruptions = []
        for frame in self.frames:
            if frame.type == "interruption":
                before = [at for at in starts if at <= frame.at]
                if before:
                    interruptions.append(frame.at - before[-1])
        return {
            "transcript": [answer - sent for sent, answer in zip(ends, transcripts, strict=False)],
            "interruption": interruptions,
        }

    def problems(self) -> dict[str, int]:
        """What went missing, out of order or wrong, by check; zeros when nothing did."""
        heard = [frame.text for frame in self.frames if frame.type == "user_transcript"]
        misheard = sum(a != b for a, b in zip(heard, self.expected, strict=False))
        numbered = [frame.event_id or 0 for frame in self.frames if frame.type in NUMBERED]
        turns_wrong, audio_missing = self._turns()
        return {
            "utterances misheard": misheard + max(len(heard) - len(self.expected), 0),
            # Lost, or still on their way when the client closed (DRAIN_SECS after the stream).
            "utterances not answered before the close": max(len(self.expected) - len(heard), 0),
            "event ids missing": (max(numbered) - len(set(numbered))) if numbered else 0,
            "event ids out of order": sum(b <= a for a, b in itertools.pairwise(numbered)),
            "replies with audio out of order": turns_wrong,
            "replies with audio missing": audio_missing,
            "error messages": sum(frame.type == "error" for frame in self.frames),
        }

    def _turns(self) -> tuple[int, int]:
        """Replies whose audio chunks came out of order (or before the reply, or after its
        interruption), and replies missing chunks the sandbox sent."""
        wrong = missing = 0
        replies = [frame for frame in self.frames if frame.type == "agent_response"]
        for number, reply in enumerate(replies):
            chunks = speech_chunks(reply.text)
            mine = [
                (index, frame)
                for index, frame in enumerate(self.frames)
                if frame.event_id == reply.event_id
            ]
            kinds = [frame.type for _, frame in mine]
            audio = [frame.chars for _, frame in mine if frame.type == "audio"]
            spoken = "".join(audio)
            in_order = spoken == "".join(chunks[: len(audio)]) and kinds == sorted(
                kinds, key=_TURN_ORDER.index
            )
            wrong += not in_order
            corrections = [frame.text for _, frame in mine if frame.type == _CORRECTION]
            if corrections:  # interrupted: as many chunks as the sandbox said were heard
                missing += corrections[0] != spoken.strip()
            elif number < len(replies) - 1 or self.drained:  # spoken to its end
                missing += len(audio) != len(chunks)
        return wrong, missing

    @property
    def frames_received(self) -> int:
        return len(self.frames)


_CORRECTION = "agent_response_correction"
_TURN_ORDER = ["agent_response", "audio", "interruption", _CORRECTION]


@dataclass(frozen=True)
class Phase:
    """The clients' conversations, straight to the sandbox or through the relay."""

    name: str
    conversations: list[Conversation]
    seconds: float  # from the first chunk due to the last conversation closed
    generator_cpu_seconds: float  # this process's, clients and all
    sandbox_cpu_seconds: float
    server_cpu_seconds: float = 0.0  # the relay's process (0 for the direct phase)

    def round_trips_ms(self, kind: str | None = None) -> list[float]:
        return [
            seconds * 1000
            for conversation in self.conversations
            for name, values in conversation.round_trips().items()
            if kind in (None, name)
            for seconds in values
        ]

    def latency_ms(self, percent: float, kind: str | None = None) -> float:
        samples = self.round_trips_ms(kind)
        return percentile(samples, percent) if samples else float("nan")

    def problems(self) -> dict[str, int]:
        totals: dict[str, int] = {}
        for conversation in self.conversations:
            for check, count in conversation.problems().items():
                totals[check] = totals.get(check, 0) + count
        return totals

    @property
    def chunks_sent(self) -> int:
        return sum(conversation.chunks_sent for conversation in self.conversations)

    @property
    def frames_received(self) -> int:
        return sum(conversation.frames_received for conversation in self.conversations)

    @property
    def undrained(self) -> int:
        return sum(not conversation.drained for conversation in self.conversations)


@dataclass(frozen=True)
class Memory:
    before_mib: float  # the relay's process, before the conversations open
    most_mib: float  # at its highest while they are open
    after_mib: float  # once they closed
    conversations: int

    @property
    def per_conversation_kib(self) -> float:
        return (self.most_mib - self.before_mib) * 1024 / self.conversations


@dataclass(frozen=True)
class RelayOutcome:
    database: str
    clients: int
    stream_seconds: float
    command: list[str]
    direct: Phase
    relay: Phase
    memory: Memory
    recorded: dict[str, int]  # the relay's conversation records, by status
    load: tuple[float, float]

    def added_ms(self, percent: float) -> float:
        return self.relay.latency_ms(percent) - self.direct.latency_ms(percent)


def relay_benchmark(*, clients: int, seconds: float, logs: Path) -> RelayOutcome:
    call_command("migrate", verbosity=0, interactive=False)
    sandbox_settings = {"SANDBOX_PING_INTERVAL": str(PING_SECS)}
    with sandbox_server(per_second=0, log=logs / "sandbox.log", settings=sandbox_settings) as sb:
        key, agent_id, remote_agent, branch = _seed(sb.url, clients)
        connections.close_all()  # the server's from here on (SQLite's lock included)
        port = free_port()
        command = web_server_command(workers=1, bind=["--host", HOST, "--port", str(port)])
        env = {
            **os.environ,
            "ELEVENLABS_BASE_URL": sb.url,
            "ELEVENLABS_API_KEY": API_KEY,
            "DEBUG": "false",
            "LOG_LEVEL": "WARNING",
        }
        with running(command, env=env, log=logs / "server.log") as server:
            _wait_until_serving(server, port, logs / "server.log")
            relay_url = f"ws://{HOST}:{port}/ws/agents/{agent_id}/conversation?target=testing"
            relay_headers = {"Authorization": f"Token {key}"}
            print("bench: relay up; warming both ways up", flush=True)
            _run(_phase([_signed_url(sb, remote_agent, branch)], {}, 1.0))
            _run(_phase([relay_url], relay_headers, 1.0))
            load_before = os.getloadavg()[0]
            print(f"bench: {clients} clients straight to the sandbox for {seconds:g} s", flush=True)
            urls = [_signed_url(sb, remote_agent, branch) for _ in range(clients)]
            direct = _measured("direct", sb, None, _phase(urls, {}, seconds))
            time.sleep(PAUSE_SECS)
            print(f"bench: {clients} clients through the relay for {seconds:g} s", flush=True)
            pid = server.process.pid
            with _memory(pid) as samples:
                before = rss_mib(pid)
                relay = _measured(
                    "relay", sb, pid, _phase([relay_url] * clients, relay_headers, seconds)
                )
            time.sleep(PAUSE_SECS)  # for the records to be closed
            memory = Memory(before, max(samples, default=before), rss_mib(pid), clients)
            load_after = os.getloadavg()[0]
        recorded = _recorded()
    return RelayOutcome(
        database=database_version(),
        clients=clients,
        stream_seconds=seconds,
        command=command,
        direct=direct,
        relay=relay,
        memory=memory,
        recorded=recorded,
        load=(load_before, load_after),
    )


# --- the clients --------------------------------------------------------------------------


def plan(seconds: float) -> list[bool]:
    """The chunks a client streams, TONE or SILENCE, ending in silence."""
    total = round(seconds / CHUNK_SECS)
    chunks: list[bool] = []
    utterance = 0
    while len(chunks) < total:
        tone = 14 + 2 * (utterance * 3 % 5)
        chunks += [TONE] * tone + [SILENCE] * SILENT_CHUNKS
        utterance += 1
    chunks = chunks[:total]
    if chunks and chunks[-1] is TONE:  # an utterance never ended would never be heard
        chunks[-1] = SILENCE
    return chunks


def expected_transcripts(chunks: list[bool], chunk_bytes: int, rate: int) -> list[str]:
    """What the sandbox hears: each run of tone, as its seconds of speech (added up as the
    sandbox adds them, so the rounding is the same)."""
    heard, speech = [], 0.0
    for chunk in chunks:
        if chunk is TONE:
            speech += chunk_bytes / 2 / rate
        elif speech:
            heard.append(f"[{speech:.2f} seconds of speech]")
            speech = 0.0
    return heard


def _frames(rate: int) -> tuple[str, str, int]:
    """A tone chunk's frame, a silent chunk's, and their audio's length in bytes."""
    count = round(rate * CHUNK_SECS)
    step = 2 * math.pi * TONE_HZ / rate
    tone = array("h", (round(TONE_AMPLITUDE * math.sin(step * n)) for n in range(count)))
    if sys.byteorder == "big":
        tone.byteswap()
    silence = bytes(2 * count)

    def frame(audio: bytes) -> str:
        return json.dumps({"user_audio_chunk": base64.b64encode(audio).decode()})

    return frame(tone.tobytes()), frame(silence), 2 * count


async def _phase(urls: list[str], headers: dict[str, str], seconds: float) -> list[Conversation]:
    """Open a conversation per URL, then stream in all of them at once."""
    chunks = plan(seconds)
    sockets = await asyncio.gather(*(_open(url, headers) for url in urls))
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.5
    spread = CHUNK_SECS / len(urls)  # browsers are not in step: their chunks are spread out
    try:
        return list(
            await asyncio.gather(
                *(
                    _stream(socket, rate, chunks, start + index * spread)
                    for index, (socket, rate) in enumerate(sockets)
                )
            )
        )
    finally:
        for socket, _ in sockets:
            await socket.close()


async def _open(url: str, headers: dict[str, str]) -> tuple[ClientConnection, int]:
    """A conversation started as a browser starts one; the input sample rate it announced."""
    socket = await connect(
        url,
        additional_headers=headers,
        subprotocols=[Subprotocol("convai")],
        open_timeout=OPEN_TIMEOUT_SECS,
        max_size=None,
        ping_interval=None,
        compression=None,
    )
    await socket.send(json.dumps({"type": "conversation_initiation_client_data"}))
    while True:
        message = json.loads(await asyncio.wait_for(socket.recv(), OPEN_TIMEOUT_SECS))
        if message.get("type") == "conversation_initiation_metadata":
            event = message["conversation_initiation_metadata_event"]
            return socket, SAMPLE_RATES[event["user_input_audio_format"]]
        if message.get("type") == "error":
            raise RuntimeError(f"A conversation was refused: {message['error_event']}")


async def _stream(
    socket: ClientConnection, rate: int, chunks: list[bool], start: float
) -> Conversation:
    tone, silence, chunk_bytes = _frames(rate)
    conversation = Conversation(expected=expected_transcripts(chunks, chunk_bytes, rate))
    receiving = asyncio.create_task(_receive(socket, conversation))
    loop = asyncio.get_running_loop()
    previous = SILENCE
    sent = 0
    for chunk in chunks:
        await _until(loop, start + sent * CHUNK_SECS)
        if chunk is not previous:
            conversation.probes.append((time.perf_counter(), START if chunk is TONE else END))
        await socket.send(tone if chunk is TONE else silence)
        previous, sent = chunk, sent + 1
    # Silence, as a browser keeps streaming, until the last reply is heard out.
    deadline = loop.time() + DRAIN_SECS
    while not _heard_out(conversation) and loop.time() < deadline:
        await _until(loop, start + sent * CHUNK_SECS)
        await socket.send(silence)
        sent += 1
    conversation.drained = _heard_out(conversation)
    conversation.chunks_sent = sent
    await socket.close()
    await asyncio.wait_for(receiving, OPEN_TIMEOUT_SECS)
    return conversation


def _heard_out(conversation: Conversation) -> bool:
    """The utterances all answered, and the last reply spoken to its end."""
    frames = conversation.frames
    heard = sum(frame.type == "user_transcript" for frame in frames)
    replies = [frame for frame in frames if frame.type == "agent_response"]
    if heard < len(conversation.expected) or not replies:
        return False
    last = replies[-1]
    audio = sum(frame.type == "audio" and frame.event_id == last.event_id for frame in frames)
    return audio >= len(speech_chunks(last.text))


async def _until(loop: asyncio.AbstractEventLoop, due: float) -> None:
    delay = due - loop.time()
    if delay > 0:
        await asyncio.sleep(delay)


async def _receive(socket: ClientConnection, conversation: Conversation) -> None:
    try:
        async for raw in socket:
            at = time.perf_counter()
            frame = _frame(at, json.loads(raw))
            conversation.frames.append(frame)
            if frame.type == "ping":  # as ElevenLabs' clients answer
                await socket.send(json.dumps({"type": "pong", "event_id": frame.event_id}))
    except ConnectionClosed:
        pass


def _frame(at: float, message: dict) -> Frame:
    kind = str(message.get("type"))
    event: dict[str, Any] = next(
        (value for key, value in message.items() if key != "type" and isinstance(value, dict)),
        {},
    )
    text = {
        "user_transcript": "user_transcript",
        "agent_response": "agent_response",
        _CORRECTION: "corrected_agent_response",
        "error": "message",
    }.get(kind)
    chars = (event.get("alignment") or {}).get("chars") or []
    return Frame(
        at=at,
        type=kind,
        event_id=event.get("event_id"),
        text=str(event.get(text, "")) if text else "",
        chars="".join(chars),
    )


def _run(work: Any) -> Any:
    try:
        import uvloop
    except ImportError:  # pragma: no cover - it is a dependency
        return asyncio.run(work)
    return uvloop.run(work)


# --- the servers and the data -------------------------------------------------------------


def _seed(sandbox_url: str, clients: int) -> tuple[str, int, str, str]:
    """A workspace allowing the clients' conversations at once, an agent in testing synced
    to the sandbox, and a tester's token: (token, agent id, ElevenLabs agent id, branch id)."""
    from agents.models import Status
    from agents.services import agent_create
    from deployments.services import deployment_create
    from workspaces.models import Workspace
    from workspaces.roles import Role
    from workspaces.services import account_bootstrap

    with override_settings(ELEVENLABS_API_KEY=API_KEY, ELEVENLABS_BASE_URL=sandbox_url):
        admin, _ = account_bootstrap(
            workspace_name="Bench relay", username="bench-relay-admin", role=Role.ADMIN
        )
        _, key = account_bootstrap(
            workspace_name="Bench relay", username="bench-relay-tester", role=Role.TESTER
        )
        # Direct, as an admin would raise it: one more than the clients, for the warm-up's.
        Workspace.objects.filter(pk=admin.workspace_id).update(concurrent_conversations=clients + 1)
        agent = agent_create(
            workspace=admin.workspace,
            actor=admin.user,
            name="Relay agent",
            config=agent_config(1, 1),
        )
        deployment_create(agent=agent, to_status=Status.TESTING, changes="", actor=admin.user)
        agent.refresh_from_db()
        sync = agent.sync
        if not sync.testing_branch_id:
            raise RuntimeError(f"The agent did not reach testing on the sandbox: {sync.last_error}")
    return key, agent.pk, sync.elevenlabs_agent_id, sync.testing_branch_id


def _signed_url(sandbox: Sandbox, agent_id: str, branch_id: str) -> str:
    """What a browser would be handed to talk to the sandbox straight."""
    response = sandbox.http.get(
        "v1/convai/conversation/get-signed-url",
        params={"agent_id": agent_id, "branch_id": branch_id},
    )
    response.raise_for_status()
    return str(response.json()["signed_url"])


def _measured(name: str, sandbox: Sandbox, server_pid: int | None, work: Any) -> Phase:
    sandbox_pid = sandbox.server.process.pid
    cpu = time.process_time()
    sandbox_cpu = cpu_seconds([sandbox_pid])
    server_cpu = cpu_seconds([server_pid]) if server_pid else 0.0
    started = time.perf_counter()
    conversations = _run(work)
    return Phase(
        name=name,
        conversations=conversations,
        seconds=time.perf_counter() - started,
        generator_cpu_seconds=time.process_time() - cpu,
        sandbox_cpu_seconds=cpu_seconds([sandbox_pid]) - sandbox_cpu,
        server_cpu_seconds=(cpu_seconds([server_pid]) - server_cpu) if server_pid else 0.0,
    )


@contextmanager
def _memory(pid: int) -> Iterator[list[float]]:
    """The process's resident memory, sampled on a thread while the block runs."""
    samples: list[float] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(MEMORY_SAMPLE_SECS):
            samples.append(rss_mib(pid))

    sampler = threading.Thread(target=sample, name="bench-relay-memory", daemon=True)
    sampler.start()
    try:
        yield samples
    finally:
        stop.set()
        sampler.join()


def _wait_until_serving(server: Server, port: int, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_SECS
    while True:
        try:
            if httpx.get(f"http://{HOST}:{port}/livez", timeout=1).is_success:
                return
        except httpx.TransportError:
            pass
        if server.process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"The web server did not start:\n{log_tail(log)}")
        time.sleep(0.2)


def _recorded() -> dict[str, int]:
    from testruns.models import Conversation as Record

    statuses = Record.objects.values_list("status", flat=True)
    counts: dict[str, int] = {}
    for status in statuses:
        counts[status] = counts.get(status, 0) + 1
    return counts
