"""Scripted conversations: a test Switchboard runs itself, as a text conversation with an agent.

A script is stored as JSON: the dynamic variables the conversation starts with, the user's
turns (each with what the agent's reply must show), and optionally the turn by which the agent
must have ended the conversation:

    {"dynamic_variables": {"customer_name": "Ada"},
     "turns": [{"user": "Hi, I am {{customer_name}}", "expect": [{"contains": "hello"}]}],
     "ends_within_turns": 1}

This module reads a definition into a `Script` (refusing, all at once, everything wrong with
it, each problem under its key path) and writes one back in its one canonical shape, so the API
and files store the same JSON. Judging what a run saw against a script is expectations.py's.
"""

import copy
import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from common.errors import InvalidInput

# The kinds of expectation, in the order the canonical JSON lists them.
EXPECTATION_KINDS = ("contains", "not_contains", "matches", "tool_called", "max_latency_ms")

MAX_TURNS = 50
MAX_TEXT = 2_000  # a user turn, or the text or pattern of an expectation
MAX_LATENCY_MS = 600_000  # ten minutes: longer is no reply at all
# Tool arguments are JSON; deeper nesting than this is a mistake, not a tool's parameters,
# and stopping here keeps the walk below far from Python's recursion limit.
MAX_ARGUMENT_DEPTH = 32

# Variable names as ElevenLabs accepts them; its own (system__agent_id, ...) it fills itself.
_VARIABLE_NAME = re.compile(r"[A-Za-z0-9_]+")
SYSTEM_PREFIX = "system__"
# `{{ name }}` with optional spaces, as ElevenLabs spells placeholders; anything between the
# braces, so a misspelt name is reported rather than sent as it is.
_PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")

# A reference reply is what an agent said once: a long answer, but not a document.
MAX_REFERENCE = 10_000
_SCRIPT_KEYS = ("dynamic_variables", "turns", "ends_within_turns")
_TURN_KEYS = ("user", "expect", "reference")
_TOOL_KEYS = ("name", "arguments")

Scalar = str | int | float | bool


@dataclass(frozen=True)
class Expectation:
    """One thing a turn's reply must show. `value` by kind: the text (contains, not_contains),
    the regular expression (matches), `{"name": str, "arguments": dict}` (tool_called), the
    most milliseconds the reply may take (max_latency_ms)."""

    kind: str
    value: Any


@dataclass(frozen=True)
class ScriptTurn:
    user: str  # as written, with its `{{placeholders}}`
    expect: tuple[Expectation, ...] = ()
    # What the agent answered when the turn was recorded (a test made from a conversation):
    # shown beside the reply to compare by eye, never judged.
    reference: str = ""


@dataclass(frozen=True)
class Script:
    turns: tuple[ScriptTurn, ...]
    dynamic_variables: dict[str, Scalar]
    ends_within_turns: int | None = None


def script_parse(definition: object, *, field: str = "definition") -> Script:
    """The script `definition` (decoded JSON) describes, or InvalidInput naming every problem
    under its key path (`definition.turns[1].expect[0].matches`) with the fix."""
    problems = _Problems()
    if not isinstance(definition, dict):
        problems.add(field, 'Give the script as an object with "turns" (a list of user turns).')
        raise problems.error()
    problems.unknown_keys(field, definition, _SCRIPT_KEYS)

    # null is read as left out, as the canonical form writes a missing ends_within_turns.
    given = definition.get("dynamic_variables")
    variables = _variables({} if given is None else given, field, problems)
    # A placeholder whose variable was given but refused is that variable's problem alone.
    named = _Named(
        frozenset(given if isinstance(given, dict) else ()), f"{field}.dynamic_variables"
    )
    found = definition.get("turns")
    turns = _turns(found, field, named, problems)
    ends = definition.get("ends_within_turns")
    # Counted as written, so a script with a bad turn is still told the right range.
    count = len(found) if isinstance(found, list) and 0 < len(found) <= MAX_TURNS else None
    if ends is not None and not (_is_int(ends) and 1 <= ends <= (count or MAX_TURNS)):
        upto = f"{count} (the script's number of turns)" if count else "the number of turns"
        problems.add(
            f"{field}.ends_within_turns",
            f"Give the turn by which the agent must have ended the conversation: a whole "
            f"number from 1 to {upto}, or leave it out.",
        )
    if problems.errors:
        raise problems.error()
    return Script(turns=tuple(turns), dynamic_variables=variables, ends_within_turns=ends)


