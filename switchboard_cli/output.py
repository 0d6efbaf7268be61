"""What a command prints: lines for people, or JSON with `--json`; errors on stderr; progress
only on a terminal."""

import json
import sys
from typing import Any, TextIO

BAR_WIDTH = 20


class Output:
    """stdout carries the result (human lines, or one JSON document with `--json`); stderr
    carries errors, notes and, when it is a terminal, a progress line that is wiped when the
    command ends. Nothing moves in a pipe or a CI log."""

    def __init__(
        self, *, as_json: bool, stdout: TextIO | None = None, stderr: TextIO | None = None
    ) -> None:
        self.as_json = as_json
        self.stdout = stdout or sys.stdout
        self.stderr = stderr or sys.stderr
        self._progress_shown = False

    def line(self, text: str = "") -> None:
        """A line of the human output (nothing with `--json`)."""
        if not self.as_json:
            self._clear_progress()
            print(text, file=self.stdout, flush=True)  # a CI log shows it as it comes

    def document(self, value: Any) -> None:
        """The JSON output (nothing without `--json`)."""
        if self.as_json:
            self._clear_progress()
            print(json.dumps(value, indent=2, ensure_ascii=False), file=self.stdout)

    def error(self, message: str, *, body: dict[str, Any] | None = None) -> None:
        """A failure: its message on stderr; with `--json`, its body on stdout as well."""
        self._clear_progress()
        print(message, file=self.stderr)
        if self.as_json and body is not None:
            print(json.dumps(body, indent=2, ensure_ascii=False), file=self.stdout)

    def note(self, message: str) -> None:
        """Something a person (or a CI log) should know that is not the result: a retry."""
        self._clear_progress()
        print(message, file=self.stderr)

    @property
    def on_terminal(self) -> bool:
        """Whether progress shows (stderr is a terminal); elsewhere a command that waits long
        says how it goes with plain notes instead."""
        return _is_terminal(self.stderr)

    def progress(self, message: str) -> None:
        """What is going on now, on one line rewritten in place; only on a terminal."""
        if not _is_terminal(self.stderr):
            return
        self.stderr.write("\r\x1b[K" + message)
        self.stderr.flush()
        self._progress_shown = True

    def finish(self) -> None:
        self._clear_progress()

    def _clear_progress(self) -> None:
        if self._progress_shown:
            self.stderr.write("\r\x1b[K")
            self.stderr.flush()
            self._progress_shown = False


def bar(done: int, total: int, *, width: int = BAR_WIDTH) -> str:
    """A progress bar: `[########------------]`, filled in proportion to done of total."""
    filled = width if total <= 0 else min(width, max(0, done) * width // total)
    return "[" + "#" * filled + "-" * (width - filled) + "]"


def _is_terminal(stream: TextIO) -> bool:
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())
