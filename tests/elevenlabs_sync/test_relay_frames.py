"""How the relay tells an audio frame from ElevenLabs without decoding it: a frame it calls
audio is relayed without being read, so a frame it must read (a ping, a transcript) may never
be called audio, whatever its text says."""

import json

import pytest

from elevenlabs_sync.relay import is_audio

AUDIO_EVENT = {"audio_base_64": "AAAA", "event_id": 3, "alignment": {"chars": ["a"]}}


@pytest.mark.parametrize(
    "frame",
    [
        json.dumps({"type": "audio", "audio_event": AUDIO_EVENT}),
        json.dumps({"audio_event": AUDIO_EVENT, "type": "audio"}),
        json.dumps({"type": "audio", "audio_event": AUDIO_EVENT}, separators=(",", ":")),
        '{ "type" : "audio" , "audio_event": {} }',
    ],
)
def test_a_frame_that_starts_by_saying_it_is_audio_is_audio(frame):
    assert is_audio(frame)


@pytest.mark.parametrize(
    "message",
    [
        {"type": "ping", "ping_event": {"event_id": 1}},
        {"type": "agent_response", "agent_response_event": {"agent_response": '"audio_event":'}},
        {"type": "audio_alignment", "audio_alignment_event": {}},
        {"type": "user_transcript", "user_transcription_event": {"user_transcript": "audio"}},
        # Audio, but not said at the start: decoded, which costs time and nothing else.
        {"event_id": 3, "type": "audio", "audio_event": AUDIO_EVENT},
    ],
)
def test_any_other_frame_is_read(message):
    assert not is_audio(json.dumps(message))
