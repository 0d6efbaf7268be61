"""The ranges of a config's numbers: ElevenLabs' own, and a few of ours where a value out of
range would break a call although ElevenLabs documents no limit.

The SDK's pydantic types carry no constraints (they are generated without them), so the
ranges are written down here, each with where it comes from; docs/api.md has the same table.
They hold for what a person writes. A value that was accepted before (it is in the agent's
current config, or ElevenLabs itself answered with it) is not held to them again: ElevenLabs
is the judge of what ElevenLabs accepts, and a person editing the prompt should not be
stopped by a setting they did not touch.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, TypeGuard


@dataclass(frozen=True)
class Bound:
    """`key` of every object at `where` (dotted; `*` is any list item) lies in low..high."""

    where: str
    key: str
    low: float
    high: float
    open: bool = False  # both ends excluded
    off: int | None = None  # a value outside the range that ElevenLabs reads as "none"
    off_means: str = ""
    tool_type: str | None = None  # only in tools of this `type`

    @property
    def path(self) -> str:
        return f"{self.where}.{self.key}"

    def allows(self, value: float) -> bool:
        if value == self.off:
            return True
        if self.open:
            return self.low < value < self.high
        return self.low <= value <= self.high

    def message(self, value: float) -> str:
        limits = f"between {_number(self.low)} and {_number(self.high)}"
        if self.open:
            limits = f"greater than {_number(self.low)} and less than {_number(self.high)}"
        if self.off is not None:
            limits += f", or {self.off} {self.off_means}"
        return f"Must be {limits}; {_number(value)} is not."


PROMPT = "conversation_config.agent.prompt"
TOOLS = f"{PROMPT}.tools.*"
TTS = "conversation_config.tts"
VOICES = f"{TTS}.supported_voices.*"

BOUNDS = (
    # Ours: ElevenLabs documents no range, and the LLMs it offers refuse a temperature above 2
    # (OpenAI's and Google's take 0 to 2, Anthropic's 0 to 1): every reply would fail.
    Bound(PROMPT, "temperature", 0, 2),
    # ElevenLabs: "if greater than 0, maximum number of tokens the LLM can predict" (so -1 or
    # 0 is no limit). Ours: no model predicts a million tokens; more is a typo that the LLM
    # would refuse on every reply.
    Bound(PROMPT, "max_tokens", -1, 1_000_000),
    # ElevenLabs, the SDK: "Must be between 2 and 15 seconds."
    Bound(PROMPT, "cascade_timeout_seconds", 2, 15),
    # ElevenLabs' OpenAPI: exclusiveMinimum 0 and exclusiveMaximum 1 (distance), exclusive
    # 0 to 10,000,000 (length), exclusive 0 to 20 inclusive (chunks): whole numbers here.
    Bound(f"{PROMPT}.rag", "max_vector_distance", 0, 1, open=True),
    Bound(f"{PROMPT}.rag", "max_documents_length", 1, 9_999_999),
    Bound(f"{PROMPT}.rag", "max_retrieved_rag_chunks_count", 1, 20),
    # ElevenLabs, the SDK: webhook tools "must be between 5 and 300 seconds (inclusive)";
    # client tools "between 1 and 120 seconds (inclusive), or -1 to wait ... indefinitely".
    Bound(TOOLS, "response_timeout_secs", 5, 300, tool_type="webhook"),
    Bound(TOOLS, "response_timeout_secs", 5, 300, tool_type="api_integration_webhook"),
    Bound(
        TOOLS,
        "response_timeout_secs",
        1,
        120,
        off=-1,
        off_means="to wait for the client indefinitely",
        tool_type="client",
    ),
    # Ours: ElevenLabs documents no range. The setting is what ends a runaway call, which is
    # billed by the minute; past a day it no longer does, and under a second no call starts.
    Bound("conversation_config.conversation", "max_duration_seconds", 1, 86_400),
    # ElevenLabs' docs (Conversation flow): "Turn timeouts must be between 1 and 30 seconds."
    Bound("conversation_config.turn", "turn_timeout", 1, 30),
    # ElevenLabs' OpenAPI: minimum and maximum of the agent's voice and of each extra voice;
    # its docs (Speed): "Values outside the 0.7-1.2 range are not supported."
    *(
        bound
        for where in (TTS, VOICES)
        for bound in (
            Bound(where, "stability", 0, 1),
            Bound(where, "similarity_boost", 0, 1),
            Bound(where, "speed", 0.7, 1.2),
        )
    ),
)


def bound_problems(config: dict, *, field: str, accepted: dict | None) -> Iterator[tuple[str, str]]:
    """(dotted path, message) for each number in `config` out of its range, except those equal
    to the number at the same path of `accepted`."""
    for bound in BOUNDS:
        for parts, holder in _objects_at(config, bound.where.split("."), ()):
            value = holder.get(bound.key)
            if not _is_number(value) or bound.allows(value):
                continue
            if bound.tool_type is not None and holder.get("type") != bound.tool_type:
                continue
            path = (*parts, bound.key)
            if accepted is not None and _value_at(accepted, path) == value:
                continue
            yield ".".join([field, *path]), bound.message(value)


def _objects_at(node: Any, pattern: list[str], path: tuple) -> Iterator[tuple[tuple, dict]]:
    if not pattern:
        if isinstance(node, dict):
            yield path, node
        return
    head, *rest = pattern
    children: list[tuple[object, Any]]
    if head == "*":
        children = list(enumerate(node)) if isinstance(node, list) else []
    else:
        children = [(head, node[head])] if isinstance(node, dict) and head in node else []
    for key, child in children:
        yield from _objects_at(child, rest, (*path, str(key)))


def _value_at(node: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            return None
    return node


def _is_number(value: Any) -> TypeGuard[float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value):,}"
    return str(value)
