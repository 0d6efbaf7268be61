"""The relay benchmark's pieces: the audio it streams, what it counts as lost or out of
order, its round trips and the goals its report holds a run to. The run itself is `make
bench` (a minute, a sandbox and a uvicorn of its own)."""

import pytest

from bench.relay import (
    END,
    SILENCE,
    START,
    TONE,
    Conversation,
    Frame,
    Memory,
    Phase,
    RelayOutcome,
    expected_transcripts,
    plan,
)
from bench.relay_report import RelayReport
from sandbox.speech import Ears, speech_chunks

RATE = 16_000
CHUNK_BYTES = 800  # 25 ms of PCM16 at 16 kHz
REPLY = 'You said: "[0.35 seconds of speech]". My instructions begin: "Be brief".'


def test_the_stream_is_utterances_ending_in_silence():
    chunks = plan(10.0)

    assert len(chunks) == 400
    assert chunks[0] is TONE
    assert chunks[-1] is SILENCE
    assert len(expected_transcripts(chunks, CHUNK_BYTES, RATE)) >= 10


def test_the_expected_transcripts_are_what_the_sandbox_hears():
    chunks = plan(5.0)
    tone = b"\x40\x1f" * (CHUNK_BYTES // 2)  # 8000: speech to its ears
    silence = bytes(CHUNK_BYTES)
    ears = Ears("pcm_16000")

    heard = [ears.hear(tone if chunk else silence)[1] for chunk in chunks]

    assert [text for text in heard if text] == expected_transcripts(chunks, CHUNK_BYTES, RATE)


def turn(event_id: int, at: float, *, heard_chunks: int | None = None) -> list[Frame]:
    """An agent's reply as the sandbox sends it: the reply, its audio, and when cut short after
    `heard_chunks`, the interruption and correction."""
    chunks = speech_chunks(REPLY)
    spoken = chunks if heard_chunks is None else chunks[:heard_chunks]
    frames = [Frame(at, "agent_response", event_id, text=REPLY)]
    frames += [Frame(at, "audio", event_id, chars=chunk) for chunk in spoken]
    if heard_chunks is not None:
        frames += [
            Frame(at + 0.05, "interruption", event_id),
            Frame(at + 0.05, "agent_response_correction", event_id, "".join(spoken).strip()),
        ]
    return frames


def conversation(**changes) -> Conversation:
    """Two utterances, both heard; the first reply cut short after one chunk."""
    frames = [
        Frame(1.002, "user_transcript", 1, text="[0.35 seconds of speech]"),
        *turn(2, 1.003, heard_chunks=1),
        Frame(1.5, "ping", 3),
        Frame(2.002, "user_transcript", 4, text="[0.40 seconds of speech]"),
        *turn(5, 2.003),
    ]
    defaults = {
        "expected": ["[0.35 seconds of speech]", "[0.40 seconds of speech]"],
        "probes": [(0.5, START), (1.0, END), (1.05, START), (2.0, END)],
        "frames": frames,
        "chunks_sent": 80,
        "drained": True,
    }
    return Conversation(**{**defaults, **changes})


def test_a_clean_conversation_has_no_problem_and_its_round_trips():
    clean = conversation()

    assert set(clean.problems().values()) == {0}
    trips = clean.round_trips()
    assert trips["transcript"] == pytest.approx([0.002, 0.002])
    assert trips["interruption"] == pytest.approx([0.003])  # 1.053 - 1.05


def _ping_late(frames: list[Frame]) -> list[Frame]:
    """The ping (event 3) delivered after the transcript that followed it (event 4)."""
    ping = next(frame for frame in frames if frame.type == "ping")
    rest = [frame for frame in frames if frame is not ping]
    after = next(i for i, frame in enumerate(rest) if frame.event_id == 4) + 1
    return [*rest[:after], ping, *rest[after:]]


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (lambda frames: frames[:-1], "replies with audio missing"),  # the last chunk lost
        (lambda frames: [f for f in frames if f.type != "ping"], "event ids missing"),
        (_ping_late, "event ids out of order"),
        (lambda frames: [*frames[:-2], frames[-1], frames[-2]], "replies with audio out of order"),
        (lambda frames: [*frames, Frame(3.0, "error", text="Over 100 frames")], "error messages"),
        (
            lambda frames: [
                Frame(f.at, f.type, f.event_id, "[0.33 seconds of speech]")
                if f.type == "user_transcript" and f.event_id == 1
                else f
                for f in frames
            ],
            "utterances misheard",
        ),
    ],
)
def test_a_lost_or_moved_frame_is_counted(change, problem):
    broken = conversation(frames=change(conversation().frames))

    assert broken.problems()[problem] >= 1


def test_a_reply_cut_off_by_the_close_is_not_a_loss_unless_it_was_awaited():
    frames = conversation().frames[:-1]

    assert conversation(frames=frames, drained=False).problems()["replies with audio missing"] == 0


def phase(name: str, latency: float, **conversation_changes) -> Phase:
    frames = conversation().frames
    shifted = [
        Frame(f.at + latency, f.type, f.event_id, f.text, f.chars) for f in frames
    ]  # every answer `latency` s later
    conversations = [conversation(frames=shifted, **conversation_changes)] * 10
    return Phase(
        name,
        conversations,
        seconds=10.0,
        generator_cpu_seconds=1.0,
        sandbox_cpu_seconds=2.0,
        server_cpu_seconds=3.0 if name == "relay" else 0.0,
    )


def report(*, added: float = 0.001, recorded=None, **relay_changes) -> RelayReport:
    outcome = RelayOutcome(
        database="SQLite 3",
        clients=10,
        stream_seconds=10.0,
        command=["python", "-m", "uvicorn", "config.asgi:application", "--workers", "1"],
        direct=phase("direct", 0.0),
        relay=phase("relay", added, **relay_changes),
        memory=Memory(before_mib=100.0, most_mib=105.0, after_mib=101.0, conversations=10),
        recorded={"completed": 11} if recorded is None else recorded,
        load=(0.5, 0.6),
    )
    return RelayReport(outcome=outcome, command="make bench", database="var/bench.sqlite3")


def test_a_run_within_the_goals_is_met():
    met = report()

    assert met.failures() == []
    assert "**512 KiB per open conversation**" in met.markdown()
    assert "Goal met." in met.markdown()


@pytest.mark.parametrize(
    ("kwargs", "failure"),
    [
        ({"added": 0.003}, "the relay adds 3.00 ms at the median (goal < 2)"),
        ({"added": 0.012}, "the relay adds 12.00 ms at p99 (goal < 10)"),
        ({"recorded": {"completed": 9, "interrupted": 2}}, "9 of 11 relayed conversations"),
        (
            {"expected": ["[0.35 seconds of speech]"] * 3},
            "through the relay: 10 utterances not answered before the close",
        ),
    ],
)
def test_a_missed_goal_is_named(kwargs, failure):
    missed = report(**kwargs)
    assert any(failure in found for found in missed.failures())
    assert "Goal **missed**" in missed.markdown()
