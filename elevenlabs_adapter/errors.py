"""What can go wrong talking to ElevenLabs, sorted by what the caller should do about it."""

import email.utils
import time
from typing import Any

import httpx
from elevenlabs.core.api_error import ApiError
from elevenlabs.core.parse_error import ParsingError


class ElevenLabsError(Exception):
    """A call to ElevenLabs failed.

    `retryable`: trying again later may succeed (429, 5xx, timeouts, connection errors).
    `retry_after`: seconds ElevenLabs asked us to wait, when it said.
    `outcome_unknown`: the request may have been carried out even though we got no answer
    (a 5xx or a timeout after sending); a create must look for its result before repeating.
    `message` is a sentence for the person looking at the agent, with ElevenLabs' own words
    for permanent errors, since only they say what to fix.
    """

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
        outcome_unknown: bool = False,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after
        self.outcome_unknown = outcome_unknown

    @property
    def rate_limited(self) -> bool:
        return self.status == 429

    def explained(self, why: str) -> "ElevenLabsError":
        """The same failure, its message followed by `why`."""
        return ElevenLabsError(
            f"{self.message} {why}",
            retryable=self.retryable,
            status=self.status,
            retry_after=self.retry_after,
            outcome_unknown=self.outcome_unknown,
        )


def classified(error: Exception, *, doing: str, where: str = "") -> ElevenLabsError:
    """The ElevenLabsError for an exception raised by the SDK or its HTTP client; `where` is
    the address that was called, named when it could not be reached."""
    if isinstance(error, ParsingError):
        return ElevenLabsError(
            f"ElevenLabs answered {doing} in a shape this version of the SDK does not "
            "understand; upgrade the elevenlabs package.",
            retryable=False,
            status=error.status_code,
        )
    if isinstance(error, ApiError):
        return _from_status(error, doing=doing)
    if isinstance(error, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        # Nothing was sent: the outcome is known, nothing happened.
        at = f" at {where}" if where else ""
        return ElevenLabsError(
            f"Could not connect to ElevenLabs{at} {doing}.", retryable=True, outcome_unknown=False
        )
    if isinstance(error, httpx.TimeoutException):
        return ElevenLabsError(
            f"ElevenLabs did not answer in time {doing}.", retryable=True, outcome_unknown=True
        )
    if isinstance(error, httpx.TransportError):
        return ElevenLabsError(
            f"The connection to ElevenLabs broke {doing}.", retryable=True, outcome_unknown=True
        )
    raise error


def _from_status(error: ApiError, *, doing: str) -> ElevenLabsError:
    status = error.status_code or 0
    said = _their_message(error.body)
    if status == 429:
        return ElevenLabsError(
            f"ElevenLabs is rate-limiting us {doing}.",
            retryable=True,
            status=status,
            retry_after=_retry_after(error.headers or {}),
        )
    if status >= 500 or status == 408:
        return ElevenLabsError(
            f"ElevenLabs had an error {doing} (HTTP {status})" + (f": {said}" if said else "."),
            retryable=True,
            status=status,
            retry_after=_retry_after(error.headers or {}),
            outcome_unknown=True,
        )
    return ElevenLabsError(
        f"ElevenLabs refused {doing} (HTTP {status})" + (f": {said}" if said else "."),
        retryable=False,
        status=status,
    )


def _their_message(body: Any) -> str:
    """ElevenLabs' own words: {"detail": {"message": ...}} or {"detail": [{"loc", "msg"}]}."""
    detail = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(detail, dict):
        return str(detail.get("message") or detail.get("status") or "")
    if isinstance(detail, list):
        return "; ".join(
            f"{'.'.join(str(part) for part in item.get('loc', []))}: {item.get('msg')}"
            if isinstance(item, dict)
            else str(item)
            for item in detail
        )
    return str(detail or "")[:500]


def _retry_after(headers: dict) -> float | None:
    """Retry-After in seconds: a number of seconds or an HTTP date (RFC 9110)."""
    value = next((v for k, v in headers.items() if k.lower() == "retry-after"), None)
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
