"""The sandbox's voice and ears: deterministic audio out, deterministic "transcription" in.

Nothing here is speech technology. The agent "speaks" a short tone per character, so the same
text and voice always give the same bytes, and a client can still play them. It "hears" what
a test can control: audio whose bytes are UTF-8 text is heard as that text, anything else as
a length of speech ended by a quiet chunk, like a voice activity detector would.
"""

import math
import re
import sys
import zlib
from array import array
from dataclasses import dataclass
from functools import lru_cache

# The formats the conversation protocol names (AudioFormat in the AsyncAPI contract).
SAMPLE_RATES = {
    "pcm_8000": 8000,
    "pcm_16000": 16000,
    "pcm_22050": 22050,
    "pcm_24000": 24000,
    "pcm_44100": 44100,
    "pcm_48000": 48000,
    "ulaw_8000": 8000,
}
DEFAULT_FORMAT = "pcm_16000"
# About sixteen characters a second, the pace of ordinary speech.
CHAR_MS = 60
WORDS_PER_CHUNK = 4
# Peak amplitude (of 32767) below which a chunk counts as silence: about -30 dBFS, well above
# the hiss of a quiet room and well below a voice.
SILENCE_PEAK = 1000
_AMPLITUDE = 8000


def audio_format(configured: object) -> str:
    """The format the sandbox speaks or hears for a configured one; MP3 and the like become
    PCM, since the conversation protocol only carries PCM and mu-law."""
    if isinstance(configured, str) and configured in SAMPLE_RATES:
        return configured
    return DEFAULT_FORMAT


def speech_chunks(text: str) -> list[str]:
    """The pieces a reply's audio is streamed in; joined, they give the text back."""
    words = re.findall(r"\S+\s*", text)
    return ["".join(words[i : i + WORDS_PER_CHUNK]) for i in range(0, len(words), WORDS_PER_CHUNK)]


def synthesize(text: str, *, voice_id: str, audio_format: str) -> bytes:
    """CHAR_MS of tone per character (silence for spaces and punctuation), pitched by voice."""
    pitch = 110 + zlib.crc32(voice_id.encode()) % 110
    rate = SAMPLE_RATES[audio_format]
    tones = (_tone(pitch + (ord(char) % 16) * 12 if char.isalnum() else 0, rate) for char in text)
    pcm = b"".join(tones)
    return _to_ulaw(pcm) if audio_format.startswith("ulaw") else pcm


def alignment(text: str) -> dict:
    """Character timings for `synthesize(text)`, as the `alignment` of an audio event."""
    return {
        "chars": list(text),
        "char_start_times_ms": [index * CHAR_MS for index in range(len(text))],
        "char_durations_ms": [CHAR_MS] * len(text),
    }


@dataclass
class Ears:
    """What the user said so far in audio: speech accumulates until a quiet chunk ends it."""

    audio_format: str
    speech_secs: float = 0.0

    def hear(self, chunk: bytes) -> tuple[bool, str | None]:
        """(whether the chunk holds speech, the transcript of an utterance it completes)."""
        text = _as_text(chunk)
        if text:
            return True, text
        if _peak(chunk, self.audio_format) >= SILENCE_PEAK:
            self.speech_secs += _duration(chunk, self.audio_format)
            return True, None
        if not self.speech_secs:
            return False, None
        heard, self.speech_secs = self.speech_secs, 0.0
        return False, f"[{heard:.2f} seconds of speech]"


def _as_text(chunk: bytes) -> str:
    try:
        text = chunk.decode("utf-8").strip()
    except UnicodeDecodeError:
        return ""
    # Real audio almost never decodes to printable text: its samples hold control bytes.
    return text if text.isprintable() else ""


def _duration(chunk: bytes, audio_format: str) -> float:
    bytes_per_sample = 1 if audio_format.startswith("ulaw") else 2
    return len(chunk) / bytes_per_sample / SAMPLE_RATES[audio_format]


def _peak(chunk: bytes, audio_format: str) -> int:
    if audio_format.startswith("ulaw"):
        return max((_ulaw_magnitude(byte) for byte in chunk), default=0)
    return max((abs(sample) for sample in _samples(chunk)), default=0)


# PCM on the wire is 16-bit little-endian, whatever this machine is.
def _samples(pcm: bytes) -> array:
    samples = array("h", pcm[: len(pcm) // 2 * 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def _pcm(samples: array) -> bytes:
    if sys.byteorder == "big":
        samples.byteswap()
    return samples.tobytes()


@lru_cache(maxsize=512)
def _tone(frequency: int, rate: int) -> bytes:
    count = rate * CHAR_MS // 1000
    step = 2 * math.pi * frequency / rate
    return _pcm(array("h", (round(_AMPLITUDE * math.sin(step * n)) for n in range(count))))


# G.711 mu-law, written out because audioop left the standard library in Python 3.13.
def _to_ulaw(pcm: bytes) -> bytes:
    return bytes(_ulaw_byte(sample) for sample in _samples(pcm))


def _ulaw_byte(sample: int) -> int:
    sign = 0x80 if sample < 0 else 0
    magnitude = min(abs(sample), 32635) + 0x84
    exponent = magnitude.bit_length() - 8
    mantissa = (magnitude >> (exponent + 3)) & 0x0F
    return ~(sign | exponent << 4 | mantissa) & 0xFF


def _ulaw_magnitude(byte: int) -> int:
    inverted = ~byte & 0xFF
    exponent = (inverted >> 4) & 0x07
    mantissa = inverted & 0x0F
    return (((mantissa << 3) + 0x84) << exponent) - 0x84
