"""Two configs side by side, for people to read.

The configs are laid out as pretty JSON with keys sorted, except that text with line breaks
(a system prompt) is shown as its lines, not as one string full of `\\n` escapes, so a prompt
is compared line by line. Lines that changed are compared again word by word, so a one-word
edit in a long line stands out. Long runs of unchanged lines are folded, keeping a few lines
of context around each change.

The API's `/versions/diff` answers per changed key instead (`version_diff` in selectors.py):
that is for scripts; this is for the web UI.
"""

import difflib
import json
import re
from dataclasses import dataclass, field
from typing import Any

CONTEXT = 3  # unchanged lines kept in view on each side of a change
# Below this likeness two lines are different lines, not one edited: marking the few words
# they happen to share ("the", a quote mark) would only be noise.
SIMILAR_ENOUGH = 0.4
INDENT = "  "
# Words (joined by a hyphen, an apostrophe or a dot: "en-GB", "don't", "example.com" are one
# word each), runs of spaces, single punctuation marks.
_TOKENS = re.compile(r"\w+(?:[-'\u2019.]\w+)*|\s+|[^\w\s]")


@dataclass(frozen=True)
class Segment:
    """A piece of a line; `changed` pieces are what this side has and the other lacks."""

    text: str
    changed: bool = False


@dataclass(frozen=True)
class DiffLine:
    """One row of a side-by-side diff; a side's number is None where it has no line."""

    kind: str  # "same", "changed", "removed" or "added"
    old_number: int | None
    old: tuple[Segment, ...]
    new_number: int | None
    new: tuple[Segment, ...]

    @property
    def old_text(self) -> str:
        return "".join(segment.text for segment in self.old)

    @property
    def new_text(self) -> str:
        return "".join(segment.text for segment in self.new)


@dataclass(frozen=True)
class DiffBlock:
    """Consecutive rows; a `folded` block holds unchanged lines shown only on request."""

    lines: tuple[DiffLine, ...]
    folded: bool = False


@dataclass(frozen=True)
class SideBySide:
    blocks: list[DiffBlock] = field(default_factory=list)

    @property
    def changed(self) -> int:
        """How many rows differ."""
        return sum(line.kind != "same" for block in self.blocks for line in block.lines)


def side_by_side(before: Any, after: Any, *, context: int = CONTEXT) -> SideBySide:
    """`before` against `after` (JSON values), line against line, unchanged runs folded."""
    old, new = readable_lines(before), readable_lines(after)
    lines: list[DiffLine] = []
    matcher = difflib.SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        for offset in range(max(i2 - i1, j2 - j1)):
            i, j = i1 + offset, j1 + offset
            lines.append(_row(tag, old, new, i if i < i2 else None, j if j < j2 else None))
    return SideBySide(blocks=_fold(lines, context=context))


def readable_lines(value: Any) -> list[str]:
    """`value` as pretty JSON lines, keys sorted, with multi-line text as its own lines."""
    lines: list[str] = []
    _lay_out(value, lines, depth=0, prefix="", suffix="")
    return lines


def _lay_out(value: Any, lines: list[str], *, depth: int, prefix: str, suffix: str) -> None:
    """Append `value`'s lines; `prefix` starts its first line (`"key": `), `suffix` ends its
    last (a comma)."""
    pad = INDENT * depth
    if isinstance(value, dict) and value:
        lines.append(f"{pad}{prefix}{{")
        keys = sorted(value)
        for index, key in enumerate(keys):
            comma = "," if index < len(keys) - 1 else ""
            _lay_out(value[key], lines, depth=depth + 1, prefix=f"{_json(key)}: ", suffix=comma)
        lines.append(f"{pad}}}{suffix}")
    elif isinstance(value, list) and value:
        lines.append(f"{pad}{prefix}[")
        for index, item in enumerate(value):
            comma = "," if index < len(value) - 1 else ""
            _lay_out(item, lines, depth=depth + 1, prefix="", suffix=comma)
        lines.append(f"{pad}]{suffix}")
    elif isinstance(value, str) and "\n" in value:
        # The key on a line of its own, then the text as written, one level further in: no
        # quotes, no escapes. A reader sees the prompt as they typed it in the editor.
        lines.append(f"{pad}{prefix}".rstrip())
        lines.extend(f"{pad}{INDENT}{text}".rstrip() for text in value.split("\n"))
    else:
        lines.append(f"{pad}{prefix}{_json(value)}{suffix}")


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


_KINDS = {"equal": "same", "delete": "removed", "insert": "added", "replace": "changed"}


def _row(tag: str, old: list[str], new: list[str], i: int | None, j: int | None) -> DiffLine:
    kind = _KINDS[tag]
    if kind == "changed" and (i is None or j is None):
        kind = "removed" if j is None else "added"
    old_text = old[i] if i is not None else ""
    new_text = new[j] if j is not None else ""
    if kind == "changed":
        old_segments, new_segments = word_changes(old_text, new_text)
    else:
        changed = kind != "same"
        old_segments = (Segment(old_text, changed),) if old_text else ()
        new_segments = (Segment(new_text, changed),) if new_text else ()
    return DiffLine(
        kind=kind,
        old_number=i + 1 if i is not None else None,
        old=old_segments,
        new_number=j + 1 if j is not None else None,
        new=new_segments,
    )


def word_changes(old: str, new: str) -> tuple[tuple[Segment, ...], tuple[Segment, ...]]:
    """Both lines cut into segments, marking the words each has that the other does not.
    Whole words, never parts of one: a reader sees "book → cancel", not "b[ook→cancel]"."""
    old_words, new_words = _TOKENS.findall(old), _TOKENS.findall(new)
    matcher = difflib.SequenceMatcher(a=old_words, b=new_words, autojunk=False)
    if matcher.ratio() < SIMILAR_ENOUGH:
        return (Segment(old, True),), (Segment(new, True),)
    old_segments: list[Segment] = []
    new_segments: list[Segment] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        changed = tag != "equal"
        _extend(old_segments, "".join(old_words[i1:i2]), changed)
        _extend(new_segments, "".join(new_words[j1:j2]), changed)
    return tuple(old_segments), tuple(new_segments)


def _extend(segments: list[Segment], text: str, changed: bool) -> None:
    """Add `text`, merged into the last segment when it is marked the same way."""
    if not text:
        return
    if segments and segments[-1].changed == changed:
        segments[-1] = Segment(segments[-1].text + text, changed)
    else:
        segments.append(Segment(text, changed))


def _fold(lines: list[DiffLine], *, context: int) -> list[DiffBlock]:
    """Group rows into blocks, folding the middle of every unchanged run longer than the
    context it must keep: `context` lines after a change and before the next one."""
    blocks: list[DiffBlock] = []
    shown: list[DiffLine] = []
    start = 0
    while start < len(lines):
        end = start
        same = lines[start].kind == "same"
        while end < len(lines) and (lines[end].kind == "same") == same:
            end += 1
        run = lines[start:end]
        keep_before = context if start > 0 else 0  # after the change above
        keep_after = context if end < len(lines) else 0  # before the change below
        if same and len(run) > keep_before + keep_after + 1:
            # Folding a single line would hide less than the control that shows it.
            shown.extend(run[:keep_before])
            if shown:
                blocks.append(DiffBlock(lines=tuple(shown)))
            blocks.append(
                DiffBlock(lines=tuple(run[keep_before : len(run) - keep_after]), folded=True)
            )
            shown = list(run[len(run) - keep_after :])
        else:
            shown.extend(run)
        start = end
    if shown:
        blocks.append(DiffBlock(lines=tuple(shown)))
    return blocks
