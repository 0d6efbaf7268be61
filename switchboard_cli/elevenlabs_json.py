"""JSON as the ElevenLabs CLI (`@elevenlabs/cli` 1.x) writes its project files, byte for
byte, so a project pulled from Switchboard reads as one the ElevenLabs CLI pulled:

- four spaces of indentation, `"key": value`, empty objects and arrays as `{}` and `[]`, no
  newline at the end of the file;
- agent configs with their keys sorted at every depth (agents.json keeps its own order);
- text as UTF-8, only `"`, `\\` and control characters escaped (`\\u001f`, lowercase);
- numbers as its Rust JSON library prints them: whole numbers within 64 bits as integers,
  other numbers by the shortest digits that read back the same, in decimals from 0.00001
  to 10^16 (`0.5`, `2.0`, `0.000012`) and in exponent form beyond (`1e-7`, `1e+16`).

These rules were read off files the ElevenLabs CLI 1.3.0 wrote (docs/cli.md, "Agents as
code").
"""

import json
import math
from decimal import Decimal
from typing import Any

INDENT = "    "
# Whole numbers the ElevenLabs CLI keeps as integers (Rust's u64 and i64); larger ones it
# reads, and writes, as floating-point numbers.
INTEGER_RANGE = range(-(2**63), 2**64)
# Numbers from 10^-5 up to (not including) 10^16 are written in decimals.
DECIMALS_FROM = -5
DECIMALS_UP_TO = 16


def dumps(value: Any, *, sort_keys: bool) -> str:
    """`value` as the ElevenLabs CLI writes it; `sort_keys` as in its agent configs."""
    parts: list[str] = []
    _write(value, sort_keys=sort_keys, depth=0, parts=parts)
    return "".join(parts)


def number(value: float) -> str:
    """A floating-point number as the ElevenLabs CLI writes it."""
    if not math.isfinite(value):
        raise ValueError(f"JSON has no {value}.")
    if value == 0:
        return "-0.0" if math.copysign(1, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    # repr() gives the shortest digits that read back as the same number, as Rust does.
    shortest = Decimal(repr(abs(value))).normalize().as_tuple()
    digits = "".join(map(str, shortest.digits))
    exponent = int(shortest.exponent)  # the value is int(digits) * 10**exponent
    point = len(digits) + exponent  # where the decimal point falls in `digits`
    if exponent >= 0 and point <= DECIMALS_UP_TO:
        text = digits + "0" * exponent + ".0"
    elif 0 < point <= DECIMALS_UP_TO:
        text = digits[:point] + "." + digits[point:]
    elif DECIMALS_FROM < point <= 0:
        text = "0." + "0" * -point + digits
    else:
        mantissa = digits if len(digits) == 1 else f"{digits[0]}.{digits[1:]}"
        text = f"{mantissa}e{point - 1:+d}".replace("e+-", "e-")
    return sign + text


def _write(value: Any, *, sort_keys: bool, depth: int, parts: list[str]) -> None:
    if isinstance(value, dict):
        items = sorted(value.items()) if sort_keys else list(value.items())
        _write_container("{", "}", items, sort_keys=sort_keys, depth=depth, parts=parts)
    elif isinstance(value, list):
        items = [(None, item) for item in value]
        _write_container("[", "]", items, sort_keys=sort_keys, depth=depth, parts=parts)
    else:
        parts.append(_scalar(value))


def _write_container(
    opening: str,
    closing: str,
    items: list[tuple[str | None, Any]],
    *,
    sort_keys: bool,
    depth: int,
    parts: list[str],
) -> None:
    if not items:
        parts.append(opening + closing)
        return
    parts.append(opening)
    for index, (key, item) in enumerate(items):
        parts.append(("," if index else "") + "\n" + INDENT * (depth + 1))
        if key is not None:
            parts.append(_string(key) + ": ")
        _write(item, sort_keys=sort_keys, depth=depth + 1, parts=parts)
    parts.append("\n" + INDENT * depth + closing)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value) if value in INTEGER_RANGE else number(float(value))
    if isinstance(value, float):
        return number(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"Not JSON: {value!r}")


def _string(text: str) -> str:
    # Python escapes exactly what the ElevenLabs CLI escapes, with the same short forms.
    return json.dumps(text, ensure_ascii=False)
