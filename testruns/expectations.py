"""Judging a scripted conversation (scripts.py): what the runner saw at each turn against what
the script expected, as sentences a person can act on.

Each failure names the turn, what was expected and what came instead (the reply trimmed to
~200 characters), e.g. `Turn 2: the reply does not contain "table"; it was: "Sorry, …"`.

How values are compared:
- contains / not_contains: case-insensitive (casefolded), with every run of whitespace read
  as one space, so a reply's line breaks do not hide a phrase.
- matches: `re.search` with re.IGNORECASE, on the reply as it came.
- tool_called: passes if any call has the name and its arguments include the expected ones.
  Objects are matched as subsets, recursively (extra keys in the call are fine); lists are
  compared whole (same length and order, the objects in them whole too); numbers compare by
  value (2 == 2.0) but never equal text ("2" != 2) or true/false (1 != true); text is
  compared exactly. Tool arguments are the model's output: a number sent as text is a
  different call to the tool behind it, so it fails.
- max_latency_ms: fails when the reply took longer, or never came.
A turn with no reply (`latency_ms` None) fails every expectation about the reply with "no
reply came"; tool_called is still judged, since a call can come without a reply.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from testruns.scripts import Expectation, Script, ScriptTurn

QUOTE_LIMIT = 200  # characters of a reply or of the calls made, quoted in a failure


@dataclass(frozen=True)
class ToolCall:
    name: str
    arguments: dict


@dataclass(frozen=True)
class TurnSeen:
    """What the runner observed for one turn."""

    user: str  # what was sent, placeholders filled
    reply: str  # the agent's whole reply to it; "" when none came
    tool_calls: tuple[ToolCall, ...]
    latency_ms: float | None  # from sending to the reply's first words; None: no reply came
    ended: bool  # the agent ended the conversation in, or by the end of, this turn


def turn_failures(number: int, turn: ScriptTurn, seen: TurnSeen) -> list[str]:
    """Why each of `turn`'s expectations was not met, in the script's order; [] if all were."""
    failures = []
    for expectation in turn.expect:
        reason = _unmet(expectation, seen)
        if reason is not None:
            failures.append(f"Turn {number}: {reason}")
    return failures


def script_failures(script: Script, seen: Sequence[TurnSeen]) -> list[str]:
    """Every failure of a run: each turn's in order, then how the conversation ended.

    A conversation that stopped before the script's last turn fails, naming the turn, unless
    the agent ended it within `ends_within_turns` (the script allowed that); the turns not
    said are not judged. With `ends_within_turns` N, the agent must have ended the
    conversation at turn N or before.
    """
    failures = []
    for number, (turn, turn_seen) in enumerate(zip(script.turns, seen, strict=False), start=1):
        failures.extend(turn_failures(number, turn, turn_seen))

    scripted, ran = len(script.turns), min(len(seen), len(script.turns))
    ended_at = next((n for n, turn_seen in enumerate(seen, start=1) if turn_seen.ended), None)
    limit = script.ends_within_turns
    if ran < scripted:
        not_said = _turn_range(ran + 1, scripted)
        if ended_at is None:
            stopped = f"after turn {ran}" if ran else "before turn 1"
            failures.append(
                f"The conversation stopped {stopped} without the agent ending it, so the "
                f"script's {not_said} not said. Check the run's error and try again."
            )
        elif limit is None:  # with a limit, the failure below says when it ended
            failures.append(
                f"The agent ended the conversation at turn {ended_at}, before the script's "
                f"last turn, so its {not_said} not said."
            )
    if limit is not None:
        if ended_at is None:
            last = f"by turn {ran}, the last one said" if ran else "before any turn was said"
            failures.append(
                f"The agent was to end the conversation by turn {limit}; it had not ended it "
                f"{last}."
            )
        elif ended_at > limit:
            failures.append(
                f"The agent was to end the conversation by turn {limit}; it ended it at "
                f"turn {ended_at}."
            )
    return failures


def _turn_range(first: int, last: int) -> str:
    return f"turn {first} was" if first == last else f"turns {first} to {last} were"


def _unmet(expectation: Expectation, seen: TurnSeen) -> str | None:
    kind, value = expectation.kind, expectation.value
    if kind == "tool_called":
        return _tool_unmet(value["name"], value["arguments"], seen.tool_calls)
    if seen.latency_ms is None:
        return f"no reply came; expected a reply that {_wanted(kind, value)}."
    reply = seen.reply
    if kind == "contains" and _normal(value) not in _normal(reply):
        return f'the reply does not contain "{value}"; {_came(reply)}.'
    if kind == "not_contains" and _normal(value) in _normal(reply):
        return f'the reply contains "{value}", which it must not; {_came(reply)}.'
    if kind == "matches" and _search(value, reply) is None:
        return f'the reply does not match the regular expression "{value}"; {_came(reply)}.'
    if kind == "max_latency_ms" and seen.latency_ms > value:
        return f"the reply took {_ms(seen.latency_ms)} ms, more than the {_ms(value)} ms allowed."
    return None


def _wanted(kind: str, value: Any) -> str:
    if kind == "contains":
        return f'contains "{value}"'
    if kind == "not_contains":
        return f'does not contain "{value}"'
    if kind == "matches":
        return f'matches the regular expression "{value}"'
    return f"comes within {_ms(value)} ms"


def _tool_unmet(name: str, arguments: dict, calls: tuple[ToolCall, ...]) -> str | None:
    if any(call.name == name and _includes(call.arguments, arguments) for call in calls):
        return None
    wanted = f"{name} with arguments including {_json(arguments)}" if arguments else name
    if not calls:
        return f"the agent did not call {wanted}; it called no tool."
    made = ", ".join(f"{call.name} {_json(call.arguments)}" for call in calls)
    return f"the agent did not call {wanted}; it called: {_trimmed(made)}."


def _includes(actual: Any, expected: Any) -> bool:
    """Whether `actual` has everything of `expected`: objects as subsets, recursively."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            key in actual and _includes(actual[key], value) for key, value in expected.items()
        )
    return _same(actual, expected)


def _same(actual: Any, expected: Any) -> bool:
    """JSON equality: numbers by value, but a bool is no number; lists and objects whole."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return actual is expected
    if _is_number(actual) and _is_number(expected):
        return bool(actual == expected)
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(
            _same(a, e) for a, e in zip(actual, expected, strict=True)
        )
    if isinstance(actual, dict) and isinstance(expected, dict):
        return actual.keys() == expected.keys() and all(
            _same(actual[key], value) for key, value in expected.items()
        )
    return type(actual) is type(expected) and bool(actual == expected)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float)  # bools are ruled out before this is asked


def _search(pattern: str, text: str) -> re.Match[str] | None:
    return re.search(pattern, text, re.IGNORECASE)  # re caches the compiled pattern


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _came(reply: str) -> str:
    shown = " ".join(reply.split())  # one line, however the reply broke its lines
    return f'it was: "{_trimmed(shown)}"' if shown else "it was empty"


def _trimmed(text: str) -> str:
    return text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1].rstrip() + "…"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def _ms(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
