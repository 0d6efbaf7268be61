"""JSON merge patch (RFC 7396): how a PATCH changes part of a JSON document."""

from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """`target` changed by `patch`, as RFC 7396 says: objects merge key by key, recursively;
    a `null` removes its key; anything else, arrays included, replaces what was there.

    Neither argument is changed; the result shares the parts `patch` leaves alone with
    `target`. The recursion is as deep as `patch`: bound its depth before calling.
    """
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged
