"""What any config must be before it is parsed, stored or sent, wherever it came from.

These are limits of JSON, PostgreSQL and Python rather than rules of ElevenLabs, so they hold
for a config read from ElevenLabs as much as for one a person typed:

- PostgreSQL's jsonb cannot store a NUL character, and a lone UTF-16 surrogate (which JSON's
  `\\ud800` escape can produce) is no Unicode at all: neither can be saved or encoded;
- NaN and Infinity are not JSON (Python's parser takes them; PostgreSQL refuses them);
- an integer beyond 64 bits is nothing ElevenLabs or a database column can hold;
- nesting past `CONFIG_MAX_DEPTH` levels is nothing ElevenLabs defines, and deep enough
  nesting exhausts Python's recursion while the config is parsed, compared or printed.

The walk is iterative, so a config nested a thousand levels deep is reported, not a crash.
"""

import math
import re
from collections.abc import Iterator
from typing import Any

# The deepest ElevenLabs setting is a tool's JSON schema for its parameters, which nests about
# three levels per level of the user's own data (tools, 0, parameters, properties, …): 64
# levels leave room for a schema of some twenty levels, far beyond any real tool.
CONFIG_MAX_DEPTH = 64
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# Enough for a person to fix a batch; a config full of bad strings is not listed in full.
MOST_PROBLEMS_REPORTED = 20

_UNSTORABLE_CHARACTER = re.compile("[\x00\ud800-\udfff]")
# Also said where a parser gives up before this check can run (the editor's JSON box).
TOO_DEEP = (
    f"Nested more than {CONFIG_MAX_DEPTH} levels deep, deeper than any ElevenLabs setting "
    "goes: flatten it."
)
_NOT_64_BITS = f"Must be a whole number between {INT64_MIN:,} and {INT64_MAX:,} (64 bits)."
Problems = dict[str, list[str]]


def unstorable_problems(config: Any, *, field: str) -> tuple[Problems, Problems]:
    """Two {dotted path: [message]}: what stops any further check of `config` (nesting too
    deep, text that cannot be encoded), and numbers that cannot be stored, which other checks
    can go on around (and may explain better, with the setting's own range)."""
    blocking: Problems = {}
    numbers: Problems = {}
    for parts, message, stops in _walk(config, (field,)):
        found = blocking if stops else numbers
        found.setdefault(".".join(parts), []).append(message)
        if len(blocking) + len(numbers) >= MOST_PROBLEMS_REPORTED:
            break
    return blocking, numbers


def shown(text: str) -> str:
    """`text` with NUL and lone surrogates written as JSON escapes, so a path or message that
    names them can itself be encoded, logged and sent."""
    return _UNSTORABLE_CHARACTER.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def _walk(config: Any, root: tuple[str, ...]) -> Iterator[tuple[tuple[str, ...], str, bool]]:
    # (path, node, depth), depth counting objects and arrays; children are pushed in reverse,
    # so problems come out in the order they appear in the config.
    stack: list[tuple[tuple[str, ...], Any, int]] = [(root, config, 1)]
    while stack:
        parts, node, depth = stack.pop()
        if isinstance(node, dict | list):
            if depth > CONFIG_MAX_DEPTH:
                yield parts, TOO_DEEP, True
                continue
            items = list(node.items() if isinstance(node, dict) else enumerate(node))
            for key, value in reversed(items):
                stack.append(((*parts, shown(str(key))), value, depth + 1))
            for key, _ in items:
                if isinstance(key, str) and (problem := _text_problem(key)):
                    yield (*parts, shown(key)), f"This key {problem}", True
        elif isinstance(node, str):
            if problem := _text_problem(node):
                yield parts, f"This text {problem}", True
        elif isinstance(node, float) and not math.isfinite(node):
            yield parts, "Must be a finite number: NaN and Infinity are not JSON.", False
        elif isinstance(node, int) and not isinstance(node, bool) and not _fits_64_bits(node):
            yield parts, _NOT_64_BITS, False


def _fits_64_bits(number: int) -> bool:
    return INT64_MIN <= number <= INT64_MAX


def _text_problem(text: str) -> str | None:
    found = _UNSTORABLE_CHARACTER.search(text)
    if found is None:
        return None
    if found.group() == "\x00":
        return "contains a NUL character (\\u0000), which cannot be stored: remove it."
    return (
        f"contains a lone surrogate (\\u{ord(found.group()):04x}), which is not valid "
        "Unicode: remove it, or send the whole surrogate pair."
    )
