"""Exit codes, and the failures that end a command with one (docs/cli.md, "Exit codes").

0: done. 1: the lifecycle refused (the API answered 409: a gate is closed, the move is not
allowed, the agent is archived): the agent is not ready, and a person must act on it. 2:
anything else went wrong (the command line, the credentials, the input, the server or the
network): the pipeline itself needs fixing.
"""

from typing import Any

SUCCEEDED = 0
REFUSED = 1
FAILED = 2
INTERRUPTED = 130  # as shells report a process stopped by Ctrl-C

# The API's status for "the lifecycle refuses the move" (docs/api.md, "Errors").
LIFECYCLE_REFUSAL = 409


class CliError(Exception):
    """A command could not do what it was asked; `message` says why, for a person."""

    def __init__(self, message: str, *, exit_code: int = FAILED) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def as_json(self) -> dict[str, Any]:
        """What `--json` prints on stdout: the API's error shape."""
        return {"success": False, "message": self.message, "code": "cli_error", "errors": {}}


class ApiError(CliError):
    """The API answered with an error: its body's `message` already names the field and the
    fix (docs/api.md, "Errors")."""

    def __init__(self, status: int, body: Any, *, reason: str = "") -> None:
        self.status = status
        self.body = body if _is_error_body(body) else None
        if self.body is not None:
            message = self.body["message"]
        else:
            message = (
                f"The server answered {status} {reason}".rstrip()
                + " without the API's JSON: is SWITCHBOARD_URL the address of Switchboard?"
            )
        super().__init__(message, exit_code=REFUSED if status == LIFECYCLE_REFUSAL else FAILED)

    @property
    def code(self) -> str:
        return self.body["code"] if self.body is not None else "unexpected_answer"

    def as_json(self) -> dict[str, Any]:
        if self.body is not None:
            return self.body
        return {"success": False, "message": self.message, "code": self.code, "errors": {}}


class Unreachable(CliError):
    """No answer came: the connection failed, or dropped, on every attempt."""

    def as_json(self) -> dict[str, Any]:
        return {"success": False, "message": self.message, "code": "unreachable", "errors": {}}


def _is_error_body(body: Any) -> bool:
    return isinstance(body, dict) and isinstance(body.get("message"), str) and "code" in body