def script_definition(script: Script) -> dict:
    """The canonical JSON of `script`: every key present, in a fixed order, variables by name,
    expectations as one-key objects; `script_parse` reads it back to an equal script."""
    return {
        "dynamic_variables": dict(sorted(script.dynamic_variables.items())),
        "turns": [
            {
                "user": turn.user,
                "expect": [{e.kind: _value_definition(e)} for e in turn.expect],
                **({"reference": turn.reference} if turn.reference else {}),
            }
            for turn in script.turns
        ],
        "ends_within_turns": script.ends_within_turns,
    }


def user_text(turn: ScriptTurn, variables: Mapping[str, object]) -> str:
    """What the user says in `turn`: each `{{name}}` replaced by the variable's value (true and
    false as JSON spells them). A placeholder with no value is left as written; `script_parse`
    refuses those for the script's own variables."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in variables:
            return match.group(0)
        found = variables[name]
        if isinstance(found, bool):
            return "true" if found else "false"
        return str(found)

    return _PLACEHOLDER.sub(value, turn.user)


def _value_definition(expectation: Expectation) -> Any:
    if expectation.kind == "tool_called":
        value = expectation.value
        return {"name": value["name"], "arguments": copy.deepcopy(value["arguments"])}
    return expectation.value


class _Problems:
    """Every problem found, by key path, raised together at the end."""

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, key: str, message: str) -> None:
        self.errors.setdefault(key, []).append(message)

    def unknown_keys(self, prefix: str, found: dict, known: tuple[str, ...]) -> bool:
        unknown = [key for key in found if key not in known]
        for key in unknown:
            self.add(f"{prefix}.{key}", _unknown_key_message(str(key), known))
        return bool(unknown)

    def error(self) -> InvalidInput:
        key, messages = next(iter(self.errors.items()))
        return InvalidInput(f"{key}: {messages[0]}", errors=self.errors)


def _unknown_key_message(key: str, known: tuple[str, ...]) -> str:
    # As the config's unknown keys are reported (elevenlabs_adapter/config.py).
    closest = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    if closest:
        return f"Unknown key '{key}'. Did you mean '{closest[0]}'?"
    return f"Unknown key '{key}'. Valid keys here: {', '.join(known)}."


def _variables(found: object, field: str, problems: _Problems) -> dict[str, Scalar]:
    where = f"{field}.dynamic_variables"
    if not isinstance(found, dict):
        problems.add(where, "Give the dynamic variables as an object of names and values, or {}.")
        return {}
    variables: dict[str, Scalar] = {}
    for name, value in found.items():
        key = f"{where}.{name}"
        if not isinstance(name, str) or not _VARIABLE_NAME.fullmatch(name):
            problems.add(key, "Rename the variable using only letters, digits and underscores.")
        elif name.startswith(SYSTEM_PREFIX):
            problems.add(key, "Rename the variable: ElevenLabs fills system__ variables itself.")
        elif not _is_scalar(value):
            problems.add(
                key, "Give a text, a number or true/false; lists, objects and null are refused."
            )
        else:
            variables[name] = value
    return variables


@dataclass(frozen=True)
class _Named:
    """The variables a definition names, for its placeholders, and where they are given."""

    names: frozenset[object]
    where: str


def _turns(found: object, field: str, named: _Named, problems: _Problems) -> list[ScriptTurn]:
    where = f"{field}.turns"
    if not isinstance(found, list) or not found:
        problems.add(where, 'Give at least one turn: a list of objects like {"user": "Hi"}.')
        return []
    if len(found) > MAX_TURNS:
        problems.add(
            where,
            f"Give at most {MAX_TURNS} turns; this script has {len(found)}. "
            "Split it into shorter scripts.",
        )
        return []
    turns = []
    for index, turn in enumerate(found):
        parsed = _turn(turn, f"{where}[{index}]", named, problems)
        if parsed is not None:
            turns.append(parsed)
    return turns


def _turn(found: object, where: str, named: _Named, problems: _Problems) -> ScriptTurn | None:
    if not isinstance(found, dict):
        problems.add(where, 'Give the turn as an object like {"user": "Hi", "expect": [...]}.')
        return None
    problems.unknown_keys(where, found, _TURN_KEYS)
    user = found.get("user")
    if not isinstance(user, str) or not user.strip():
        problems.add(f"{where}.user", "Give the text the user says in this turn.")
    elif len(user) > MAX_TEXT:
        problems.add(
            f"{where}.user",
            f"Shorten the text to at most {MAX_TEXT:,} characters; it has {len(user):,}.",
        )
    else:
        _check_placeholders(user, f"{where}.user", named, problems)
    expect = found.get("expect")
    expect = [] if expect is None else expect
    if not isinstance(expect, list):
        problems.add(
            f"{where}.expect", 'Give the expectations as a list, like [{"contains": "hello"}].'
        )
        expect = []
    parsed = [_expectation(item, f"{where}.expect[{i}]", problems) for i, item in enumerate(expect)]
    reference = found.get("reference")
    reference = "" if reference is None else reference
    if not isinstance(reference, str) or len(reference) > MAX_REFERENCE:
        problems.add(
            f"{where}.reference",
            f"Give the reference as text of at most {MAX_REFERENCE:,} characters, or leave it out.",
        )
        reference = ""
    if not isinstance(user, str):
        return None
    return ScriptTurn(
        user=user, expect=tuple(e for e in parsed if e is not None), reference=reference
    )


def _check_placeholders(text: str, where: str, named: _Named, problems: _Problems) -> None:
    for name in dict.fromkeys(_PLACEHOLDER.findall(text)):
        placeholder = "{{" + name + "}}"
        if not _VARIABLE_NAME.fullmatch(name):
            problems.add(
                where,
                f"Rename the placeholder {placeholder} using only letters, digits and "
                "underscores, or take the braces out.",
            )
        elif name.startswith(SYSTEM_PREFIX):
            problems.add(
                where,
                f"Take {placeholder} out of the text: ElevenLabs fills system__ variables in "
                "the agent's prompt, not in what the user says.",
            )
        elif name not in named.names:
            problems.add(
                where,
                f"Give {placeholder} a value in {named.where}, or take it out of the text.",
            )


def _expectation(found: object, where: str, problems: _Problems) -> Expectation | None:
    one_kind = f"Give one expectation as an object with one key: {', '.join(EXPECTATION_KINDS)}."
    if not isinstance(found, dict):
        problems.add(where, one_kind)
        return None
    if problems.unknown_keys(where, found, EXPECTATION_KINDS):
        return None
    kinds = [kind for kind in EXPECTATION_KINDS if kind in found]
    if len(kinds) != 1:
        problems.add(
            where,
            f"Put {' and '.join(kinds)} in separate expectation objects." if kinds else one_kind,
        )
        return None
    kind = kinds[0]
    value = _expectation_value(kind, found[kind], f"{where}.{kind}", problems)
    return None if value is None else Expectation(kind, value)


def _expectation_value(kind: str, value: object, where: str, problems: _Problems) -> Any:
    if kind in ("contains", "not_contains", "matches"):
        what = "regular expression" if kind == "matches" else "text"
        if not isinstance(value, str) or not value.strip():
            problems.add(where, f"Give the {what} to look for in the reply; it is blank.")
            return None
        if len(value) > MAX_TEXT:
            problems.add(where, f"Shorten the {what} to at most {MAX_TEXT:,} characters.")
            return None
        if kind == "matches":
            try:
                re.compile(value, re.IGNORECASE)
            except re.error as error:
                problems.add(where, f"Give a regular expression that compiles: {error}.")
                return None
        return value
    if kind == "tool_called":
        return _tool_called(value, where, problems)
    # max_latency_ms
    if not (_is_int(value) and 1 <= value <= MAX_LATENCY_MS):
        problems.add(
            where,
            f"Give the most milliseconds the reply may take: a whole number from 1 to "
            f"{MAX_LATENCY_MS:,}.",
        )
        return None
    return value


def _tool_called(value: object, where: str, problems: _Problems) -> dict | None:
    if not isinstance(value, dict):
        problems.add(
            where,
            'Give the tool call as an object like {"name": "book_table", "arguments": {...}}.',
        )
        return None
    problems.unknown_keys(where, value, _TOOL_KEYS)
    name = value.get("name")
    arguments = value.get("arguments", {})
    fine = True
    if not isinstance(name, str) or not name.strip():
        problems.add(f"{where}.name", "Give the name of the tool the agent must call.")
        fine = False
    if not isinstance(arguments, dict):
        problems.add(
            f"{where}.arguments",
            "Give the arguments the call must include as an object, or leave them out.",
        )
        fine = False
    elif not _is_json(arguments, MAX_ARGUMENT_DEPTH):
        problems.add(
            f"{where}.arguments",
            f"Give the arguments as JSON (text, finite numbers, true/false, null, lists and "
            f"objects with text keys) nested at most {MAX_ARGUMENT_DEPTH} levels deep.",
        )
        fine = False
    if not fine or set(value) - set(_TOOL_KEYS):
        return None
    return {"name": name, "arguments": copy.deepcopy(arguments)}


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # a bool is an int to Python


def _is_scalar(value: object) -> bool:
    if isinstance(value, float):
        return math.isfinite(value)  # JSON has no NaN or infinity
    return isinstance(value, str | int | bool)


def _is_json(value: object, depth: int) -> bool:
    if isinstance(value, dict):
        return depth > 0 and all(
            isinstance(key, str) and _is_json(item, depth - 1) for key, item in value.items()
        )
    if isinstance(value, list):
        return depth > 0 and all(_is_json(item, depth - 1) for item in value)
    return value is None or _is_scalar(value)
